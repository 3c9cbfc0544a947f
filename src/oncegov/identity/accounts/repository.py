"""All SQL for eID accounts, one-time codes, pending sign-ins and the login history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update

from oncegov import db
from oncegov.identity.accounts.models import (
    EidAccount,
    EidQrKey,
    LoginEvent,
    OneTimeCode,
    PendingLogin,
)
from oncegov.kit.repository import Page, Paged, Repository


class AccountRepository(Repository):
    # accounts
    def account(self, account_id: int) -> EidAccount | None:
        return self.get(EidAccount, account_id)

    def account_by_personal_id(self, personal_id: str) -> EidAccount | None:
        return self.session.scalar(select(EidAccount).where(EidAccount.personal_id == personal_id))

    def accounts_by_personal_ids(self, personal_ids: Sequence[str]) -> Sequence[EidAccount]:
        return self.session.scalars(
            select(EidAccount).where(EidAccount.personal_id.in_(list(personal_ids)))
        ).all()

    def statuses_by_personal_ids(self, personal_ids: Sequence[str]) -> dict[str, str]:
        rows = self.session.execute(
            select(EidAccount.personal_id, EidAccount.status).where(
                EidAccount.personal_id.in_(sorted(set(personal_ids)))
            )
        ).all()
        return {str(row[0]): str(row[1]) for row in rows}

    def unrevoked_personal_id_batches(self, size: int) -> Iterator[list[str]]:
        """Personal IDs of every account not revoked yet, in batches (keyset pagination)."""
        last = ""
        while True:
            batch = list(
                self.session.scalars(
                    select(EidAccount.personal_id)
                    .where(EidAccount.status != "revoked", EidAccount.personal_id > last)
                    .order_by(EidAccount.personal_id)
                    .limit(size)
                )
            )
            if not batch:
                return
            yield batch
            last = batch[-1]

    # one-time codes
    def live_code(self, account_id: int, purpose: str, now: dt.datetime) -> OneTimeCode | None:
        """The newest code of a purpose that is neither used, dead nor expired."""
        return self.session.scalar(
            select(OneTimeCode)
            .where(
                OneTimeCode.account_id == account_id,
                OneTimeCode.purpose == purpose,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.dead_at.is_(None),
                OneTimeCode.expires_at > now,
            )
            .order_by(OneTimeCode.id.desc())
            .limit(1)
        )

    def kill_codes(self, account_id: int, purpose: str, now: dt.datetime) -> None:
        self.session.execute(
            update(OneTimeCode)
            .where(
                OneTimeCode.account_id == account_id,
                OneTimeCode.purpose == purpose,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.dead_at.is_(None),
            )
            .values(dead_at=now)
        )

    # pending two-step sign-ins
    def pending_login(self, token_hash: str) -> PendingLogin | None:
        return self.session.scalar(
            select(PendingLogin).where(PendingLogin.token_hash == token_hash)
        )

    def delete_stale_pending_logins(self, before: dt.datetime) -> None:
        self.session.execute(delete(PendingLogin).where(PendingLogin.expires_at < before))

    # login history
    def login_events(self, account_id: int, page: Page) -> Paged[LoginEvent]:
        """One page of the account's sign-in history, newest first."""
        return self.fetch_page(
            select(LoginEvent)
            .where(LoginEvent.account_id == account_id)
            .order_by(LoginEvent.created_at.desc(), LoginEvent.id.desc()),
            page,
        )

    def count_login_events(self, account_id: int) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(LoginEvent)
                .where(LoginEvent.account_id == account_id)
            )
            or 0
        )

    def purge_login_events(self, before: dt.datetime) -> int:
        result = self.session.execute(delete(LoginEvent).where(LoginEvent.created_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # bulk (demo data)
    def next_account_id(self) -> int:
        return int(self.session.scalar(select(func.max(EidAccount.id))) or 0) + 1

    def bulk_insert_accounts(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert account tuples fast in the caller's transaction (COPY on PostgreSQL,
        executemany on SQLite). Rows carry their ids, so the id sequence moves past them."""
        table: Table = EidAccount.__table__  # type: ignore[assignment]
        with db.larger_cache(self.session):  # the unique personal-ID index of a province's accounts
            inserted = db.bulk_insert(self.session, table, columns, rows)
        db.advance_id_sequence(self.session, table)
        return inserted

    def account_with_phone(self, phone: str) -> EidAccount | None:
        """The oldest account registered with this phone (no index: demo sign-ins only)."""
        return self.session.scalar(
            select(EidAccount).where(EidAccount.phone == phone).order_by(EidAccount.id).limit(1)
        )

    def signed_in_account_ids(self) -> list[int]:
        return list(
            self.session.scalars(select(EidAccount.id).where(EidAccount.last_login_at.is_not(None)))
        )

    def delete_all(self) -> int:
        """Every account; codes, pending sign-ins, login history and OpenID Connect grants go
        with them (ON DELETE CASCADE)."""
        result = self.session.execute(delete(EidAccount).execution_options(preserve_rowcount=True))
        return int(result.rowcount)  # type: ignore[attr-defined]


class QrKeyRepository(Repository):
    """The check-in QR's signing keys (``identity.accounts.qr``)."""

    def active_key(self) -> EidQrKey | None:
        return self.session.scalar(select(EidQrKey).where(EidQrKey.active_slot == 1))

    def published_keys(self, retired_after: dt.datetime) -> Sequence[EidQrKey]:
        return self.session.scalars(
            select(EidQrKey)
            .where(or_(EidQrKey.retired_at.is_(None), EidQrKey.retired_at > retired_after))
            .order_by(EidQrKey.id.desc())
        ).all()
