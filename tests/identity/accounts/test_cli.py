"""``oncegov eid`` commands, run on the test's rolled-back session."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oncegov.cli.main import app
from oncegov.identity.accounts import codes
from oncegov.identity.accounts.models import LoginEvent
from tests.fixtures import make_citizen, make_eid_account, run_cli_in

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_on_test_session(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    run_cli_in(db, monkeypatch)


def test_show_lock_unlock(db: Session) -> None:
    account = make_eid_account(db, make_citizen(db))
    shown = runner.invoke(app, ["eid", "show", account.personal_id])
    assert shown.exit_code == 0 and "active" in shown.output
    assert runner.invoke(app, ["eid", "lock", account.personal_id, "--reason", "x"]).exit_code == 0
    assert account.status == "locked"
    again = runner.invoke(app, ["eid", "lock", account.personal_id, "--reason", "x"])
    assert again.exit_code == 1 and "already locked" in again.output
    runner.invoke(app, ["eid", "unlock", account.personal_id, "--reason", "checked"])
    assert account.status == "active"


def test_sweep_purge_and_outbox(db: Session) -> None:
    dead = make_citizen(db, status="deceased", date_of_death=dt.date(2025, 1, 1))
    account = make_eid_account(db, dead, phone="0912000111")
    swept = runner.invoke(app, ["eid", "sweep-deceased"])
    assert "1 accounts revoked" in swept.output and account.status == "revoked"
    db.add(
        LoginEvent(
            account_id=account.id,
            personal_id=account.personal_id,
            event="login",
            created_at=dt.datetime(2015, 1, 1, tzinfo=dt.UTC),
        )
    )
    db.flush()
    purged = runner.invoke(app, ["eid", "purge-login-history"])
    assert "1 login history rows deleted" in purged.output
    alive = make_eid_account(db, make_citizen(db), phone="0912000222")
    codes.send_code(db, alive, "login")
    shown = runner.invoke(app, ["eid", "outbox", "0912000222"])
    assert "ma xac thuc" in shown.output
