"""SQL of the demo: removing a previously loaded demo population (``oncegov demo --replace``).

Demo rows are recognised by their creation record: the version-1 registry change with source
``demo``. Citizens and households created any other way are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, Select, delete, select

from oncegov.kit.repository import Repository
from oncegov.registry.models import Citizen, Household, RegistryChange

DEMO_SOURCE = "demo"


@dataclass(frozen=True, slots=True)
class Deleted:
    citizens: int
    households: int
    changes: int
    applications: int = 0  # chip ID-card applications (with their steps)
    eid_accounts: int = 0


def _demo_keys(entity: str) -> Select[Any]:
    return select(RegistryChange.entity_key).where(
        RegistryChange.entity == entity,
        RegistryChange.version == 1,
        RegistryChange.source == DEMO_SOURCE,
    )


class DemoRepository(Repository):
    def _rowcount(self, statement: object) -> int:
        result = self.session.execute(statement)  # type: ignore[call-overload]
        assert isinstance(result, CursorResult)
        return int(result.rowcount)

    def delete_demo_population(self) -> Deleted:
        """Delete demo citizens, then demo households (citizens refer to them), then the whole
        change history of both."""
        citizens = self._rowcount(
            delete(Citizen).where(Citizen.personal_id.in_(_demo_keys("citizen")))
        )
        households = self._rowcount(
            delete(Household).where(Household.code.in_(_demo_keys("household")))
        )
        changes = 0
        for entity in ("citizen", "household"):
            # Both databases evaluate the uncorrelated subquery before deleting any row.
            changes += self._rowcount(
                delete(RegistryChange).where(
                    RegistryChange.entity == entity,
                    RegistryChange.entity_key.in_(_demo_keys(entity)),
                )
            )
        return Deleted(citizens=citizens, households=households, changes=changes)
