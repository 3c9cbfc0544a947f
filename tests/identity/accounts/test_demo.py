"""Demo eID accounts: rates of the pure generator, and the bulk load with its passcodes."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.errors import PermissionDenied
from oncegov.identity.accounts import demo, demo_loader, service, signin
from oncegov.identity.accounts.models import EidAccount
from tests.fixtures import COMMUNE_A, make_citizen

TODAY = dt.date(2026, 11, 28)
COLUMN = {name: i for i, name in enumerate(demo.ACCOUNT_COLUMNS)}


def _population(size: int, seed: int = 3) -> list[tuple[Any, ...]]:
    """Rows as the generator takes them; 3% deceased (half since eID opened), 1% missing."""
    rng = random.Random(seed)
    rows = []
    for i in range(size):
        roll = rng.random()
        status = "deceased" if roll < 0.03 else "missing" if roll < 0.04 else "living"
        death = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(2100))
        rows.append(
            (
                f"004{i:09d}",
                rng.randint(1935, 2025),
                rng.randint(1, 12),
                rng.randint(1, 28) if rng.random() < 0.95 else None,
                status,
                COMMUNE_A,
                f"09{rng.randrange(10**8):08d}" if rng.random() < 0.7 else None,
                death if status == "deceased" else None,
            )
        )
    return rows


def _cards(
    people: list[tuple[Any, ...]], seed: int = 4
) -> dict[str, list[demo.FinishedApplication]]:
    """A finished card for nine in ten of those aged 14+, received 2021–2026."""
    rng = random.Random(seed)
    cards: dict[str, list[demo.FinishedApplication]] = {}
    for i, person in enumerate(people):
        if person[1] <= 2011 and rng.random() < 0.9:
            received = dt.datetime(2021, 3, 1, 3, tzinfo=dt.UTC) + dt.timedelta(
                days=rng.randrange(2000)
            )
            handed = received + dt.timedelta(days=20)
            cards[person[0]] = [(i + 1, received, handed, COMMUNE_A, f"cccd.{COMMUNE_A}")]
    return cards


def _age(row: tuple[Any, ...], on: dt.date) -> int:
    year, month, day = row[1], row[2], row[3] or 28
    return int(on.year - year - ((on.month, on.day) < (month, day)))


def test_rates_look_like_a_province() -> None:
    people = _population(30_000)
    cards = _cards(people)
    made = list(demo.generate(people, random.Random(1), TODAY, cards=cards))
    rows = [row for row, _ in made]
    by_pid = {p[0]: p for p in people}
    living_adults = [p for p in people if p[4] == "living" and _age(p, TODAY) >= 15]
    statuses = Counter(r[COLUMN["status"]] for r in rows)
    active = [r for r in rows if r[COLUMN["status"]] == "active"]
    # This population's ages are uniform (the demo province's pyramid gives about 60%, see
    # tests/demo): the shares by age, less the few locked accounts.
    expected = sum(demo._active_share(_age(p, TODAY)) for p in living_adults)
    assert 0.95 < len(active) / (expected * (1 - demo.LOCKED_SHARE)) < 1.05
    young = [p for p in living_adults if 18 <= _age(p, TODAY) < 40]
    old = [p for p in living_adults if _age(p, TODAY) >= 70]
    holders = {r[1] for r in active}
    assert sum(p[0] in holders for p in young) / len(young) > 0.7
    assert sum(p[0] in holders for p in old) / len(old) < 0.3
    level2 = sum(1 for r in active if r[COLUMN["level"]] == 2)
    assert 0.70 < level2 / len(active) < 0.85
    assert 0.025 < statuses["pending"] / len(living_adults) < 0.055
    assert 0.004 < statuses["locked"] / len(rows) < 0.02
    locked_by = Counter(r[COLUMN["locked_by"]] for r in rows if r[COLUMN["status"]] == "locked")
    assert locked_by["citizen"] > locked_by["police"] > 0
    # One account at most per citizen, every phone a distinct, valid mobile number.
    assert len({r[1] for r in rows}) == len(rows)
    phones = [r[COLUMN["phone"]] for r in rows]
    assert len(set(phones)) == len(phones)
    assert all((len(p) == 10 and p[:3] in demo.PHONE_PREFIXES) or p[:2] == "09" for p in phones)
    assert not any(p.startswith(demo.RESERVED_PREFIX) for p in phones)
    # Nobody under 14, nobody missing; the deceased only revoked, after their death.
    for row in rows:
        person = by_pid[row[1]]
        assert person[4] != "missing"
        created = row[COLUMN["created_at"]].date()
        assert created >= demo.EID_START
        assert _age(person, created) >= 14 or person[3] is None
        if person[4] == "deceased":
            assert row[COLUMN["status"]] == "revoked"
            assert row[COLUMN["revoke_reason"]] == "deceased"
            assert created < person[7] <= row[COLUMN["revoked_at"]].date()
        else:
            assert row[COLUMN["status"]] != "revoked"
    assert not any(_age(by_pid[r[1]], TODAY) < 14 for r in rows)
    dead_since = [p for p in people if p[4] == "deceased" and p[7] > dt.date(2022, 9, 1)]
    assert 0.15 < statuses["revoked"] / len(dead_since) < 0.8
    # Pending accounts have no passcode and were never activated; active ones were.
    for row in rows:
        pending = row[COLUMN["status"]] == "pending"
        assert (row[COLUMN["activated_at"]] is None) == pending
        if not pending:
            assert row[COLUMN["activated_at"]] >= row[COLUMN["created_at"]]


def test_level_two_is_registered_with_a_card_and_tied_to_its_intake() -> None:
    people = _population(20_000)
    cards = _cards(people)
    made = list(demo.generate(people, random.Random(2), TODAY, cards=cards))
    tied = [(row, app) for row, app in made if app is not None]
    assert tied
    for row, application_id in tied:
        (application,) = cards[row[1]]
        assert application[0] == application_id
        assert row[COLUMN["level"]] == 2
        assert row[COLUMN["created_at"]] == application[1]  # registered at the intake
        assert row[COLUMN["registered_channel"]] == "station"
        assert row[COLUMN["level2_verified_by"]] == application[4]
    tied_ids = {row[0] for row, _ in tied}
    for row, _ in made:
        if row[COLUMN["level"]] == 2 and row[0] not in tied_ids:
            # Registered at a desk: after the card was handed over.
            assert row[COLUMN["created_at"]] >= cards[row[1]][0][2]
        if row[COLUMN["level"]] == 1:
            assert row[COLUMN["level2_verified_at"]] is None
            assert row[COLUMN["registered_channel"]] in ("api", "web")
    # Without any card nobody gets level 2.
    bare = list(demo.generate(people, random.Random(2), TODAY))
    assert {row[COLUMN["level"]] for row, _ in bare} == {1}


def test_the_generator_is_deterministic_and_named_citizens_are_forced() -> None:
    people = _population(3_000)
    cards = _cards(people)
    once = list(demo.generate(people, random.Random(9), TODAY, cards=cards, first_id=7))
    twice = list(demo.generate(people, random.Random(9), TODAY, cards=cards, first_id=7))
    assert once == twice
    assert [row[0] for row, _ in once] == list(range(7, 7 + len(once)))
    other = list(demo.generate(people, random.Random(10), TODAY, cards=cards))
    assert [r for r, _ in other] != [r for r, _ in once]
    # A citizen drawn without an account gets the forced one.
    without = next(
        p
        for p in people
        if p[4] == "living" and _age(p, TODAY) > 30 and p[0] in cards
        if p[0] not in {row[1] for row, _ in once}
    )
    named = {without[0]: (2, "0871234567")}
    forced = {
        row[1]: row
        for row, _ in demo.generate(people, random.Random(9), TODAY, cards=cards, named=named)
    }[without[0]]
    assert forced[COLUMN["status"]] == "active"
    assert forced[COLUMN["level"]] == 2
    assert forced[COLUMN["phone"]] == "0871234567"


def _people_in_db(db: Session, count: int) -> list[tuple[Any, ...]]:
    citizens = [
        make_citizen(db, birth_year=1950 + i % 60, birth_month=3, birth_day=1 + i % 27)
        for i in range(count)
    ]
    return [
        (
            c.personal_id,
            c.birth_year,
            c.birth_month,
            c.birth_day,
            c.status,
            c.permanent_commune_code,
            c.phone,
            c.date_of_death,
        )
        for c in citizens
    ]


def test_load_inserts_the_generated_accounts_with_unusable_passcodes(db: Session) -> None:
    people = _people_in_db(db, 150)
    expected = list(demo.generate(people, random.Random(5), TODAY))
    loaded = demo_loader.load_demo_accounts(db, people, random.Random(5), TODAY)
    assert loaded.accounts == len(expected) > 60
    stored = db.scalars(select(EidAccount).order_by(EidAccount.id)).all()
    assert [(a.personal_id, a.level, a.status, a.phone) for a in stored] == [
        (r[1], r[2], r[4], r[5]) for r, _ in expected
    ]
    hashes = {a.passcode_hash for a in stored if a.status != "pending"}
    (placeholder,) = hashes
    assert placeholder is not None and placeholder.startswith("$argon2id$")
    assert all(a.passcode_hash is None for a in stored if a.status == "pending")
    # Nobody signs in with a demo account's placeholder hash, whatever the passcode.
    active = next(a for a in stored if a.status == "active")
    for guess in ("000000", "123456", "482915", ""):
        with pytest.raises(service.LoginFailed):
            signin.check_passcode_login(
                db, personal_id=active.personal_id, passcode=guess, ip="127.0.0.9"
            )
    # Numbered after what is stored; the id sequence moved past them (PostgreSQL).
    more = _people_in_db(db, 30)
    again = demo_loader.load_demo_accounts(db, more, random.Random(6), TODAY)
    assert db.scalar(select(func.max(EidAccount.id))) == loaded.accounts + again.accounts
    assert demo_loader.delete_all_accounts(db) == loaded.accounts + again.accounts
    assert db.scalar(select(func.count()).select_from(EidAccount)) == 0


def test_named_citizens_sign_in_with_their_passcode(db: Session) -> None:
    people = _people_in_db(db, 20)
    named = {people[3][0]: (1, "0870000001", "482915")}
    demo_loader.load_demo_accounts(db, people, random.Random(5), TODAY, named=named)
    account = signin.check_passcode_login(
        db, personal_id=people[3][0], passcode="482915", ip="127.0.0.8"
    )
    assert account.level == 1 and account.phone == "0870000001"
    assert demo_loader.demo_account_with_phone(db, "0870000001") == account


def test_refused_in_production(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    people = _people_in_db(db, 3)
    monkeypatch.setattr(settings, "environment", "production")
    with pytest.raises(PermissionDenied):
        demo_loader.load_demo_accounts(db, people, random.Random(5), TODAY)
