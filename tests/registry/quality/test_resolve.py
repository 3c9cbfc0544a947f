"""Resolving findings: corrections write new citizen versions; scoping; refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.registry.models import RegistryChange
from oncegov.registry.quality import service
from oncegov.registry.quality.schemas import FindingFilters
from oncegov.units.schemas import UnitScope
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen, personal_id_for
from tests.registry.quality.helpers import ACTOR, EVERYWHERE, findings, run

COMMUNE_A_ONLY = UnitScope(frozenset({COMMUNE_A}))


def _inconsistent(db: Session, **values: object) -> tuple[str, int]:
    citizen = make_citizen(
        db, sex="F", birth_year=1985, personal_id=personal_id_for("M", 1985), **values
    )
    run(db)
    return citizen.personal_id, findings(db, "id_inconsistent")[citizen.personal_id].id


def test_corrected_writes_a_new_citizen_version(db: Session) -> None:
    personal_id, finding_id = _inconsistent(db)
    out = service.resolve(
        db,
        ACTOR,
        EVERYWHERE,
        finding_id,
        "corrected",
        "Sex was mistyped at import",
        corrections={personal_id: {"sex": "M"}},
        reason="Sex corrected from the birth certificate",
        legal_reference="GKS 12/2026",
    )
    assert out.status == "corrected" and out.resolved_by == ACTOR.label
    change = db.scalar(
        select(RegistryChange).where(
            RegistryChange.entity_key == personal_id, RegistryChange.version == 2
        )
    )
    assert change is not None
    assert change.changes == {"sex": ["F", "M"]}
    assert (change.source, change.legal_reference) == ("quality", "GKS 12/2026")
    assert change.reason == "Sex corrected from the birth certificate"
    again = run(db)
    assert next(r for r in again.rules if r.rule == "id_inconsistent").seen == 0
    assert service.get_finding(db, EVERYWHERE, finding_id).status == "corrected"
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "quality.resolve"))


def test_corrected_needs_a_change_of_a_concerned_citizen(db: Session) -> None:
    _, finding_id = _inconsistent(db)
    stranger = make_citizen(db)
    with pytest.raises(ValidationFailed) as no_change:
        service.resolve(db, ACTOR, EVERYWHERE, finding_id, "corrected", "done")
    assert no_change.value.field == "corrections"
    with pytest.raises(ValidationFailed) as not_concerned:
        service.resolve(
            db,
            ACTOR,
            EVERYWHERE,
            finding_id,
            "corrected",
            "done",
            corrections={stranger.personal_id: {"full_name": "Someone Else"}},
        )
    assert not_concerned.value.field == "corrections"
    assert service.get_finding(db, EVERYWHERE, finding_id).status == "open"


def test_failed_correction_changes_nothing(db: Session) -> None:
    first = make_citizen(db, full_name="Hà Văn Tâm", old_id_number="085123456")
    second = make_citizen(db, full_name="Hà Thị Thu", old_id_number="085123456")
    run(db)
    (finding,) = findings(db, "probable_duplicate").values()
    with pytest.raises(ValidationFailed) as bad_value:
        service.resolve(
            db,
            ACTOR,
            EVERYWHERE,
            finding.id,
            "corrected",
            "old ID mistyped",
            corrections={
                first.personal_id: {"old_id_number": "085123457"},
                second.personal_id: {"sex": "X"},
            },
        )
    assert bad_value.value.field == "sex"
    db.refresh(first)
    assert first.old_id_number == "085123456" and first.version == 1
    assert service.get_finding(db, EVERYWHERE, finding.id).status == "open"


def test_notes_resolutions_and_double_resolution(db: Session) -> None:
    _, finding_id = _inconsistent(db)
    with pytest.raises(ValidationFailed) as no_note:
        service.resolve(db, ACTOR, EVERYWHERE, finding_id, "false_positive", "  ")
    assert no_note.value.field == "note"
    with pytest.raises(ValidationFailed) as unknown:
        service.resolve(db, ACTOR, EVERYWHERE, finding_id, "ignored", "note")
    assert unknown.value.field == "resolution"
    service.resolve(db, ACTOR, EVERYWHERE, finding_id, "false_positive", "Known case")
    with pytest.raises(Conflict):
        service.resolve(db, ACTOR, EVERYWHERE, finding_id, "confirmed_correct", "again")


def test_commune_scope_hides_other_communes(db: Session) -> None:
    _, own = _inconsistent(db)
    other_id = make_citizen(
        db,
        sex="F",
        birth_year=1990,
        personal_id=personal_id_for("M", 1990),
        permanent_commune_code=COMMUNE_B,
        current_commune_code=COMMUNE_B,
    ).personal_id
    run(db)
    other = findings(db, "id_inconsistent")[other_id].id
    page = service.list_findings(db, COMMUNE_A_ONLY, FindingFilters(rule="id_inconsistent"))
    assert [f.id for f in page.items] == [own]
    with pytest.raises(NotFound):
        service.get_finding(db, COMMUNE_A_ONLY, other)
    with pytest.raises(NotFound):
        service.resolve(db, ACTOR, COMMUNE_A_ONLY, other, "false_positive", "not mine")
    summary = service.summary(db, COMMUNE_A_ONLY)
    assert [c.commune_code for c in summary.communes] == [COMMUNE_A]
    assert summary.open_by_rule["id_inconsistent"] == 1


def test_finding_detail_reads_citizens_through_the_audited_registry(db: Session) -> None:
    personal_id, finding_id = _inconsistent(db, date_of_death=None)
    detail = service.finding_detail(db, ACTOR, EVERYWHERE, finding_id)
    assert [c.personal_id for c in detail.citizens] == [personal_id]
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "registry.read", AuditEntry.subject_personal_id == personal_id
        )
    )
    assert entry is not None and entry.purpose == f"Data-quality review of finding #{finding_id}"


def test_filters_are_checked(db: Session) -> None:
    with pytest.raises(ValidationFailed) as bad_rule:
        service.list_findings(db, EVERYWHERE, FindingFilters(rule="nope"))
    assert bad_rule.value.field == "rule"
    with pytest.raises(ValidationFailed):
        service.list_findings(db, EVERYWHERE, FindingFilters(status="closed"))


def test_deceased_date_survives_as_text_in_corrections(db: Session) -> None:
    dead = make_citizen(db, status="deceased", date_of_death=dt.date(2020, 1, 1))
    run(db)
    finding = findings(db, "deceased_resident")[dead.personal_id]
    service.resolve(
        db,
        ACTOR,
        EVERYWHERE,
        finding.id,
        "corrected",
        "moved out of residence",
        corrections={dead.personal_id: {"current_commune_code": "", "current_address": ""}},
        reason="Death registered",
    )
    db.refresh(dead)
    assert dead.current_commune_code is None and dead.version == 2
