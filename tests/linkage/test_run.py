"""A linkage run end to end on the test database: rules, model, bands, decisions reused,
one-to-one, storage, audit, and the write-back file."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.audit.service import entries_about
from oncegov.demo.names import KINH, TAY, Name
from oncegov.errors import ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.kit.text import fold
from oncegov.linkage import service
from oncegov.linkage.models import (
    LinkageCandidate,
    LinkageDecision,
    LinkageResult,
    LinkageRun,
    SectorLink,
)
from oncegov.registry.models import Citizen
from oncegov.units import service as units
from tests.fixtures import CAO_BANG, make_citizen

ACTOR = Actor.system("linkage-test")
SOURCE = "social-insurance"
HEADER = "MA_SO_BHXH,HO_TEN,NGAY_SINH,GIOI_TINH,DIA_CHI,SO_CMND,SO_DDCN,DIEN_THOAI\n"


def _pick(table: tuple[Name, ...], rng: random.Random) -> str:
    return table[int(rng.random() * len(table))][0]


def _people(db: Session, count: int, seed: int = 3) -> list[Citizen]:
    """Citizens with realistic, varied names, birth dates and communes."""
    rng = random.Random(seed)
    communes = [c.code for c in units.communes_of_province(db, CAO_BANG)][:6]
    people = []
    for _ in range(count):
        style = TAY if rng.random() < 0.7 else KINH
        sex = rng.choice("MF")
        middle = style.middle_male if sex == "M" else style.middle_female
        given = style.given_male if sex == "M" else style.given_female
        commune = rng.choice(communes)
        people.append(
            make_citizen(
                db,
                full_name=f"{_pick(style.families, rng)} {_pick(middle, rng)} {_pick(given, rng)}",
                sex=sex,
                birth_year=rng.randint(1950, 2010),
                birth_month=rng.randint(1, 12),
                birth_day=rng.randint(1, 28),
                current_commune_code=commune,
                permanent_commune_code=commune,
                phone=f"09{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.5 else None,
            )
        )
    db.flush()
    return people


def _line(
    key: str,
    c: Citizen,
    *,
    name: str | None = None,
    pid: str = "",
    dob: str = "",
    place: str = "Cao Bằng",
    phone: str | None = None,
) -> str:
    born = dob or f"{c.birth_day:02d}/{c.birth_month:02d}/{c.birth_year}"
    sex = "1" if c.sex == "M" else "0"
    number = c.phone or "" if phone is None else phone
    return f'{key},{name or c.full_name},{born},{sex},"{place}",,{pid},{number}\n'


def _address(db: Session, c: Citizen) -> str:
    """The citizen's commune and province, as an address names them."""
    names = {u.code: u.name for u in units.communes_of_province(db, CAO_BANG)}
    return f"{names[c.current_commune_code]}, Cao Bằng"


def _files(tmp_path: Path, lines: list[str]) -> tuple[Path, Path]:
    extract = tmp_path / "bhxh.csv"
    extract.write_text(HEADER + "".join(lines), encoding="utf-8")
    mapping = tmp_path / "bhxh.mapping.yaml"
    mapping.write_text(service.SYNTHETIC_MAPPING, encoding="utf-8")
    return extract, mapping


def _run(db: Session, extract: Path, mapping: Path) -> service.RunSummary:
    return service.run_linkage(db, ACTOR, source=SOURCE, extract_path=extract, mapping_path=mapping)


def _result(db: Session, run_id: int, key: str) -> LinkageResult:
    return db.scalars(
        select(LinkageResult).where(LinkageResult.run_id == run_id, LinkageResult.record_key == key)
    ).one()


def test_personal_ids_link_by_rule_without_the_model(db: Session, tmp_path: Path) -> None:
    a, b, c = _people(db, 3)
    extract, mapping = _files(
        tmp_path,
        [
            _line("K1", a, pid=a.personal_id),
            _line("K2", b, pid=b.personal_id, name="Sai Tên Khác"),  # the ID's holder differs
            _line("K3", c, pid=c.personal_id, name=c.full_name.upper()),
        ],
    )
    summary = _run(db, extract, mapping)
    assert (summary.linked_deterministic, summary.records) == (2, 3)
    assert summary.counts["model_records"] == 1  # only K2 needed the model
    assert _result(db, summary.run_id, "K1").personal_id == a.personal_id
    k2 = _result(db, summary.run_id, "K2")
    assert (k2.band, k2.reason, k2.personal_id) == ("review", "name_differs", None)
    assert k2.sector_record is not None and k2.sector_record["full_name"] == "Sai Tên Khác"
    held = db.scalars(
        select(LinkageCandidate.personal_id).where(LinkageCandidate.result_id == k2.id)
    )
    assert b.personal_id in set(held)
    links = dict(db.execute(select(SectorLink.record_key, SectorLink.personal_id)).all())
    assert links == {"K1": a.personal_id, "K3": c.personal_id}


def test_a_run_is_one_registry_read_and_one_entry_per_new_link(db: Session, tmp_path: Path) -> None:
    people = _people(db, 4)
    extract, mapping = _files(
        tmp_path, [_line(f"K{i}", p, pid=p.personal_id) for i, p in enumerate(people)]
    )
    before = db.scalar(select(func.max(AuditEntry.seq))) or 0
    summary = _run(db, extract, mapping)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.seq > before)).all()
    reads = [e for e in entries if e.action == "registry.bulk_read"]
    links = [e for e in entries if e.action == service.LINK_ACTION]
    assert len(reads) == 1 and reads[0].purpose == service.PURPOSE
    assert reads[0].subject_personal_id is None
    assert sorted(e.subject_personal_id or "" for e in links) == sorted(
        p.personal_id for p in people
    )
    assert {e.purpose for e in links} == {service.PURPOSE}
    # The citizen sees the link among the uses of their data.
    assert service.LINK_ACTION in {e.action for e in entries_about(db, people[0].personal_id)}
    run = db.get(LinkageRun, summary.run_id)
    assert run is not None and run.audit_seq == reads[0].seq
    # Run again: the links already exist, so nobody is told twice.
    second = _run(db, extract, mapping)
    assert second.new_links == 0 and second.linked_deterministic == 4


def test_two_records_with_one_personal_id_both_go_to_review(db: Session, tmp_path: Path) -> None:
    (a,) = _people(db, 1)
    extract, mapping = _files(
        tmp_path, [_line("K1", a, pid=a.personal_id), _line("K2", a, pid=a.personal_id)]
    )
    summary = _run(db, extract, mapping)
    assert summary.review == 2 and summary.linked == 0
    for key in ("K1", "K2"):
        result = _result(db, summary.run_id, key)
        assert (result.band, result.reason) == ("review", "conflict")
    assert db.scalar(select(func.count()).select_from(SectorLink)) == 0


def test_the_database_refuses_one_person_on_two_records(db: Session) -> None:
    (a,) = _people(db, 1)
    db.add(SectorLink(source=SOURCE, record_key="K1", personal_id=a.personal_id, method="model"))
    db.flush()
    with db.begin_nested():
        db.add(
            SectorLink(source=SOURCE, record_key="K2", personal_id=a.personal_id, method="model")
        )
        with pytest.raises(IntegrityError):
            db.flush()


def test_the_model_links_corrupted_records_and_decisions_are_reused(
    db: Session, tmp_path: Path
) -> None:
    people = _people(db, 400)
    rng = random.Random(9)
    chosen = rng.sample(people, 60)
    lines = []
    for i, p in enumerate(chosen[:50]):  # no IDs, some names without diacritics
        name = fold(p.full_name).title() if i % 3 == 0 else p.full_name
        lines.append(_line(f"M{i}", p, name=name, place=_address(db, p)))
    stranger = chosen[50]
    lines.append(_line("S1", stranger, name="Triệu Thị Khánh", dob="03/03/1931"))
    # Name and birth date only (no commune, no phone, no ID): nothing else corroborates the
    # link, and in a registry this small no name is rare enough to stand alone.
    lines.append(_line("N1", chosen[51], phone=""))
    extract, mapping = _files(tmp_path, lines)
    summary = _run(db, extract, mapping)
    assert summary.counts["model_records"] == 52
    truth = {f"M{i}": p.personal_id for i, p in enumerate(chosen[:50])}
    rows = {r.record_key: r for r in service.output_rows(db, summary.run_id)}
    auto = [k for k, r in rows.items() if r.band == "auto_link"]
    assert len(auto) >= 40
    assert all(rows[k].personal_id == truth[k] for k in auto)  # no wrong link
    assert rows["S1"].personal_id is None and rows["S1"].band == "no_match"
    assert (rows["N1"].band, rows["N1"].reason) == ("review", "namesake")
    run = db.get(LinkageRun, summary.run_id)
    assert run is not None and run.settings["settings"]["version"] == summary.settings_version
    assert run.settings["trained_model"]  # what the model used is kept with the run

    # An officer rejects one auto-linked pair and accepts the stranger to someone: the next
    # run reuses both decisions and asks about neither.
    rejected_key = auto[0]
    accepted_pid = chosen[55].personal_id
    for key, pid, verdict in (
        (rejected_key, truth[rejected_key], "reject"),
        ("S1", accepted_pid, "accept"),
    ):
        db.add(
            LinkageDecision(
                source=SOURCE,
                record_key=key,
                personal_id=pid,
                decision=verdict,
                officer_id="o1",
                officer_name="Bế Thị Lan",
            )
        )
    db.flush()
    again = _run(db, extract, mapping)
    rows = {r.record_key: r for r in service.output_rows(db, again.run_id)}
    assert rows["S1"].personal_id == accepted_pid and rows["S1"].method == "clerical"
    assert rows[rejected_key].personal_id != truth[rejected_key]
    s1 = _result(db, again.run_id, "S1")
    assert s1.decided_by == "Bế Thị Lan" and s1.decided_at is not None
    link = db.get(SectorLink, (SOURCE, rejected_key))
    assert link is None or link.personal_id != truth[rejected_key]


def test_a_mapping_of_another_source_is_refused_and_nothing_is_stored(
    db: Session, tmp_path: Path
) -> None:
    (a,) = _people(db, 1)
    extract, mapping = _files(tmp_path, [_line("K1", a)])
    mapping.write_text(
        service.SYNTHETIC_MAPPING.replace("social-insurance", "pensions"), encoding="utf-8"
    )
    with pytest.raises(ValidationFailed) as caught:
        _run(db, extract, mapping)
    assert caught.value.field == "source"
    assert db.scalar(select(func.count()).select_from(LinkageRun)) == 0


def test_write_back_has_one_line_per_record_in_order(db: Session, tmp_path: Path) -> None:
    a, b = _people(db, 2)
    extract, mapping = _files(
        tmp_path, [_line("K1", a, pid=a.personal_id), _line("K2", b, pid=b.personal_id, name="X Y")]
    )
    summary = _run(db, extract, mapping)
    out = tmp_path / "out" / "linked.csv"
    assert service.write_output(service.output_rows(db, summary.run_id), out) == 2
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(service.OUTPUT_COLUMNS)
    assert rows[1] == ["K1", a.personal_id, "auto_link", "", "deterministic", ""]
    assert rows[2][0] == "K2" and rows[2][1] == "" and rows[2][2] == "review"
    assert rows[2][4] == "" and rows[2][5] == "name_differs"
    assert not list(out.parent.glob(".*.part"))


def test_write_back_follows_the_extract_even_when_review_records_come_first(
    db: Session, tmp_path: Path
) -> None:
    # Records with review candidates are stored after the others; the file keeps the extract's
    # order all the same (docs/data-formats.md).
    a, b, c = _people(db, 3)
    extract, mapping = _files(
        tmp_path,
        [
            _line("K1", a, pid=a.personal_id, name="Sai Tên Khác"),  # review, with a candidate
            _line("K2", b, pid=b.personal_id),
            _line("K3", c, pid=c.personal_id),
        ],
    )
    summary = _run(db, extract, mapping)
    rows = service.output_rows(db, summary.run_id)
    assert [r.record_key for r in rows] == ["K1", "K2", "K3"]
    assert [r.band for r in rows] == ["review", "auto_link", "auto_link"]


def test_a_placeholder_day_does_not_contradict_the_registry(db: Session, tmp_path: Path) -> None:
    # This register writes 01/01 for an unknown day and month: with the personal ID and the
    # name agreeing, the year decides, instead of "birth date differs".
    people = [p for p in _people(db, 40) if (p.birth_month, p.birth_day) != (1, 1)][:30]
    lines = [
        _line(f"K{i}", p, pid=p.personal_id, dob=f"01/01/{p.birth_year}")
        for i, p in enumerate(people)
    ]
    extract, mapping = _files(tmp_path, lines)
    summary = _run(db, extract, mapping)
    assert summary.linked_deterministic == 30
    run = db.get(LinkageRun, summary.run_id)
    assert run is not None
    assert run.counts["placeholder_days"] == ["01/01"]
    assert run.counts["placeholder_dates"] == 30
