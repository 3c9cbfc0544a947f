"""eID pages: registration, activation, sign-in (passcode, then SMS code for level 2), sign-out,
passcode reset, the demo SMS outbox, the check-in QR keys' public JWKS, and the police desk
page. The citizen's own account pages ("My account", "My login history", "Check-in QR") are in
``me.pages.account``.

Refusals that must be remembered (``CountedFailure``) and input problems are returned as the
form with its error, not raised, so the request's transaction commits the counters.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import (
    NotAuthenticated,
    OnceGovError,
    TooManyRequests,
    ValidationFailed,
)
from oncegov.identity.accounts import (
    codes,
    labels,
    locks,
    passcode_reset,
    police_desk,
    qr,
    registration,
    rules,
    service,
    signin,
)
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.accounts.schemas import RegistrationForm
from oncegov.kit.crypto import new_token
from oncegov.translatable import N_
from oncegov.web.client import client_ip
from oncegov.web.forms import PostedForm, attempt
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute)
FORM_COOKIE = "oncegov_eid_form"  # double-submit token of the public forms (no session yet)
PENDING_COOKIE = "oncegov_eid_pending"  # names the pending two-step sign-in
DEFAULT_NEXT = "/me"
FORM_EXPIRED = N_("The form expired; please try again")


def safe_next(target: str | None) -> str:
    """Only a local path: an open redirect after sign-in is a phishing aid. Backslashes and
    control characters are refused too (browsers read ``/\\evil.example`` as another host)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(ord(ch) > 31 and ord(ch) != 127 for ch in target)
    ):
        return target
    return DEFAULT_NEXT


def _form(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A public form with a fresh double-submit token (cookie + hidden field)."""
    token = new_token(24)
    response = render(request, template, {**context, "form_token": token}, status_code)
    response.headers.update(headers or {})
    response.set_cookie(
        FORM_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        max_age=3600,
        path="/eid",
    )
    return response


def _form_ok(request: Request, sent: str) -> bool:
    cookie = request.cookies.get(FORM_COOKIE, "")
    return bool(cookie) and bool(sent) and secrets.compare_digest(cookie, sent)


def _error_of(exc: OnceGovError) -> dict[str, Any]:
    return {"error": exc.message, "error_field": exc.field}


@dataclass(frozen=True)
class _IdentityForm:
    """What a citizen declares to prove who they are (registration, passcode reset)."""

    personal_id: Annotated[str, Form()]
    full_name: Annotated[str, Form()]
    date_of_birth: Annotated[str, Form()]
    phone: Annotated[str, Form()]
    form_token: Annotated[str, Form()] = ""

    def values(self) -> dict[str, str]:
        """The typed values, to show the form again as it was sent."""
        return {
            "personal_id": self.personal_id,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth,
            "phone": self.phone,
        }


# --- registration --------------------------------------------------------------------------


@router.get("/eid/register", response_class=HTMLResponse)
def register_page(request: Request) -> HTMLResponse:
    return _form(request, "eid/register.html", {"values": {}})


@router.post("/eid/register", response_class=HTMLResponse)
def register(
    request: Request,
    db: DbSession,
    posted: Annotated[_IdentityForm, Depends()],
    portrait: UploadFile,
) -> HTMLResponse:
    values = posted.values()
    if not _form_ok(request, posted.form_token):
        return _form(request, "eid/register.html", {"values": values, "error": FORM_EXPIRED}, 400)
    # Synchronous (this route runs in the thread pool): the form parser already spooled it.
    data = portrait.file.read(rules.MAX_PORTRAIT_BYTES + 1)
    form = RegistrationForm(
        posted.personal_id, posted.full_name, posted.date_of_birth, posted.phone, data, "web"
    )
    try:
        registration.register_level1(db, form, ip=client_ip(request))
    except ValidationFailed as exc:
        context = {"values": values, **_error_of(exc)}
        return _form(request, "eid/register.html", context, exc.status)
    return _form(
        request,
        "eid/activate.html",
        {"personal_id": posted.personal_id.strip(), "notice": N_("We texted you a 6-digit code.")},
    )


# --- activation ----------------------------------------------------------------------------


@router.get("/eid/activate", response_class=HTMLResponse)
def activate_page(request: Request, personal_id: str = "") -> HTMLResponse:
    return _form(request, "eid/activate.html", {"personal_id": personal_id})


# A service step that takes the texted code and a new passcode (activation, reset).
_CodeStep = Callable[..., EidAccount]


@dataclass(frozen=True)
class _CodeForm:
    """The posted code-and-new-passcode form (the same fields on both pages)."""

    personal_id: Annotated[str, Form()]
    code: Annotated[str, Form()]
    passcode: Annotated[str, Form()]
    passcode_repeat: Annotated[str, Form()]
    form_token: Annotated[str, Form()] = ""


def _set_passcode(
    request: Request, db: Session, posted: _CodeForm, template: str, step: _CodeStep
) -> EidAccount | HTMLResponse:
    """Run ``step``; the form again (with its error) when the token expired or it refused."""
    context: dict[str, Any] = {"personal_id": posted.personal_id}
    if not _form_ok(request, posted.form_token):
        return _form(request, template, {**context, "error": FORM_EXPIRED}, 400)
    try:
        return step(
            db,
            personal_id=posted.personal_id,
            code=posted.code,
            passcode=posted.passcode,
            repeat=posted.passcode_repeat,
            ip=client_ip(request),
        )
    except (ValidationFailed, TooManyRequests) as exc:
        return _form(request, template, {**context, **_error_of(exc)}, exc.status, exc.headers)


@router.post("/eid/activate", response_class=HTMLResponse)
def activate(
    request: Request, db: DbSession, posted: Annotated[_CodeForm, Depends()]
) -> HTMLResponse:
    account = _set_passcode(request, db, posted, "eid/activate.html", registration.activate)
    if isinstance(account, HTMLResponse):
        return account
    return render(request, "eid/activated.html", {"level": account.level})


# --- sign-in -------------------------------------------------------------------------------


def _login_context(next_path: str, level: int, force: bool) -> dict[str, Any]:
    return {"next": next_path, "level": level, "force": force}


def _has_session(request: Request, db: DbSession, level: int) -> bool:
    token = request.cookies.get(settings.citizen_session_cookie)
    if not token:
        return False
    try:
        return auth.citizen_principal_from_session(db, token).level >= level
    except NotAuthenticated:
        return False


def _required_level(level: str | int | None) -> int:
    return 2 if str(level) == "2" else 1


@router.get("/eid/login", response_class=HTMLResponse, response_model=None)
def login_page(
    request: Request,
    db: DbSession,
    next: str | None = None,
    level: str | None = None,
    force: str | None = None,
) -> Response:
    next_path, required = safe_next(next), _required_level(level)
    forced = force == "1"
    if not forced and _has_session(request, db, required):
        return RedirectResponse(next_path, status_code=303)
    return _form(request, "eid/login.html", _login_context(next_path, required, forced))


def _signed_in(target: str, token: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        settings.citizen_session_cookie,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_absolute_hours * 3600,
    )
    response.delete_cookie(PENDING_COOKIE, path="/eid/login")
    return response


@router.post("/eid/login", response_model=None)
def login(
    request: Request,
    db: DbSession,
    personal_id: Annotated[str, Form()],
    passcode: Annotated[str, Form()],
    form_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = DEFAULT_NEXT,
    level: Annotated[str, Form()] = "1",
    force: Annotated[str, Form()] = "",
) -> Response:
    next_path, required = safe_next(next), _required_level(level)
    context = _login_context(next_path, required, force == "1")
    if not _form_ok(request, form_token):
        return _form(request, "eid/login.html", {**context, "error": FORM_EXPIRED}, 400)
    try:
        step = signin.sign_in(
            db,
            personal_id=personal_id,
            passcode=passcode,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            old_token=request.cookies.get(settings.citizen_session_cookie),
            next_path=next_path,
            required_level=required,
        )
    except (service.LoginFailed, TooManyRequests) as exc:
        # Returned, not raised: the failure counter and history line must be committed.
        failed = {**context, "error": exc.message}
        return _form(request, "eid/login.html", failed, exc.status, exc.headers)
    if step.level_refused:
        retry = f"/eid/login?next={quote(next_path, safe='')}"
        return render(request, "eid/level_required.html", {"retry": retry}, status_code=403)
    if step.session_token:
        return _signed_in(step.next_path, step.session_token)
    response = RedirectResponse("/eid/login/otp", status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        step.pending_token or "",
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        max_age=settings.otp_lifetime_seconds,
        path="/eid/login",
    )
    return response


@router.get("/eid/login/otp", response_class=HTMLResponse, response_model=None)
def login_otp_page(request: Request, db: DbSession) -> Response:
    if signin.pending_sign_in(db, request.cookies.get(PENDING_COOKIE)) is None:
        return RedirectResponse("/eid/login", status_code=303)
    return _form(request, "eid/login_otp.html", {})


@router.post("/eid/login/otp", response_model=None)
def login_otp(
    request: Request,
    db: DbSession,
    code: Annotated[str, Form()],
    form_token: Annotated[str, Form()] = "",
) -> Response:
    if not _form_ok(request, form_token):
        return _form(request, "eid/login_otp.html", {"error": FORM_EXPIRED}, 400)
    try:
        step = signin.finish_sign_in(
            db,
            pending_token=request.cookies.get(PENDING_COOKIE),
            code=code,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            old_token=request.cookies.get(settings.citizen_session_cookie),
        )
    except service.LoginFailed as exc:
        return _form(
            request,
            "eid/login.html",
            {**_login_context(DEFAULT_NEXT, 1, False), "error": exc.message},
            401,
        )
    except service.CodeRejected as exc:
        if signin.pending_sign_in(db, request.cookies.get(PENDING_COOKIE)) is None:
            context = {**_login_context(DEFAULT_NEXT, 1, False), "error": exc.message}
            return _form(request, "eid/login.html", context, 401)
        return _form(request, "eid/login_otp.html", {"error": exc.message}, 401)
    return _signed_in(step.next_path, step.session_token or "")


@router.post("/eid/logout")
def logout(request: Request, db: DbSession, form: PostedForm) -> RedirectResponse:
    token = request.cookies.get(settings.citizen_session_cookie)
    sent = form.get("csrf_token")
    if token:
        signin.sign_out(db, token, sent if isinstance(sent, str) else None, ip=client_ip(request))
    response = RedirectResponse("/eid/login", status_code=303)
    response.delete_cookie(settings.citizen_session_cookie)
    return response


# --- passcode reset ------------------------------------------------------------------------


@router.get("/eid/reset", response_class=HTMLResponse)
def reset_page(request: Request) -> HTMLResponse:
    return _form(request, "eid/reset.html", {"values": {}})


@router.post("/eid/reset", response_class=HTMLResponse)
def reset(
    request: Request, db: DbSession, posted: Annotated[_IdentityForm, Depends()]
) -> HTMLResponse:
    values = posted.values()
    if not _form_ok(request, posted.form_token):
        return _form(request, "eid/reset.html", {"values": values, "error": FORM_EXPIRED}, 400)
    request_form = passcode_reset.ResetRequest(
        posted.personal_id, posted.full_name, posted.date_of_birth, posted.phone
    )
    try:
        passcode_reset.request_reset(db, request_form, ip=client_ip(request))
    except (ValidationFailed, TooManyRequests) as exc:
        refused = {"values": values, **_error_of(exc)}
        return _form(request, "eid/reset.html", refused, exc.status, exc.headers)
    return _form(request, "eid/reset_confirm.html", {"personal_id": posted.personal_id.strip()})


@router.get("/eid/reset/confirm", response_class=HTMLResponse)
def reset_confirm_page(request: Request, personal_id: str = "") -> HTMLResponse:
    return _form(request, "eid/reset_confirm.html", {"personal_id": personal_id})


@router.post("/eid/reset/confirm", response_class=HTMLResponse)
def reset_confirm(
    request: Request, db: DbSession, posted: Annotated[_CodeForm, Depends()]
) -> HTMLResponse:
    done = _set_passcode(
        request, db, posted, "eid/reset_confirm.html", passcode_reset.confirm_reset
    )
    if isinstance(done, HTMLResponse):
        return done
    response = render(request, "eid/reset_done.html", {})
    response.delete_cookie(settings.citizen_session_cookie)
    return response


# --- demo SMS outbox -----------------------------------------------------------------------


@router.get("/eid/sms", response_class=HTMLResponse)
def sms_outbox(request: Request, db: DbSession, phone: str = "") -> HTMLResponse:
    messages: list[Any] = []
    error = None
    if settings.environment == "production":
        codes.outbox(db, phone)  # raises NotFound: no outbox page in production
    if phone.strip():
        try:
            messages = codes.outbox(db, phone)
        except ValidationFailed as exc:
            error = exc.message
    return render(request, "eid/sms.html", {"phone": phone, "messages": messages, "error": error})


# --- the check-in QR's public keys, for medical facilities ---------------------------------


@router.get("/eid/qr/jwks.json")
def checkin_qr_jwks(db: DbSession) -> JSONResponse:
    # Public keys only. Short public caching: a rotated key must reach facilities quickly (they
    # also refetch on an unknown kid). Set here: the middleware only sets no-store by default.
    return JSONResponse(qr.published_jwks(db), headers={"Cache-Control": "public, max-age=60"})


# --- police desk ---------------------------------------------------------------------------

EidDesk = Annotated[Authorized, Depends(require("identity.eid"))]


def _desk(
    request: Request,
    db: DbSession,
    desk: Authorized,
    personal_id: str,
    *,
    notice: str | None = None,
    error: OnceGovError | None = None,
    typed: Mapping[str, object] | None = None,
) -> HTMLResponse:
    """The desk page; after a refused action, the same page with the error at its field and
    the action's form as it was filled in (``typed``)."""
    view = None
    lookup_error = error
    if personal_id.strip():
        try:
            view = police_desk.desk_lookup(db, desk.actor(), personal_id, scope=desk.scope)
        except OnceGovError as exc:
            lookup_error = lookup_error or exc
    context = {
        "personal_id": personal_id,
        "view": view,
        "notice": notice,
        "error": lookup_error.message if lookup_error else None,
        "error_field": lookup_error.field if lookup_error else None,
        "typed": typed or {},
        "labels": labels,
    }
    status = lookup_error.status if lookup_error else 200
    return render(request, "eid/desk.html", context, status_code=status)


@router.get("/identity/eid", response_class=HTMLResponse)
def desk_page(
    request: Request, db: DbSession, desk: EidDesk, personal_id: str = ""
) -> HTMLResponse:
    return _desk(request, db, desk, personal_id)


@router.post("/identity/eid/level2", response_class=HTMLResponse)
def desk_level2(
    request: Request,
    db: DbSession,
    desk: EidDesk,
    personal_id: Annotated[str, Form()],
    phone: Annotated[str, Form()],
    card_checked: Annotated[bool, Form()] = False,
    portrait_matched: Annotated[bool, Form()] = False,
    commune_code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    outcome = attempt(
        db,
        lambda: police_desk.register_level2_at_desk(
            db,
            desk.actor(),
            personal_id=personal_id,
            phone=phone,
            commune_code=commune_code,
            card_checked=card_checked,
            portrait_matched=portrait_matched,
            scope=desk.scope,
        ),
    )
    if isinstance(outcome, OnceGovError):
        typed = {"form": "level2", "phone": phone, "card_checked": card_checked,
                 "portrait_matched": portrait_matched}  # fmt: skip
        return _desk(request, db, desk, personal_id, error=outcome, typed=typed)
    notice = N_("Level 2 registered. The citizen received a code by SMS to activate it.")
    return _desk(request, db, desk, personal_id, notice=notice)


@router.post("/identity/eid/lock", response_class=HTMLResponse)
def desk_lock(
    request: Request,
    db: DbSession,
    desk: EidDesk,
    personal_id: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    outcome = attempt(
        db,
        lambda: locks.lock_by_police(
            db, desk.actor(), personal_id, reason=reason, scope=desk.scope
        ),
    )
    if isinstance(outcome, OnceGovError):
        typed = {"form": "lock", "reason": reason}
        return _desk(request, db, desk, personal_id, error=outcome, typed=typed)
    return _desk(request, db, desk, personal_id, notice=N_("The account is locked."))


@router.post("/identity/eid/unlock", response_class=HTMLResponse)
def desk_unlock(
    request: Request,
    db: DbSession,
    desk: EidDesk,
    personal_id: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse:
    outcome = attempt(
        db,
        lambda: locks.unlock_by_police(
            db, desk.actor(), personal_id, reason=reason, scope=desk.scope
        ),
    )
    if isinstance(outcome, OnceGovError):
        typed = {"form": "unlock", "reason": reason}
        return _desk(request, db, desk, personal_id, error=outcome, typed=typed)
    return _desk(request, db, desk, personal_id, notice=N_("The account is unlocked."))
