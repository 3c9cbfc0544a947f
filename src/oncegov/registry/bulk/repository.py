"""Fast bulk SQL for loading the registry: COPY on PostgreSQL, executemany on SQLite.

Used by the demo loader and the bulk import (with the batched lookups, updates and the
export's keyset pages below); everything else goes through ``oncegov.registry.repository``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update

from oncegov.db import advance_id_sequence, bulk_insert, larger_cache
from oncegov.kit.repository import Repository
from oncegov.registry.models import Citizen, Household, RegistryChange
from oncegov.registry.repository import citizen_in_scope
from oncegov.units.schemas import UnitScope

# Column order of version rows written in bulk (demo load, imports).
CHANGE_COLUMNS: tuple[str, ...] = (
    "entity",
    "entity_key",
    "version",
    "changed_at",
    "actor",
    "source",
    "reason",
    "legal_reference",
    "changes",
)


class BulkRepository(Repository):
    @property
    def is_postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def insert_rows(
        self, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Insert tuples (in ``columns`` order) inside the session's transaction."""
        return bulk_insert(self.session, table, columns, rows)

    def larger_cache(self) -> AbstractContextManager[None]:
        return larger_cache(self.session)

    def advance_sequence(self, table: Table) -> None:
        advance_id_sequence(self.session, table)

    def insert_citizens(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.insert_rows(Citizen.__table__, columns, rows)  # type: ignore[arg-type]

    def insert_households(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.insert_rows(Household.__table__, columns, rows)  # type: ignore[arg-type]

    def insert_changes(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.insert_rows(RegistryChange.__table__, columns, rows)  # type: ignore[arg-type]

    # --- lookups for the import (batched IN queries) -------------------------------------------

    @property
    def lookup_chunk(self) -> int:
        # SQLite's default limit on bound parameters is generous now, but 900 stays safe for
        # old builds; PostgreSQL takes far more per query.
        return 5000 if self.is_postgres else 900

    def _chunks(self, values: Sequence[str]) -> Iterator[Sequence[str]]:
        size = self.lookup_chunk
        for start in range(0, len(values), size):
            yield values[start : start + size]

    def has_citizens(self) -> bool:
        return self.session.scalar(select(Citizen.id).limit(1)) is not None

    def has_households(self) -> bool:
        return self.session.scalar(select(Household.id).limit(1)) is not None

    def citizens_by_personal_id(
        self, personal_ids: Sequence[str], columns: Sequence[str]
    ) -> dict[str, tuple[Any, ...]]:
        """For each personal ID held by a citizen: its ``columns`` values, then its version.
        ``columns`` must start with ``personal_id``."""
        table = cast(Table, Citizen.__table__)
        selected = [table.c[c] for c in columns] + [table.c.version]
        found: dict[str, tuple[Any, ...]] = {}
        for chunk in self._chunks(personal_ids):
            query = select(*selected).where(table.c.personal_id.in_(chunk))
            found.update((row[0], tuple(row)) for row in self.session.execute(query).all())
        return found

    def old_id_holders(self, old_ids: Sequence[str]) -> list[tuple[str, str]]:
        """``(old_id_number, personal_id)`` of every citizen holding one of these old IDs."""
        holders: list[tuple[str, str]] = []
        for chunk in self._chunks(old_ids):
            query = select(Citizen.old_id_number, Citizen.personal_id).where(
                Citizen.old_id_number.in_(chunk)
            )
            holders.extend((str(old), str(pid)) for old, pid in self.session.execute(query))
        return holders

    def existing_household_codes(self, codes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in self._chunks(codes):
            found.update(
                self.session.scalars(select(Household.code).where(Household.code.in_(chunk)))
            )
        return found

    # --- writes for the import -----------------------------------------------------------------

    def update_citizens(self, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
        """Set ``columns`` (plus version, updated_at) on each row's citizen, by personal ID."""
        if not rows:
            return
        table = cast(Table, Citizen.__table__)
        # Bound names must differ from column names in an UPDATE's SET clause: prefix them.
        names = [c for c in [*columns, "version", "updated_at"] if c != "personal_id"]
        statement = (
            update(table)
            .where(table.c.personal_id == bindparam("k_personal_id"))
            .values({c: bindparam(f"v_{c}") for c in names})
        )
        params = [
            {"k_personal_id": row["personal_id"], **{f"v_{c}": row[c] for c in names}}
            for row in rows
        ]
        self.session.execute(statement, params)

    def update_households(self, rows: Sequence[dict[str, Any]]) -> None:
        """Set head, commune and address of households created earlier in the same import.

        Each row: ``h_code``, ``h_head``, ``h_commune``, ``h_address``."""
        if not rows:
            return
        table = cast(Table, Household.__table__)
        statement = (
            update(table)
            .where(table.c.code == bindparam("h_code"))
            .values(
                head_personal_id=bindparam("h_head"),
                commune_code=bindparam("h_commune"),
                address=bindparam("h_address"),
            )
        )
        self.session.execute(statement, list(rows))

    # --- reads for the export ------------------------------------------------------------------

    def count_citizens(self, scope: UnitScope) -> int:
        query = select(func.count()).select_from(Citizen).where(citizen_in_scope(scope))
        return int(self.session.scalar(query) or 0)

    def citizen_batches(
        self, scope: UnitScope, columns: Sequence[str], size: int
    ) -> Iterator[list[dict[str, Any]]]:
        """Citizens in personal-ID order, ``size`` at a time (keyset pages: memory stays flat and
        every page is an index range scan)."""
        table = Citizen.__table__
        selected = [table.c[c] for c in columns]
        last = ""
        while True:
            query = (
                select(*selected)
                .where(citizen_in_scope(scope), table.c.personal_id > last)
                .order_by(table.c.personal_id)
                .limit(size)
            )
            page = [dict(row) for row in self.session.execute(query).mappings()]
            if not page:
                return
            yield page
            last = page[-1]["personal_id"]
