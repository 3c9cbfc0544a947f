"""All SQL of the dossiers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from oncegov import db
from oncegov.kit.repository import Page, Paged, Repository
from oncegov.procedures.dossiers.models import (
    Dossier,
    DossierDocument,
    DossierDraft,
    DossierEvent,
    DossierSequence,
)
from oncegov.units.schemas import UnitScope


def _in_scope(scope: UnitScope) -> Any:
    if scope.communes is None:
        return True
    return Dossier.commune_code.in_(sorted(scope.communes))


class DossierRepository(Repository):
    # --- codes ---------------------------------------------------------------------------------

    def claim_daily_number(self, agency_code: str, day: dt.date) -> int:
        """The next number of an agency's day in one statement (never two inserts)."""
        table = cast(Table, DossierSequence.__table__)
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement: Any = dialect.insert(table).values(agency_code=agency_code, day=day, last=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.agency_code, table.c.day],
            set_={"last": table.c.last + 1},
        ).returning(table.c.last)
        return int(self.session.execute(statement).scalar_one())

    # --- drafts --------------------------------------------------------------------------------

    def draft(self, draft_id: int, owner: str) -> DossierDraft | None:
        return self.session.scalar(
            select(DossierDraft).where(
                DossierDraft.id == draft_id, DossierDraft.owner_personal_id == owner
            )
        )

    def counter_draft(self, draft_id: int, created_by: str) -> DossierDraft | None:
        return self.session.scalar(
            select(DossierDraft).where(
                DossierDraft.id == draft_id,
                DossierDraft.created_by == created_by,
                DossierDraft.channel == "counter",
            )
        )

    def drafts_of(self, owner: str) -> Sequence[DossierDraft]:
        return self.session.scalars(
            select(DossierDraft)
            .where(DossierDraft.owner_personal_id == owner)
            .order_by(DossierDraft.updated_at.desc())
        ).all()

    def delete_draft(self, draft: DossierDraft) -> None:
        self.session.delete(draft)
        self.session.flush()

    # --- documents -----------------------------------------------------------------------------

    def documents_of_draft(self, draft_id: int) -> Sequence[DossierDocument]:
        return self.session.scalars(
            select(DossierDocument)
            .where(DossierDocument.draft_id == draft_id)
            .order_by(DossierDocument.id)
        ).all()

    def documents_of(self, dossier_id: int) -> Sequence[DossierDocument]:
        return self.session.scalars(
            select(DossierDocument)
            .where(DossierDocument.dossier_id == dossier_id)
            .order_by(DossierDocument.id)
        ).all()

    def attach_documents(self, draft_id: int, dossier_id: int) -> None:
        self.session.execute(
            update(DossierDocument)
            .where(DossierDocument.draft_id == draft_id)
            .values(dossier_id=dossier_id, draft_id=None)
            .execution_options(synchronize_session=False)
        )

    # --- dossiers ------------------------------------------------------------------------------

    def by_submission(self, submitted_by: str, key: str) -> Dossier | None:
        return self.session.scalar(
            select(Dossier).where(
                Dossier.submitted_by == submitted_by, Dossier.idempotency_key == key
            )
        )

    def by_code(self, code: str) -> Dossier | None:
        return self.session.scalar(select(Dossier).where(Dossier.code == code))

    def of_citizen(self, personal_id: str, page: Page) -> Paged[Dossier]:
        query = select(Dossier).where(
            or_(
                Dossier.applicant_personal_id == personal_id,
                Dossier.subject_personal_id == personal_id,
            )
        )
        return self.fetch_page(query, page, key=Dossier.id, descending=True)

    def move(self, dossier_id: int, from_state: str, values: dict[str, Any]) -> bool:
        """Write a move only if the dossier is still in ``from_state`` (a compare-and-set: of
        two officers pressing the same button, one wins and the other is refused)."""
        result = self.session.execute(
            update(Dossier)
            .where(Dossier.id == dossier_id, Dossier.state == from_state)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def refresh(self, dossier: Dossier) -> None:
        self.session.refresh(dossier)

    def add_event(self, event: DossierEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def has_event_form(self, dossier_id: int, form: str) -> bool:
        return (
            self.session.scalar(
                select(DossierEvent.id)
                .where(DossierEvent.dossier_id == dossier_id, DossierEvent.form == form)
                .limit(1)
            )
            is not None
        )

    def events(self, dossier_id: int) -> Sequence[DossierEvent]:
        return self.session.scalars(
            select(DossierEvent)
            .where(DossierEvent.dossier_id == dossier_id)
            .order_by(DossierEvent.seq)
        ).all()

    # --- queues --------------------------------------------------------------------------------

    def queue_query(
        self,
        scope: UnitScope,
        roles: Sequence[str],
        *,
        view: str,
        officer: str,
        now: dt.datetime,
        soon: dt.datetime | None,
        procedure: str | None = None,
        commune: str | None = None,
        level: str | None = None,
    ) -> Select[Dossier]:
        """Open dossiers in the caller's communes whose current step is one of ``roles``'."""
        query = select(Dossier).where(
            Dossier.ended_at.is_(None), Dossier.role.in_(list(roles)), _in_scope(scope)
        )
        if view == "new":
            query = query.where(Dossier.assigned_to.is_(None), Dossier.paused_since.is_(None))
        elif view == "mine":
            query = query.where(Dossier.assigned_to == officer)
        elif view == "due_soon":
            if soon is None:
                raise TypeError("the due-soon view needs its limit")
            query = query.where(
                Dossier.paused_since.is_(None), Dossier.due_at >= now, Dossier.due_at <= soon
            )
        elif view == "overdue":
            query = query.where(Dossier.paused_since.is_(None), Dossier.due_at < now)
        elif view == "waiting":
            query = query.where(Dossier.paused_since.is_not(None))
        if procedure:
            query = query.where(Dossier.procedure_code == procedure)
        if commune:
            query = query.where(Dossier.commune_code == commune)
        if level:
            query = query.where(Dossier.level == level)
        return query

    def queue(self, query: Select[Dossier], page: Page) -> Paged[Dossier]:
        return self.fetch_page(query, page, key=Dossier.id)

    def open_due_before(self, moment: dt.datetime, limit: int) -> Sequence[Dossier]:
        """Open, running dossiers due before ``moment`` whose handler has not been warned."""
        return self.session.scalars(
            select(Dossier)
            .where(
                Dossier.ended_at.is_(None),
                Dossier.paused_since.is_(None),
                Dossier.warned_at.is_(None),
                Dossier.due_at <= moment,
            )
            .order_by(Dossier.due_at)
            .limit(limit)
        ).all()

    def mark_warned(self, dossier_id: int, at: dt.datetime) -> bool:
        result = self.session.execute(
            update(Dossier)
            .where(Dossier.id == dossier_id, Dossier.warned_at.is_(None))
            .values(warned_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def outcome_counts(
        self, scope: UnitScope, since: dt.datetime
    ) -> Sequence[tuple[str, str | None, int]]:
        """(procedure, outcome, count) of the dossiers ended since ``since`` in scope."""
        rows = self.session.execute(
            select(Dossier.procedure_code, Dossier.outcome, func.count())
            .where(and_(Dossier.ended_at.is_not(None), Dossier.ended_at >= since))
            .where(_in_scope(scope))
            .group_by(Dossier.procedure_code, Dossier.outcome)
        ).all()
        return [(r[0], r[1], int(r[2])) for r in rows]

    def bulk_load(
        self,
        dossier_columns: Sequence[str],
        dossiers: Sequence[Sequence[Any]],
        event_columns: Sequence[str],
        events: Sequence[Sequence[Any]],
        sequences: Sequence[tuple[str, dt.date, int]],
    ) -> None:
        """Insert prepared dossiers (with their ids), their events and the daily sequences
        fast (COPY on PostgreSQL, executemany on SQLite); the id sequence then moves past the
        ids given, so the next dossier submitted gets a fresh one."""
        table = cast(Table, Dossier.__table__)
        db.bulk_insert(self.session, table, dossier_columns, dossiers)
        db.advance_id_sequence(self.session, table)
        db.bulk_insert(self.session, cast(Table, DossierEvent.__table__), event_columns, events)
        db.bulk_insert(
            self.session,
            cast(Table, DossierSequence.__table__),
            ("agency_code", "day", "last"),
            sequences,
        )

    def delete_all(self) -> int:
        """Every dossier and what refers to it (the demo's replace)."""
        self.session.execute(delete(DossierDocument))
        self.session.execute(delete(DossierEvent))
        count = self.session.execute(delete(Dossier)).rowcount  # type: ignore[attr-defined]
        self.session.execute(delete(DossierDraft))
        self.session.execute(delete(DossierSequence))
        return int(count or 0)
