"""Export, and the round trip: export → import into an empty registry → export gives the same
file, in CSV and in Parquet."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.errors import ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.registry.bulk import service as bulk
from oncegov.registry.bulk.schemas import ImportStatus
from oncegov.registry.schemas import CITIZEN_COLUMNS
from oncegov.units.schemas import UnitScope
from tests.fixtures import COMMUNE_A, COMMUNE_B
from tests.registry.bulk.rows import counts, person, write_csv

ACTOR = Actor.system("test-export")
PURPOSE = "Hand-over to the provincial statistics office"


def varied_rows() -> list[dict[str, str]]:
    """Citizens exercising every kind of value: partial dates, accents, quotes, commas, line
    breaks, empty optional fields, relatives, the deceased, households."""
    head = person(
        "M",
        "1950",
        full_name="Đàm Văn Thạch",
        old_id_number="080123456",
        household_code="HK-RT-1",
        relationship_to_head="head",
        hometown='Xã "Đức Long", Hòa An',
        phone="0912345678",
        email="thach@example.vn",
        status="deceased",
        date_of_death="2021-12-31",
        religion="buddhism",
    )
    wife = person(
        "F",
        "1952-07",
        full_name="Nông Thị Ánh",
        household_code="HK-RT-1",
        relationship_to_head="spouse",
        spouse_personal_id=head["personal_id"],
        permanent_address='Số 12, ngõ 4, "Tổ 3"',
        temporary_commune_code=COMMUNE_B,
        temporary_address="Tổ 1, phường Nùng Trí Cao",
        ethnicity_code="07",
    )
    child = person(
        "M",
        "2005-02-28",
        full_name="Đàm Quang Hùng",
        household_code="HK-RT-1",
        relationship_to_head="child",
        father_personal_id=head["personal_id"],
        mother_personal_id=wife["personal_id"],
        birth_registration_commune_code=COMMUNE_A,
        nationality="VN",
    )
    loner = person("F", "1999-12-31", full_name="Lý Thị Mai", current_commune_code="")
    return [head, wife, child, loner]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def export(db: Session, path: Path) -> Path:
    bulk.export_citizens(db, ACTOR, path, purpose=PURPOSE)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_then_import_into_an_empty_registry_then_export_is_identical(
    db: Session, tmp_path: Path, suffix: str
) -> None:
    source = write_csv(tmp_path / "source.csv", varied_rows())
    empty = db.begin_nested()
    assert bulk.import_citizens(db, ACTOR, source, reason="seed").status is ImportStatus.LOADED
    first = export(db, tmp_path / f"first{suffix}")
    empty.rollback()  # the registry is empty again
    assert counts(db)["citizens"] == 0

    again = bulk.import_citizens(db, ACTOR, first, reason="restore")

    assert (again.status, again.created, again.households_created) == (ImportStatus.LOADED, 4, 1)
    second = export(db, tmp_path / f"second{suffix}")
    assert second.read_bytes() == first.read_bytes()
    if suffix == ".parquet":
        table = pq.read_table(second)
        assert table.column_names == list(CITIZEN_COLUMNS)
        assert {str(field.type) for field in table.schema} == {"string"}


def test_the_export_holds_the_registry_values_as_text(db: Session, tmp_path: Path) -> None:
    rows = varied_rows()
    bulk.import_citizens(db, ACTOR, write_csv(tmp_path / "source.csv", rows), reason="seed")

    exported = read_csv(export(db, tmp_path / "out.csv"))

    assert exported[0] == list(CITIZEN_COLUMNS)
    expected = sorted(([row[c] for c in CITIZEN_COLUMNS] for row in rows), key=lambda r: r[0])
    assert exported[1:] == expected  # in personal-ID order, values exactly as given
    parquet = pq.read_table(export(db, tmp_path / "out.parquet")).to_pylist()
    assert [[r[c] or "" for c in CITIZEN_COLUMNS] for r in parquet] == expected
    assert parquet[3]["email"] is None  # an empty value is a null in Parquet


def test_an_export_is_one_audit_entry_and_needs_a_purpose(db: Session, tmp_path: Path) -> None:
    bulk.import_citizens(db, ACTOR, write_csv(tmp_path / "s.csv", varied_rows()), reason="seed")
    before = counts(db)["audit_entries"]

    result = bulk.export_citizens(db, ACTOR, tmp_path / "all.csv", purpose=PURPOSE)

    assert result.rows == 4
    assert counts(db)["audit_entries"] == before + 1
    entry = db.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry is not None
    assert (entry.action, entry.purpose, entry.subject_personal_id) == (
        "registry.export",
        PURPOSE,
        None,
    )
    assert json.loads(entry.detail) == {"file": "all.csv", "format": "csv", "rows": 4}
    with pytest.raises(ValidationFailed) as no_purpose:
        bulk.export_citizens(db, ACTOR, tmp_path / "x.csv", purpose=" ")
    assert no_purpose.value.field == "purpose"
    assert not (tmp_path / "x.csv").exists()


def test_an_export_is_limited_to_the_scope(db: Session, tmp_path: Path) -> None:
    rows = [person(), person("F", permanent_commune_code=COMMUNE_B)]
    bulk.import_citizens(db, ACTOR, write_csv(tmp_path / "s.csv", rows), reason="seed")
    path = tmp_path / "commune-b.csv"
    result = bulk.export_citizens(
        db, ACTOR, path, purpose=PURPOSE, scope=UnitScope(frozenset({COMMUNE_B}))
    )
    assert result.rows == 1
    assert [r[0] for r in read_csv(path)[1:]] == [rows[1]["personal_id"]]


def test_an_export_streams_in_batches(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [person() for _ in range(7)]
    bulk.import_citizens(db, ACTOR, write_csv(tmp_path / "s.csv", rows), reason="seed")
    monkeypatch.setattr(bulk, "EXPORT_BATCH", 3)
    seen: list[tuple[int, int | None]] = []

    bulk.export_citizens(
        db,
        ACTOR,
        tmp_path / "b.parquet",
        purpose=PURPOSE,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert seen == [(3, 7), (6, 7), (7, 7)]
    parquet = pq.ParquetFile(tmp_path / "b.parquet")
    assert parquet.metadata.num_row_groups == 3  # one row group per batch
    assert sorted(parquet.read().column("personal_id").to_pylist()) == sorted(
        r["personal_id"] for r in rows
    )
