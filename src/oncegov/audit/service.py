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
from oncegov.kit import clock
from oncegov.kit.actor import Actor


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return _chain_hash(prev_hash, {c: getattr(entry, c) for c in _HASHED})


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


def _chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    values = [fields[c] for c in _HASHED]
    values[1] = _utc(values[1]).strftime("%Y-%m-%dT%H:%M:%S.%f")
    canonical = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
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
        at=clock.now(),
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
    first, prev_hash = repo.claim_seqs(len(entries))
    moment = clock.now()
    rows: list[dict[str, Any]] = []
    for offset, pending in enumerate(entries):
        # Plain rows, not ORM objects: this is the check-in hot path.
        row: dict[str, Any] = {
            "seq": first + offset,
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
        }
        row["hash"] = prev_hash = _chain_hash(prev_hash, row)
        rows.append(row)
    repo.append_rows(rows)
    return [row["seq"] for row in rows]


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
        ),
        (),
    ),
    "registry_change": (("registry.change", "registry.import"), ("corrections.",)),
    "eid": ((), ("eid.",)),
    "id_card": ((), ("identity.cards.",)),
    "shared": ((), ("oidc.",)),
    "sector": ((), ("health.", "linkage.")),
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
class OfficerPost:
    """An officer as a citizen sees them: the role held and where, not who they are."""

    role: str
    unit_kind: str  # province | commune | agency
    unit_name: str


@dataclass(frozen=True)
class AccessPage:
    entries: list[AuditEntry]
    newer_after: int | None  # ``after`` of the link to newer entries, if any
    older_before: int | None  # ``before`` of the link to older entries, if any
    officer_posts: dict[str, list[OfficerPost]]  # officer username -> posts


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


def _officer_posts(session: Session, usernames: set[str]) -> dict[str, list[OfficerPost]]:
    """Current role assignments of these officers, with unit names. The log records who
    acted, not in which role; the role held now is the best a citizen can be told."""
    if not usernames:
        return {}
    from oncegov.auth import service as auth
    from oncegov.registry import service as registry

    names: dict[tuple[str, str], str] = {}

    def unit_name(kind: str, code: str) -> str:
        if (kind, code) not in names:
            unit = (
                registry.commune(session, code)
                if kind == "commune"
                else registry.province(session, code)
                if kind == "province"
                else None
            )
            names[(kind, code)] = unit.name if unit is not None else code
        return names[(kind, code)]

    posts: dict[str, list[OfficerPost]] = {}
    for username, roles in auth.roles_by_username(session, usernames).items():
        posts[username] = [
            OfficerPost(r.role, r.scope_kind, unit_name(r.scope_kind, r.scope_code)) for r in roles
        ]
    return posts


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
    that citizen's "Who accessed my data" page, with the officers' posts.

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
    newer = after is not None and before is None
    rows = list(
        AuditRepository(session).entries_about(
            personal_id,
            limit=page_size + 1,  # one more tells whether there is a further page
            before_seq=before,
            after_seq=after if newer else None,
            since=filters.since,
            until=filters.until,
            actor_kinds=kinds,
            actor_id=actor_id,
            actions=actions,
            action_prefixes=prefixes,
        )
    )
    more = len(rows) > page_size
    entries = rows[-page_size:] if newer else rows[:page_size]
    newer_after: int | None
    older_before: int | None
    if after is not None and newer:
        newer_after = entries[0].seq if more and entries else None
        older_before = entries[-1].seq if entries else after + 1
    else:
        newer_after = entries[0].seq if before is not None and entries else None
        older_before = entries[-1].seq if more and entries else None
        if before is not None and not entries:
            newer_after = before - 1  # past the oldest: offer the way back
    usernames = {e.actor_id for e in entries if e.actor_kind == "officer"}
    return AccessPage(entries, newer_after, older_before, _officer_posts(session, usernames))
