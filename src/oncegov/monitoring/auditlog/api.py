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
from oncegov.kit.chain import Checkpoint
from oncegov.kit.schema_types import Instant
from oncegov.web.params import OffsetQuery
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/audit", tags=["audit"])

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


class CheckpointOut(BaseModel):
    """A signed checkpoint of the chain head: entry ``seq`` had hash ``link``. The signature
    (Ed25519, base64url) covers ``kit.chain.signed_payload``; the public keys are at
    ``/audit/jwks.json``. Keep copies outside the database: they prove later truncations."""

    chain: str
    number: int
    seq: int
    link: str
    signed_at: Instant
    key_id: str
    signature: str

    @classmethod
    def of(cls, checkpoint: Checkpoint | None) -> CheckpointOut | None:
        if checkpoint is None:
            return None
        return cls(
            chain=checkpoint.chain,
            number=checkpoint.number,
            seq=checkpoint.seq,
            link=checkpoint.link,
            signed_at=checkpoint.signed_at,
            key_id=checkpoint.key_id,
            signature=checkpoint.signature,
        )


class VerifyOut(BaseModel):
    """Result of recomputing the hash chain: ``ok`` or the first entry found tampered with."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    # missing | broken_link | altered | truncated | unknown_key | downgraded
    # | checkpoint_forged | checkpoint_missing
    problem: str | None
    bad_checkpoint: int | None  # the checkpoint at fault, for the checkpoint problems
    legacy_until: int | None  # last entry written before the chain was keyed
    anchored: CheckpointOut | None  # the newest genuine checkpoint the chain agrees with
    checkpoint: CheckpointOut | None  # signed by this verification (intact chains only)


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
    offset: OffsetQuery = 0,
) -> list[AuditEntryOut]:
    """Entries newest first, filtered by subject, actor and action."""
    entries = audit.list_entries(
        db,
        subject_personal_id=subject or None,
        actor_id=actor or None,
        action=action or None,
        limit=limit,
        offset=offset,
    ).items
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
    """Recompute every hash of the chain, check it against the signed checkpoints and report
    the first entry altered, deleted or reordered; an intact chain gets a new checkpoint."""
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
        bad_checkpoint=result.bad_checkpoint,
        legacy_until=result.legacy_until,
        anchored=CheckpointOut.of(result.anchored),
        checkpoint=CheckpointOut.of(result.written),
    )


@router.get("/checkpoints/latest", response_model=CheckpointOut | None)
def latest_checkpoint(db: DbSession, authorized: Auditor) -> CheckpointOut | None:
    """The newest signed checkpoint (null while the log is empty), for monitors that keep
    copies outside the database."""
    return CheckpointOut.of(audit.latest_checkpoint(db))
