"""Data-quality review: run the rules over the province, keep findings, let officers resolve them.

Re-running is idempotent per (rule, subject): a finding still detected keeps its status and
gets the new run id; a resolved one (corrected / confirmed correct / false positive) reopens only
when its fingerprint changed, i.e. the data the rule looked at changed; an open finding no longer
detected is closed as corrected by the system. Services never commit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.config import settings
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.repository import Page
from oncegov.kit.text import require_text
from oncegov.registry import service as registry
from oncegov.registry.quality import checks
from oncegov.registry.quality.checks import Detection
from oncegov.registry.quality.models import FINDING_STATUSES, QualityFinding, QualityRun
from oncegov.registry.quality.repository import QualityRepository
from oncegov.registry.quality.rules import (
    RESOLUTIONS,
    RULES,
    RULES_BY_CODE,
    SYSTEM_RESOLVER,
    Rule,
)
from oncegov.registry.quality.schemas import (
    CommuneCounts,
    FindingDetail,
    FindingFilters,
    FindingOut,
    FindingPage,
    HouseholdRef,
    RuleOut,
    RuleRunCounts,
    RunOut,
    SummaryOut,
)
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.schemas import UnitScope

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
REVIEW_PURPOSE = "Data-quality review of finding #{id}"

Detector = Callable[[QualityRepository, str, dt.date], Iterable[Detection]]

DETECTORS: dict[str, Detector] = {
    "id_inconsistent": lambda repo, p, _t: checks.id_inconsistent(repo.id_candidates(p)),
    "missing_required": lambda repo, p, _t: checks.missing_required(repo.missing_required(p)),
    "probable_duplicate": lambda repo, p, _t: checks.probable_duplicates(
        itertools.chain(repo.duplicates_by_name_and_birth(p), repo.duplicates_by_old_id(p))
    ),
    "deceased_head": lambda repo, p, _t: checks.deceased_heads(repo.deceased_heads(p)),
    "deceased_resident": lambda repo, p, _t: checks.deceased_residents(repo.deceased_residents(p)),
    "household_without_head": lambda repo, p, _t: checks.households_without_head(
        repo.households_without_head(p)
    ),
    "implausible_age": lambda repo, p, today: checks.implausible_ages(
        repo.implausible_ages(p, today), today
    ),
    "implausible_relationship": lambda repo, p, _t: checks.implausible_relationships(
        repo.implausible_relationships(p)
    ),
}


class RunProgress(Protocol):
    """Told about each rule as a run goes (the CLI draws a progress bar with it)."""

    def rule_started(self, rule: Rule) -> None: ...

    def rule_finished(self, rule: Rule, counts: RuleRunCounts) -> None: ...


def rule_out(rule: Rule) -> RuleOut:
    return RuleOut(
        code=rule.code,
        title=rule.title,
        description=rule.description,
        severity=rule.severity,
        subject_kind=rule.subject_kind,
    )


def _run_out(
    run: QualityRun, *, closed: int = 0, rules: list[RuleRunCounts] | None = None
) -> RunOut:
    return RunOut(
        id=run.id,
        actor=run.actor,
        started_at=run.started_at,
        finished_at=run.finished_at,
        findings_seen=run.findings_seen,
        findings_new=run.findings_new,
        findings_reopened=run.findings_reopened,
        findings_closed=closed,
        rules=rules or [],
    )


# --- running the checks -----------------------------------------------------------------------


def run_checks(
    session: Session,
    actor: Actor,
    *,
    progress: RunProgress | None = None,
    province_code: str | None = None,
    today: dt.date | None = None,
) -> RunOut:
    """Run every rule over the citizens and households of the configured province.

    The caller must hold ``quality.run`` (routes check it). Returns the run with its counts.
    """
    repo = QualityRepository(session)
    repo.prepare_run()
    province = province_code or settings.province_code
    today = today or clock.today()
    run = QualityRun(actor=actor.label, started_at=clock.now())
    repo.add(run)
    results: list[RuleRunCounts] = []
    for rule in RULES:
        if progress:
            progress.rule_started(rule)
        started = time.perf_counter()
        detections = DETECTORS[rule.code](repo, province, today)
        counts = _reconcile(repo, rule, run.id, detections)
        counts.seconds = round(time.perf_counter() - started, 3)
        results.append(counts)
        if progress:
            progress.rule_finished(rule, counts)
    run.findings_seen = sum(c.seen for c in results)
    run.findings_new = sum(c.new for c in results)
    run.findings_reopened = sum(c.reopened for c in results)
    run.finished_at = clock.now()
    repo.forget_loaded_findings()
    session.flush()
    closed = sum(c.closed for c in results)
    audit.record(
        session,
        actor,
        "quality.run",
        purpose="Data-quality review",
        detail={
            "run": run.id,
            "province": province,
            "seen": run.findings_seen,
            "new": run.findings_new,
            "reopened": run.findings_reopened,
            "closed": closed,
        },
    )
    return _run_out(run, closed=closed, rules=results)


def _reconcile(
    repo: QualityRepository, rule: Rule, run_id: int, detections: Iterable[Detection]
) -> RuleRunCounts:
    """Merge one rule's detections into its stored findings (see the module docstring)."""
    counts = RuleRunCounts(rule=rule.code)
    existing = {row.subject_key: row for row in repo.findings_of_rule(rule.code)}
    seen: set[str] = set()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    unchanged_ids: list[int] = []
    for found in detections:
        if found.subject_key in seen:
            continue
        seen.add(found.subject_key)
        current = {
            "fingerprint": found.fingerprint,
            "detail": found.detail,
            "commune_code": found.commune_code,
            "last_run_id": run_id,
        }
        old = existing.get(found.subject_key)
        if old is None:
            new_rows.append(
                current
                | {
                    "rule": rule.code,
                    "subject_kind": found.subject_kind,
                    "subject_key": found.subject_key,
                    "status": "open",
                    "first_run_id": run_id,
                }
            )
        elif old.status != "open" and old.fingerprint != found.fingerprint:
            # The data changed since an officer resolved it: look again.
            changed_rows.append(
                current
                | {
                    "id": old.id,
                    "status": "open",
                    "resolved_by": None,
                    "resolved_at": None,
                    "resolution_note": None,
                }
            )
            counts.reopened += 1
        elif old.status == "open" and (
            (old.fingerprint, old.detail, old.commune_code)
            != (found.fingerprint, found.detail, found.commune_code)
        ):
            changed_rows.append(current | {"id": old.id})
        else:
            unchanged_ids.append(old.id)
    gone = [row.id for key, row in existing.items() if key not in seen and row.status == "open"]
    repo.insert_findings(new_rows)
    repo.update_findings(changed_rows)
    repo.set_for_ids(unchanged_ids, last_run_id=run_id)
    repo.set_for_ids(gone, status="corrected", resolved_by=SYSTEM_RESOLVER, resolved_at=clock.now())
    counts.seen, counts.new, counts.closed = len(seen), len(new_rows), len(gone)
    return counts


# --- reading findings -------------------------------------------------------------------------


def summary(session: Session, scope: UnitScope) -> SummaryOut:
    """Open findings per commune and rule within the scope, totals per rule and status."""
    repo = QualityRepository(session)
    by_status = dict.fromkeys(FINDING_STATUSES, 0)
    open_by_rule = {rule.code: 0 for rule in RULES}
    per_commune: dict[str, dict[str, int]] = {}
    for commune_code, rule, status, n in repo.counts(scope):
        by_status[status] = by_status.get(status, 0) + n
        if commune_code is None:
            continue
        row = per_commune.setdefault(commune_code, dict.fromkeys(open_by_rule, 0))
        if status == "open":
            open_by_rule[rule] = open_by_rule.get(rule, 0) + n
            row[rule] = row.get(rule, 0) + n
    for code in sorted(scope.communes or ()):
        per_commune.setdefault(code, dict.fromkeys(open_by_rule, 0))
    names = _commune_names(session, per_commune)
    communes = [
        CommuneCounts(
            commune_code=code,
            commune_name=names.get(code, code),
            open_by_rule=counts,
            open_total=sum(counts.values()),
        )
        for code, counts in per_commune.items()
    ]
    communes.sort(key=lambda c: (-c.open_total, c.commune_name))
    last = repo.last_run()
    return SummaryOut(
        rules=[rule_out(rule) for rule in RULES],
        communes=communes,
        open_by_rule=open_by_rule,
        by_status=by_status,
        open_total=sum(open_by_rule.values()),
        last_run=_run_out(last) if last else None,
    )


def _commune_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    names = {c.code: c.name for c in units.communes_of_province(session, settings.province_code)}
    for code in codes:
        if code not in names:
            found = units.commune(session, code)
            names[code] = found.name if found else code
    return names


def commune_choices(session: Session, scope: UnitScope) -> list[tuple[str, str]]:
    """(code, name) of the province's communes within the scope, for filter forms."""
    communes = units.communes_of_province(session, settings.province_code)
    return [(c.code, c.name) for c in communes if scope.allows(c.code)]


def _check_filters(filters: FindingFilters) -> None:
    if filters.rule and filters.rule not in RULES_BY_CODE:
        raise ValidationFailed(N_("Unknown rule"), field="rule")
    if filters.status and filters.status not in FINDING_STATUSES:
        raise ValidationFailed(N_("Unknown status"), field="status")


def list_findings(
    session: Session,
    scope: UnitScope,
    filters: FindingFilters,
    *,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> FindingPage:
    """Findings within the scope matching the filters, a page at a time."""
    _check_filters(filters)
    page = Page(limit, offset=offset, max_size=MAX_PAGE_SIZE)
    found = QualityRepository(session).findings(scope, filters, page)
    return FindingPage(
        total=found.total or 0,
        limit=limit,
        offset=offset,
        items=[FindingOut.model_validate(f) for f in found.items],
    )


def _finding(repo: QualityRepository, scope: UnitScope, finding_id: int) -> QualityFinding:
    finding = repo.finding(finding_id, scope)
    if finding is None:
        # Same answer for "no such finding" and "outside your area".
        raise NotFound(N_("No finding with this number in your area"), field="id")
    return finding


def get_finding(session: Session, scope: UnitScope, finding_id: int) -> FindingOut:
    return FindingOut.model_validate(_finding(QualityRepository(session), scope, finding_id))


def _concerned_ids(repo: QualityRepository, finding: QualityFinding) -> list[str]:
    """Personal IDs of the citizens a finding is about (for households: head, then members)."""
    if finding.subject_kind == "pair":
        return finding.subject_key.split(checks.PAIR_SEPARATOR)
    if finding.subject_kind == "household":
        head = repo.household_head_id(finding.subject_key)
        members = repo.household_member_ids(finding.subject_key)
        return ([head] if head and head not in members else []) + members
    return [finding.subject_key]


def finding_detail(
    session: Session, actor: Actor, scope: UnitScope, finding_id: int
) -> FindingDetail:
    """A finding with the citizens it concerns, each read through the registry (audited)."""
    repo = QualityRepository(session)
    finding = _finding(repo, scope, finding_id)
    citizens: list[CitizenOut] = []
    outside: list[str] = []
    purpose = REVIEW_PURPOSE.format(id=finding.id)
    for personal_id in _concerned_ids(repo, finding):
        try:
            citizens.append(
                registry.get_citizen(session, actor, personal_id, purpose=purpose, scope=scope)
            )
        except NotFound:
            outside.append(personal_id)
    household = None
    if finding.subject_kind == "household":
        household = HouseholdRef(
            code=finding.subject_key,
            head_personal_id=repo.household_head_id(finding.subject_key),
            member_personal_ids=repo.household_member_ids(finding.subject_key),
        )
    return FindingDetail(
        finding=FindingOut.model_validate(finding),
        rule=rule_out(RULES_BY_CODE[finding.rule]),
        citizens=citizens,
        outside_area=outside,
        household=household,
    )


# --- resolving --------------------------------------------------------------------------------


def resolve(
    session: Session,
    actor: Actor,
    scope: UnitScope,
    finding_id: int,
    resolution: str,
    note: str,
    corrections: dict[str, dict[str, str | None]] | None = None,
    reason: str | None = None,
    legal_reference: str | None = None,
) -> FindingOut:
    """Resolve an open finding. "corrected" applies ``corrections`` (personal ID → fields) to
    the citizens concerned through ``registry.record_change`` — a new version each, with the
    reason and legal reference — all or none; the other two resolutions change no data."""
    if resolution not in RESOLUTIONS:
        raise ValidationFailed(N_("Unknown resolution"), field="resolution")
    note = require_text(note, field="note", multiline=True)
    if not note:
        raise ValidationFailed(N_("A note is required to resolve a finding"), field="note")
    repo = QualityRepository(session)
    finding = repo.finding_for_update(finding_id, scope)
    if finding is None:
        raise NotFound(N_("No finding with this number in your area"), field="id")
    if finding.status != "open":
        raise Conflict(N_("This finding is already resolved"), field="status")
    wanted = {pid: fields for pid, fields in (corrections or {}).items() if fields}
    if resolution == "corrected":
        _apply_corrections(
            session, actor, scope, repo, finding, wanted, (reason or note), legal_reference
        )
    elif wanted:
        raise ValidationFailed(
            N_("Field corrections go with the resolution 'corrected'"), field="corrections"
        )
    finding.status = resolution
    finding.resolved_by = actor.label
    finding.resolved_at = clock.now()
    finding.resolution_note = note
    session.flush()
    audit.record(
        session,
        actor,
        "quality.resolve",
        purpose=note,
        detail={"finding": finding.id, "rule": finding.rule, "resolution": resolution},
    )
    return FindingOut.model_validate(finding)


def _apply_corrections(
    session: Session,
    actor: Actor,
    scope: UnitScope,
    repo: QualityRepository,
    finding: QualityFinding,
    corrections: dict[str, dict[str, str | None]],
    reason: str,
    legal_reference: str | None,
) -> None:
    if not corrections:
        raise ValidationFailed(
            N_("Correct at least one field, or choose another resolution"), field="corrections"
        )
    concerned = set(_concerned_ids(repo, finding))
    for personal_id in corrections:
        if personal_id not in concerned:
            raise ValidationFailed(
                N_("Only the citizens this finding concerns can be corrected here"),
                field="corrections",
            )
    # All corrections or none: a failure on the second citizen undoes the first.
    with session.begin_nested():
        for personal_id, updates in corrections.items():
            registry.record_change(
                session,
                actor,
                personal_id,
                updates,
                reason=reason,
                legal_reference=(legal_reference or "").strip() or None,
                source="quality",
                scope=scope,
            )
