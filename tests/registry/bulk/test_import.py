"""The citizen import service: validation report, all-or-nothing, --accept-valid, idempotency,
versions, households, and the same outcome whether rows are checked in-process or in a child."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.errors import ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.registry.bulk import service as bulk
from oncegov.registry.bulk.checks import DATA_COLUMNS
from oncegov.registry.bulk.models import ImportRun
from oncegov.registry.bulk.schemas import ImportMode, ImportResult, ImportStatus
from oncegov.registry.models import Household, RegistryChange
from oncegov.registry.schemas import CITIZEN_COLUMNS
from oncegov.registry.validation import CitizenValidator
from tests.fixtures import COMMUNE_A, COMMUNE_B, make_citizen, make_household
from tests.registry.bulk.rows import citizen, counts, person, versions, write_csv

ACTOR = Actor.system("test-import")
REASON = "Initial load from the commune's paper registers"


def run_import(db: Session, source: Path | list[dict[str, str]], **options: object) -> ImportResult:
    options.setdefault("reason", REASON)
    return bulk.import_citizens(db, ACTOR, source, **options)  # type: ignore[arg-type]


def faults(result: ImportResult) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.field, e.value, e.code) for e in result.errors]


def test_validator_fills_exactly_the_stored_columns() -> None:
    clean, errors = CitizenValidator(frozenset({COMMUNE_A})).validate(person())
    assert errors == []
    assert set(clean) == set(DATA_COLUMNS)


def test_new_citizens_get_version_one_an_import_run_and_one_audit_entry(
    db: Session, tmp_path: Path
) -> None:
    rows = [person(), person("F", "1990-02"), person(birth="1950", status="deceased")]
    rows[2]["date_of_death"] = "2020-04-01"
    path = write_csv(tmp_path / "citizens.csv", rows)
    before = counts(db)

    result = run_import(db, path)

    assert result.status is ImportStatus.LOADED
    assert (result.rows_total, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    stored = citizen(db, rows[1]["personal_id"])
    assert stored is not None
    assert (stored.birth_year, stored.birth_month, stored.birth_day) == (1990, 2, None)
    assert stored.folded_name == "hoang thi anh"
    for row in rows:
        (first,) = versions(db, row["personal_id"])
        assert (first.version, first.source, first.reason, first.changes) == (
            1,
            "import",
            REASON,
            {},
        )
    after = counts(db)
    assert after["citizens"] == before["citizens"] + 3
    assert after["import_runs"] == before["import_runs"] + 1
    assert after["audit_entries"] == before["audit_entries"] + 1  # one entry, not one per row
    run = db.get(ImportRun, result.run_id)
    assert run is not None
    assert run.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (run.status, run.mode, run.rows_total, run.rows_created) == (
        "loaded",
        "all_or_nothing",
        3,
        3,
    )
    entry = db.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry is not None and entry.action == "registry.import"
    assert entry.purpose == REASON
    assert json.loads(entry.detail)["created"] == 3


def bad_file_rows() -> tuple[list[dict[str, str]], dict[str, str]]:
    """Six rows, five of them faulty in different ways (rows 3-7); row 2 is valid."""
    good = person(household_code="HK-BAD-1", relationship_to_head="head", old_id_number="111222333")
    wrong_year = person(birth="1985-05-17")
    wrong_year["date_of_birth"] = "1986-05-17"  # the ID number says 1985
    unknown_commune = person(permanent_commune_code="99999")
    bad_date = person(birth="1985-05-17")
    bad_date["date_of_birth"] = "1985-13-01"
    duplicate = person(personal_id=good["personal_id"], full_name="Bế Văn Tám")
    clash = person(old_id_number="111222333", full_name="")  # also: full name missing
    return [good, wrong_year, unknown_commune, bad_date, duplicate, clash], good


EXPECTED_BAD_FILE_FAULTS = [
    (3, "personal_id", "birth_year_mismatch"),
    (4, "permanent_commune_code", "unknown_commune"),
    (5, "date_of_birth", "invalid_date"),
    (6, "personal_id", "duplicate_in_file"),
    (7, "full_name", "required"),
    (7, "old_id_number", "old_id_in_file"),
]


def test_a_bad_file_is_reported_precisely_and_writes_nothing(db: Session, tmp_path: Path) -> None:
    rows, good = bad_file_rows()
    path = write_csv(tmp_path / "bad.csv", rows)
    before = counts(db)

    result = run_import(db, path)

    assert result.status is ImportStatus.REJECTED
    assert [(e.row, e.field, e.code) for e in result.errors] == EXPECTED_BAD_FILE_FAULTS
    by_code = {e.code: e for e in result.errors}
    assert by_code["birth_year_mismatch"].value == rows[1]["personal_id"]
    assert "1985" in by_code["birth_year_mismatch"].reason
    assert by_code["unknown_commune"].value == "99999"
    assert by_code["invalid_date"].value == "1985-13-01"
    assert by_code["duplicate_in_file"].reason.endswith("(first in row 2)")
    assert by_code["old_id_in_file"].value == "111222333"
    assert f"{good['personal_id']} in row 2" in by_code["old_id_in_file"].reason
    assert by_code["required"].personal_id == rows[5]["personal_id"]
    assert (result.rows_total, result.rejected, result.created) == (6, 5, 0)
    assert counts(db) == before  # not even the valid row, its version or its household
    assert citizen(db, good["personal_id"]) is None


def test_accept_valid_loads_only_the_valid_rows(db: Session, tmp_path: Path) -> None:
    rows, good = bad_file_rows()
    path = write_csv(tmp_path / "bad.csv", rows)
    before = counts(db)

    result = run_import(db, path, mode=ImportMode.ACCEPT_VALID)

    assert result.status is ImportStatus.PARTIAL
    assert [(e.row, e.field, e.code) for e in result.errors] == EXPECTED_BAD_FILE_FAULTS
    assert (result.created, result.rejected, result.households_created) == (1, 5, 1)
    after = counts(db)
    assert after["citizens"] == before["citizens"] + 1
    assert after["households"] == before["households"] + 1
    assert after["registry_changes"] == before["registry_changes"] + 2  # citizen + household v1
    stored = citizen(db, good["personal_id"])
    assert stored is not None and stored.full_name == good["full_name"]  # the first occurrence
    for row in rows[1:4] + rows[5:]:
        assert citizen(db, row["personal_id"]) is None
    run = db.get(ImportRun, result.run_id)
    assert run is not None and (run.status, run.mode, run.rows_rejected) == (
        "partial",
        "accept_valid",
        5,
    )


def test_reimporting_the_same_file_changes_nothing(db: Session, tmp_path: Path) -> None:
    rows = [person(household_code="HK-IDEM", relationship_to_head="head"), person("F")]
    path = write_csv(tmp_path / "citizens.csv", rows)
    run_import(db, path)
    before = counts(db)

    again = run_import(db, path)

    assert again.status is ImportStatus.LOADED
    assert (again.created, again.updated, again.unchanged, again.households_created) == (
        0,
        0,
        2,
        0,
    )
    after = counts(db)
    assert after["registry_changes"] == before["registry_changes"]
    assert after["citizens"] == before["citizens"]
    assert after["import_runs"] == before["import_runs"] + 1  # the attempt itself is recorded
    assert [v.version for v in versions(db, rows[0]["personal_id"])] == [1]


def test_a_changed_row_becomes_exactly_one_new_version(db: Session, tmp_path: Path) -> None:
    rows = [person(), person("F")]
    run_import(db, write_csv(tmp_path / "v1.csv", rows))
    changed = dict(rows[0], full_name="Nông Văn Dũng Anh", permanent_address="Tổ 9")
    path = write_csv(tmp_path / "v2.csv", [changed, rows[1]])

    result = run_import(
        db, path, reason="Correction after verification", legal_reference="QĐ 12/2026"
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    history = versions(db, rows[0]["personal_id"])
    assert [v.version for v in history] == [1, 2]
    latest = history[1]
    assert (latest.source, latest.reason, latest.legal_reference, latest.actor) == (
        "import",
        "Correction after verification",
        "QĐ 12/2026",
        ACTOR.label,
    )
    assert latest.changes == {
        "full_name": ["Nông Văn Dũng", "Nông Văn Dũng Anh"],
        "folded_name": ["nong van dung", "nong van dung anh"],
        "name_key": ["dung nong van", "anh dung nong van"],
        "permanent_address": ["Tổ 3, phường Thục Phán", "Tổ 9"],
    }
    stored = citizen(db, rows[0]["personal_id"])
    assert stored is not None
    assert (stored.version, stored.full_name, stored.permanent_address) == (
        2,
        "Nông Văn Dũng Anh",
        "Tổ 9",
    )
    assert [v.version for v in versions(db, rows[1]["personal_id"])] == [1]


def test_an_update_of_a_citizen_created_elsewhere_continues_its_versions(
    db: Session, tmp_path: Path
) -> None:
    existing = make_citizen(db, sex="F", birth_year=1970)
    row = person(
        "F",
        "1970-05-17",
        personal_id=existing.personal_id,
        full_name=existing.full_name,
        ethnicity_code="07",
        permanent_address="Tổ 3",
        current_address="Tổ 3",
    )

    result = run_import(db, write_csv(tmp_path / "f.csv", [row]))

    assert result.updated == 1
    assert [v.version for v in versions(db, existing.personal_id)] == [1, 2]
    assert versions(db, existing.personal_id)[1].changes == {"ethnicity_code": ["02", "07"]}


def test_the_same_personal_id_twice_reports_every_later_row(db: Session, tmp_path: Path) -> None:
    first = person()
    rows = [first, dict(first, full_name="Bế Văn Tám"), person(), dict(first, phone="0912345678")]
    result = run_import(db, write_csv(tmp_path / "dup.csv", rows))
    assert result.status is ImportStatus.REJECTED
    assert faults(result) == [
        (3, "personal_id", first["personal_id"], "duplicate_in_file"),
        (5, "personal_id", first["personal_id"], "duplicate_in_file"),
    ]
    assert all(e.reason.endswith("(first in row 2)") for e in result.errors)


def test_an_old_id_number_held_by_another_registry_citizen_is_refused(
    db: Session, tmp_path: Path
) -> None:
    holder = make_citizen(db, old_id_number="123456789")
    newcomer = person(old_id_number="123456789")
    other = person("F")
    path = write_csv(tmp_path / "clash.csv", [other, newcomer])
    before = counts(db)

    result = run_import(db, path)

    assert result.status is ImportStatus.REJECTED
    assert faults(result) == [(3, "old_id_number", "123456789", "old_id_in_use")]
    assert holder.personal_id in result.errors[0].reason
    assert counts(db) == before

    # --accept-valid: known only at the end of the file, so the pass is redone without it.
    partial = run_import(db, path, mode=ImportMode.ACCEPT_VALID)
    assert partial.status is ImportStatus.PARTIAL
    assert faults(partial) == [(3, "old_id_number", "123456789", "old_id_in_use")]
    assert partial.created == 1
    assert citizen(db, other["personal_id"]) is not None
    assert citizen(db, newcomer["personal_id"]) is None
    assert counts(db)["registry_changes"] == before["registry_changes"] + 1


def test_an_old_id_number_given_up_by_its_holder_in_the_same_file_moves(
    db: Session, tmp_path: Path
) -> None:
    holder = make_citizen(db, sex="M", birth_year=1985, old_id_number="123456789")
    # The newcomer comes first; the holder's own row, further down, gives the number up.
    newcomer = person(old_id_number="123456789")
    holder_row = person(
        personal_id=holder.personal_id,
        old_id_number="987654321",
        permanent_address="Tổ 3",
        current_address="Tổ 3",
    )

    result = run_import(db, write_csv(tmp_path / "swap.csv", [newcomer, holder_row]))

    assert result.status is ImportStatus.LOADED, result.errors
    assert (result.created, result.updated) == (1, 1)
    moved = citizen(db, newcomer["personal_id"])
    assert moved is not None and moved.old_id_number == "123456789"
    db.refresh(holder)
    assert holder.old_id_number == "987654321"


def test_a_missing_or_unknown_header_column_rejects_the_file(db: Session, tmp_path: Path) -> None:
    header = [c for c in CITIZEN_COLUMNS if c != "email"] + ["nickname"]
    path = write_csv(tmp_path / "header.csv", [person()], header=header)
    before = counts(db)

    result = run_import(db, path, mode=ImportMode.ACCEPT_VALID)

    assert result.status is ImportStatus.REJECTED
    assert faults(result) == [
        (1, "nickname", "nickname", "unknown_column"),
        (1, "email", "", "missing_column"),
    ]
    assert counts(db) == before


def test_households_are_founded_from_their_members(db: Session, tmp_path: Path) -> None:
    make_household(db, "HK-OLD", commune=COMMUNE_B, head=None)
    child = person(
        birth="2010-01-01", household_code="HK-NEW", relationship_to_head="child"
    )  # listed before the head
    head = person(
        "F",
        "1980-03-03",
        household_code="HK-NEW",
        relationship_to_head="head",
        permanent_commune_code=COMMUNE_B,
        permanent_address="Số 5 Hoàng Đình Giong",
    )
    lodger_without_commune = person(
        household_code="HK-HEADLESS", relationship_to_head="other", permanent_commune_code=""
    )
    lodger = person(
        "F", household_code="HK-HEADLESS", relationship_to_head="other", permanent_address="Tổ 7"
    )
    joining = person(household_code="HK-OLD", relationship_to_head="spouse")
    rows = [child, head, lodger_without_commune, lodger, joining]

    result = run_import(db, write_csv(tmp_path / "households.csv", rows))

    assert result.status is ImportStatus.LOADED, result.errors
    assert result.households_created == 2
    founded = db.scalar(select(Household).where(Household.code == "HK-NEW"))
    assert founded is not None
    assert (founded.commune_code, founded.address, founded.head_personal_id) == (
        COMMUNE_B,
        "Số 5 Hoàng Đình Giong",
        head["personal_id"],
    )
    headless = db.scalar(select(Household).where(Household.code == "HK-HEADLESS"))
    assert headless is not None
    assert (headless.commune_code, headless.address, headless.head_personal_id) == (
        COMMUNE_A,
        "Tổ 7",
        None,
    )
    old = db.scalar(select(Household).where(Household.code == "HK-OLD"))
    assert old is not None and (old.commune_code, old.version) == (COMMUNE_B, 1)
    household_versions = db.scalars(
        select(RegistryChange).where(RegistryChange.entity == "household")
    ).all()
    assert sorted((v.entity_key, v.version, v.source) for v in household_versions) == [
        ("HK-HEADLESS", 1, "import"),
        ("HK-NEW", 1, "import"),
    ]
    for row in rows:
        stored = citizen(db, row["personal_id"])
        assert stored is not None and stored.household_code == row["household_code"]


def test_a_household_no_member_can_found_is_reported_on_every_member(
    db: Session, tmp_path: Path
) -> None:
    members = [
        person(household_code="HK-NOWHERE", relationship_to_head="head", permanent_commune_code=""),
        person(
            "F",
            household_code="HK-NOWHERE",
            permanent_commune_code="",
            relationship_to_head="spouse",
        ),
    ]
    alone = person()
    result = run_import(
        db, write_csv(tmp_path / "nowhere.csv", [*members, alone]), mode=ImportMode.ACCEPT_VALID
    )
    assert result.status is ImportStatus.PARTIAL
    assert faults(result) == [
        (2, "household_code", "HK-NOWHERE", "no_household"),
        (3, "household_code", "HK-NOWHERE", "no_household"),
    ]
    assert result.created == 1
    assert db.scalar(select(Household).where(Household.code == "HK-NOWHERE")) is None


def test_a_second_head_of_one_household_is_a_fault(db: Session, tmp_path: Path) -> None:
    rows = [
        person(household_code="HK-TWO", relationship_to_head="head"),
        person("F", household_code="HK-TWO", relationship_to_head="head"),
    ]
    result = run_import(db, write_csv(tmp_path / "heads.csv", rows))
    assert faults(result) == [(3, "relationship_to_head", "head", "second_head")]


def test_checking_in_a_child_process_gives_the_same_outcome(db: Session, tmp_path: Path) -> None:
    rows, _ = bad_file_rows()
    path = write_csv(tmp_path / "bad.csv", rows)
    in_process = run_import(db, path, mode=ImportMode.ACCEPT_VALID, parallel=False)
    nested = db.begin_nested()
    in_child = run_import(db, path, mode=ImportMode.ACCEPT_VALID, parallel=True)
    nested.rollback()
    assert in_child.errors == in_process.errors
    # The second run saw the first's rows: the valid one is unchanged, not created again.
    assert (in_child.created, in_child.unchanged, in_child.rejected) == (0, 1, 5)


def test_rows_in_memory_import_like_a_file(db: Session) -> None:
    rows = [person(), person("F")]
    result = run_import(db, rows)
    assert (result.status, result.created, result.file_name) == (
        ImportStatus.LOADED,
        2,
        "<rows>",
    )


def test_a_reason_is_required_and_a_file_must_be_readable(db: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ok.csv", [person()])
    with pytest.raises(ValidationFailed) as no_reason:
        run_import(db, path, reason="  ")
    assert no_reason.value.field == "reason"
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(path.read_bytes().replace("Nông".encode(), "Nông".encode("latin-1")))
    with pytest.raises(ValidationFailed) as unreadable:
        run_import(db, latin1)
    assert (unreadable.value.field, unreadable.value.code) == ("file", "unreadable")
    with pytest.raises(ValidationFailed) as wrong_kind:
        run_import(db, tmp_path / "citizens.xlsx")
    assert wrong_kind.value.field == "file"


def test_a_row_with_too_many_values_is_reported(db: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ragged.csv", [person()])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("a,b,c\n")
    result = run_import(db, path)
    assert faults(result) == [(3, "", "", "wrong_field_count")]


def test_a_file_that_is_not_parquet_is_refused(db: Session, tmp_path: Path) -> None:
    fake = tmp_path / "citizens.parquet"
    fake.write_text("personal_id,full_name\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        run_import(db, fake)
    assert (refused.value.field, refused.value.code) == ("file", "unreadable")


def test_a_parquet_file_with_typed_columns_is_read_as_text(db: Session, tmp_path: Path) -> None:
    row = person(birth="1985-05-17", status="deceased", date_of_death="2020-01-02")
    columns: dict[str, list[object]] = {c: [row[c] or None] for c in CITIZEN_COLUMNS}
    columns["date_of_death"] = [dt.date(2020, 1, 2)]  # a real date column, not text
    columns["ethnicity_code"] = [2]  # an integer column: read as "2", padded to "02"
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.table(columns), path)

    result = run_import(db, path)

    assert result.status is ImportStatus.LOADED, result.errors
    stored = citizen(db, row["personal_id"])
    assert stored is not None
    assert (stored.date_of_death, stored.ethnicity_code) == (dt.date(2020, 1, 2), "02")


def test_a_file_unreadable_past_its_header_is_refused_in_a_child_too(
    db: Session, tmp_path: Path
) -> None:
    rows = [person() for _ in range(2000)]  # past the first read buffer, so the header is fine
    path = write_csv(tmp_path / "late.csv", rows)
    path.write_bytes(path.read_bytes() + "Nông".encode("latin-1") + b"\n")
    before = counts(db)
    for parallel in (False, True):
        with pytest.raises(ValidationFailed) as refused:
            run_import(db, path, parallel=parallel)
        assert (refused.value.field, refused.value.code) == ("file", "unreadable")
        assert "after row" in refused.value.message
    assert counts(db) == before
