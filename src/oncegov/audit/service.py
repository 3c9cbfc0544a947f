"""Append to and verify the hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and this entry's canonical fields,
so altering, deleting or reordering any entry breaks every hash after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.audit.repository import GENESIS_HASH, AuditRepository
from oncegov.kit.actor import Actor


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    canonical = json.dumps(
        [
            entry.seq,
            _utc(entry.at).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            entry.actor_kind,
            entry.actor_id,
            entry.actor_name,
            entry.actor_agency,
            entry.action,
            entry.subject_personal_id,
            entry.purpose,
            entry.channel,
            entry.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    purpose: str,
    subject_personal_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Runs in the caller's transaction: if the work rolls back, so does this."""
    repo = AuditRepository(session)
    seq, prev_hash = repo.claim_next_seq()
    entry = AuditEntry(
        seq=seq,
        # Microsecond precision survives both databases, so the hash recomputes exactly.
        at=dt.datetime.now(dt.UTC),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_agency=actor.agency,
        action=action,
        subject_personal_id=subject_personal_id,
        purpose=purpose,
        channel=actor.channel,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = entry_hash(prev_hash, entry)
    repo.append(entry)
    return entry


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(session: Session, on_progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Recompute the chain; report the first entry altered, deleted or reordered."""
    repo = AuditRepository(session)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in repo.iter_chain():
        if entry.seq != expected_seq:
            return VerifyResult(checked, expected_seq, "missing")  # deleted entries
        if entry.prev_hash != expected_prev:
            return VerifyResult(checked, entry.seq, "broken_link")  # deleted or reordered
        if entry_hash(entry.prev_hash, entry) != entry.hash:
            return VerifyResult(checked, entry.seq, "altered")
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
        if on_progress and checked % 1000 == 0:
            on_progress(checked)
    head = repo.head()
    if head is not None and head.last_seq != checked:
        return VerifyResult(checked, checked + 1, "truncated")  # newest entries deleted
    if head is not None and head.last_hash != expected_prev:
        # The newest entry was rewritten with a recomputed hash; only the head still knows.
        return VerifyResult(checked - 1, checked, "altered")
    return VerifyResult(checked)


def entries_about(session: Session, personal_id: str, limit: int = 200) -> Sequence[AuditEntry]:
    """Who accessed a citizen's data (for officers with audit.read and, later, the citizen)."""
    return AuditRepository(session).list_entries(subject_personal_id=personal_id, limit=limit)


def list_entries(
    session: Session,
    *,
    actor_id: str | None = None,
    action: str | None = None,
    subject_personal_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    return AuditRepository(session).list_entries(
        subject_personal_id=subject_personal_id,
        actor_id=actor_id,
        action=action,
        limit=limit,
        offset=offset,
    )
