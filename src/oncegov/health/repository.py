"""All SQL of the health domain. The check-in queries take many people at once (one group-
committed batch) and select plain columns, not ORM objects: they are the hot path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, func, insert, select

from oncegov import db
from oncegov.health.models import CheckIn, InsuranceCard, MedicalFacility
from oncegov.kit.repository import Repository


class HealthRepository(Repository):
    # --- facilities ---------------------------------------------------------------------------

    def facility(self, code: str) -> MedicalFacility | None:
        return self.get(MedicalFacility, code)

    def facilities(self) -> Sequence[MedicalFacility]:
        return self.session.scalars(select(MedicalFacility).order_by(MedicalFacility.code)).all()

    # --- cards --------------------------------------------------------------------------------

    def card(self, personal_id: str) -> InsuranceCard | None:
        return self.session.scalar(
            select(InsuranceCard).where(InsuranceCard.personal_id == personal_id)
        )

    def cards_for(self, personal_ids: Sequence[str]) -> dict[str, Any]:
        c = InsuranceCard
        rows = self.session.execute(
            select(
                c.personal_id,
                c.social_insurance_code,
                c.beneficiary_group,
                c.benefit_level,
                c.initial_care_facility_code,
                c.valid_from,
                c.valid_to,
                c.five_years_from,
                c.status,
            ).where(c.personal_id.in_(sorted(set(personal_ids))))
        ).all()
        return {row.personal_id: row for row in rows}

    # --- check-ins ----------------------------------------------------------------------------

    def checkins_on(self, day: dt.date, personal_ids: Sequence[str]) -> list[Any]:
        rows = self.session.execute(
            select(CheckIn.id, CheckIn.personal_id, CheckIn.facility_code, CheckIn.checked_in_at)
            .where(CheckIn.day == day, CheckIn.personal_id.in_(sorted(set(personal_ids))))
            .order_by(CheckIn.id)
        ).all()
        return list(rows)

    def insert_checkins(self, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        result = self.session.execute(
            insert(CheckIn).returning(CheckIn.id, sort_by_parameter_order=True), rows
        )
        return [int(row[0]) for row in result]

    def checkin(self, checkin_id: int) -> CheckIn | None:
        return self.get(CheckIn, checkin_id)

    def recent_checkins(self, facility_code: str, day: dt.date, limit: int) -> Sequence[CheckIn]:
        return self.session.scalars(
            select(CheckIn)
            .where(CheckIn.facility_code == facility_code, CheckIn.day == day)
            .order_by(CheckIn.id.desc())
            .limit(limit)
        ).all()

    # --- statistics ---------------------------------------------------------------------------

    def daily_counts(self, since: dt.date, until: dt.date, facility_code: str | None) -> list[Any]:
        """(day, facility, method, count) for since <= day <= until."""
        query = (
            select(CheckIn.day, CheckIn.facility_code, CheckIn.method, func.count())
            .where(CheckIn.day >= since, CheckIn.day <= until)
            .group_by(CheckIn.day, CheckIn.facility_code, CheckIn.method)
            .order_by(CheckIn.day, CheckIn.facility_code, CheckIn.method)
        )
        if facility_code is not None:
            query = query.where(CheckIn.facility_code == facility_code)
        return list(self.session.execute(query).all())

    def facilities_using(self, methods: Sequence[str], since: dt.date, until: dt.date) -> int:
        return int(
            self.session.scalar(
                select(func.count(func.distinct(CheckIn.facility_code))).where(
                    CheckIn.method.in_(methods), CheckIn.day >= since, CheckIn.day <= until
                )
            )
            or 0
        )

    def count_active_facilities(self) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(MedicalFacility).where(MedicalFacility.is_active)
            )
            or 0
        )

    # --- demo bulk loads ----------------------------------------------------------------------

    def facility_rows(self) -> list[tuple[str, str, str]]:
        """(code, level, commune) of every facility, by code."""
        f = MedicalFacility
        rows = self.session.execute(select(f.code, f.level, f.commune_code).order_by(f.code))
        return [(row[0], row[1], row[2]) for row in rows]

    def bulk_insert_facilities(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        table: Table = MedicalFacility.__table__  # type: ignore[assignment]
        return db.bulk_insert(self.session, table, columns, rows)

    def next_card_id(self) -> int:
        return int(self.session.scalar(select(func.max(InsuranceCard.id))) or 0) + 1

    def bulk_insert_cards(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert card tuples fast in the caller's transaction (COPY on PostgreSQL,
        executemany on SQLite). Rows carry their ids, so the id sequence moves past them."""
        table: Table = InsuranceCard.__table__  # type: ignore[assignment]
        with db.larger_cache(self.session):  # the two unique indexes of a province's cards
            inserted = db.bulk_insert(self.session, table, columns, rows)
        db.advance_id_sequence(self.session, table)
        return inserted

    def delete_all_cards(self) -> int:
        result = self.session.execute(
            delete(InsuranceCard).execution_options(preserve_rowcount=True)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
