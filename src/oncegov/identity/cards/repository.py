"""All SQL for chip ID-card applications and their steps. Unit scoping is applied here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)

from oncegov import db
from oncegov.identity.cards.models import IN_PROGRESS, IdCardApplication, IdCardApplicationStep
from oncegov.kit.repository import Page, Paged, Repository
from oncegov.units.schemas import UnitScope

# group_by names of the statistics → columns.
GROUP_COLUMNS = {
    "commune": IdCardApplication.commune_code,
    "kind": IdCardApplication.kind,
    "status": IdCardApplication.status,
}


def application_in_scope(scope: UnitScope) -> ColumnElement[bool]:
    """An officer sees the applications counted under a commune of theirs (the citizen's
    residence) and those received at a commune station of theirs."""
    if scope.communes is None:
        return IdCardApplication.id.is_not(None)
    codes = sorted(scope.communes)
    return or_(
        IdCardApplication.commune_code.in_(codes),
        IdCardApplication.station_commune_code.in_(codes),
    )


class CardRepository(Repository):
    # --- single applications ------------------------------------------------------------------

    def application(
        self, application_id: int, scope: UnitScope, *, for_update: bool = False
    ) -> IdCardApplication | None:
        query = select(IdCardApplication).where(
            IdCardApplication.id == application_id, application_in_scope(scope)
        )
        if for_update:
            query = query.with_for_update()
        return self.session.scalar(query)

    def by_client_token(self, received_by: str, token: str) -> IdCardApplication | None:
        return self.session.scalar(
            select(IdCardApplication).where(
                IdCardApplication.received_by == received_by,
                IdCardApplication.client_token == token,
            )
        )

    def in_progress_for(self, personal_id: str) -> IdCardApplication | None:
        return self.session.scalar(
            select(IdCardApplication).where(
                IdCardApplication.personal_id == personal_id,
                IdCardApplication.status.in_(IN_PROGRESS),
            )
        )

    def finished_of_kind(self, personal_id: str, kind: str) -> IdCardApplication | None:
        """The newest application of this kind that ended with a card handed over."""
        return self.session.scalar(
            select(IdCardApplication)
            .where(
                IdCardApplication.personal_id == personal_id,
                IdCardApplication.kind == kind,
                IdCardApplication.status.in_(("returned", "delivered")),
            )
            .order_by(IdCardApplication.received_at.desc())
            .limit(1)
        )

    def add_application(
        self, application: IdCardApplication, first_step: IdCardApplicationStep
    ) -> None:
        """Insert inside a SAVEPOINT, so a unique-index violation (a second application in
        progress, a repeated client token) leaves the caller's transaction usable; the
        ``IntegrityError`` propagates for the service to interpret."""
        with self.session.begin_nested():
            self.session.add(application)
            self.session.flush()
            first_step.application_id = application.id
            self.session.add(first_step)
            self.session.flush()

    def move(
        self, application_id: int, from_status: str, to_status: str, values: dict[str, Any]
    ) -> bool:
        """Change the status only if it still is ``from_status`` (a compare-and-set: of two
        officers pressing the same button, one wins and the other gets a Conflict)."""
        result = self.session.execute(
            update(IdCardApplication)
            .where(IdCardApplication.id == application_id, IdCardApplication.status == from_status)
            .values(status=to_status, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_step(self, step: IdCardApplicationStep) -> None:
        self.session.add(step)
        self.session.flush()

    def refresh(self, application: IdCardApplication) -> None:
        self.session.refresh(application)

    def steps(self, application_id: int) -> Sequence[IdCardApplicationStep]:
        return self.session.scalars(
            select(IdCardApplicationStep)
            .where(IdCardApplicationStep.application_id == application_id)
            .order_by(IdCardApplicationStep.at, IdCardApplicationStep.id)
        ).all()

    def set_eid_account(self, application_id: int, account_id: int | None) -> None:
        self.session.execute(
            update(IdCardApplication)
            .where(IdCardApplication.id == application_id)
            .values(eid_account_id=account_id)
            .execution_options(synchronize_session=False)
        )

    # --- lists and counts -----------------------------------------------------------------------

    def _filtered(
        self, scope: UnitScope, status: str | None, kind: str | None, commune_code: str | None
    ) -> list[ColumnElement[bool]]:
        conditions = [application_in_scope(scope)]
        if status:
            conditions.append(IdCardApplication.status == status)
        if kind:
            conditions.append(IdCardApplication.kind == kind)
        if commune_code:
            conditions.append(IdCardApplication.commune_code == commune_code)
        return conditions

    def page(
        self,
        scope: UnitScope,
        *,
        status: str | None,
        kind: str | None,
        commune_code: str | None,
        page: Page,
    ) -> Paged[IdCardApplication]:
        """One page of the filtered applications, newest first, with the total."""
        query = (
            select(IdCardApplication)
            .where(*self._filtered(scope, status, kind, commune_code))
            .order_by(IdCardApplication.received_at.desc(), IdCardApplication.id.desc())
        )
        return self.fetch_page(query, page, counted=True)

    def counts(
        self,
        scope: UnitScope,
        *,
        start: dt.datetime,
        end: dt.datetime,
        group_by: Sequence[str],
    ) -> list[tuple[Any, ...]]:
        """``(group values…, count)`` for applications received in ``[start, end)``."""
        columns = [GROUP_COLUMNS[name] for name in group_by]
        query = (
            select(*columns, func.count())
            .where(
                application_in_scope(scope),
                IdCardApplication.received_at >= start,
                IdCardApplication.received_at < end,
            )
            .group_by(*columns)
            .order_by(*columns)
        )
        return [tuple(row) for row in self.session.execute(query)]

    # --- bulk (demo data) ------------------------------------------------------------------------

    def next_application_id(self) -> int:
        return int(self.session.scalar(select(func.max(IdCardApplication.id))) or 0) + 1

    def bulk_insert_applications(
        self, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Insert application tuples fast in the caller's transaction (COPY on PostgreSQL,
        executemany on SQLite). Rows carry their ids, so the id sequence moves past them."""
        table: Table = IdCardApplication.__table__  # type: ignore[assignment]
        with db.larger_cache(self.session):
            inserted = db.bulk_insert(self.session, table, columns, rows)
        db.advance_id_sequence(self.session, table)
        return inserted

    def derive_steps(self, first_id: int, last_id: int) -> int:
        """Write the step rows of applications ``first_id``..``last_id`` from their timestamp
        columns, in one INSERT … SELECT (demo data: the rows the pipeline would have written)."""
        app = IdCardApplication
        actor = literal("officer:") + app.received_by
        in_range = app.id.between(first_id, last_id)
        moves = [
            (literal(None, String), "received", app.received_at),
            (literal("received"), "checked", app.checked_at),
            (literal("checked"), "sent_for_production", app.sent_for_production_at),
            (literal("sent_for_production"), "produced", app.produced_at),
            (literal("produced"), "returned", app.returned_at),
            (literal("produced"), "delivered", app.delivered_at),
        ]
        selects = [
            select(app.id, from_status, literal(to_status), at, actor, literal(None, String)).where(
                in_range, at.is_not(None)
            )
            for from_status, to_status, at in moves
        ]
        rejections = select(
            app.id,
            app.rejected_from,
            literal("rejected"),
            app.rejected_at,
            actor,
            app.rejection_reason,
        ).where(in_range, app.rejected_at.is_not(None))
        step_table: Table = IdCardApplicationStep.__table__  # type: ignore[assignment]
        statement = insert(step_table).from_select(
            ["application_id", "from_status", "to_status", "at", "actor", "note"],
            union_all(*selects, rejections),
        )
        # rowcount of an INSERT … SELECT is only kept when asked for (psycopg gives -1).
        with db.larger_cache(self.session):  # five step rows per application
            result = self.session.execute(statement.execution_options(preserve_rowcount=True))
        db.advance_id_sequence(self.session, step_table)
        return int(result.rowcount)  # type: ignore[attr-defined]

    def link_eid_accounts(self, links: Sequence[tuple[int, int, str]]) -> int:
        """Set ``eid_level2_requested``, ``eid_account_id`` and ``eid_phone`` on many
        applications at once: one UPDATE … FROM unnest(arrays) on PostgreSQL, executemany by
        primary key on SQLite."""
        if not links:
            return 0
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text(
                    "UPDATE id_card_applications AS a SET eid_level2_requested = true, "
                    "eid_account_id = v.account_id, eid_phone = v.phone "
                    "FROM unnest(CAST(:apps AS integer[]), CAST(:accounts AS integer[]), "
                    "CAST(:phones AS text[])) AS v(application_id, account_id, phone) "
                    "WHERE a.id = v.application_id"
                ),
                {
                    "apps": [link[0] for link in links],
                    "accounts": [link[1] for link in links],
                    "phones": [link[2] for link in links],
                },
            )
            return len(links)
        dbapi = self.session.connection().connection.driver_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.executemany(
                "UPDATE id_card_applications SET eid_level2_requested = 1, eid_account_id = ?, "
                "eid_phone = ? WHERE id = ?",
                [(account_id, phone, app_id) for app_id, account_id, phone in links],
            )
        finally:
            cursor.close()
        return len(links)

    def production_dates(self, personal_ids: Sequence[str]) -> list[tuple[str, dt.datetime]]:
        app = IdCardApplication
        rows = self.session.execute(
            select(app.personal_id, app.produced_at).where(
                app.personal_id.in_(sorted(set(personal_ids))), app.produced_at.is_not(None)
            )
        ).all()
        return [(str(row[0]), row[1]) for row in rows if row[1] is not None]

    def cards_handed_over(self) -> dict[str, dt.datetime]:
        """personal_id → when the citizen's newest card was returned or delivered."""
        handed = func.max(
            func.coalesce(IdCardApplication.returned_at, IdCardApplication.delivered_at)
        )
        rows = self.session.execute(
            select(IdCardApplication.personal_id, handed)
            .where(IdCardApplication.status.in_(("returned", "delivered")))
            .group_by(IdCardApplication.personal_id)
        )
        return {str(row[0]): row[1] for row in rows}

    def delete_all(self) -> int:
        """Every application and step (demo ``--replace``); steps first, for the FK."""
        self.session.execute(delete(IdCardApplicationStep))
        result = self.session.execute(
            delete(IdCardApplication).execution_options(preserve_rowcount=True)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
