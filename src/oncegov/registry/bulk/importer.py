"""The database half of a citizen import: checked batches in, rows written.

For each batch of rows that passed ``checks.RowChecker`` it checks old ID numbers against the
registry, founds households that do not exist yet, and writes through the bulk repository: new
households, new citizens with their version-1 rows, changed citizens with their next version.
The caller runs a pass inside a savepoint and rolls it back when the import is rejected.

Two faults are known only at the end of the file ("late" faults): an old ID number still held
by another registry citizen who was expected to give it up further down the file, and a
household none of whose members has a permanent commune to found it with. In all-or-nothing
mode they reject the import like any other fault. With ``--accept-valid`` the caller undoes the
pass and runs it again with those rows rejected up front (``forced``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from oncegov.registry.bulk.checks import DATA_COLUMNS, CheckedBatch, Values
from oncegov.registry.bulk.repository import CHANGE_COLUMNS, BulkRepository
from oncegov.registry.bulk.schemas import HEADER_ROW, ProgressCallback, RowError
from oncegov.registry.models import Citizen
from oncegov.registry.schemas import CITIZEN_COLUMNS
from oncegov.registry.service import diff_values

SOURCE = "import"

INSERT_COLUMNS: tuple[str, ...] = (*DATA_COLUMNS, "version", "created_at", "updated_at")
HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "code",
    "commune_code",
    "address",
    "head_personal_id",
    "version",
    "created_at",
    "updated_at",
)
_PID = DATA_COLUMNS.index("personal_id")
_OLD_ID = DATA_COLUMNS.index("old_id_number")
_HOUSEHOLD = DATA_COLUMNS.index("household_code")
_RELATIONSHIP = DATA_COLUMNS.index("relationship_to_head")
_COMMUNE = DATA_COLUMNS.index("permanent_commune_code")
_ADDRESS = DATA_COLUMNS.index("permanent_address")

Accepted = tuple[int, Values]  # (row number, validated values in DATA_COLUMNS order)


def header_errors(header: list[str]) -> list[RowError]:
    """File-level faults: no header, unknown, repeated or missing columns (reported on row 1)."""
    if not header or header == [""]:
        return [RowError(HEADER_ROW, "", "", "", "empty_file", "the file has no header row")]
    errors: list[RowError] = []
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(
                RowError(HEADER_ROW, "", column, column, "duplicate_column", "appears twice")
            )
        elif column not in CITIZEN_COLUMNS:
            errors.append(
                RowError(
                    HEADER_ROW, "", column, column, "unknown_column", "is not a citizen column"
                )
            )
        seen.add(column)
    errors.extend(
        RowError(HEADER_ROW, "", column, "", "missing_column", "is missing from the header")
        for column in CITIZEN_COLUMNS
        if column not in seen
    )
    return errors


@dataclass(frozen=True)
class ImportContext:
    """What stays the same for the whole import (computed once)."""

    repo: BulkRepository
    actor_label: str
    reason: str
    legal_reference: str | None
    now: dt.datetime
    registry_had_citizens: bool
    registry_had_households: bool


@dataclass
class _Draft:
    """A household that does not exist yet, gathering its members until it can be founded."""

    members: list[Accepted] = field(default_factory=list)
    head: Values | None = None
    first_with_commune: Values | None = None

    def founder(self) -> Values | None:
        """Whose permanent address founds the household: the head, else the first member with
        a permanent commune."""
        if self.head is not None and self.head[_COMMUNE]:
            return self.head
        return self.first_with_commune


class ImportPass:
    """One pass over the checked batches of a file."""

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.rows_total = 0
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.households_created = 0
        self.errors: list[RowError] = []
        self.rejected_rows: set[int] = set()
        self.late: dict[int, list[RowError]] = {}
        # Rows written with an old ID number that a registry citizen held when checked:
        # (row, personal_id, old_id_number). Fine only if that citizen gave it up by the end.
        self.reliances: list[tuple[int, str, str]] = []
        self.known_households: set[str] = set()  # exist (before, or founded by this import)
        self.drafts: dict[str, _Draft] = {}
        self.founded_without_head: dict[str, tuple[str, str]] = {}
        self.head_updates: list[dict[str, Any]] = []
        # Registry citizens this pass marks deceased (their eID accounts are revoked after).
        self.became_deceased: list[str] = []

    def run(
        self,
        batches: Iterable[CheckedBatch],
        progress: ProgressCallback | None,
        expected_rows: int | None,
    ) -> None:
        for checked in batches:
            self.rows_total += checked.rows
            self._reject(checked.errors)
            accepted = checked.accepted
            if self.ctx.registry_had_citizens and accepted:
                self._note_registry_old_ids(accepted)
            self._write(*self._households(accepted))
            if progress is not None:
                progress(self.rows_total, expected_rows)
        self._finish()

    def _finish(self) -> None:
        for code, draft in self.drafts.items():
            reason = (
                f"household {code} does not exist and none of its members has a permanent "
                "commune to found it with"
            )
            for number, values in draft.members:
                self._late(
                    RowError(number, values[_PID], "household_code", code, "no_household", reason)
                )
        self._resolve_reliances()
        if self.head_updates:
            self.ctx.repo.update_households(self.head_updates)
        self.errors.sort(key=lambda error: error.row)

    # --- old ID numbers held in the registry ---------------------------------------------------

    def _note_registry_old_ids(self, accepted: list[Accepted]) -> None:
        """An old ID number held by another registry citizen is a fault unless that citizen's
        own row, anywhere in the file, gives it up: note it now, decide at the end."""
        claims = {values[_OLD_ID]: (number, values[_PID]) for number, values in accepted}
        claims.pop(None, None)
        for old_id, holder in self.ctx.repo.old_id_holders(sorted(claims)):
            number, pid = claims[old_id]
            if holder != pid:
                self.reliances.append((number, pid, old_id))

    def _resolve_reliances(self) -> None:
        """Every row of the file is written now: whoever else still holds the number keeps it."""
        if not self.reliances:
            return
        holders: dict[str, set[str]] = {}
        for old_id, holder in self.ctx.repo.old_id_holders(sorted({r[2] for r in self.reliances})):
            holders.setdefault(old_id, set()).add(holder)
        for number, pid, old_id in self.reliances:
            others = sorted(holders.get(old_id, set()) - {pid})
            if others and number not in self.rejected_rows:
                reason = f"is held by another citizen in the registry ({others[0]})"
                self._late(RowError(number, pid, "old_id_number", old_id, "old_id_in_use", reason))

    # --- households ----------------------------------------------------------------------------

    def _households(self, accepted: list[Accepted]) -> tuple[list[Accepted], list[Values]]:
        """Rows ready to write (their household exists or is founded now) and the households
        to found first. Members of a household that cannot be founded yet wait."""
        unknown = {
            code
            for _, values in accepted
            if (code := values[_HOUSEHOLD])
            and code not in self.known_households
            and code not in self.drafts
        }
        if unknown and self.ctx.registry_had_households:
            self.known_households |= self.ctx.repo.existing_household_codes(sorted(unknown))
        ready: list[Accepted] = []
        touched: dict[str, None] = {}  # drafts this batch added members to, in order
        for item in accepted:
            values = item[1]
            code = values[_HOUSEHOLD]
            is_head = values[_RELATIONSHIP] == "head"
            if code is None or code in self.known_households:
                if is_head and code in self.founded_without_head:
                    self._head_arrives(code, values)
                ready.append(item)
                continue
            draft = self.drafts.get(code)
            if draft is None:
                draft = self.drafts[code] = _Draft()
            draft.members.append(item)
            if is_head:
                draft.head = values
            if draft.first_with_commune is None and values[_COMMUNE]:
                draft.first_with_commune = values
            touched[code] = None
        households: list[Values] = []
        now = self.ctx.now
        for code in touched:
            draft = self.drafts[code]
            founder = draft.founder()
            if founder is None:
                continue  # wait for a member with a permanent commune
            head = draft.head[_PID] if draft.head else None
            commune, address = founder[_COMMUNE], founder[_ADDRESS] or ""
            households.append((code, commune, address, head, 1, now, now))
            if head is None:
                self.founded_without_head[code] = (commune, address)
            self.known_households.add(code)
            ready.extend(self.drafts.pop(code).members)
        return ready, households

    def _head_arrives(self, code: str, head: Values) -> None:
        """The head of a household founded earlier in this import from another member."""
        commune, address = self.founded_without_head.pop(code)
        if head[_COMMUNE]:
            commune, address = head[_COMMUNE], head[_ADDRESS] or ""
        self.head_updates.append(
            {"h_code": code, "h_head": head[_PID], "h_commune": commune, "h_address": address}
        )

    # --- writing -------------------------------------------------------------------------------

    def _write(self, ready: list[Accepted], households: list[Values]) -> None:
        ctx = self.ctx
        existing: dict[str, tuple[Any, ...]] = {}
        if ctx.registry_had_citizens and ready:
            pids = [values[_PID] for _, values in ready]
            existing = ctx.repo.citizens_by_personal_id(pids, DATA_COLUMNS)
        new_rows: list[Values] = []
        updates: list[dict[str, Any]] = []
        changes: list[Values] = []
        now = ctx.now
        stamp = (now, ctx.actor_label, SOURCE, ctx.reason, ctx.legal_reference)
        for _, values in ready:
            pid = values[_PID]
            current = existing.get(pid)
            if current is None:
                new_rows.append((*values, 1, now, now))
                changes.append(("citizen", pid, 1, *stamp, {}))
                continue
            stored, version = current[:-1], current[-1] + 1
            if stored == values:  # every column equal: what diff_values would find empty
                self.unchanged += 1
                continue
            clean = dict(zip(DATA_COLUMNS, values, strict=True))
            # The same comparison as an officer's edit (registry.service.diff_values), run on
            # the stored values instead of an ORM object.
            before = SimpleNamespace(**dict(zip(DATA_COLUMNS, stored, strict=True)))
            diff = diff_values(cast(Citizen, before), clean)
            if diff.get("status", [None, None])[1] == "deceased":
                self.became_deceased.append(pid)
            updates.append({**clean, "version": version, "updated_at": now})
            changes.append(("citizen", pid, version, *stamp, diff))
        repo = ctx.repo
        if households:
            repo.insert_households(HOUSEHOLD_COLUMNS, households)
            repo.insert_changes(
                CHANGE_COLUMNS, [("household", h[0], 1, *stamp, {}) for h in households]
            )
            self.households_created += len(households)
        if new_rows:
            repo.insert_citizens(INSERT_COLUMNS, new_rows)
            self.created += len(new_rows)
        if updates:
            repo.update_citizens(DATA_COLUMNS, updates)
            self.updated += len(updates)
        if changes:
            repo.insert_changes(CHANGE_COLUMNS, changes)

    # --- bookkeeping ---------------------------------------------------------------------------

    def _reject(self, errors: list[RowError]) -> None:
        self.rejected_rows.update(error.row for error in errors)
        self.errors.extend(errors)

    def _late(self, error: RowError) -> None:
        self.late.setdefault(error.row, []).append(error)
        self.rejected_rows.add(error.row)
        self.errors.append(error)
