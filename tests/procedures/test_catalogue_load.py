"""Loading the catalogue: the bundled files, idempotent reloads, immutable published versions,
new versions and the version in force on a day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from oncegov.procedures.catalogue import service
from oncegov.procedures.catalogue.loader import read_catalogue
from oncegov.registry.schemas import CitizenOut
from oncegov.registry.service import PREFILLABLE_FIELDS
from tests.procedures.catalogue_files import minimal, write

BUNDLED = {"1.004194", "1.004222", "1.001193", "1.000656", "LT.KS-TT-BHYT", "2.000488"}


def test_the_bundled_catalogue_is_valid() -> None:
    catalogue = read_catalogue()
    assert [str(p) for p in catalogue.problems] == []
    assert {loaded.procedure.code for loaded in catalogue.procedures} == BUNDLED


def test_every_prefillable_field_is_a_field_the_registry_returns() -> None:
    assert set(PREFILLABLE_FIELDS) <= set(CitizenOut.model_fields)


def test_temporary_residence_takes_what_the_registry_knows() -> None:
    by_code = {loaded.procedure.code: loaded.procedure for loaded in read_catalogue().procedures}
    procedure = by_code["1.004194"]
    sources = {f.key: f.source for f in procedure.form}
    assert sources["full_name"] == "registry:full_name"
    assert sources["date_of_birth"] == "registry:date_of_birth"
    assert sources["personal_id"] == "registry:personal_id"
    assert sources["permanent_address"] == "registry:permanent_address"
    replaced = [d for d in procedure.documents if d.replaced_by is not None]
    assert replaced and all(not d.required for d in replaced)
    assert any("Cơ sở dữ liệu quốc gia về dân cư" in d.replaced_by.text.vi for d in replaced)  # type: ignore[union-attr]
    assert procedure.statutory_time.unit == "working_days" and procedure.statutory_time.amount == 3


def test_loading_is_idempotent(db: Session) -> None:
    first = service.load_catalogue(db)
    assert first.ok, [str(p) for p in first.problems]
    assert {code for code, _ in first.added} == BUNDLED and first.unchanged == []
    again = service.load_catalogue(db)
    assert again.ok and again.added == [] and {c for c, _ in again.unchanged} == BUNDLED


def test_a_published_version_is_immutable(db: Session, tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", minimal())
    assert service.load_catalogue(db, tmp_path).added == [("9.999999", 1)]
    write(tmp_path, "p.yaml", minimal(name={"vi": "Tên khác", "en": "Another name"}))
    report = service.load_catalogue(db, tmp_path)
    assert report.added == [] and report.unchanged == []
    assert [str(p) for p in report.problems] == [
        "p.yaml: 9.999999: version: version 1 is already published with other content; a "
        "published version is immutable: publish version 2 with its own effective_from"
    ]
    stored = service.procedure_version(db, "9.999999", 1)
    assert stored.definition.name.vi == "Đăng ký thử nghiệm"


def test_a_new_version_is_added_and_each_day_reads_its_own(db: Session, tmp_path: Path) -> None:
    write(tmp_path, "v1.yaml", minimal())
    service.load_catalogue(db, tmp_path)
    later = minimal(version=2, effective_from="2026-07-01")
    later["statutory_time"] = {"unit": "working_days", "amount": 5}
    later["workflow"]["steps"][1]["share"] = 4
    write(tmp_path, "v2.yaml", later)
    report = service.load_catalogue(db, tmp_path)
    assert report.added == [("9.999999", 2)] and report.unchanged == [("9.999999", 1)]

    assert service.procedure_as_of(db, "9.999999", dt.date(2025, 12, 31)) is None
    june = service.procedure_as_of(db, "9.999999", dt.date(2026, 6, 30))
    july = service.procedure_as_of(db, "9.999999", dt.date(2026, 7, 1))
    assert june is not None and june.version == 1
    assert july is not None and july.version == 2
    assert july.definition.statutory_time.amount == 5
    # A dossier submitted under version 1 reads it back whatever the day.
    assert service.procedure_version(db, "9.999999", 1).definition.statutory_time.amount == 3


def test_a_later_version_must_take_effect_later(db: Session, tmp_path: Path) -> None:
    write(tmp_path, "v1.yaml", minimal(effective_from="2026-07-01"))
    service.load_catalogue(db, tmp_path)
    (tmp_path / "v1.yaml").unlink()
    write(tmp_path, "v2.yaml", minimal(version=2, effective_from="2026-03-01"))
    report = service.load_catalogue(db, tmp_path)
    assert [str(p) for p in report.problems] == [
        "v2.yaml: 9.999999: effective_from: version 2 takes effect on 2026-03-01; published "
        "version 1 takes effect on 2026-07-01: later versions must take effect later"
    ]


def test_valid_procedures_load_beside_a_broken_file(db: Session, tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", minimal())
    write(tmp_path, "bad.yaml", minimal(code="9.999998", field="taxes"))
    report = service.load_catalogue(db, tmp_path)
    assert report.added == [("9.999999", 1)]
    assert len(report.problems) == 1 and report.problems[0].file == "bad.yaml"
    assert not report.ok


def test_search_is_accent_insensitive_and_filters(db: Session) -> None:
    service.load_catalogue(db)
    day = dt.date(2026, 1, 1)

    def codes(**options: str) -> list[str]:
        return [s.code for s in service.catalogue(db, day=day, **options)]  # type: ignore[arg-type]

    assert codes(query="dang ky tam tru") == ["1.004194"]
    assert codes(query="ĐĂNG KÝ TẠM TRÚ") == ["1.004194"]
    assert codes(query="Temporary residence") == ["1.004194"]
    # Temporary residence's summary speaks of the permanent residence too.
    assert set(codes(query="thuong tru")) == {"1.004194", "1.004222", "LT.KS-TT-BHYT"}
    assert codes(query="dang ky") == [  # by folded name
        "1.001193",  # Đăng ký khai sinh
        "1.000656",  # Đăng ký khai tử
        "1.004194",  # Đăng ký tạm trú
        "1.004222",  # Đăng ký thường trú
        "LT.KS-TT-BHYT",  # Liên thông đăng ký khai sinh, …
    ]
    assert codes(field="judicial_records") == ["2.000488"]
    assert codes(level="province") == ["2.000488"]
    assert set(codes(field="civil_status", level="commune")) == {
        "1.001193",
        "1.000656",
        "LT.KS-TT-BHYT",
    }
    assert codes(query="100%_") == []
    # Before the catalogue's versions take effect, nothing is in force.
    assert service.catalogue(db, day=dt.date(2025, 1, 1)) == []


def test_every_bundled_workflow_builds_in_the_one_workflow_engine() -> None:
    """The dossiers will move through ``kit.workflow``: each bundled procedure's workflow is a
    valid engine definition whose moves are the file's transitions, fired by their roles."""
    from oncegov.kit.workflow import Workflow
    from oncegov.procedures.catalogue.loader import engine_definition

    procedures = [loaded.procedure for loaded in read_catalogue().procedures]
    assert procedures
    for procedure in procedures:
        engine = Workflow.from_data(engine_definition(procedure))
        flow = procedure.workflow
        assert engine.is_final(flow.final[0])
        first = next(m for m in flow.transitions if m.from_ == flow.initial)
        reason = "r" if first.reason_required else None
        move = engine.transition(
            flow.initial, f"{first.from_}->{first.to}", role=first.role, reason=reason
        )
        assert move.target == first.to


def test_procedure_names_are_read_without_the_definitions(db: Session) -> None:
    assert service.load_catalogue(db).ok
    stored = service.procedure_version(db, "1.004194", 1)
    names = service.procedure_names(db, [("1.004194", 1), ("1.004194", 9), ("nope", 1)])
    assert names == {("1.004194", 1): stored.definition.name}
    assert names[("1.004194", 1)].get("en") == "Temporary residence registration"
    assert service.procedure_names(db, []) == {}
