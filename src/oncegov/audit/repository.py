"""All SQL for the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, insert, or_, select, update
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_next_seq(self) -> tuple[int, str]:
        """Advance the chain head and return (new seq, previous hash).

        The UPDATE comes first so the row (PostgreSQL) or the database (SQLite) is write-locked
        before we read the tip: two concurrent appends can never chain onto the same entry.
        """
        row = self.session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_seq=AuditHead.last_seq + 1)
            .returning(AuditHead.last_seq, AuditHead.last_hash)
        ).one_or_none()
        if row is None:
            self.session.add(AuditHead(id=1, last_seq=1, last_hash=GENESIS_HASH))
            self.session.flush()
            return 1, GENESIS_HASH
        return int(row[0]), str(row[1])

    def claim_seqs(self, count: int) -> tuple[int, str]:
        """Advance the head by ``count`` entries at once: (first new seq, previous hash)."""
        row = self.session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_seq=AuditHead.last_seq + count)
            .returning(AuditHead.last_seq, AuditHead.last_hash)
        ).one_or_none()
        if row is None:
            self.session.add(AuditHead(id=1, last_seq=count, last_hash=GENESIS_HASH))
            self.session.flush()
            return 1, GENESIS_HASH
        return int(row[0]) - count + 1, str(row[1])

    def append_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert prepared entries in one statement and move the head's hash to the last."""
        self.session.execute(insert(AuditEntry), rows)
        self.session.execute(
            update(AuditHead).where(AuditHead.id == 1).values(last_hash=rows[-1]["hash"])
        )

    def append(self, entry: AuditEntry) -> None:
        self.session.add(entry)
        self.session.execute(
            update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.hash)
        )
        self.session.flush()

    def head(self) -> AuditHead | None:
        return self.session.get(AuditHead, 1)

    def iter_chain(self, batch: int = 5000) -> Iterator[AuditEntry]:
        last = 0
        while True:
            rows = self.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq)
                .limit(batch)
            ).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].seq
            self.session.expunge_all()

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    def list_entries(
        self,
        *,
        subject_personal_id: str | None = None,
        actor_id: str | None = None,
        action: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
        if subject_personal_id:
            query = query.where(AuditEntry.subject_personal_id == subject_personal_id)
        if actor_id:
            query = query.where(AuditEntry.actor_id == actor_id)
        if action:
            query = query.where(AuditEntry.action == action)
        return self.session.scalars(query).all()

    def entries_about(
        self,
        subject_personal_id: str,
        *,
        limit: int,
        before_seq: int | None = None,
        after_seq: int | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        actor_kinds: Sequence[str] | None = None,
        actor_id: str | None = None,
        actions: Sequence[str] | None = None,
        action_prefixes: Sequence[str] | None = None,
    ) -> Sequence[AuditEntry]:
        """One keyset page of the entries about one citizen, newest first.

        The equality on ``subject_personal_id`` is what the planner uses its index for; on
        SQLite that index also holds ``seq`` (the rowid), so the walk is backwards through the
        index with no sort. ``after_seq`` pages towards newer entries (read ascending, handed
        back newest first). ``actions``/``action_prefixes`` combine with OR (one category);
        ``since`` inclusive, ``until`` exclusive.
        """
        query = select(AuditEntry).where(AuditEntry.subject_personal_id == subject_personal_id)
        if before_seq is not None:
            query = query.where(AuditEntry.seq < before_seq)
        if after_seq is not None:
            query = query.where(AuditEntry.seq > after_seq)
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
        ascending = after_seq is not None and before_seq is None
        order = AuditEntry.seq.asc() if ascending else AuditEntry.seq.desc()
        rows = list(self.session.scalars(query.order_by(order).limit(limit)).all())
        return rows[::-1] if ascending else rows
