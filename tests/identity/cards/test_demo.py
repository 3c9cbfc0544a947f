"""Demo applications: realistic rates from the pure generator, and the bulk load with step
rows derived in SQL that match the ones the generator describes."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.identity.cards import demo, service
from oncegov.identity.cards.models import IN_PROGRESS, IdCardApplication, IdCardApplicationStep
from tests.fixtures import COMMUNE_A, make_citizen

TODAY = dt.date(2026, 11, 28)


def _population(size: int, seed: int = 3) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    return [
        (
            f"004{i:09d}",
            rng.randint(1935, 2025),
            rng.randint(1, 12),
            rng.randint(1, 28),
            "deceased" if rng.random() < 0.02 else "living",
            COMMUNE_A,
            rng.choice("MF"),
            f"Name {i}",
            "Tổ 1",
        )
        for i in range(size)
    ]


def test_rates_look_like_a_province() -> None:
    people = _population(20_000)
    rows = list(demo.generate(people, random.Random(1), TODAY))
    column = {name: i for i, name in enumerate(demo.APPLICATION_COLUMNS)}
    eligible = [p for p in people if p[1] <= 2011]
    first = {r[1] for r in rows if r[column["kind"]] == "first_issue"}
    assert 0.93 < len(first) / len(eligible) <= 0.98
    statuses = Counter(r[column["status"]] for r in rows)
    in_progress = sum(statuses[s] for s in IN_PROGRESS)
    assert 0.008 < in_progress / len(eligible) < 0.025
    assert 0.002 < statuses["rejected"] / len(rows) < 0.01
    assert statuses["returned"] > 2 * statuses["delivered"] > 0
    kinds = Counter(r[column["kind"]] for r in rows)
    assert all(kinds[k] > 0 for k in ("renewal_25", "renewal_40", "renewal_60", "reissue_loss"))
    years = Counter(r[column["received_at"]].year for r in rows)
    assert years[2021] == max(years.values())  # the chip-card campaign
    assert years[2024] + years[2025] > years[2023]  # the Law on Identification wave
    recent = [r for r in rows if r[column["status"]] in IN_PROGRESS]
    assert all(r[column["received_at"]].date() >= TODAY - dt.timedelta(days=30) for r in recent)
    per_citizen = Counter(r[1] for r in recent)
    assert max(per_citizen.values()) == 1


def test_nobody_applies_after_their_death() -> None:
    died = dt.date(2022, 3, 1)
    people = [(*p[:4], "deceased", *p[5:], died) for p in _population(3_000, seed=5)]
    rows = list(demo.generate(people, random.Random(2), TODAY))
    received = demo.APPLICATION_COLUMNS.index("received_at")
    assert rows  # those who turned 14 before 2022 had their first card
    assert max(r[received].date() for r in rows) < died


def test_the_generator_is_deterministic() -> None:
    people = _population(2_000)
    once = list(demo.generate(people, random.Random(9), TODAY))
    twice = list(demo.generate(people, random.Random(9), TODAY))
    assert once == twice


def test_steps_of_follow_the_timestamps() -> None:
    rows = list(demo.generate(_population(3_000), random.Random(2), TODAY))
    column = {name: i for i, name in enumerate(demo.APPLICATION_COLUMNS)}
    rejected = next(r for r in rows if r[column["status"]] == "rejected")
    steps = demo.steps_of(rejected)
    assert steps[0][1:3] == (None, "received")
    assert steps[-1][2] == "rejected" and steps[-1][5] == rejected[column["rejection_reason"]]
    finished = next(r for r in rows if r[column["status"]] == "returned")
    assert [s[2] for s in demo.steps_of(finished)] == [
        "received",
        "checked",
        "sent_for_production",
        "produced",
        "returned",
    ]
    moments = [s[3] for s in demo.steps_of(finished)]
    assert moments == sorted(moments)


def test_load_inserts_applications_and_derives_their_steps(db: Session) -> None:
    citizens = [make_citizen(db, birth_year=1940 + i % 70) for i in range(120)]
    people = [
        (
            c.personal_id,
            c.birth_year,
            c.birth_month,
            c.birth_day,
            c.status,
            c.permanent_commune_code,
            c.sex,
            c.full_name,
            c.permanent_address,
        )
        for c in citizens
    ]
    expected = list(demo.generate(people, random.Random(5), TODAY, first_id=1))
    applications, steps = service.load_demo_applications(db, people, random.Random(5), TODAY)
    assert applications == len(expected) > 100
    assert steps == sum(len(demo.steps_of(r)) for r in expected)
    stored = db.scalar(select(func.count()).select_from(IdCardApplicationStep))
    assert stored == steps
    sample = expected[7]
    derived = db.execute(
        select(
            IdCardApplicationStep.from_status,
            IdCardApplicationStep.to_status,
            IdCardApplicationStep.actor,
            IdCardApplicationStep.note,
        )
        .where(IdCardApplicationStep.application_id == sample[0])
        .order_by(IdCardApplicationStep.at)
    ).all()
    assert [tuple(d) for d in derived] == [(s[1], s[2], s[4], s[5]) for s in demo.steps_of(sample)]

    # A second load numbers after the first; the service reads what it stored.
    more, _ = service.load_demo_applications(db, people[:10], random.Random(6), TODAY)
    assert more > 0
    assert db.scalar(select(func.max(IdCardApplication.id))) == applications + more
    new = IdCardApplication(
        personal_id=citizens[0].personal_id,
        kind="reissue_loss",
        status="returned",
        fee_vnd=0,
        full_name="x",
        date_of_birth="1940",
        sex="M",
        commune_code=COMMUNE_A,
        station_kind="province",
        portrait_captured=True,
        fingerprints_captured=True,
        delivery="station",
        received_by="t",
    )
    db.add(new)
    db.flush()  # the id sequence was moved past the loaded ids (PostgreSQL)
    assert new.id == applications + more + 1


def test_handover_dates_and_replacing_the_demo(db: Session) -> None:
    citizens = [make_citizen(db, birth_year=1960 + i) for i in range(40)]
    people = [
        (c.personal_id, c.birth_year, c.birth_month, c.birth_day, c.status, COMMUNE_A, c.sex)
        for c in citizens
    ]
    rows = list(demo.generate(people, random.Random(4), TODAY))
    service.load_demo_applications(db, people, random.Random(4), TODAY)
    column = {name: i for i, name in enumerate(demo.APPLICATION_COLUMNS)}
    expected: dict[str, dt.datetime] = {}
    for r in rows:
        moment = r[column["returned_at"]] or r[column["delivered_at"]]
        if moment is not None:
            expected[r[1]] = max(moment, expected.get(r[1], moment))
    handed = service.cards_handed_over(db)
    assert handed.keys() == expected.keys() and len(handed) > 30
    assert all(abs(handed[k] - expected[k]) < dt.timedelta(seconds=1) for k in expected)
    assert service.delete_all_applications(db) == len(rows)
    assert db.scalar(select(func.count()).select_from(IdCardApplicationStep)) == 0
