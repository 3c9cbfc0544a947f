"""All SQL for the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, case, false, func, insert, or_, select, update

from oncegov.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from oncegov.kit.chain import GENESIS
from oncegov.kit.repository import Page, Paged, Repository

GENESIS_HASH = GENESIS


@dataclass(frozen=True, slots=True)
class ClaimedSeqs:
    """Seqs claimed by advancing the head: the first, the hash to chain onto, and the head's
    newest checkpoint (to tell whether another is due)."""

    first_seq: int
    prev_hash: str
    checkpoint_number: int
    checkpoint_seq: int
    checkpoint_at: dt.datetime | None


_HEAD: Table = AuditHead.__table__  # type: ignore[assignment]
_ENTRIES: Table = AuditEntry.__table__  # type: ignore[assignment]
_HEAD_STATE = (
    _HEAD.c.last_seq,
    _HEAD.c.last_hash,
    _HEAD.c.checkpoint_number,
    _HEAD.c.checkpoint_seq,
    _HEAD.c.checkpoint_at,
)


class AuditRepository(Repository):
    def claim_seqs(self, count: int = 1) -> ClaimedSeqs:
        """Advance the chain head by ``count`` entries.

        The UPDATE comes first so the row (PostgreSQL) or the database (SQLite) is write-locked
        before we read the tip: two concurrent appends can never chain onto the same entry.
        Core statements on the tables, not ORM ones: this runs on every committing transaction
        that read a citizen's data, and the ORM's bulk-update bookkeeping cost more than the SQL.
        """
        row = self.session.execute(
            update(_HEAD)
            .where(_HEAD.c.id == 1)
            .values(last_seq=_HEAD.c.last_seq + count)
            .returning(*_HEAD_STATE)
        ).one_or_none()
        if row is None:
            self.session.add(
                AuditHead(
                    id=1,
                    last_seq=count,
                    last_hash=GENESIS_HASH,
                    checkpoint_number=0,
                    checkpoint_seq=0,
                )
            )
            self.session.flush()
            return ClaimedSeqs(1, GENESIS_HASH, 0, 0, None)
        last_seq, last_hash, number, checkpoint_seq, checkpoint_at = row
        return ClaimedSeqs(
            int(last_seq) - count + 1,
            str(last_hash),
            int(number),
            int(checkpoint_seq),
            checkpoint_at,
        )

    def lock_head(self) -> ClaimedSeqs | None:
        """Lock the head without advancing it (to number a checkpoint); None if no entry yet.
        ``first_seq`` is then the current last seq."""
        row = self.session.execute(
            update(_HEAD)
            .where(_HEAD.c.id == 1)
            .values(last_seq=_HEAD.c.last_seq)
            .returning(*_HEAD_STATE)
        ).one_or_none()
        if row is None:
            return None
        last_seq, last_hash, number, checkpoint_seq, checkpoint_at = row
        return ClaimedSeqs(
            int(last_seq), str(last_hash), int(number), int(checkpoint_seq), checkpoint_at
        )

    def append_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert prepared entries in one statement and move the head's hash to the last."""
        self.session.execute(insert(_ENTRIES), rows)
        self.session.execute(
            update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=rows[-1]["hash"])
        )

    def add_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Store a checkpoint and record it on the head (the caller holds the head's lock)."""
        self.session.execute(insert(AuditCheckpoint), [checkpoint])
        self.session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(
                checkpoint_number=checkpoint["number"],
                # A checkpoint signed by ``verify`` may trail one an append wrote meanwhile.
                checkpoint_seq=case(
                    (AuditHead.checkpoint_seq > checkpoint["seq"], AuditHead.checkpoint_seq),
                    else_=checkpoint["seq"],
                ),
                checkpoint_at=checkpoint["signed_at"],
            )
        )

    def checkpoints(self) -> Sequence[AuditCheckpoint]:
        return self.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number)).all()

    def latest_checkpoint(self) -> AuditCheckpoint | None:
        return self.session.scalars(
            select(AuditCheckpoint).order_by(AuditCheckpoint.number.desc()).limit(1)
        ).first()

    def head(self) -> AuditHead | None:
        return self.get(AuditHead, 1)

    def entry(self, seq: int) -> AuditEntry | None:
        return self.get(AuditEntry, seq)

    def iter_chain(self, upto: int | None = None, batch: int = 5000) -> Iterator[AuditEntry]:
        """Entries in seq order, from the first (up to ``upto`` inclusive if given)."""
        last = 0
        while True:
            query = select(AuditEntry).where(AuditEntry.seq > last)
            if upto is not None:
                query = query.where(AuditEntry.seq <= upto)
            rows = self.session.scalars(query.order_by(AuditEntry.seq).limit(batch)).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].seq
            self.session.expunge_all()

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    def list_entries(
        self,
        page: Page,
        *,
        subject_personal_id: str | None = None,
        actor_id: str | None = None,
        action: str | None = None,
    ) -> Paged[AuditEntry]:
        """One page of the log, newest first, filtered by subject, actor and action."""
        query = select(AuditEntry)
        if subject_personal_id:
            query = query.where(AuditEntry.subject_personal_id == subject_personal_id)
        if actor_id:
            query = query.where(AuditEntry.actor_id == actor_id)
        if action:
            query = query.where(AuditEntry.action == action)
        return self.fetch_page(query, page, key=AuditEntry.seq, descending=True)

    def entries_about(
        self,
        subject_personal_id: str,
        page: Page,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        actor_kinds: Sequence[str] | None = None,
        actor_id: str | None = None,
        actions: Sequence[str] | None = None,
        action_prefixes: Sequence[str] | None = None,
    ) -> Paged[AuditEntry]:
        """One keyset page (on ``seq``) of the entries about one citizen, newest first.

        The equality on ``subject_personal_id`` is what the planner uses its index for; on
        SQLite that index also holds ``seq`` (the rowid), so the walk is backwards through the
        index with no sort. ``page.after`` pages towards newer entries (read ascending, handed
        back newest first). ``actions``/``action_prefixes`` combine with OR (one category);
        ``since`` inclusive, ``until`` exclusive.
        """
        query = select(AuditEntry).where(AuditEntry.subject_personal_id == subject_personal_id)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        if actor_kinds is not None:
            query = query.where(AuditEntry.actor_kind.in_(actor_kinds))
        if actor_id is not None:
            query = query.where(AuditEntry.actor_id == actor_id)
        if actions is not None or action_prefixes is not None:
            matches: list[ColumnElement[bool]] = []
            if actions:
                matches.append(AuditEntry.action.in_(actions))
            matches.extend(
                AuditEntry.action.startswith(prefix, autoescape=True)
                for prefix in action_prefixes or ()
            )
            query = query.where(or_(*matches) if matches else false())
        return self.fetch_page(query, page, key=AuditEntry.seq, descending=True)
