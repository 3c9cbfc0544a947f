"""All SQL of the notification outbox and of the local gateways' delivery records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from oncegov.integrations.models import EmailOutboxMessage, OutboxMessage, SmsOutboxMessage
from oncegov.kit.repository import Repository

Row = TypeVar("Row")


class DeliveryRepository(Repository):
    """What the local gateways delivered (they stand in for the providers' own records)."""

    def add_once(self, row: Row, find: Callable[[str], Row | None]) -> Row:
        """Insert ``row`` (which carries an idempotency key) in a savepoint; when the key's
        unique index says another sender got there first, return that sender's row."""
        key = cast(str, getattr(row, "idempotency_key"))  # noqa: B009 - either model
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            winner = find(key)
            if winner is None:  # pragma: no cover - the unique index guarantees a winner
                raise
            return winner
        return row

    def sms_with_key(self, key: str) -> SmsOutboxMessage | None:
        return self.session.scalars(
            select(SmsOutboxMessage).where(SmsOutboxMessage.idempotency_key == key)
        ).first()

    def email_with_key(self, key: str) -> EmailOutboxMessage | None:
        return self.session.scalars(
            select(EmailOutboxMessage).where(EmailOutboxMessage.idempotency_key == key)
        ).first()

    def latest_emails(self, limit: int) -> Sequence[EmailOutboxMessage]:
        return self.session.scalars(
            select(EmailOutboxMessage).order_by(EmailOutboxMessage.id.desc()).limit(limit)
        ).all()


class OutboxRepository(Repository):
    def insert_once(self, values: dict[str, Any]) -> bool:
        """Insert a message unless one with its key exists (``ON CONFLICT DO NOTHING``: two
        concurrent inserts of one key never both land, and neither fails). True if inserted."""
        table = cast(Table, OutboxMessage.__table__)
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement: Any = (
            dialect.insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[table.c.key])
            .returning(table.c.id)
        )
        return self.session.execute(statement).first() is not None

    def claim_due(
        self, *, now: dt.datetime, until: dt.datetime, limit: int
    ) -> Sequence[OutboxMessage]:
        """Claim up to ``limit`` pending messages due by ``now``, oldest first: their next
        attempt moves to ``until`` (no other worker takes them before) and the claim counts as
        an attempt. Concurrent claimers never share a message: on PostgreSQL the candidates are
        locked first (``FOR UPDATE SKIP LOCKED``: another claimer takes other rows); on both
        databases the ``UPDATE`` claims only rows still due, under the row lock or SQLite's
        write lock. (The candidates are read in a statement of their own: as a subquery of
        the ``UPDATE``, PostgreSQL may run a ``LIMIT … SKIP LOCKED`` more than once and claim
        more than ``limit``.)"""
        due = (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
        candidates = (
            select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(self.session.scalars(candidates).all())
        if not ids:
            return []
        claimed = self.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), due)
            .values(next_attempt_at=until, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
        if not claimed:
            return []
        return self.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        ).all()

    def finish(self, message_id: int, **values: Any) -> bool:
        """Record a pending message's outcome (sent, retry later, failed); False if it is no
        longer pending (another worker finished it)."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(**values)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    def by_key(self, key: str) -> OutboxMessage | None:
        return self.session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).first()

    def count_by_status(self) -> dict[str, int]:
        rows = self.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        return {status: int(count) for status, count in rows}

    def pending_due(self, now: dt.datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            )
            or 0
        )

    def next_attempt(self) -> dt.datetime | None:
        """The earliest next attempt of a pending message (due, claimed or backing off)."""
        return self.session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending")
        )
