"""Append to and verify the keyed hash chain of the audit log; sign checkpoints of its head.

Each entry's hash is HMAC-SHA256, with a key kept outside the database, over the previous
entry's hash and this entry's canonical fields (``kit.chain``), so altering, deleting or
reordering any entry breaks every hash after it, and whoever holds only the database cannot
recompute them. Signed checkpoints of the head (Ed25519) are written on the first append after
``audit_checkpoint_every_entries`` entries or ``audit_checkpoint_every_minutes`` minutes, by
``oncegov audit checkpoint`` and after every successful verification; they catch the deletion
of the newest entries up to the newest checkpoint. Threat model: ``docs/operations.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from oncegov.audit.models import AuditCheckpoint, AuditEntry
from oncegov.audit.repository import AuditRepository, ClaimedSeqs
from oncegov.config import settings
from oncegov.errors import Conflict
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.chain import (
    ChainKeys,
    ChainReport,
    Checkpoint,
    Link,
    canonical,
    legacy_link,
    sign_checkpoint,
    verify_chain,
)
from oncegov.kit.chain_keys import chain_keys, checkpoint_key, checkpoint_public_keys
from oncegov.kit.repository import Page, Paged
from oncegov.translatable import N_

CHAIN = "audit"  # the chain's name in its HMAC subkey and in every checkpoint it signs

_HASHED = (
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "actor_agency",
    "action",
    "subject_personal_id",
    "purpose",
    "channel",
    "detail",
)


def _canonical(fields: dict[str, Any]) -> str:
    values = [fields[c] for c in _HASHED]
    values[1] = clock.aware(values[1]).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return canonical(values)


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {c: getattr(entry, c) for c in _HASHED}


def keys() -> ChainKeys:
    return chain_keys(CHAIN)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The hash ``entry`` must carry: keyed with ``entry.key_id``, or the unkeyed legacy hash
    when it has none."""
    if entry.key_id is None:
        return legacy_entry_hash(prev_hash, entry)
    return keys().link(prev_hash, _canonical(_fields(entry)), entry.key_id)


def _recomputes(entry: AuditEntry) -> bool:
    if entry.key_id is not None and not keys().knows(entry.key_id):
        return False
    return entry_hash(entry.prev_hash, entry) == entry.hash


def legacy_entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The unkeyed SHA-256 of entries written before the chain was keyed."""
    return legacy_link(prev_hash, _canonical(_fields(entry)))


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
    chain = keys()
    claimed = repo.claim_seqs(1)
    moment = clock.now()
    entry = AuditEntry(
        seq=claimed.first_seq,
        # Microsecond precision survives both databases, so the hash recomputes exactly.
        at=moment,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_agency=actor.agency,
        action=action,
        subject_personal_id=subject_personal_id,
        purpose=purpose,
        channel=actor.channel,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
        prev_hash=claimed.prev_hash,
        hash="",
        key_id=chain.current_id,
    )
    entry.hash = chain.link(claimed.prev_hash, _canonical(_fields(entry)))
    repo.append(entry)
    _checkpoint_if_due(repo, claimed, entry.seq, entry.hash, moment)
    return entry


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """One entry of a batch appended by ``record_many``."""

    actor: Actor
    action: str
    purpose: str
    subject_personal_id: str | None = None
    detail: dict[str, Any] | None = None


def record_many(session: Session, entries: Sequence[PendingEntry]) -> list[int]:
    """Append a batch of entries with one head update and one insert; returns their seqs.

    Same chain, same hashes as ``record`` called once per entry (verification cannot tell the
    difference); used where many reads are audited in one transaction (group-committed
    check-ins)."""
    if not entries:
        return []
    repo = AuditRepository(session)
    chain = keys()
    claimed = repo.claim_seqs(len(entries))
    prev_hash = claimed.prev_hash
    moment = clock.now()
    rows: list[dict[str, Any]] = []
    for offset, pending in enumerate(entries):
        # Plain rows, not ORM objects: this is the check-in hot path.
        row: dict[str, Any] = {
            "seq": claimed.first_seq + offset,
            "at": moment,
            "actor_kind": pending.actor.kind,
            "actor_id": pending.actor.id,
            "actor_name": pending.actor.name,
            "actor_agency": pending.actor.agency,
            "action": pending.action,
            "subject_personal_id": pending.subject_personal_id,
            "purpose": pending.purpose,
            "channel": pending.actor.channel,
            "detail": (
                json.dumps(pending.detail, ensure_ascii=False, sort_keys=True)
                if pending.detail
                else ""
            ),
            "prev_hash": prev_hash,
            "key_id": chain.current_id,
        }
        row["hash"] = prev_hash = chain.link(prev_hash, _canonical(row))
        rows.append(row)
    repo.append_rows(rows)
    _checkpoint_if_due(repo, claimed, rows[-1]["seq"], prev_hash, moment)
    return [row["seq"] for row in rows]


# --- checkpoints -----------------------------------------------------------------------------


def _checkpoint_due(claimed: ClaimedSeqs, last_seq: int, moment: dt.datetime) -> bool:
    if claimed.checkpoint_at is None:
        return True  # none yet: the first one fixes where the keyed chain (and legacy) starts
    if last_seq - claimed.checkpoint_seq >= settings.audit_checkpoint_every_entries:
        return True
    interval = dt.timedelta(minutes=settings.audit_checkpoint_every_minutes)
    return moment - clock.aware(claimed.checkpoint_at) >= interval


def _checkpoint_if_due(
    repo: AuditRepository, claimed: ClaimedSeqs, last_seq: int, last_hash: str, moment: dt.datetime
) -> None:
    # The append holds the head's lock, so the number cannot be taken by another writer.
    if _checkpoint_due(claimed, last_seq, moment):
        _store_checkpoint(repo, claimed.checkpoint_number + 1, last_seq, last_hash, moment)


def _store_checkpoint(
    repo: AuditRepository, number: int, seq: int, link: str, moment: dt.datetime
) -> Checkpoint:
    signed = sign_checkpoint(checkpoint_key(), CHAIN, number, seq, link, moment)
    repo.add_checkpoint(
        {
            "number": signed.number,
            "seq": signed.seq,
            "link": signed.link,
            "signed_at": signed.signed_at,
            "key_id": signed.key_id,
            "signature": signed.signature,
        }
    )
    return signed


def _as_checkpoint(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        CHAIN, row.number, row.seq, row.link, clock.aware(row.signed_at), row.key_id, row.signature
    )


HEAD_DISAGREES = N_("The newest audit entry disagrees with the chain head; run the verification")


def checkpoint(session: Session) -> Checkpoint | None:
    """Sign the current head now (None while the log is empty). Checks only that the newest
    entry is what the head says and that its hash recomputes; ``verify`` checks the rest."""
    repo = AuditRepository(session)
    head = repo.lock_head()
    if head is None or head.first_seq == 0:
        return None
    newest = repo.entry(head.first_seq)
    if newest is None or newest.hash != head.prev_hash or not _recomputes(newest):
        raise Conflict(HEAD_DISAGREES, field="audit")
    return _store_checkpoint(
        repo, head.checkpoint_number + 1, head.first_seq, head.prev_hash, clock.now()
    )


def _checkpoint_verified(session: Session, seq: int, link: str) -> Checkpoint:
    repo = AuditRepository(session)
    head = repo.lock_head()
    number = head.checkpoint_number + 1 if head else 1
    return _store_checkpoint(repo, number, seq, link, clock.now())


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = AuditRepository(session).latest_checkpoint()
    return _as_checkpoint(row) if row is not None else None


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """The verification's report (``kit.chain.ChainReport``) and the checkpoint it signed."""

    report: ChainReport
    written: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def checked(self) -> int:
        return self.report.checked

    @property
    def first_bad_seq(self) -> int | None:
        return self.report.first_bad_seq

    @property
    def problem(self) -> str | None:
        return self.report.problem

    @property
    def bad_checkpoint(self) -> int | None:
        return self.report.bad_checkpoint

    @property
    def legacy_until(self) -> int | None:
        return self.report.legacy_until

    @property
    def anchored(self) -> Checkpoint | None:
        """The newest genuine checkpoint the chain agrees with (before any new one)."""
        return self.report.anchored


def _link(entry: AuditEntry) -> Link:
    return Link(entry.seq, entry.prev_hash, entry.hash, entry.key_id, _canonical(_fields(entry)))


def verify(
    session: Session,
    on_progress: Callable[[int], None] | None = None,
    *,
    anchors: Sequence[Checkpoint] = (),
    write_checkpoint: bool = True,
) -> VerifyResult:
    """Recompute the chain and check it against the signed checkpoints; report the first
    entry altered, deleted, reordered or unkeyed where it must be keyed, and the newest
    checkpoint that still holds. An intact chain gets a new checkpoint of the head verified.

    ``anchors`` are checkpoints kept outside the database (printed by an earlier
    verification): they also catch the deletion of the newest entries together with the
    checkpoints that covered them."""
    repo = AuditRepository(session)
    head = repo.head()
    head_state = (head.last_seq, head.last_hash) if head is not None else None
    stored = [_as_checkpoint(row) for row in repo.checkpoints()]
    numbers = {c.number for c in stored}
    checkpoints = stored + [a for a in anchors if a.number not in numbers]
    report = verify_chain(
        (_link(entry) for entry in repo.iter_chain()),
        keys(),
        checkpoints,
        checkpoint_public_keys(),
        head=head_state,
        on_progress=on_progress,
    )
    written = None
    if report.ok and write_checkpoint and report.head_seq > 0:
        written = _checkpoint_verified(session, report.head_seq, report.head_link)
    return VerifyResult(report, written)


def entries_about(session: Session, personal_id: str, limit: int = 200) -> Sequence[AuditEntry]:
    """Who accessed a citizen's data (for officers with audit.read and, later, the citizen)."""
    page = Page(limit)
    return AuditRepository(session).list_entries(page, subject_personal_id=personal_id).items


def list_entries(
    session: Session,
    *,
    actor_id: str | None = None,
    action: str | None = None,
    subject_personal_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Paged[AuditEntry]:
    """One page of the log, newest first (``has_more``: an older page follows)."""
    return AuditRepository(session).list_entries(
        Page(limit, offset=offset),
        subject_personal_id=subject_personal_id,
        actor_id=actor_id,
        action=action,
    )


# --- "Who accessed my data": the citizen's own view of the entries about them ------------------

ACCESS_PAGE_SIZE = 25
# What the citizen can filter on. "you" is the citizen acting on their own data.
ACCESS_ACTOR_KINDS = ("officer", "service", "you", "system")
# Category -> (exact actions, action prefixes). An entry outside all of them still shows when
# no category is chosen.
ACCESS_CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "registry_read": (
        (
            "registry.read",
            "registry.read_household",
            "registry.read_history",
            "registry.match",
            "registry.search",
            "registry.status_check",
            "registry.export",
            "registry.read_relative",
            "registry.read_contact",
        ),
        (),
    ),
    "registry_change": (("registry.change", "registry.import"), ("corrections.",)),
    "eid": ((), ("eid.",)),
    "id_card": ((), ("identity.cards.",)),
    "shared": ((), ("oidc.",)),
    "sector": ((), ("health.", "linkage.")),
    "dossiers": ((), ("dossier.",)),
    "inspection": ((), ("audit.",)),
}


@dataclass(frozen=True)
class AccessFilters:
    """The citizen's filters; ``since`` inclusive and ``until`` exclusive, both UTC."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor_kind: str | None = None  # one of ACCESS_ACTOR_KINDS
    category: str | None = None  # one of ACCESS_CATEGORIES


@dataclass(frozen=True)
class AccessPage:
    entries: list[AuditEntry]
    newer_after: int | None  # ``after`` of the link to newer entries, if any
    older_before: int | None  # ``before`` of the link to older entries, if any


def local_day_bounds(
    first: dt.date | None, last: dt.date | None, timezone: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local calendar days ``first``..``last`` (inclusive) as UTC [since, until)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)

    def start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)

    return (
        start(first) if first else None,
        start(last + dt.timedelta(days=1)) if last else None,
    )


def access_page(
    session: Session,
    personal_id: str,
    filters: AccessFilters,
    *,
    before: int | None = None,
    after: int | None = None,
    page_size: int = ACCESS_PAGE_SIZE,
) -> AccessPage:
    """One page of the entries about ``personal_id`` (newest first, keyset on ``seq``) for
    that citizen's "Who accessed my data" page (``me/``, which adds the officers' posts: the
    log stores who acted, and audit never asks auth or the registry in which role).

    Not itself audited: it hands the signed-in citizen the log's metadata about themselves
    (who, when, why), never registry data; an entry per view would only make the page list
    its own views and grow the chain with every refresh. The sign-in that opened the session
    is already in the citizen's login history.
    """
    kinds: tuple[str, ...] | None = None
    actor_id = None
    if filters.actor_kind == "you":
        kinds, actor_id = ("citizen",), personal_id
    elif filters.actor_kind in ACCESS_ACTOR_KINDS:
        kinds = (filters.actor_kind,)
    actions: tuple[str, ...] | None = None
    prefixes: tuple[str, ...] | None = None
    if filters.category in ACCESS_CATEGORIES:
        actions, prefixes = ACCESS_CATEGORIES[filters.category]
    # Both cursors given (a hand-made link): ``before`` wins, as it always did.
    page = Page(page_size, after=after if before is None else None, before=before)
    found = AuditRepository(session).entries_about(
        personal_id,
        page,
        since=filters.since,
        until=filters.until,
        actor_kinds=kinds,
        actor_id=actor_id,
        actions=actions,
        action_prefixes=prefixes,
    )
    return AccessPage(found.items, found.after, found.before)
