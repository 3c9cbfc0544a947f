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

from sqlalchemy import TextClause, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

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
) -> None:
    """Append one entry in the caller's transaction: if the work rolls back (or the savepoint
    the entry was recorded in), so does this.

    The entry is written with the transaction's other entries as one batch when it commits,
    or before anything in it reads or changes the log (``_write_deferred``). The head of the
    chain is the one row every auditing transaction writes, so claiming it once, at the end,
    keeps its lock (PostgreSQL's row lock, SQLite's write lock) as short as it can be."""
    pending = PendingEntry(actor, action, purpose, subject_personal_id, detail)
    deferred = session.info.setdefault(_DEFERRED, [])
    deferred.append((pending, session.get_nested_transaction() or session.get_transaction()))


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """One entry of a batch appended by ``record_many``."""

    actor: Actor
    action: str
    purpose: str
    subject_personal_id: str | None = None
    detail: dict[str, Any] | None = None


def record_many(session: Session, entries: Sequence[PendingEntry]) -> list[int]:
    """Append a batch of entries now, with one head update and one insert; returns their seqs.

    Same chain, same hashes as ``record`` called once per entry (verification cannot tell the
    difference); used where the caller needs the seqs (group-committed check-ins). Entries
    ``record`` deferred in this transaction go first, in the same batch."""
    earlier = _take_deferred(session)
    seqs = _append(session, [*earlier, *entries])
    return seqs[len(earlier) :]


def _append(session: Session, entries: Sequence[PendingEntry]) -> list[int]:
    if not entries:
        return []
    repo = AuditRepository(session)
    chain = keys()
    claimed = repo.claim_seqs(len(entries))
    prev_hash = claimed.prev_hash
    moment = clock.now()
    rows: list[dict[str, Any]] = []
    for offset, pending in enumerate(entries):
        # Plain rows, not ORM objects: this runs in every transaction that audits.
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


# --- deferred entries ------------------------------------------------------------------------
# ``record`` keeps its entries in ``session.info`` with the (innermost) transaction they were
# recorded in. They are written just before that session commits (a savepoint's release
# included), and before any statement of the session that reads or changes the audit tables
# (so a transaction always sees its own entries, as it would had they been written at once).
# A rollback drops the entries of the transaction rolled back and of the savepoints inside it;
# entries of an enclosing transaction that a rolled-back savepoint had written are deferred
# again (the savepoint's rollback undid their rows and the head's advance alike).

_DEFERRED = "oncegov.audit.deferred"
_WRITTEN = "oncegov.audit.written"  # batches written before the commit, with where
_WRITING = "oncegov.audit.writing"
_LOG_TABLES = frozenset({"audit_entries", "audit_head", "audit_checkpoints"})

_Deferred = tuple[PendingEntry, "SessionTransaction | None"]


def _take_deferred(session: Session) -> list[PendingEntry]:
    deferred: list[_Deferred] | None = session.info.pop(_DEFERRED, None)
    if not deferred:
        return []
    if session.in_nested_transaction():
        written = session.info.setdefault(_WRITTEN, [])
        written.append((deferred, session.get_nested_transaction()))
    return [pending for pending, _ in deferred]


def write_deferred(session: Session) -> None:
    """Write the entries ``record`` deferred in this session now (each batch is one head claim
    and, when one is due, one checkpoint)."""
    _write_deferred(session)


def _write_deferred(session: Session) -> None:
    if not session.info.get(_DEFERRED) or session.info.get(_WRITING):
        return
    session.info[_WRITING] = True
    try:
        _append(session, _take_deferred(session))
    finally:
        session.info.pop(_WRITING, None)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``ended`` or a savepoint inside it (None: the root's)."""
    if transaction is None:
        return ended.parent is None
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    _write_deferred(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    deferred: list[_Deferred] = session.info.get(_DEFERRED, [])
    kept = [d for d in deferred if not _within(d[1], previous_transaction)]
    batches = session.info.get(_WRITTEN, [])
    for batch, written_in in [b for b in batches if _within(b[1], previous_transaction)]:
        batches.remove((batch, written_in))
        kept[:0] = [d for d in batch if not _within(d[1], previous_transaction)]
    if kept or _DEFERRED in session.info:
        session.info[_DEFERRED] = kept


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DEFERRED, None)
        session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "do_orm_execute")
def _write_before_log_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(_DEFERRED) and _touches_log(state):
        _write_deferred(state.session)


def _touches_log(state: ORMExecuteState) -> bool:
    """Whether the statement's main entity or table is one of the log's (a join that reads
    the log beside another entity is not seen: read the log through its repository). Cheap
    checks only: this runs before every statement of a transaction with deferred entries."""
    mapper = state.bind_mapper
    if mapper is not None:
        return getattr(mapper.local_table, "name", None) in _LOG_TABLES
    statement = state.statement
    if isinstance(statement, TextClause):
        return any(name in statement.text for name in _LOG_TABLES)
    table = getattr(statement, "table", None)  # a Core INSERT, UPDATE or DELETE
    if table is not None:
        return getattr(table, "name", None) in _LOG_TABLES
    froms = getattr(statement, "get_final_froms", None)  # a Core SELECT
    return froms is not None and any(getattr(f, "name", None) in _LOG_TABLES for f in froms())


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
