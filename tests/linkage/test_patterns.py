"""One record of each real-world pattern, through a whole linkage run: linked (or at least
sent to review with the right person) where it is the registry person written another way,
never auto-linked where it is somebody else who only looks like them.

Each test runs an extract against ~300 background citizens (tests.linkage.test_run) plus the
citizen the pattern is about; the records carry no personal or old ID, so the model decides.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from oncegov.kit.text import fold
from oncegov.linkage import service
from oncegov.linkage.features import extract_frame, registry_frame
from oncegov.linkage.model import run_model
from oncegov.linkage.rules import RegistryPerson
from oncegov.registry.models import Citizen
from oncegov.units import service as units
from tests.fixtures import CAO_BANG, make_citizen, make_household
from tests.linkage.test_model import INDEX, REGISTRY, SETTINGS, _record
from tests.linkage.test_run import ACTOR, HEADER, SOURCE, _people

BACKGROUND = 300


def _commune_names(db: Session) -> dict[str, str]:
    return {c.code: c.name for c in units.communes_of_province(db, CAO_BANG)}


def _citizen(db: Session, name: str, commune: str, **values: object) -> Citizen:
    values.setdefault("birth_year", 1978)
    values.setdefault("birth_month", 9)
    values.setdefault("birth_day", 23)
    return make_citizen(
        db,
        full_name=name,
        current_commune_code=commune,
        permanent_commune_code=commune,
        **values,
    )


def _born(c: Citizen) -> str:
    return f"{c.birth_day:02d}/{c.birth_month:02d}/{c.birth_year}"


def _sex(c: Citizen) -> str:
    return "1" if c.sex == "M" else "0"


def _line(key: str, name: str, born: str, sex: str, address: str, phone: str = "") -> str:
    return f'{key},{name},{born},{sex},"{address}",,,{phone}\n'


def _run(db: Session, tmp_path: Path, lines: list[str]) -> dict[str, service.OutputRow]:
    extract = tmp_path / "bhxh.csv"
    extract.write_text(HEADER + "".join(lines), encoding="utf-8")
    mapping = tmp_path / "bhxh.mapping.yaml"
    mapping.write_text(service.SYNTHETIC_MAPPING, encoding="utf-8")
    summary = service.run_linkage(
        db, ACTOR, source=SOURCE, extract_path=extract, mapping_path=mapping
    )
    return {row.record_key: row for row in service.output_rows(db, summary.run_id)}


def _linked(row: service.OutputRow, person: Citizen) -> None:
    assert (row.band, row.personal_id) == ("auto_link", person.personal_id), row


def _setup(db: Session) -> tuple[list[Citizen], list[str], dict[str, str]]:
    people = _people(db, BACKGROUND)
    names = _commune_names(db)
    communes = sorted({p.current_commune_code or "" for p in people})
    return people, communes, names


def test_a_placeholder_birthday_links_on_the_year(db: Session, tmp_path: Path) -> None:
    # This register wrote 01/07 for every unknown day and month: read as the year alone.
    people, communes, names = _setup(db)
    target = _citizen(db, "Sầm Văn Khuyến", communes[0], phone="0912345678", sex="M")
    others = [p for p in people if (p.birth_month, p.birth_day) != (7, 1)][:24]
    lines = [
        _line(f"K{i}", p.full_name, f"01/07/{p.birth_year}", _sex(p), "Cao Bằng", p.phone or "")
        for i, p in enumerate(others)
    ]
    address = f"{names[communes[0]]}, Cao Bằng"
    lines.append(_line("T", target.full_name, "01/07/1978", "1", address, "0912345678"))
    rows = _run(db, tmp_path, lines)
    _linked(rows["T"], target)


def test_a_birth_year_off_by_one_links(db: Session, tmp_path: Path) -> None:
    _, communes, names = _setup(db)
    target = _citizen(db, "Đinh Thị Nguyệt", communes[1], sex="F")
    address = f"{names[communes[1]]}, Cao Bằng"
    rows = _run(db, tmp_path, [_line("T", target.full_name, "23/09/1979", "0", address)])
    _linked(rows["T"], target)


def test_year_and_month_only_links_in_every_written_form(db: Session, tmp_path: Path) -> None:
    _, communes, names = _setup(db)
    target = _citizen(db, "Lục Thị Xuyến", communes[2], sex="F")
    address = f"{names[communes[2]]}, Cao Bằng"
    forms = ("09/1978", "1978-09", "tháng 09/1978", "T9/1978", "00/09/1978")
    rows = _run(
        db,
        tmp_path,
        [_line(f"T{i}", target.full_name, born, "0", address) for i, born in enumerate(forms)],
    )
    for i in range(len(forms)):
        row = rows[f"T{i}"]
        # One person on five records: the one-to-one rule sends them to review, each with
        # the person as its best candidate; alone, each is linked (below).
        assert row.band in ("auto_link", "review"), (forms[i], row)
    alone = _run(db, tmp_path, [_line("ISO", target.full_name, "1978-09", "0", address)])
    _linked(alone["ISO"], target)


@pytest.mark.parametrize(
    ("registered", "written", "sex"),
    [
        ("Nông Thị Quyên", "Nông Quyên", "F"),  # a dropped Thị
        ("Hứa Khuyến", "Hứa Văn Khuyến", "M"),  # an added Văn
        ("Hoàng Thị Thủy Hòa", "Hoàng Thị Thuỷ Hoà", "F"),  # old tone placement: the same name
        ("Triệu Văn Khiêm", "TRIEU VAN KHIEM", "M"),  # all upper-case ASCII
    ],
)
def test_names_as_sector_data_write_them_link(
    db: Session, tmp_path: Path, registered: str, written: str, sex: str
) -> None:
    _, communes, names = _setup(db)
    target = _citizen(db, registered, communes[0], sex=sex)
    address = f"{names[communes[0]]}, Cao Bằng"
    code = "1" if sex == "M" else "0"
    rows = _run(db, tmp_path, [_line("T", written, _born(target), code, address)])
    _linked(rows["T"], target)


def test_a_moved_person_links_on_the_phone(db: Session, tmp_path: Path) -> None:
    _, communes, names = _setup(db)
    target = _citizen(db, "Bế Văn Thuận", communes[0], sex="M", phone="0987001122")
    elsewhere = f"Tổ 4, {names[communes[3]]}, Cao Bằng"
    line = _line("T", target.full_name, _born(target), "1", elsewhere, "0987001122")
    _linked(_run(db, tmp_path, [line])["T"], target)


def test_a_namesake_outside_the_registry_is_never_auto_linked(db: Session, tmp_path: Path) -> None:
    # Same full name and birth date as a registry citizen, another commune, no ID, no phone:
    # nothing says it is them. The registry's citizen lives elsewhere with a phone.
    _, communes, names = _setup(db)
    _citizen(db, "Ma Thị Huệ", communes[0], sex="F", phone="0911223344")
    elsewhere = f"{names[communes[3]]}, Cao Bằng"
    rows = _run(db, tmp_path, [_line("N", "Ma Thị Huệ", "23/09/1978", "0", elsewhere)])
    assert rows["N"].band != "auto_link", rows["N"]


def test_a_twin_outside_the_registry_is_never_auto_linked(db: Session, tmp_path: Path) -> None:
    # The registry holds one twin of a household; the record is the other: same address and
    # birth date, the household phone, a given name one letter apart (Hùng / Dũng).
    _, communes, names = _setup(db)
    make_household(db, "HK-TWIN-1", commune=communes[1])
    _citizen(
        db,
        "Lương Văn Hùng",
        communes[1],
        sex="M",
        phone="0933445566",
        household_code="HK-TWIN-1",
        relationship_to_head="child",
    )
    home = f"Tổ 3, {names[communes[1]]}, Cao Bằng"
    rows = _run(db, tmp_path, [_line("W", "Lương Văn Dũng", "23/09/1978", "1", home, "0933445566")])
    assert rows["W"].band != "auto_link", rows["W"]


# --- which comparison level each pattern reaches, and that blocking finds the pair ----------


def _without_middle(name: str) -> str:
    family, *_, given = name.split()
    return f"{family} {given}"


def _middle_is_thi_or_van(person: RegistryPerson) -> bool:
    return fold(person.full_name).split()[1] in ("thi", "van")


# record key → (changes to the registry person's record, the expected level per field)
PATTERNS: dict[str, tuple[Callable[[RegistryPerson], dict[str, object]], dict[str, str]]] = {
    "year_off_by_one": (
        lambda p: {"birth_year": p.birth_year + 1},
        {"name": "exact with diacritics", "birth_date": "year off by one, same day and month"},
    ),
    "year_month_only": (
        lambda p: {"birth_day": None},
        {"birth_date": "same year and month, day unknown"},
    ),
    "middle_dropped": (
        lambda p: {"full_name": _without_middle(p.full_name)},
        {"name": "same name without Thị/Văn", "birth_date": "exact date"},
    ),
    "middle_dropped_and_year_off_by_one": (
        lambda p: {"full_name": _without_middle(p.full_name), "birth_year": p.birth_year - 1},
        {"name": "same name without Thị/Văn", "birth_date": "year off by one, same day and month"},
    ),
    "upper_ascii": (
        lambda p: {"full_name": fold(p.full_name).upper()},
        {"name": "same without diacritics or order"},
    ),
}


@pytest.fixture(scope="module")
def levels() -> dict[str, tuple[str, dict[str, str]]]:
    """record key → (best candidate, its level per field) of one model run."""
    people = [p for p in REGISTRY[1:-1] if _middle_is_thi_or_van(p)][:40]
    records, truth = [], {}
    for i, person in enumerate(people):
        kind = list(PATTERNS)[i % len(PATTERNS)]
        changes, _ = PATTERNS[kind]
        # No phone and no ID: only the name and date blocking rules can find the pair.
        records.append(_record(f"{kind}:{i}", person, phone=None, **changes(person)))
        truth[f"{kind}:{i}"] = person.personal_id
    run = run_model(registry_frame(REGISTRY), extract_frame(records, INDEX), SETTINGS)
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for key, person_id in truth.items():
        best = run.candidates[key][0] if run.candidates.get(key) else None
        assert best is not None and best.personal_id == person_id, key
        found[key] = (best.personal_id, {c.field: c.level for c in best.contributions})
    return found


@pytest.mark.parametrize("kind", list(PATTERNS))
def test_each_pattern_is_blocked_and_reaches_its_level(
    levels: dict[str, tuple[str, dict[str, str]]], kind: str
) -> None:
    _, expected = PATTERNS[kind]
    seen = [found for key, (_, found) in levels.items() if key.startswith(f"{kind}:")]
    assert len(seen) >= 5
    for found in seen:
        assert {field: found[field] for field in expected} == expected


def test_thi_for_van_is_not_a_dropped_middle_name() -> None:
    # Both sides have a middle name: a Thị on one side and a Văn on the other is another
    # person (a brother and a sister), not "same name without Thị/Văn".
    person = next(p for p in REGISTRY[1:-1] if fold(p.full_name).split()[1] == "thi")
    swapped = person.full_name.split()
    swapped[1] = "Văn"
    records = [_record("SWAP", person, full_name=" ".join(swapped), phone=None)]
    run = run_model(registry_frame(REGISTRY), extract_frame(records, INDEX), SETTINGS)
    mine = [c for c in run.candidates.get("SWAP", []) if c.personal_id == person.personal_id]
    for candidate in mine:
        name = next(c.level for c in candidate.contributions if c.field == "name")
        assert name != "same name without Thị/Văn"
