"""Registry JSON API under /api/v1: search, read, household, history, correction and matching.

Callers are officers (session cookie + ``X-CSRF-Token`` on writes) or other systems (bearer
service token). Every read needs a stated purpose and is audited by the registry service;
lookups are rate-limited per principal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized, Principal
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import ERRORS, NotFound
from oncegov.kit.text import PlainText
from oncegov.registry import service as registry
from oncegov.registry.schemas import (
    ChangeOut,
    CitizenCorrection,
    CitizenOut,
    CitizenSummary,
    HouseholdOut,
)
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/registry", tags=["registry"])

Reader = Annotated[Authorized, Depends(require("registry.read"))]
Writer = Annotated[Authorized, Depends(require("registry.write"))]
Purpose = Annotated[
    str,
    Query(
        min_length=1,
        max_length=300,
        description="Why the data is read (recorded in the audit log), e.g. a dossier number.",
    ),
]


class MatchRequest(BaseModel):
    """Find registry candidates for a person known by name and birth date (another system's
    record): accent- and word-order-insensitive name, full or partial birth date."""

    full_name: PlainText = Field(min_length=1, max_length=120, examples=["Nong Van Dung"])
    date_of_birth: str = Field(
        description="YYYY, YYYY-MM or YYYY-MM-DD", examples=["1985-05-17"], max_length=10
    )
    purpose: PlainText = Field(min_length=1, max_length=300)


def count_lookup(session: Session, principal: Principal) -> None:
    """One lookup against the caller's per-minute budget (raises TooManyRequests past it)."""
    auth.hit_rate_limit(
        session, f"lookup:{principal.kind}:{principal.id}", settings.lookup_limit_per_minute
    )


def not_found_answer(exc: NotFound) -> JSONResponse:
    """Returned rather than raised, so the lookup just counted is committed: probing numbers
    that are not there (or not yours) must use up the rate limit too."""
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.status)


def _source(authorized: Authorized) -> str:
    return "service" if authorized.principal.kind == "service" else "edit"


@router.get("/citizens", response_model=list[CitizenSummary], responses=ERRORS)
def search_citizens(
    db: DbSession,
    authorized: Reader,
    q: Annotated[str, Query(min_length=1, max_length=200, description="ID, or name [+ birth]")],
    purpose: Purpose,
) -> list[CitizenSummary]:
    """Search by exact 12-digit personal ID, or by name (accents and word order ignored)
    optionally followed by a birth date (d/m/yyyy, yyyy-mm-dd or a year)."""
    count_lookup(db, authorized.principal)
    return registry.search_citizens(
        db, authorized.actor("api"), q, purpose=purpose, scope=authorized.scope
    )


@router.get("/citizens/{personal_id}", response_model=CitizenOut, responses=ERRORS)
def get_citizen(
    db: DbSession, authorized: Reader, personal_id: str, purpose: Purpose
) -> CitizenOut | JSONResponse:
    """One citizen's record. 404 both for unknown numbers and for citizens outside your area."""
    count_lookup(db, authorized.principal)
    try:
        return registry.get_citizen(
            db, authorized.actor("api"), personal_id, purpose=purpose, scope=authorized.scope
        )
    except NotFound as exc:
        return not_found_answer(exc)


@router.get(
    "/citizens/{personal_id}/household", response_model=HouseholdOut | None, responses=ERRORS
)
def get_household(
    db: DbSession, authorized: Reader, personal_id: str, purpose: Purpose
) -> HouseholdOut | JSONResponse | None:
    """The citizen's household with its members (``null`` when the citizen has none)."""
    count_lookup(db, authorized.principal)
    try:
        return registry.household_of(
            db, authorized.actor("api"), personal_id, purpose=purpose, scope=authorized.scope
        )
    except NotFound as exc:
        return not_found_answer(exc)


@router.get("/citizens/{personal_id}/history", response_model=list[ChangeOut], responses=ERRORS)
def get_history(
    db: DbSession, authorized: Reader, personal_id: str, purpose: Purpose
) -> list[ChangeOut] | JSONResponse:
    """Every version of the record, newest first, with ``{field: [old, new]}`` per change."""
    count_lookup(db, authorized.principal)
    try:
        return registry.history(
            db, authorized.actor("api"), personal_id, purpose=purpose, scope=authorized.scope
        )
    except NotFound as exc:
        return not_found_answer(exc)


@router.patch("/citizens/{personal_id}", response_model=CitizenOut, responses=ERRORS)
def correct_citizen(
    db: DbSession, authorized: Writer, personal_id: str, body: CitizenCorrection
) -> CitizenOut:
    """Correct fields of a record with a reason (and the legal document, if any).

    The whole resulting record is validated; the answer is the record's new version. A change
    that alters nothing is refused (422, field ``changes``)."""
    return registry.record_change(
        db,
        authorized.actor("api"),
        personal_id,
        body.changes,
        reason=body.reason,
        legal_reference=(body.legal_reference or "").strip() or None,
        source=_source(authorized),
        scope=authorized.scope,
    )


@router.post("/match", response_model=list[CitizenSummary], responses=ERRORS)
def match_citizen(db: DbSession, authorized: Reader, body: MatchRequest) -> list[CitizenSummary]:
    """Candidates for a name and birth date; a year-only record matches any date that year."""
    count_lookup(db, authorized.principal)
    return registry.match_by_name_and_birth(
        db,
        authorized.actor("api"),
        full_name=body.full_name,
        date_of_birth=body.date_of_birth,
        purpose=body.purpose,
        scope=authorized.scope,
    )
