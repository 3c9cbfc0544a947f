"""Audit log JSON API under /api/v1 for inspectors (permission ``audit.read``).

Reading the log is itself recorded (action ``audit.read``), as is every chain verification.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from oncegov.audit import service as audit
from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.kit.schema_types import Instant

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[Authorized, Depends(require("audit.read"))]
AUDIT_REVIEW = "audit review"
MAX_PAGE = 500


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: Instant
    actor_kind: str
    actor_id: str
    actor_name: str
    actor_agency: str | None
    action: str
    subject_personal_id: str | None
    purpose: str
    channel: str
    detail: str
    hash: str


class VerifyOut(BaseModel):
    """Result of recomputing the hash chain: ``ok`` or the first entry found tampered with."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None  # missing | broken_link | altered | truncated


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@router.get("/entries", response_model=list[AuditEntryOut])
def list_entries(
    db: DbSession,
    authorized: Auditor,
    subject: Annotated[str | None, Query(max_length=12, description="Personal ID")] = None,
    actor: Annotated[str | None, Query(max_length=60, description="Actor id")] = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AuditEntryOut]:
    """Entries newest first, filtered by subject, actor and action."""
    entries = audit.list_entries(
        db,
        subject_personal_id=subject or None,
        actor_id=actor or None,
        action=action or None,
        limit=limit,
        offset=offset,
    )
    result = [AuditEntryOut.model_validate(e) for e in entries]
    for item in result:
        item.at = as_utc(item.at)
    audit.record(
        db,
        authorized.actor("api"),
        "audit.read",
        purpose=AUDIT_REVIEW,
        subject_personal_id=subject or None,
        detail={"actor": actor, "action": action, "offset": offset, "shown": len(result)},
    )
    return result


@router.post("/verify", response_model=VerifyOut)
def verify_chain(db: DbSession, authorized: Auditor) -> VerifyOut:
    """Recompute every hash of the chain and report the first entry altered, deleted or
    reordered."""
    result = audit.verify(db)
    audit.record(
        db,
        authorized.actor("api"),
        "audit.verify",
        purpose=AUDIT_REVIEW,
        detail={"ok": result.ok, "checked": result.checked, "problem": result.problem},
    )
    return VerifyOut(
        ok=result.ok,
        checked=result.checked,
        first_bad_seq=result.first_bad_seq,
        problem=result.problem,
    )
