"""Start-up: `oncegov serve` and every command that touches the database check the schema
version first (a one-line "run `oncegov migrate`", exit 1, no stack trace); `oncegov demo`
migrates by itself; production refuses development secrets, insecure cookies and demo
officers, naming each setting by its environment variable and never showing a value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oncegov.app import InsecureProductionSettings, create_app
from oncegov.cli import common
from oncegov.config import Environment, Settings, settings
from oncegov.db import make_engine
from oncegov.migrate import SchemaState, alembic_config, schema_status, upgrade
from tests.dbsetup import drop_database, new_database_url
from tests.fixtures import make_officer

runner = CliRunner()
TEST_SECRET = "a-production-secret-that-must-never-be-printed-0123456789"


def _invoke(*args: str) -> tuple[int, str]:
    from oncegov.cli.main import app

    result = runner.invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output


@pytest.fixture
def empty_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A database nobody migrated, which the CLI's sessions (and `serve`) open."""
    url = new_database_url("unmigrated")
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr("oncegov.db.get_sessionmaker", lambda: factory)
    monkeypatch.setattr(common, "get_sessionmaker", lambda: factory)
    monkeypatch.setattr(common, "_checked", set())
    yield engine
    engine.dispose()
    drop_database(url)


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`serve` stops short of listening: the call to uvicorn is recorded instead."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(settings, "server_tuning", settings.server_tuning)
    monkeypatch.setenv("ONCEGOV_SERVER_TUNING", "false")
    return calls


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# --- the schema version ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("users", "list"),
        ("citizens", "search", "Nông Văn Dũng", "--purpose", "kiểm tra"),
        ("audit", "verify"),
        ("demo", "logins"),
        ("health", "facilities"),
    ],
)
def test_commands_on_an_unmigrated_database_say_run_migrate(
    empty_database: Engine, command: tuple[str, ...]
) -> None:
    code, output = _invoke(*command)
    assert code == 1
    assert "run `oncegov migrate`" in output
    assert "Traceback" not in output and "no such table" not in output
    assert len(output.strip().splitlines()) == 1


def test_serve_refuses_an_unmigrated_database(
    empty_database: Engine, uvicorn_runs: list[dict[str, Any]]
) -> None:
    code, output = _invoke("serve", "--port", "8999")
    assert code == 1
    assert "run `oncegov migrate`" in output and "Traceback" not in output
    assert uvicorn_runs == []


def test_migrate_then_serve_starts(
    empty_database: Engine, uvicorn_runs: list[dict[str, Any]]
) -> None:
    code, output = _invoke("migrate")
    assert code == 0 and "up to date" in output
    code, output = _invoke("serve", "--port", "8999")
    assert code == 0, output
    assert [call["port"] for call in uvicorn_runs] == [8999]


def test_a_database_behind_the_code_is_named(empty_database: Engine) -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_revision(scripts.get_current_head())
    assert head is not None and isinstance(head.down_revision, str)
    upgrade(_url(empty_database), head.down_revision)
    status = schema_status(empty_database)
    assert status.state is SchemaState.BEHIND
    code, output = _invoke("users", "list")
    assert code == 1
    assert "older than this release" in output and "run `oncegov migrate`" in output
    assert head.down_revision in output and head.revision in output


def test_a_database_ahead_of_the_code_is_named(empty_database: Engine) -> None:
    upgrade(_url(empty_database))
    with empty_database.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    assert schema_status(empty_database).state is SchemaState.UNKNOWN
    code, output = _invoke("users", "list")
    assert code == 1
    assert "unknown to this release" in output and "ffffffffffff" in output
    assert "Traceback" not in output


def test_demo_migrates_by_itself(empty_database: Engine) -> None:
    code, output = _invoke("demo", "--scale", "0.002", "--seed", "4242")
    assert code == 0, output
    assert "loaded" in output
    assert schema_status(empty_database).state is SchemaState.CURRENT


def test_commands_on_an_unreachable_database_say_so(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    factory = sessionmaker(bind=engine)
    monkeypatch.setattr(common, "get_sessionmaker", lambda: factory)
    monkeypatch.setattr(common, "_checked", set())
    code, output = _invoke("users", "list")
    assert code == 1
    assert "The database does not answer" in output and "Traceback" not in output


# --- production settings -----------------------------------------------------------------------


def test_environment_is_one_of_three() -> None:
    assert {e.value for e in Environment} == {"development", "test", "production"}
    assert Settings(environment="test").environment is Environment.TEST
    with pytest.raises(ValidationError):
        Settings(environment="prod")


def test_production_names_every_development_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONCEGOV_SECRET_KEY", raising=False)
    defaults = Settings(environment="production")
    assert defaults.production_problems() == [
        "ONCEGOV_SECRET_KEY",
        "ONCEGOV_FIELD_ENCRYPTION_KEY",
        "ONCEGOV_PORTAL_CLIENT_SECRET",
        "ONCEGOV_AUDIT_HMAC_KEY",
        "ONCEGOV_AUDIT_CHECKPOINT_KEY",
        "ONCEGOV_COOKIE_SECURE",
    ]
    fixed = Settings(
        environment="production",
        secret_key=TEST_SECRET,
        field_encryption_key="dev-only-copied-from-the-code-into-the-secret-store",
        audit_hmac_key=TEST_SECRET[::-1],
        audit_checkpoint_key_file="/etc/oncegov/audit-checkpoint.pem",
        portal_client_secret=TEST_SECRET + "-portal",
        cookie_secure=True,
    )
    assert fixed.production_problems() == ["ONCEGOV_FIELD_ENCRYPTION_KEY"]


def test_the_check_covers_any_secret_setting_with_a_default() -> None:
    """A secret added later is covered without touching the check."""

    class Extended(Settings):
        exchange_signing_key: SecretStr = SecretStr("a-default-someone-forgot-to-prefix")

    settings_ = Extended(
        secret_key=TEST_SECRET,
        field_encryption_key=TEST_SECRET,
        audit_hmac_key=TEST_SECRET[::-1],
        audit_checkpoint_key="a PEM from the secret store",
        portal_client_secret=TEST_SECRET + "-portal",
    )
    assert settings_.production_problems() == [
        "ONCEGOV_EXCHANGE_SIGNING_KEY",
        "ONCEGOV_COOKIE_SECURE",
    ]


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "environment", Environment.PRODUCTION)
    monkeypatch.setattr(settings, "secret_key", SecretStr(TEST_SECRET))
    monkeypatch.setattr(settings, "audit_hmac_key", SecretStr(TEST_SECRET[::-1]))
    monkeypatch.setattr(settings, "portal_client_secret", SecretStr(TEST_SECRET + "-portal"))
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    monkeypatch.setattr(settings, "audit_checkpoint_key", SecretStr(pem.decode()))


def test_serve_refuses_production_with_development_settings(
    cli_sessions: sessionmaker[Session],
    production: None,
    uvicorn_runs: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(common, "_checked", set())
    default_field_key = Settings.model_fields["field_encryption_key"].default
    monkeypatch.setattr(settings, "field_encryption_key", default_field_key)
    code, output = _invoke("serve")
    assert code == 1
    assert "refusing to start in production" in output
    assert "ONCEGOV_FIELD_ENCRYPTION_KEY" in output and "ONCEGOV_COOKIE_SECURE" in output
    assert "ONCEGOV_SECRET_KEY" not in output  # set to a real secret
    assert default_field_key.get_secret_value() not in output and TEST_SECRET not in output
    assert uvicorn_runs == []

    monkeypatch.setattr(settings, "field_encryption_key", SecretStr(TEST_SECRET[::-1]))
    monkeypatch.setattr(settings, "cookie_secure", True)
    code, output = _invoke("serve")
    assert code == 0, output
    assert len(uvicorn_runs) == 1


def test_serve_refuses_production_with_demo_officers(
    cli_sessions: sessionmaker[Session],
    production: None,
    uvicorn_runs: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(common, "_checked", set())
    monkeypatch.setattr(settings, "field_encryption_key", SecretStr(TEST_SECRET[::-1]))
    monkeypatch.setattr(settings, "cookie_secure", True)
    with cli_sessions() as session:
        make_officer(session, "pc06.demo", ("provincial_officer", "province", "04"))
        session.commit()
    try:
        code, output = _invoke("serve")
        assert code == 1
        assert "demo officer accounts exist" in output and "pc06.demo" in output
        assert uvicorn_runs == []
    finally:
        with cli_sessions() as session:
            session.execute(text("DELETE FROM role_assignments"))
            session.execute(text("DELETE FROM officers WHERE username = 'pc06.demo'"))
            session.commit()


def test_the_app_itself_refuses_production_with_development_settings(
    production: None,
) -> None:
    """Started by any other means than `oncegov serve` (uvicorn directly)."""
    with pytest.raises(InsecureProductionSettings) as refused, TestClient(create_app()):
        pass
    assert "ONCEGOV_FIELD_ENCRYPTION_KEY" in str(refused.value)
    assert TEST_SECRET not in str(refused.value)
