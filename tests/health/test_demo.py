"""The demo medical facilities and health-insurance cards: the generator, the loader through
``oncegov demo``, and ``oncegov health`` (facility tokens, the facility list)."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oncegov.app import create_app
from oncegov.auth.models import Officer, ServiceToken
from oncegov.db import get_db
from oncegov.demo import service as demo_service
from oncegov.demo.generator import Population
from oncegov.demo.rows import (
    BIRTH_DAY,
    BIRTH_MONTH,
    BIRTH_YEAR,
    CURRENT_COMMUNE,
    ETHNICITY,
    HOUSEHOLD,
    PERMANENT_COMMUNE,
    PID,
    SEX,
    STATUS,
)
from oncegov.health import demo
from oncegov.health import service as health
from oncegov.health.models import InsuranceCard, MedicalFacility
from oncegov.kit import clock
from oncegov.registry.models import Citizen
from oncegov.units import service as units

SEED = 4242
SCALE = 0.01  # ≈5,500 people
TODAY = dt.date(2026, 12, 1)
runner = CliRunner()


@pytest.fixture(scope="module")
def communes(engine: Engine) -> list[demo.Commune]:
    with Session(engine) as session:
        return [
            demo.Commune(c.code, c.name, c.division_type)
            for c in units.communes_of_province(session, "04")
        ]


@pytest.fixture(scope="module")
def facilities(communes: list[demo.Commune]) -> list[demo.Facility]:
    return demo.generate_facilities("04", "Cao Bằng", communes, random.Random(SEED))


@pytest.fixture(scope="module")
def population(engine: Engine) -> Population:
    with Session(engine) as session:
        return demo_service.generate_population(session, scale=SCALE, seed=SEED)


def _citizen_rows(population: Population, communes: list[demo.Commune]) -> list[tuple[Any, ...]]:
    """The rows ``oncegov demo`` hands the card loader (residence in the province)."""
    here = {c.code for c in communes}
    return [
        (
            row[PID],
            row[BIRTH_YEAR],
            row[BIRTH_MONTH],
            row[BIRTH_DAY],
            row[STATUS],
            row[PERMANENT_COMMUNE] if row[PERMANENT_COMMUNE] in here else row[CURRENT_COMMUNE],
            row[ETHNICITY],
            row[HOUSEHOLD],
            row[SEX],
        )
        for row in population.citizens
    ]


def _cards(
    population: Population,
    communes: list[demo.Commune],
    facilities: list[demo.Facility],
    seed: int = SEED,
) -> tuple[list[dict[str, Any]], demo.CardCounts]:
    network = demo.Network.of(
        "04", [(f.code, f.level, f.commune_code) for f in facilities], communes
    )
    generator = demo.CardGenerator(network, random.Random(seed), TODAY, "04")
    rows = list(generator.rows(_citizen_rows(population, communes)))
    return [dict(zip(demo.CARD_COLUMNS, row, strict=True)) for row in rows], generator.counts


@pytest.fixture(scope="module")
def cards(
    population: Population, communes: list[demo.Commune], facilities: list[demo.Facility]
) -> tuple[list[dict[str, Any]], demo.CardCounts]:
    return _cards(population, communes, facilities)


# --- facilities -------------------------------------------------------------------------------


def test_facilities_are_deterministic(
    communes: list[demo.Commune], facilities: list[demo.Facility]
) -> None:
    again = demo.generate_facilities("04", "Cao Bằng", communes, random.Random(SEED))
    assert again == facilities
    other = demo.generate_facilities("04", "Cao Bằng", communes, random.Random(SEED + 1))
    assert [f.code for f in other] == [f.code for f in facilities]
    assert other != facilities  # the station points and addresses are drawn


def test_184_facilities_of_three_levels_in_the_province(
    communes: list[demo.Commune], facilities: list[demo.Facility]
) -> None:
    assert len(facilities) == demo.FACILITY_TOTAL == 184
    codes = [f.code for f in facilities]
    assert len(set(codes)) == 184
    assert all(re.fullmatch(r"04\d{3}", code) for code in codes)
    assert codes[0] == health.demo_hospital_code("04") == "04001"
    levels = Counter(f.level for f in facilities)
    assert levels == {
        "provincial_hospital": 5,
        "regional_health_centre": 10,
        "commune_health_station": 169,
    }
    in_province = {c.code for c in communes}
    assert all(f.commune_code in in_province for f in facilities)
    names = [f.name for f in facilities]
    assert len(set(names)) == 184
    assert names[:3] == [
        "Bệnh viện Đa khoa tỉnh Cao Bằng",
        "Bệnh viện Y dược cổ truyền tỉnh Cao Bằng",
        "Bệnh viện Phục hồi chức năng tỉnh Cao Bằng",
    ]
    centres = {f.name for f in facilities if f.level == "regional_health_centre"}
    assert centres == {
        f"Trung tâm Y tế khu vực {district}"
        for district in (
            *("Thành phố Cao Bằng", "Bảo Lâm", "Bảo Lạc", "Hà Quảng", "Trùng Khánh"),
            *("Hạ Lang", "Quảng Hòa", "Hòa An", "Nguyên Bình", "Thạch An"),
        )
    }
    # Every commune has its station, most several (the former communes' ones, as points).
    stations = [f for f in facilities if f.level == "commune_health_station"]
    per_commune = Counter(f.commune_code for f in stations)
    assert set(per_commune) == in_province
    assert sum(1 for n in per_commune.values() if n > 1) > len(communes) // 2
    assert "Trạm Y tế xã Lý Bôn" in names and "Trạm Y tế phường Thục Phán" in names
    points = [f.name for f in stations if "(điểm " in f.name]
    assert len(points) == 169 - len(communes)
    assert all(re.fullmatch(r"Trạm Y tế (xã|phường) .+ \(điểm .+\)", p) for p in points)
    assert all(f.address.endswith(by_code.name) for f, by_code in _with_commune(stations, communes))


def _with_commune(
    facilities: list[demo.Facility], communes: list[demo.Commune]
) -> Iterator[tuple[demo.Facility, demo.Commune]]:
    by_code = {c.code: c for c in communes}
    for facility in facilities:
        yield facility, by_code[facility.commune_code]


# --- cards ------------------------------------------------------------------------------------


def _born(card_row: dict[str, Any], people: dict[str, tuple[Any, ...]]) -> dt.date:
    row = people[card_row["personal_id"]]
    return dt.date(row[BIRTH_YEAR], row[BIRTH_MONTH] or 7, row[BIRTH_DAY] or 15)


def test_cards_are_deterministic(
    population: Population,
    communes: list[demo.Commune],
    facilities: list[demo.Facility],
    cards: tuple[list[dict[str, Any]], demo.CardCounts],
) -> None:
    again, _ = _cards(population, communes, facilities)
    assert again == cards[0]
    other, _ = _cards(population, communes, facilities, seed=SEED + 1)
    assert other != cards[0]


def test_about_95_percent_of_living_residents_are_insured(
    population: Population, cards: tuple[list[dict[str, Any]], demo.CardCounts]
) -> None:
    rows, counts = cards
    living = sum(1 for row in population.citizens if row[STATUS] == "living")
    assert counts.living == living
    assert counts.cards == len(rows)
    assert 0.93 <= len(rows) / living <= 0.97
    people = {row[PID]: row for row in population.citizens}
    assert all(people[card["personal_id"]][STATUS] == "living" for card in rows)
    assert len({card["personal_id"] for card in rows}) == len(rows)
    # The state pays for most in Cao Bằng: minorities in difficult communes, the poor.
    groups = Counter(card["beneficiary_group"] for card in rows)
    assert groups.most_common(1)[0][0] == "DT"
    assert {"TE", "HN", "CN", "HS", "HT", "DN", "GD", "HC", "BT"} <= set(groups)


def test_benefit_levels_agree_with_the_groups_and_ages(
    population: Population, cards: tuple[list[dict[str, Any]], demo.CardCounts]
) -> None:
    rows, _ = cards
    people = {row[PID]: row for row in population.citizens}
    expected = {"TE": 100, "HN": 100, "DT": 100, "HT": 95, "CN": 95, "HS": 80, "DN": 80}
    expected |= {"GD": 80}
    for card in rows:
        assert card["benefit_level"] == demo.BENEFIT_OF_GROUP[card["beneficiary_group"]]
        assert card["benefit_level"] == expected.get(
            card["beneficiary_group"], card["benefit_level"]
        )
        assert card["valid_from"] <= card["valid_to"]
        age = demo.age_on(_born(card, people), TODAY)
        group = card["beneficiary_group"]
        if group == "TE":
            assert age < 6
        else:
            assert age >= 6
        if group == "HS":
            assert age <= 17
        if group in ("HT", "BT"):
            assert age >= 57


def test_te_cards_end_by_the_sixth_birthday(
    population: Population, cards: tuple[list[dict[str, Any]], demo.CardCounts]
) -> None:
    rows, _ = cards
    people = {row[PID]: row for row in population.citizens}
    te = [card for card in rows if card["beneficiary_group"] == "TE"]
    assert te
    for card in te:
        born = _born(card, people)
        assert card["valid_from"] == born
        assert card["valid_to"] < demo.anniversary(born, 6)
        assert card["valid_to"] >= TODAY


def test_validity_locks_codes_and_initial_care(
    cards: tuple[list[dict[str, Any]], demo.CardCounts], facilities: list[demo.Facility]
) -> None:
    rows, _ = cards
    expired = sum(1 for card in rows if card["valid_to"] < TODAY)
    assert 0.01 * len(rows) < expired < 0.035 * len(rows)
    assert all(card["valid_to"] >= TODAY - dt.timedelta(days=160) for card in rows)
    assert all(card["valid_from"] <= TODAY for card in rows)
    locked = [card for card in rows if card["status"] == "locked"]
    assert len(locked) < 0.01 * len(rows)
    assert all(card["locked_reason"] for card in locked)
    assert all(card["locked_reason"] is None for card in rows if card["status"] == "active")
    codes = [card["social_insurance_code"] for card in rows]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"04\d{8}", code) for code in codes)
    five = [card["five_years_from"] for card in rows if card["five_years_from"] is not None]
    assert 0.3 * len(rows) < len(five) < 0.9 * len(rows)
    assert all(day <= TODAY for day in five)
    level = {f.code: f.level for f in facilities}
    care = Counter(level[card["initial_care_facility_code"]] for card in rows)
    assert care["commune_health_station"] > 0.7 * len(rows)
    assert 0.05 * len(rows) < care["regional_health_centre"] < 0.3 * len(rows)
    assert 0 < care["provincial_hospital"] < 0.05 * len(rows)


# --- the loader through the CLI ----------------------------------------------------------------


def _invoke(*args: str) -> tuple[int, str]:
    from oncegov.cli.main import app

    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture
def checkin_client(cli_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """The app on the CLI's database (the token and the demo were committed there)."""
    application = create_app()

    def cli_db() -> Iterator[Session]:
        with cli_sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    application.dependency_overrides[get_db] = cli_db
    health.forget_facilities()
    with TestClient(application, base_url="http://testserver") as client:
        yield client
    health.forget_facilities()


def test_demo_loads_facilities_and_cards_and_a_facility_token_checks_in(
    cli_sessions: sessionmaker[Session], checkin_client: TestClient
) -> None:
    code, output = _invoke("demo", "--scale", "0.002", "--seed", str(SEED))
    assert code == 0, output
    assert re.search(r"184 medical facilities \(184 new\), [\d,]+ health-insurance cards", output)
    assert re.search(r"\(9[3-7]\.\d% of living residents insured\)", output), output
    for username in ("letan.demo", "yte.demo"):
        assert username in output
    with cli_sessions() as session:
        assert session.scalar(select(func.count()).select_from(MedicalFacility)) == 184
        cards = int(session.scalar(select(func.count()).select_from(InsuranceCard)) or 0)
        living = int(
            session.scalar(
                select(func.count()).select_from(Citizen).where(Citizen.status == "living")
            )
            or 0
        )
        assert 0.93 * living <= cards <= 0.97 * living
        officers = set(session.scalars(select(Officer.username)))
        assert {"letan.demo", "yte.demo"} <= officers
        # every facility's hospital system has its demo token
        systems = set(session.scalars(select(ServiceToken.scope_code)))
        assert len(systems) == 184
        patient = session.scalar(
            select(InsuranceCard.personal_id)
            .where(InsuranceCard.status == "active", InsuranceCard.valid_to >= clock.today())
            .order_by(InsuranceCard.id)
            .limit(1)
        )
    assert patient is not None

    code, output = _invoke("demo", "logins", "--seed", str(SEED))
    assert code == 0, output
    assert re.search(r"letan\.demo\s*│\s*facility_receptionist\s+04001", output), output
    assert re.search(r"yte\.demo\s*│\s*health_statistician\s+04", output), output
    demo_token = re.search(r"his-04001\s*│\s*(og_[A-Za-z0-9_-]+)", output)
    assert demo_token, output
    demo_headers = {"Authorization": f"Bearer {demo_token[1]}"}
    response = checkin_client.post(
        "/api/v1/health/checkins",
        json={"method": "personal_id", "value": patient},
        headers=demo_headers,
    )
    assert response.status_code == 200, response.text

    code, output = _invoke("health", "facilities")
    assert code == 0, output
    assert "Bệnh viện Đa khoa tỉnh Cao Bằng" in output and "04184" in output

    code, output = _invoke("health", "token", "04001", "--name", "his-04001")
    assert code == 1 and "already exists" in output  # the demo's own
    code, output = _invoke("health", "token", "04001", "--name", "his-04001-lab")
    assert code == 0, output
    token = re.search(r"og_[A-Za-z0-9_-]+", output)
    assert token, output
    code, output = _invoke("health", "token", "04999", "--name", "his-04999")
    assert code == 1 and "No medical facility" in output

    headers = {"Authorization": f"Bearer {token[0]}"}
    response = checkin_client.post(
        "/api/v1/health/checkins", json={"method": "personal_id", "value": patient}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["facility_code"] == "04001"
    assert body["coverage"]["valid_today"] is True

    code, output = _invoke("health", "revoke", "his-04001-lab")
    assert code == 0, output
    code, output = _invoke("health", "revoke", "his-04001-lab")
    assert code == 1
    response = checkin_client.post(
        "/api/v1/health/checkins", json={"method": "personal_id", "value": patient}, headers=headers
    )
    assert response.status_code == 401
