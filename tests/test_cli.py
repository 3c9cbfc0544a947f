"""The `oncegov` command line, run against its own migrated database."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oncegov.cli.main import app

runner = CliRunner()


def test_users_create_list_and_token(cli_sessions: sessionmaker[Session]) -> None:
    result = runner.invoke(
        app,
        [
            "users",
            "create",
            "xa.cli",
            "--name",
            "Cán bộ xã",
            "--role",
            "commune_officer@commune:01273",
            "--password",
            "a long enough password",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/OnceGov:xa.cli" in result.output
    listed = runner.invoke(app, ["users", "list"])
    assert "xa.cli" in listed.output and "commune_officer@commune:01273" in listed.output
    token = runner.invoke(
        app, ["users", "token", "bhxh", "--permission", "registry.read", "--scope", "province:04"]
    )
    assert token.exit_code == 0 and token.output.strip().startswith("og_")


def test_users_create_reports_the_field_at_fault(cli_sessions: sessionmaker[Session]) -> None:
    result = runner.invoke(
        app,
        [
            "users",
            "create",
            "xa.bad",
            "--name",
            "X",
            "--role",
            "commune_officer@commune:99999",
            "--password",
            "a long enough password",
        ],
    )
    assert result.exit_code == 1
    assert "scope" in result.output and "99999" in result.output


def test_audit_verify_reports_an_intact_chain(cli_sessions: sessionmaker[Session]) -> None:
    from oncegov.audit import service as audit
    from oncegov.kit.actor import Actor

    with cli_sessions() as session:
        audit.record(session, Actor.system("test"), "registry.read", purpose="cli test")
        session.commit()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_citizen_lookup_from_the_shell_is_audited(cli_sessions: sessionmaker[Session]) -> None:
    from sqlalchemy import select

    from oncegov.audit.models import AuditEntry
    from tests.fixtures import make_citizen

    with cli_sessions() as session:
        citizen = make_citizen(session, full_name="Lục Thị Hoa", sex="F", birth_year=1990)
        number = citizen.personal_id
        session.commit()
    shown = runner.invoke(app, ["citizens", "show", number, "--purpose", "hồ sơ 12/2026"])
    assert shown.exit_code == 0, shown.output
    assert "Lục Thị Hoa" in shown.output
    found = runner.invoke(app, ["citizens", "search", "luc thi hoa 1990", "--purpose", "tra cứu"])
    assert number in found.output
    with cli_sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.subject_personal_id == number)
        ).one()
        assert (entry.action, entry.purpose, entry.channel) == (
            "registry.read",
            "hồ sơ 12/2026",
            "cli",
        )
    missing = runner.invoke(app, ["citizens", "show", "004085999999", "--purpose", "x"])
    assert missing.exit_code == 1 and "personal_id" in missing.output


def test_audit_verify_fails_on_tampering(cli_sessions: sessionmaker[Session]) -> None:
    from sqlalchemy import text

    from oncegov.audit import service as audit
    from oncegov.kit.actor import Actor

    with cli_sessions() as session:
        audit.record(session, Actor.system("test"), "registry.read", purpose="before")
        audit.record(session, Actor.system("test"), "registry.read", purpose="after")
        session.commit()
    with cli_sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            session.execute(text("UPDATE audit_entries SET purpose = 'edited' WHERE seq = 1"))
            session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
        else:
            session.execute(text("DROP TRIGGER audit_entries_no_update"))
            session.execute(text("UPDATE audit_entries SET purpose = 'edited' WHERE seq = 1"))
        session.commit()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "entry 1" in result.output and "altered" in result.output
