"""All SQL for citizens, households and change history. Unit scoping applied here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from oncegov.kit.repository import Repository
from oncegov.registry.models import Citizen, Household, PersonalIdSequence, RegistryChange
from oncegov.registry.schemas import LinkageIdentity, VisitIdentity
from oncegov.units.schemas import UnitScope


def citizen_in_scope(scope: UnitScope) -> ColumnElement[bool]:
    """A citizen is within a unit scope when registered there (permanent or temporary)."""
    if scope.communes is None:
        return Citizen.id.is_not(None)
    codes = sorted(scope.communes)
    return or_(Citizen.permanent_commune_code.in_(codes), Citizen.temporary_commune_code.in_(codes))


class RegistryRepository(Repository):
    # citizens
    def citizen(self, personal_id: str, scope: UnitScope) -> Citizen | None:
        return self.session.scalar(
            select(Citizen).where(Citizen.personal_id == personal_id, citizen_in_scope(scope))
        )

    def citizen_for_update(self, personal_id: str, scope: UnitScope) -> Citizen | None:
        query = select(Citizen).where(Citizen.personal_id == personal_id, citizen_in_scope(scope))
        return self.session.scalar(query.with_for_update())

    def search_by_name(
        self,
        scope: UnitScope,
        *,
        folded_prefix: str | None,
        name_key: str | None,
        birth_year: int | None,
        birth_month: int | None,
        birth_day: int | None,
        limit: int,
    ) -> Sequence[Citizen]:
        query = select(Citizen).where(citizen_in_scope(scope))
        if name_key is not None:
            # Without a prefix (matching) only the order-free key counts: startswith("")
            # would match every name.
            same_name: ColumnElement[bool] = Citizen.name_key == name_key
            if folded_prefix:
                same_name = or_(
                    same_name, Citizen.folded_name.startswith(folded_prefix, autoescape=True)
                )
            query = query.where(same_name)
        elif folded_prefix:
            query = query.where(Citizen.folded_name.startswith(folded_prefix, autoescape=True))
        if birth_year is not None:
            query = query.where(Citizen.birth_year == birth_year)
        if birth_month is not None:
            query = query.where(
                or_(Citizen.birth_month == birth_month, Citizen.birth_month.is_(None))
            )
        if birth_day is not None:
            query = query.where(or_(Citizen.birth_day == birth_day, Citizen.birth_day.is_(None)))
        return self.session.scalars(query.order_by(Citizen.folded_name).limit(limit)).all()

    def household(self, code: str) -> Household | None:
        return self.session.scalar(select(Household).where(Household.code == code))

    def household_members(self, code: str) -> Sequence[Citizen]:
        return self.session.scalars(
            select(Citizen).where(Citizen.household_code == code).order_by(Citizen.birth_year)
        ).all()

    def children_of(self, personal_id: str) -> Sequence[Citizen]:
        """The citizens whose father or mother is ``personal_id`` (eldest first)."""
        return self.session.scalars(
            select(Citizen)
            .where(
                or_(
                    Citizen.father_personal_id == personal_id,
                    Citizen.mother_personal_id == personal_id,
                )
            )
            .order_by(Citizen.birth_year, Citizen.personal_id)
        ).all()

    def changes(self, entity: str, key: str) -> Sequence[RegistryChange]:
        return self.session.scalars(
            select(RegistryChange)
            .where(RegistryChange.entity == entity, RegistryChange.entity_key == key)
            .order_by(RegistryChange.version.desc())
        ).all()

    def count_citizens(self, scope: UnitScope) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(Citizen).where(citizen_in_scope(scope))
            )
            or 0
        )

    def personal_id_taken(self, number: str) -> bool:
        return (
            self.session.scalar(select(Citizen.id).where(Citizen.personal_id == number)) is not None
        )

    def claim_sequence(self, prefix: str, start: int) -> int:
        """Take the next sequence number for a prefix in one statement: the first claim of a
        prefix creates its row, later and concurrent ones move it on (never two inserts)."""
        table = cast(Table, PersonalIdSequence.__table__)
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement: Any = dialect.insert(table).values(prefix=prefix, next_sequence=start + 1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.prefix],
            set_={"next_sequence": table.c.next_sequence + 1},
        ).returning(table.c.next_sequence)
        return int(self.session.execute(statement).scalar_one()) - 1

    def deceased_among(self, personal_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(personal_ids), 1000):  # keeps IN lists short
            chunk = personal_ids[start : start + 1000]
            found.update(
                self.session.scalars(
                    select(Citizen.personal_id).where(
                        Citizen.personal_id.in_(chunk), Citizen.status == "deceased"
                    )
                )
            )
        return found

    def identities_for_linkage(
        self, scope: UnitScope, chunk: int = 50_000
    ) -> Iterator[list[LinkageIdentity]]:
        """Every citizen in scope, in chunks of plain tuples: a linkage run reads the whole
        registry, so neither ORM objects nor one giant list."""
        c = Citizen
        statement = (
            select(
                c.personal_id,
                c.full_name,
                c.birth_year,
                c.birth_month,
                c.birth_day,
                c.sex,
                c.old_id_number,
                func.coalesce(c.current_commune_code, c.permanent_commune_code),
                c.phone,
                c.status,
                c.household_code,
                c.permanent_commune_code,
                c.temporary_commune_code,
            )
            .where(citizen_in_scope(scope))
            .order_by(c.id)
        )
        result = self.session.execute(statement.execution_options(yield_per=chunk))
        for rows in result.partitions(chunk):
            yield [LinkageIdentity._make(row) for row in rows]

    def identities_for_visit(self, personal_ids: Sequence[str]) -> dict[str, VisitIdentity]:
        """The few fields a medical reception needs, for many people in one query (no ORM
        objects: this is the check-in hot path)."""
        c = Citizen
        rows = self.session.execute(
            select(
                c.personal_id,
                c.full_name,
                c.birth_year,
                c.birth_month,
                c.birth_day,
                c.sex,
                c.status,
                c.old_id_number,
                c.permanent_address,
                c.permanent_commune_code,
            ).where(c.personal_id.in_(sorted(set(personal_ids))))
        ).all()
        return {row.personal_id: VisitIdentity(**row._mapping) for row in rows}
