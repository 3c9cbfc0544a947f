"""All SQL of the data-quality review: one set-based query per rule, and the findings store.

Each rule query scans the province once (indexes where a join needs them) and returns only the
rows that break the rule, with flag columns saying why, so a full run over ~550,000 citizens
takes seconds. Turning rows into findings is ``checks.py``'s job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import SQLCoreOperations

from oncegov.kit.personal_id import BIRTH_PROVINCE_CODES, FIRST_CENTURY, LAST_YEAR
from oncegov.kit.repository import Page, Paged, Repository
from oncegov.registry.models import Citizen, Household
from oncegov.registry.quality.models import QualityFinding, QualityRun
from oncegov.registry.quality.rules import MAX_PLAUSIBLE_AGE, MIN_PARENT_AGE_GAP
from oncegov.registry.quality.schemas import FindingFilters
from oncegov.units.models import Commune
from oncegov.units.schemas import UnitScope

# Bound parameters per statement stay well under SQLite's and PostgreSQL's limits.
ID_CHUNK = 5000
# Any constant shared by every process: serialises concurrent runs on PostgreSQL (SQLite's
# BEGIN IMMEDIATE already does).
RUN_LOCK_KEY = 0x0A11_7E57
RUN_WORK_MEM = "64MB"
_DIGITS = "0123456789"
# Rule queries return plain result rows read by attribute (checks.py).
Rows = Sequence[Any]
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])
PAIR_COLUMNS = ("name_key", "birth_year", "birth_month", "birth_day", "old_id_number")


def _blank(column: SQLCoreOperations[Any]) -> ColumnElement[bool]:
    return or_(column.is_(None), func.trim(column) == "")


def _flag(condition: ColumnElement[bool], name: str) -> Any:
    return case((condition, 1), else_=0).label(name)


class QualityRepository(Repository):
    # --- the province a run covers ----------------------------------------------------------

    def _province_communes(self, province_code: str) -> Select[str]:
        return select(Commune.code).where(Commune.province_code == province_code)

    def _in_province(self, citizen: Any, province_code: str) -> ColumnElement[bool]:
        communes = self._province_communes(province_code)
        # COALESCE keeps SQLite from probing the commune indexes for what is nearly every row
        # (a plain scan is four times faster); PostgreSQL hashes the subquery either way.
        return or_(
            func.coalesce(citizen.permanent_commune_code, "").in_(communes),
            func.coalesce(citizen.temporary_commune_code, "").in_(communes),
        )

    def _subject_commune(self, citizen: Any, province_code: str) -> Any:
        """The commune a citizen's finding belongs to: permanent residence when it is in the
        province, else temporary residence (which then is, since the citizen is in scope)."""
        communes = self._province_communes(province_code)
        return case(
            (citizen.permanent_commune_code.in_(communes), citizen.permanent_commune_code),
            else_=citizen.temporary_commune_code,
        ).label("commune_code")

    # --- rule queries -----------------------------------------------------------------------

    def id_candidates(self, province_code: str) -> Rows:
        """Citizens whose personal ID is not exactly what their birth year and sex imply.

        The SQL test is exact (12 digits, known province code, century/sex digit and year
        digits) so only faulty rows leave the database; kit.personal_id then names the fault.
        """
        c = Citizen
        year_digits = c.birth_year % 100
        female = case((c.sex == "F", 1), else_=0)
        # 1000 + 100 * (2 * century index + female) + yy, as text, minus its leading "1".
        expected = func.substr(
            cast(
                1000
                + 2 * (c.birth_year - FIRST_CENTURY - year_digits)
                + 100 * female
                + year_digits,
                String,
            ),
            2,
            3,
        )
        consistent = and_(
            func.length(c.personal_id) == 12,
            func.trim(c.personal_id, _DIGITS) == "",
            func.substr(c.personal_id, 1, 3).in_(sorted(BIRTH_PROVINCE_CODES)),
            c.birth_year.between(FIRST_CENTURY, LAST_YEAR),
            func.substr(c.personal_id, 4, 3) == expected,
        )
        query = select(
            c.personal_id, self._subject_commune(c, province_code), c.birth_year, c.sex
        ).where(~consistent, self._in_province(c, province_code))
        return self.session.execute(query).all()

    def missing_required(self, province_code: str) -> Rows:
        c = Citizen
        permanent_here = c.permanent_commune_code.in_(self._province_communes(province_code))
        national = c.nationality == "VN"
        flags = {
            "full_name": _blank(c.full_name),
            "ethnicity_code": _blank(c.ethnicity_code),
            "permanent_commune_code": and_(national, _blank(c.permanent_commune_code)),
            "permanent_address": and_(national, _blank(c.permanent_address)),
            "household_code": and_(permanent_here, c.household_code.is_(None)),
        }
        query = select(
            c.personal_id,
            self._subject_commune(c, province_code),
            *(_flag(condition, f"no_{name}") for name, condition in flags.items()),
        ).where(c.status == "living", self._in_province(c, province_code), or_(*flags.values()))
        return self.session.execute(query).all()

    def _pairs(self, province_code: str, key: Sequence[str]) -> Rows:
        """Pairs of citizens in the province agreeing on every (non-null) column of ``key``.

        Groups first, joins after: only the few keys held by several records are joined back,
        instead of probing the index for every citizen. MATERIALIZED makes PostgreSQL build the
        groups once rather than in each parallel worker.
        """
        c = Citizen
        key_columns = [getattr(c, column) for column in key]
        groups = (
            select(*key_columns)
            .where(*(column.is_not(None) for column in key_columns))
            .group_by(*key_columns)
            .having(func.count() > 1)
            .cte("duplicate_keys")
            .prefix_with("MATERIALIZED")
        )
        a, b = aliased(Citizen, name="a"), aliased(Citizen, name="b")

        def same_key(side: Any) -> ColumnElement[bool]:
            return and_(*(getattr(side, column) == groups.c[column] for column in key))

        query = (
            select(
                a.personal_id.label("a_id"),
                b.personal_id.label("b_id"),
                self._subject_commune(a, province_code),
                *(
                    getattr(side, column).label(f"{prefix}_{column}")
                    for prefix, side in (("a", a), ("b", b))
                    for column in PAIR_COLUMNS
                ),
            )
            .select_from(groups)
            .join(a, same_key(a))
            .join(b, and_(same_key(b), b.personal_id > a.personal_id))
            .where(self._in_province(a, province_code), self._in_province(b, province_code))
        )
        return self.session.execute(query).all()

    def duplicates_by_name_and_birth(self, province_code: str) -> Rows:
        """Pairs with the same name key and the same full date of birth."""
        return self._pairs(province_code, ("name_key", "birth_year", "birth_month", "birth_day"))

    def duplicates_by_old_id(self, province_code: str) -> Rows:
        """Pairs sharing an old 9-digit ID number."""
        return self._pairs(province_code, ("old_id_number",))

    def deceased_heads(self, province_code: str) -> Rows:
        """Deceased citizens named head of a household or with relationship 'head' (one row per
        household they head, so a citizen may come twice)."""
        c, h = Citizen, Household
        query = (
            select(
                c.personal_id,
                self._subject_commune(c, province_code),
                c.household_code,
                c.relationship_to_head,
                c.date_of_death,
                h.code.label("headed_household"),
            )
            .outerjoin(h, h.head_personal_id == c.personal_id)
            .where(
                c.status == "deceased",
                or_(c.relationship_to_head == "head", h.id.is_not(None)),
                self._in_province(c, province_code),
            )
        )
        return self.session.execute(query).all()

    def deceased_residents(self, province_code: str) -> Rows:
        c = Citizen
        query = select(
            c.personal_id,
            self._subject_commune(c, province_code),
            c.current_commune_code,
            c.household_code,
            c.date_of_death,
        ).where(
            c.status == "deceased",
            self._in_province(c, province_code),
            or_(c.current_commune_code.is_not(None), c.household_code.is_not(None)),
        )
        return self.session.execute(query).all()

    def households_without_head(self, province_code: str) -> Rows:
        h, head = Household, aliased(Citizen, name="head")
        query = (
            select(
                h.code,
                h.commune_code,
                h.head_personal_id,
                head.personal_id.label("head_found"),
                head.household_code.label("head_household"),
            )
            .outerjoin(head, head.personal_id == h.head_personal_id)
            .where(
                # COALESCE: scan rather than probe the commune index (see _in_province).
                func.coalesce(h.commune_code, "").in_(self._province_communes(province_code)),
                or_(
                    h.head_personal_id.is_(None),
                    head.id.is_(None),
                    head.household_code.is_(None),
                    head.household_code != h.code,
                ),
            )
        )
        return self.session.execute(query).all()

    def implausible_ages(self, province_code: str, today: dt.date) -> Rows:
        """Living people born at least 121 years ago by year (checks.py refines by date), and
        anyone whose date of death is before the date of birth (as far as it is known)."""
        c = Citizen
        death_year = extract("year", c.date_of_death)
        death_month = extract("month", c.date_of_death)
        death_day = extract("day", c.date_of_death)
        maybe_too_old = and_(
            c.status == "living", c.birth_year <= today.year - (MAX_PLAUSIBLE_AGE + 1)
        )
        died_before_birth = and_(
            c.date_of_death.is_not(None),
            or_(
                death_year < c.birth_year,
                and_(death_year == c.birth_year, death_month < c.birth_month),
                and_(
                    death_year == c.birth_year,
                    death_month == c.birth_month,
                    death_day < c.birth_day,
                ),
            ),
        )
        query = select(
            c.personal_id,
            self._subject_commune(c, province_code),
            c.status,
            c.birth_year,
            c.birth_month,
            c.birth_day,
            c.date_of_death,
            _flag(died_before_birth, "died_before_birth"),
        ).where(self._in_province(c, province_code), or_(maybe_too_old, died_before_birth))
        return self.session.execute(query).all()

    def implausible_relationships(self, province_code: str) -> Rows:
        m, head, h = aliased(Citizen, name="m"), aliased(Citizen, name="head"), Household
        gap = MIN_PARENT_AGE_GAP
        child_too_old = and_(
            m.relationship_to_head == "child", m.birth_year - head.birth_year < gap
        )
        parent_too_young = and_(
            m.relationship_to_head == "parent", m.birth_year > head.birth_year - gap
        )
        own_spouse = m.spouse_personal_id == m.personal_id
        query = (
            select(
                m.personal_id,
                self._subject_commune(m, province_code),
                m.relationship_to_head,
                m.birth_year,
                m.spouse_personal_id,
                head.personal_id.label("head_id"),
                head.birth_year.label("head_birth_year"),
                _flag(child_too_old, "child_too_old"),
                _flag(parent_too_young, "parent_too_young"),
                _flag(own_spouse, "own_spouse"),
            )
            .select_from(m)
            .outerjoin(h, h.code == m.household_code)
            .outerjoin(head, head.personal_id == h.head_personal_id)
            .where(
                self._in_province(m, province_code),
                # Cheap single-table test first, so only these rows are joined.
                or_(m.relationship_to_head.in_(("child", "parent")), own_spouse),
                or_(child_too_old, parent_too_young, own_spouse),
            )
        )
        return self.session.execute(query).all()

    # --- runs and findings: writes ----------------------------------------------------------

    def prepare_run(self) -> None:
        """One run at a time (two concurrent runs would insert the same findings), and on
        PostgreSQL enough memory for the duplicate grouping not to spill to disk."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK_KEY})
            self.session.execute(text(f"SET LOCAL work_mem = '{RUN_WORK_MEM}'"))

    def findings_of_rule(self, rule: str) -> Rows:
        query = select(
            QualityFinding.id,
            QualityFinding.subject_key,
            QualityFinding.status,
            QualityFinding.fingerprint,
            QualityFinding.commune_code,
            QualityFinding.detail,
        ).where(QualityFinding.rule == rule)
        return self.session.execute(query).all()

    def insert_findings(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(QualityFinding), list(rows))

    def update_findings(self, rows: Sequence[dict[str, Any]]) -> None:
        """Per-row updates by primary key (rows carry ``id``): changed or reopened findings."""
        if rows:
            self.session.execute(
                update(QualityFinding), list(rows), execution_options={"synchronize_session": False}
            )

    def set_for_ids(self, ids: Iterable[int], **values: Any) -> None:
        """The same values on many findings, in chunks (one statement per chunk)."""
        ordered = sorted(ids)
        for start in range(0, len(ordered), ID_CHUNK):
            chunk = ordered[start : start + ID_CHUNK]
            self.session.execute(
                update(QualityFinding)
                .where(QualityFinding.id.in_(chunk))
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    def forget_loaded_findings(self) -> None:
        """Bulk statements bypass the identity map: expire findings loaded before them."""
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, QualityFinding):
                self.session.expire(obj)

    # --- runs and findings: reads -----------------------------------------------------------

    def _scoped(self, query: AnySelect, scope: UnitScope) -> AnySelect:
        if scope.communes is None:
            return query
        return query.where(QualityFinding.commune_code.in_(sorted(scope.communes)))

    def _filtered(self, query: AnySelect, filters: FindingFilters) -> AnySelect:
        if filters.commune_code:
            query = query.where(QualityFinding.commune_code == filters.commune_code)
        if filters.rule:
            query = query.where(QualityFinding.rule == filters.rule)
        if filters.status:
            query = query.where(QualityFinding.status == filters.status)
        if filters.subject_key:
            query = query.where(
                QualityFinding.subject_key.contains(filters.subject_key, autoescape=True)
            )
        return query

    def finding(self, finding_id: int, scope: UnitScope) -> QualityFinding | None:
        query = select(QualityFinding).where(QualityFinding.id == finding_id)
        return self.session.scalar(self._scoped(query, scope))

    def finding_for_update(self, finding_id: int, scope: UnitScope) -> QualityFinding | None:
        query = select(QualityFinding).where(QualityFinding.id == finding_id)
        return self.session.scalar(self._scoped(query, scope).with_for_update())

    def findings(
        self, scope: UnitScope, filters: FindingFilters, page: Page
    ) -> Paged[QualityFinding]:
        """One page of the findings in scope matching the filters, with the total."""
        query = self._filtered(self._scoped(select(QualityFinding), scope), filters)
        query = query.order_by(QualityFinding.commune_code, QualityFinding.rule, QualityFinding.id)
        return self.fetch_page(query, page, counted=True)

    def counts(self, scope: UnitScope) -> Rows:
        """(commune_code, rule, status, n) for every combination present in scope."""
        query = select(
            QualityFinding.commune_code,
            QualityFinding.rule,
            QualityFinding.status,
            func.count().label("n"),
        ).group_by(QualityFinding.commune_code, QualityFinding.rule, QualityFinding.status)
        return self.session.execute(self._scoped(query, scope)).all()

    def last_run(self) -> QualityRun | None:
        query = select(QualityRun).where(QualityRun.finished_at.is_not(None))
        return self.session.scalar(query.order_by(QualityRun.id.desc()).limit(1))

    def household_member_ids(self, household_code: str) -> list[str]:
        query = (
            select(Citizen.personal_id)
            .where(Citizen.household_code == household_code)
            .order_by(Citizen.birth_year, Citizen.personal_id)
        )
        return list(self.session.scalars(query))

    def household_head_id(self, household_code: str) -> str | None:
        query = select(Household.head_personal_id).where(Household.code == household_code)
        return self.session.scalar(query)
