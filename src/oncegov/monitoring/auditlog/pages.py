"""Audit log pages for inspectors: browse and filter the log, verify the hash chain (the
chain's public keys, ``/audit/jwks.json``, are the audit domain's own ``audit.pages``).

Inspectors see personal ID numbers here (that is the point of the log); each page view is
itself recorded as ``audit.read`` so the inspectors are inspected too.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.audit.models import AuditEntry
from oncegov.audit.service import VerifyResult
from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.translatable import N_
from oncegov.web.i18n import _
from oncegov.web.params import PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import local_time, render

router = APIRouter(route_class=CheckedRoute, prefix="/audit", include_in_schema=False)

Auditor = Annotated[Authorized, Depends(require("audit.read"))]
AUDIT_REVIEW = "audit review"
PAGE_SIZE = 50
KNOWN_ACTIONS = (
    "registry.search",
    "registry.read",
    "registry.read_household",
    "registry.read_history",
    "registry.match",
    "registry.change",
    "auth.login",
    "auth.login_failed",
    "audit.read",
    "audit.verify",
)
PROBLEMS = {
    "missing": N_("an entry is missing (deleted)"),
    "broken_link": N_("the chain is broken (entries deleted or reordered)"),
    "altered": N_("an entry was altered"),
    "truncated": N_("the newest entries were deleted"),
    "unknown_key": N_("an entry names an unknown key (forged, or a retired key not configured)"),
    "downgraded": N_("an entry after the keyed ones carries no key (rewritten without the key)"),
    "checkpoint_forged": N_("a checkpoint's signature does not verify (forged)"),
    "checkpoint_missing": N_("a checkpoint was deleted"),
}


def _clean(value: str) -> str | None:
    return value.strip() or None


def _log_page(
    request: Request,
    db: Session,
    authorized: Authorized,
    *,
    subject: str,
    actor: str,
    action: str,
    page: int,
    verified: VerifyResult | None = None,
) -> HTMLResponse:
    page = max(page, 1)
    filters = {"subject": subject.strip(), "actor": actor.strip(), "action": action.strip()}
    # The page tells whether another follows without counting the whole log.
    found = audit.list_entries(
        db,
        subject_personal_id=_clean(subject),
        actor_id=_clean(actor),
        action=_clean(action),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    rows = [_row(e) for e in found.items]
    audit.record(
        db,
        authorized.actor(),
        "audit.read",
        purpose=AUDIT_REVIEW,
        subject_personal_id=_clean(subject),
        detail={"actor": _clean(actor), "action": _clean(action), "page": page},
    )
    active = {k: v for k, v in filters.items() if v}

    def page_url(number: int) -> str:
        return "/audit?" + urlencode({**active, "page": number})

    return render(
        request,
        "auditlog/log.html",
        {
            "rows": rows,
            "filters": filters,
            "actions": KNOWN_ACTIONS,
            "page": page,
            "previous_url": page_url(page - 1) if page > 1 else None,
            "next_url": page_url(page + 1) if found.has_more else None,
            "verified": verified,
            "problem": _(PROBLEMS[verified.problem])
            if verified and verified.problem in PROBLEMS
            else None,
        },
    )


_NUMBERED_PURPOSES = (
    (
        re.compile(r"Data-quality review of finding #(\d+)"),
        N_("Data-quality review of finding no. %(number)s"),
    ),
    (
        re.compile(r"Handling correction request #(\d+)"),
        N_("Handling correction request no. %(number)s"),
    ),
)


def _purpose_label(purpose: str | None) -> str:
    """The purposes the code records are message ids (some numbered); an officer's typed
    purpose is shown as typed."""
    if not purpose:
        return ""
    for pattern, message in _NUMBERED_PURPOSES:
        if found := pattern.fullmatch(purpose):
            return _(message) % {"number": found[1]}
    return _(purpose)


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "when": local_time(entry.at),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_kind": entry.actor_kind,
        "agency": entry.actor_agency,
        "action": entry.action,
        "subject": entry.subject_personal_id,
        "purpose": _purpose_label(entry.purpose),
        "channel": entry.channel,
        "detail": entry.detail,
    }


@router.get("", response_class=HTMLResponse)
def audit_log(
    request: Request,
    db: DbSession,
    authorized: Auditor,
    subject: str = "",
    actor: str = "",
    action: str = "",
    page: PageQuery = 1,
) -> HTMLResponse:
    return _log_page(
        request, db, authorized, subject=subject, actor=actor, action=action, page=page
    )


@router.post("/verify", response_class=HTMLResponse)
def verify_chain(request: Request, db: DbSession, authorized: Auditor) -> HTMLResponse:
    result = audit.verify(db)
    audit.record(
        db,
        authorized.actor(),
        "audit.verify",
        purpose=AUDIT_REVIEW,
        detail={"ok": result.ok, "checked": result.checked, "problem": result.problem},
    )
    return _log_page(
        request, db, authorized, subject="", actor="", action="", page=1, verified=result
    )
