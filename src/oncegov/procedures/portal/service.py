"""Portal rules: its relying-party registration, sign-in (start and callback), sessions.

The portal is a confidential client of OnceGov's own OpenID Connect provider
(``identity.oidc``): it is registered through the provider's service (``ensure_portal_client``)
and then talks to it only over the protocol (``rp``). Sessions are the portal's own
(``portal_sessions``), with the same idle and absolute timeouts as the eID sessions
(``session_idle_minutes``, ``session_absolute_hours``).

The callback makes its HTTP calls to the provider before it writes anything: on SQLite the
provider's token endpoint (in the same process, or another worker) needs the write lock, which
a writing callback would hold while it waits for the answer.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.errors import PortalNotAuthenticated, StepUpRequired
from oncegov.identity.oidc import service as oidc
from oncegov.identity.oidc.schemas import ClientForm, ClientView
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.crypto import hash_token, new_token
from oncegov.procedures.portal import rp
from oncegov.procedures.portal.models import PortalLoginRequest, PortalSession
from oncegov.procedures.portal.repository import PortalRepository
from oncegov.procedures.portal.schemas import LoginStart, PortalCitizen, SignedIn
from oncegov.translatable import N_

CLIENT_ID = rp.CLIENT_ID
DEFAULT_NEXT = "/portal"
LEVELS = (1, 2)


# --- the relying party -------------------------------------------------------------------------


def portal_client_form(public_url: str | None = None) -> ClientForm:
    return ClientForm(
        name=rp.CLIENT_NAME,
        agency="OnceGov",
        redirect_uris=[rp.redirect_uri(public_url)],
        post_logout_redirect_uris=[rp.post_logout_redirect_uri(public_url)],
        scopes=list(rp.SCOPES),
        max_level=2,
        auth_method="client_secret_basic",
        require_nonce=True,
    )


def ensure_portal_client(
    session: Session, actor: Actor | None = None, *, public_url: str | None = None
) -> tuple[ClientView, bool]:
    """Register the portal as relying party ``oncegov-portal`` (redirect URI
    ``<public_url>/portal/callback``, default ``settings.oidc_issuer``; secret
    ``ONCEGOV_PORTAL_CLIENT_SECRET``), or bring it back to that; (client, changed).
    Idempotent: called by ``oncegov demo`` and ``oncegov procedures portal-client``."""
    return oidc.ensure_client(
        session,
        CLIENT_ID,
        portal_client_form(public_url),
        settings.portal_client_secret.get_secret_value(),
        actor or Actor.system("portal"),
    )


# --- sign-in -----------------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Only a local path (no open redirect): not ``//host``, no backslash (browsers read
    ``/\\host`` as another host), no control characters; anything else is the portal home."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(ord(ch) > 31 and ord(ch) != 127 for ch in target)
        and len(target) <= 2000
    ):
        return target
    return DEFAULT_NEXT


def level_of(value: str | None) -> int:
    """The eID level asked for: "2" is level 2, anything else level 1."""
    return 2 if value == "2" else 1


def start_sign_in(
    session: Session, *, next_path: str | None, level: int, ip: str | None = None
) -> LoginStart:
    """A new authorization request: state, nonce and PKCE verifier kept server-side (state
    and browser binding as keyed hashes), the browser sent to the provider. Each start
    stores a row, so starts are counted per client address (TooManyRequests past the budget)."""
    if ip is not None:
        auth.hit_rate_limit(session, f"portal-login-ip:{ip}", settings.portal_logins_per_minute)
    if level not in LEVELS:
        level = 1
    state, nonce, verifier, binding = new_token(24), new_token(24), new_token(48), new_token(24)
    moment = clock.now()
    repo = PortalRepository(session)
    repo.forget_old_login_requests(moment - dt.timedelta(days=1))
    repo.add(
        PortalLoginRequest(
            state_hash=hash_token(state),
            binding_hash=hash_token(binding),
            code_verifier=verifier,
            nonce=nonce,
            level=level,
            next_path=safe_next(next_path),
            created_at=moment,
            expires_at=moment + dt.timedelta(seconds=settings.portal_login_seconds),
        )
    )
    url = rp.authorization_url(state=state, nonce=nonce, code_verifier=verifier, level=level)
    return LoginStart(url, binding)


# What the citizen is told when the provider sends an error back (RFC 6749 4.1.2.1).
_PROVIDER_ERRORS = {
    "access_denied": N_("You did not allow the portal to use your electronic identity"),
    "unmet_authentication_requirements": N_(
        "This service needs a level-2 electronic identity; your account is level 1"
    ),
}


def finish_sign_in(
    session: Session,
    *,
    state: str | None,
    code: str | None,
    iss: str | None,
    error: str | None,
    binding: str | None,
    old_token: str | None,
) -> SignedIn:
    """The callback: the sign-in this browser started (state and binding cookie), not used
    before, not expired; then the code for tokens, the ID token checked, the person read from
    userinfo, and a new portal session (the previous one of this browser ends)."""
    repo = PortalRepository(session)
    row = repo.login_request(hash_token(state)) if state else None
    if (
        row is None
        or not binding
        or not secrets.compare_digest(row.binding_hash, hash_token(binding))
    ):
        raise rp.SignInFailed(
            N_("This sign-in was not started in this browser; please sign in again"),
            code="state_mismatch",
        )
    if row.used_at is not None:
        raise rp.SignInFailed(
            N_("This sign-in was already used; please sign in again"), code="login_replayed"
        )
    if clock.aware(row.expires_at) <= clock.now():
        raise rp.SignInFailed(
            N_("The sign-in took too long; please sign in again"), code="login_expired"
        )
    # RFC 9207: the provider names itself in the response; another issuer is a mix-up.
    if iss is not None and iss != settings.oidc_issuer:
        raise rp.SignInFailed(
            N_("The sign-in answer came from another service"), code="issuer_mismatch"
        )
    if error:
        message = _PROVIDER_ERRORS.get(
            error, N_("The sign-in could not be completed; please sign in again")
        )
        raise rp.SignInFailed(message, code="provider_refused", error=error[:60])
    if not code:
        raise rp.SignInFailed(
            N_("The sign-in could not be completed; please sign in again"), code="code_missing"
        )
    row_id, nonce, verifier, level, next_path = (
        row.id,
        row.nonce,
        row.code_verifier,
        row.level,
        row.next_path,
    )
    identity = rp.sign_in(code=code, code_verifier=verifier, nonce=nonce, level=level)
    # Only now the first write (see the module's docstring).
    moment = clock.now()
    if not repo.spend_login_request(row_id, moment):
        raise rp.SignInFailed(
            N_("This sign-in was already used; please sign in again"), code="login_replayed"
        )
    if old_token:
        end_session(session, old_token)
    token = new_token()
    repo.add(
        PortalSession(
            token_hash=hash_token(token),
            personal_id=identity.personal_id,
            full_name=identity.full_name,
            sub=identity.sub[:64],
            acr=identity.acr,
            auth_time=dt.datetime.fromtimestamp(identity.auth_time, dt.UTC),
            csrf_token=new_token(24),
            created_at=moment,
            last_seen_at=moment,
            expires_at=moment + dt.timedelta(hours=settings.session_absolute_hours),
        )
    )
    return SignedIn(token, next_path)


# --- sessions ----------------------------------------------------------------------------------


def citizen_of_session(session: Session, token: str) -> PortalCitizen:
    """The citizen behind a portal cookie; idle and absolute timeouts like eID sessions."""
    row = PortalRepository(session).session_by_token_hash(hash_token(token))
    moment = clock.now()
    if row is None or row.ended_at is not None:
        raise PortalNotAuthenticated(N_("Please sign in with your electronic identity"))
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    if clock.aware(row.expires_at) <= moment or clock.aware(row.last_seen_at) + idle <= moment:
        raise PortalNotAuthenticated(N_("Your session has expired; please sign in again"))
    # A minute's grain, so that reading a page is not a write every time.
    if moment - clock.aware(row.last_seen_at) > dt.timedelta(minutes=1):
        row.last_seen_at = moment
    return PortalCitizen(
        personal_id=row.personal_id,
        acr=row.acr,
        session_id=row.id,
        csrf_token=row.csrf_token,
        full_name=row.full_name,
    )


def require_level(citizen: PortalCitizen, level: int) -> PortalCitizen:
    """The citizen when their sign-in's level is at least ``level`` (the procedure's
    ``eid_level``); otherwise StepUpRequired, which pages answer with a redirect to
    ``/portal/login?next=<this page>&level=<level>`` (a new sign-in at that level)."""
    if citizen.acr < level:
        raise StepUpRequired(
            N_("This service needs a level-2 electronic identity sign-in"), level=level
        )
    return citizen


def end_session(session: Session, token: str) -> bool:
    """End the portal session of this cookie token; True when one was live."""
    row = PortalRepository(session).session_by_token_hash(hash_token(token))
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = clock.now()
    return True


def csrf_matches(session: Session, token: str, sent: str | None) -> bool:
    row = PortalRepository(session).session_by_token_hash(hash_token(token))
    return row is not None and bool(sent) and secrets.compare_digest(row.csrf_token, sent or "")
