"""The demo province's chip ID-card applications and eID accounts: rates at a small scale,
the link between level-2 accounts and card intakes, the named demo citizens' sign-ins,
``--replace``."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.demo import service
from oncegov.demo.accounts import derive_passcode, derive_phone
from oncegov.demo.service import DemoOutcome
from oncegov.identity.accounts import service as eid
from oncegov.identity.accounts import signin
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.cards import service as cards
from oncegov.identity.cards.models import IN_PROGRESS, IdCardApplication
from oncegov.integrations.sms import LocalSmsGateway
from oncegov.kit.actor import Actor
from oncegov.registry.models import Citizen
from oncegov.units.schemas import UnitScope
from tests.demo.conftest import MEDIUM, SEED, SMALL

ACTOR = Actor.system("demo-test")
TODAY = dt.date(2026, 11, 28)


def _age(citizen: Citizen, on: dt.date) -> int:
    """Age on ``on``, the youngest possible for partial birth dates."""
    month, day = citizen.birth_month or 12, citizen.birth_day or 28
    return on.year - citizen.birth_year - ((on.month, on.day) < (month, day))


def _load(db: Session, **kwargs: object) -> DemoOutcome:
    options: dict[str, object] = {
        "scale": MEDIUM,
        "seed": SEED,
        "with_accounts": False,
        "today": TODAY,
        **kwargs,
    }
    return service.run_demo(db, ACTOR, **options)  # type: ignore[arg-type]


def test_applications_and_accounts_at_realistic_rates(demo_db: Session) -> None:
    outcome = _load(demo_db)
    assert outcome.counts is not None
    citizens = demo_db.scalars(select(Citizen)).all()
    by_pid = {c.personal_id: c for c in citizens}
    eligible = [c for c in citizens if c.status == "living" and _age(c, TODAY) >= 14]

    # Applications: nearly every citizen of 14+ has had a card; a few are in progress.
    applications = demo_db.execute(
        select(IdCardApplication.personal_id, IdCardApplication.kind, IdCardApplication.status)
    ).all()
    assert len(applications) == outcome.applications > 0.9 * len(eligible)
    first = {pid for pid, kind, _ in applications if kind == "first_issue"}
    assert 0.9 < len(first) / len(eligible) < 1.0
    statuses = Counter(status for _, _, status in applications)
    assert 0.005 < sum(statuses[s] for s in IN_PROGRESS) / len(eligible) < 0.03
    counts = cards.application_counts(
        demo_db, UnitScope(communes=None), dt.date(2020, 1, 1), TODAY, ["status", "kind"]
    )
    assert counts.total == len(applications)
    counted: Counter[str] = Counter()
    for row in counts.rows:
        assert row.status is not None and row.kind is not None
        counted[row.kind] += row.count
    assert counted["first_issue"] == max(counted.values())
    assert counted["renewal_25"] > 0 and counted["reissue_loss"] > 0
    in_2021 = cards.application_counts(
        demo_db, UnitScope(communes=None), dt.date(2021, 1, 1), dt.date(2021, 12, 31), ["kind"]
    )
    assert 0.4 < in_2021.total / counts.total < 0.8  # the chip-card campaign

    # eID accounts: about 60% of the living aged 14+ active, most at level 2.
    accounts = demo_db.scalars(select(EidAccount)).all()
    assert len(accounts) == outcome.eid_accounts
    active = [a for a in accounts if a.status == "active"]
    assert 0.55 < len(active) / len(eligible) < 0.65
    assert 0.72 < sum(a.level == 2 for a in active) / len(active) < 0.84
    by_status = Counter(a.status for a in accounts)
    assert 0.02 < by_status["pending"] / len(eligible) < 0.06
    assert 0 < by_status["locked"] < 0.03 * len(accounts)
    for account in accounts:
        citizen = by_pid[account.personal_id]
        assert _age(citizen, account.created_at.date()) >= 14
        assert citizen.status != "missing"
        if citizen.status == "deceased":
            assert account.status == "revoked" and account.revoke_reason == "deceased"
        else:
            assert account.status != "revoked"
    assert by_status["revoked"] > 0

    # Level-2 accounts registered with an application are linked to it (same citizen).
    linked = demo_db.execute(
        select(IdCardApplication, EidAccount).join(
            EidAccount, EidAccount.id == IdCardApplication.eid_account_id
        )
    ).all()
    assert len(linked) == outcome.eid_at_intake > 0
    for application, account in linked:
        assert application.eid_level2_requested
        assert application.personal_id == account.personal_id
        assert application.eid_phone == account.phone
        assert account.level == 2 and account.registered_channel == "station"


def test_the_named_demo_citizens_sign_in_at_level_1_and_2(demo_db: Session) -> None:
    outcome = _load(demo_db, scale=SMALL, with_accounts=True)
    logins = service.logins_of_citizens(demo_db, seed=SEED)
    assert [(login.level, login.status) for login in logins] == [(1, "active"), (2, "active")]
    assert [login.personal_id for login in logins] == [
        login.personal_id for login in outcome.citizen_logins
    ]
    level1, level2 = logins
    assert level1.passcode == derive_passcode(SEED, "citizen.level1")
    assert level2.phone == derive_phone(SEED, "citizen.level2")
    assert level1.personal_id and level2.personal_id

    step = signin.sign_in(
        demo_db,
        personal_id=level1.personal_id,
        passcode=level1.passcode,
        ip="127.0.0.5",
        user_agent="test",
        old_token=None,
        next_path="/me",
    )
    assert step.session_token is not None

    step = signin.sign_in(
        demo_db,
        personal_id=level2.personal_id,
        passcode=level2.passcode,
        ip="127.0.0.5",
        user_agent="test",
        old_token=None,
        next_path="/me",
        required_level=2,
    )
    assert step.pending_token is not None and step.session_token is None
    (text,) = LocalSmsGateway(demo_db).messages_to(level2.phone)
    code = re.search(r"\b(\d{6})\b", text.body)
    assert code
    done = signin.finish_sign_in(
        demo_db,
        pending_token=step.pending_token,
        code=code[1],
        ip="127.0.0.5",
        user_agent="test",
        old_token=None,
    )
    assert done.session_token is not None

    # Another seed's passcode does not open the account.
    with pytest.raises(eid.LoginFailed):
        signin.check_passcode_login(
            demo_db,
            personal_id=level1.personal_id,
            passcode=derive_passcode(SEED + 1, "citizen.level1"),
            ip="127.0.0.5",
        )


def test_without_a_demo_the_citizen_logins_are_not_found(demo_db: Session) -> None:
    logins = service.logins_of_citizens(demo_db, seed=SEED)
    assert [login.personal_id for login in logins] == [None, None]


def test_the_same_seed_and_day_give_the_same_accounts(demo_db: Session) -> None:
    def snapshot() -> list[tuple[object, ...]]:
        return [
            tuple(row)
            for row in demo_db.execute(
                select(
                    EidAccount.personal_id,
                    EidAccount.level,
                    EidAccount.status,
                    EidAccount.phone,
                    EidAccount.created_at,
                ).order_by(EidAccount.id)
            )
        ]

    _load(demo_db, scale=SMALL)
    first = snapshot()
    again = _load(demo_db, scale=SMALL, mode="replace")
    assert again.deleted is not None
    assert again.deleted.eid_accounts == len(first)
    assert again.deleted.applications > 0
    assert snapshot() == first
    other = _load(demo_db, scale=SMALL, mode="replace", today=TODAY + dt.timedelta(days=40))
    assert other.eid_accounts > 0
    assert snapshot() != first
    assert demo_db.scalar(select(func.count()).select_from(IdCardApplication)) == (
        other.applications
    )


def test_nothing_in_the_demo_happens_after_the_day_began(demo_db: Session) -> None:
    """Loaded at any time on ``today``, no application step or account event is in the future:
    everything lies before local midnight at the start of that day."""
    _load(demo_db)
    midnight = dt.datetime.combine(TODAY, dt.time(), dt.timezone(dt.timedelta(hours=7)))
    app, account = IdCardApplication, EidAccount
    columns = (
        *(app.received_at, app.checked_at, app.sent_for_production_at, app.produced_at),
        *(app.returned_at, app.delivered_at, app.rejected_at),
        *(account.created_at, account.activated_at, account.locked_at, account.revoked_at),
    )
    latest = [demo_db.scalar(select(func.max(column))) for column in columns]
    found = [m if m.tzinfo else m.replace(tzinfo=dt.UTC) for m in latest if m is not None]
    assert len(found) >= 8
    assert max(found) < midnight
    assert max(found) > midnight - dt.timedelta(days=3)  # yet the demo reaches up to it
