"""Re-running: no duplicates, resolved findings stay resolved unless their data changed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.registry.quality import service
from oncegov.registry.quality.models import QualityFinding, QualityRun
from oncegov.registry.quality.rules import SYSTEM_RESOLVER
from tests.fixtures import make_citizen, personal_id_for
from tests.registry.quality.helpers import ACTOR, EVERYWHERE, findings, run


def _finding_count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(QualityFinding)) or 0)


def test_rerun_does_not_duplicate_and_moves_last_run(db: Session) -> None:
    bad = make_citizen(db, sex="F", birth_year=1985, personal_id=personal_id_for("M", 1985))
    first = run(db)
    count = _finding_count(db)
    second = run(db)
    assert _finding_count(db) == count > 0
    assert first.findings_new == count and second.findings_new == 0
    assert second.findings_seen == first.findings_seen
    finding = findings(db, "id_inconsistent")[bad.personal_id]
    assert (finding.first_run_id, finding.last_run_id) == (first.id, second.id)
    stored = db.get(QualityRun, second.id)
    assert stored is not None and stored.finished_at is not None
    assert stored.findings_seen == second.findings_seen


def test_resolved_finding_stays_resolved_while_data_is_unchanged(db: Session) -> None:
    bad = make_citizen(db, sex="F", birth_year=1985, personal_id=personal_id_for("M", 1985))
    run(db)
    finding = findings(db, "id_inconsistent")[bad.personal_id]
    service.resolve(db, ACTOR, EVERYWHERE, finding.id, "false_positive", "Card checked")
    again = run(db)
    db.refresh(finding)
    assert finding.status == "false_positive"
    assert finding.resolution_note == "Card checked"
    assert finding.last_run_id == again.id
    assert again.findings_reopened == 0


def test_resolved_finding_reopens_when_its_data_changes(db: Session) -> None:
    bad = make_citizen(db, sex="F", birth_year=1985, personal_id=personal_id_for("M", 1985))
    run(db)
    finding = findings(db, "id_inconsistent")[bad.personal_id]
    service.resolve(db, ACTOR, EVERYWHERE, finding.id, "confirmed_correct", "Seen the card")
    old_fingerprint = finding.fingerprint
    bad.birth_year = 1986  # still inconsistent, but not what the officer confirmed
    db.flush()
    again = run(db)
    db.refresh(finding)
    assert again.findings_reopened == 1
    assert finding.status == "open"
    assert finding.resolved_by is None and finding.resolution_note is None
    assert finding.fingerprint != old_fingerprint
    assert "1986" in finding.detail


def test_open_finding_no_longer_detected_is_closed_by_the_system(db: Session) -> None:
    bad = make_citizen(db, sex="F", birth_year=1985, personal_id=personal_id_for("M", 1985))
    first = run(db)
    finding = findings(db, "id_inconsistent")[bad.personal_id]
    bad.sex = "M"  # fixed elsewhere (e.g. on the citizen's page)
    db.flush()
    second = run(db)
    db.refresh(finding)
    assert finding.status == "corrected"
    assert finding.resolved_by == SYSTEM_RESOLVER
    assert finding.resolved_at is not None
    assert finding.last_run_id == first.id
    assert next(r for r in second.rules if r.rule == "id_inconsistent").closed == 1
    # A later run finding it again (data broken again, differently) reopens it.
    bad.birth_year = 1990
    db.flush()
    third = run(db)
    db.refresh(finding)
    assert finding.status == "open" and third.findings_reopened == 1


def test_run_is_audited_and_scoped_to_the_province(db: Session) -> None:
    make_citizen(
        db,
        sex="F",
        birth_year=1985,
        personal_id=personal_id_for("M", 1985),
        permanent_commune_code="00070",
        current_commune_code="00070",
    )
    result = run(db)
    assert result.findings_seen == 0
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "quality.run"))
    assert entry is not None and f'"run": {result.id}' in entry.detail


def test_open_finding_detail_follows_the_data(db: Session) -> None:
    bad = make_citizen(db, status="deceased", date_of_death=dt.date(2020, 1, 1))
    run(db)
    finding = findings(db, "deceased_resident")[bad.personal_id]
    bad.date_of_death = dt.date(2021, 6, 1)
    db.flush()
    again = run(db)
    db.refresh(finding)
    assert finding.status == "open" and again.findings_reopened == 0
    assert "2021-06-01" in finding.detail
