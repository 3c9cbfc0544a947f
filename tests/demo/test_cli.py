"""``oncegov demo`` and ``oncegov demo logins`` end to end, on a database of their own."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oncegov.auth.models import Officer
from oncegov.config import settings
from oncegov.demo.accounts import derive_passcode, derive_password, derive_phone, derive_totp_secret
from oncegov.registry.models import Citizen
from tests.demo.conftest import SEED, SMALL

runner = CliRunner()
USERNAMES = (
    "pc06.demo",
    "cccd.demo",
    "xa.thucphan",
    "xa.nungtricao",
    "thanhtra.demo",
    "quantri.demo",
    "letan.demo",
    "yte.demo",
    "doisoat.demo",
    "motcua.demo",
    "xuly.demo",
    "pheduyet.demo",
    "so.demo",
    "giamdoc.demo",
)


def _invoke(*args: str) -> tuple[int, str]:
    from oncegov.cli.main import app

    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _citizens(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Citizen)) or 0)


def _shown_code(output: str, username: str) -> str:
    """The sign-in table's row of the username (its password), the otpauth URI to enrol it in
    an authenticator, and the code an app enrolled with that URI shows right now."""
    row = re.search(rf"{re.escape(username)}\s*│[^│]*│\s*([a-z0-9-]{{19}})\s*│", output)
    assert row, output
    assert row[1] == derive_password(SEED, username)
    uri = re.search(rf"otpauth://totp/[^\s]*:{re.escape(username)}\?secret=([A-Z2-7]+)\S*", output)
    assert uri, output
    assert uri[1] == derive_totp_secret(SEED, username)
    return str(pyotp.parse_uri(uri[0]).now())


def test_demo_loads_prints_sign_ins_then_skips_refuses_and_replaces(cli_engine: Engine) -> None:
    code, output = _invoke("demo", "--scale", str(SMALL), "--seed", str(SEED))
    assert code == 0, output
    assert "loaded" in output and "Cao Bằng" in output
    assert "chip ID-card applications" in output and "eID accounts" in output
    for label in ("citizen.level1", "citizen.level2"):
        row = re.search(
            rf"(\d{{12}})\s*│\s*{derive_passcode(SEED, label)}\s*│\s*{derive_phone(SEED, label)}",
            output,
        )
        assert row, output
    loaded = _citizens(cli_engine)
    assert 1_000 < loaded < 1_300
    with Session(cli_engine) as session:
        officers = set(session.scalars(select(Officer.username)))
    assert officers == set(USERNAMES)
    for username in USERNAMES:
        shown = _shown_code(output, username)
        totp = pyotp.TOTP(derive_totp_secret(SEED, username))
        assert totp.verify(shown, valid_window=1)

    code, output = _invoke("demo", "--if-empty", "--scale", str(SMALL * 2), "--seed", str(SEED))
    assert code == 0, output
    assert "nothing to do" in output
    assert _citizens(cli_engine) == loaded
    _shown_code(output, "pc06.demo")  # the sign-ins are printed again

    code, output = _invoke("demo", "--scale", str(SMALL))
    assert code == 1
    assert "already holds" in output
    assert _citizens(cli_engine) == loaded

    code, output = _invoke("demo", "--replace", "--scale", str(SMALL * 2), "--seed", str(SEED))
    assert code == 0, output
    assert "deleted the earlier demo population" in output
    deleted = r"[1-9][\d,]*\s+ID-card\s+applications,\s+[1-9][\d,]*\s+eID\s+accounts"
    assert re.search(deleted, output)
    assert _citizens(cli_engine) > 1.8 * loaded


def test_logins_prints_the_derived_credentials(cli_engine: Engine) -> None:
    code, output = _invoke("demo", "logins", "--seed", str(SEED))
    assert code == 0, output
    for username in USERNAMES:
        _shown_code(output, username)
    assert derive_passcode(SEED, "citizen.level2") in output and "not loaded" in output
    assert _citizens(cli_engine) == 0  # printing sign-ins loads nothing


def test_code_prints_a_code_valid_now_and_no_table_prints_an_expiring_one(
    cli_engine: Engine,
) -> None:
    code, output = _invoke("demo", "logins", "--seed", str(SEED))
    assert code == 0, output
    for username in USERNAMES:  # a printed code would be stale by the time it is typed
        now = pyotp.TOTP(derive_totp_secret(SEED, username)).now()
        assert not re.search(rf"(?<![\dA-Z]){now}(?![\dA-Z])", output)
    code, output = _invoke("demo", "code", "pc06.demo", "--seed", str(SEED))
    assert code == 0, output
    shown = re.search(r"pc06\.demo: (\d{6}) \(valid for about (\d+) s", output)
    assert shown, output
    assert pyotp.TOTP(derive_totp_secret(SEED, "pc06.demo")).verify(shown[1], valid_window=1)
    assert 30 < int(shown[2]) <= 60
    code, output = _invoke("demo", "code", "nobody")
    assert code == 2 and "not a demo officer" in output


def test_demo_is_refused_in_production(cli_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "environment", "production")
    code, output = _invoke("demo", "--scale", str(SMALL))
    assert code == 1
    assert "not allowed in production" in output
    code, output = _invoke("demo", "logins")
    assert code == 1
    assert _citizens(cli_engine) == 0


def test_if_empty_and_replace_together_are_rejected() -> None:
    code, output = _invoke("demo", "--if-empty", "--replace")
    assert code == 2  # a usage error, raised before any database work
    assert "either --if-empty or --replace" in output
