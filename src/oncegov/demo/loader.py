"""Load a generated population with the registry's bulk repository, in batches.

Households go first (citizens reference them), then citizens, then one version-1 change row
per household and per citizen (source ``demo``). Everything runs in the caller's transaction;
nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from oncegov.demo.generator import Population
from oncegov.demo.rows import CITIZEN_FIELDS, HOUSEHOLD_FIELDS
from oncegov.kit import clock
from oncegov.registry.bulk.repository import CHANGE_COLUMNS, BulkRepository
from oncegov.translatable import N_

BATCH_SIZE = 20_000
CHANGE_SOURCE = "demo"
CHANGE_REASON = N_("Demo population")  # stored in English, shown translated
CITIZEN_COLUMNS = (*CITIZEN_FIELDS, "version", "created_at", "updated_at")
HOUSEHOLD_COLUMNS = (*HOUSEHOLD_FIELDS, "version", "created_at", "updated_at")

LoadProgress = Callable[[int], None]  # rows inserted so far


@dataclass(frozen=True, slots=True)
class LoadCounts:
    households: int
    citizens: int
    changes: int

    @property
    def rows(self) -> int:
        return self.households + self.citizens + self.changes


def rows_to_load(population: Population) -> int:
    """Rows ``load`` will insert: each household and citizen plus its change row."""
    return 2 * (len(population.households) + len(population.citizens))


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def load(
    session: Session,
    population: Population,
    *,
    actor: str,
    now: dt.datetime | None = None,
    on_progress: LoadProgress | None = None,
    batch_size: int = BATCH_SIZE,
) -> LoadCounts:
    """Insert the population; ``actor`` is recorded on every change row (e.g. ``system:cli``)."""
    moment = now or clock.now()
    bulk = BulkRepository(session)
    done = 0

    def insert(
        writer: Callable[[Sequence[str], Iterable[Sequence[Any]]], int],
        columns: Sequence[str],
        rows: Iterable[tuple[Any, ...]],
    ) -> int:
        nonlocal done
        count = 0
        for batch in _batches(rows, batch_size):
            count += writer(columns, batch)
            done += len(batch)
            if on_progress is not None:
                on_progress(done)
        return count

    tail = (1, moment, moment)
    households = insert(
        bulk.insert_households, HOUSEHOLD_COLUMNS, (h + tail for h in population.households)
    )
    citizens = insert(
        bulk.insert_citizens, CITIZEN_COLUMNS, (c + tail for c in population.citizens)
    )
    empty: dict[str, Any] = {}
    change = (1, moment, actor, CHANGE_SOURCE, CHANGE_REASON, None, empty)
    changes = insert(
        bulk.insert_changes,
        CHANGE_COLUMNS,
        (("household", h[0], *change) for h in population.households),
    )
    changes += insert(
        bulk.insert_changes,
        CHANGE_COLUMNS,
        (("citizen", c[0], *change) for c in population.citizens),
    )
    return LoadCounts(households=households, citizens=citizens, changes=changes)
