"""``oncegov import citizens`` / ``oncegov export citizens`` against a database of their own
(committed data never reaches the shared test database)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oncegov import db as oncegov_db
from oncegov.audit.models import AuditEntry
from oncegov.cli.main import app
from oncegov.db import make_engine
from oncegov.migrate import upgrade
from oncegov.registry.bulk.models import ImportRun
from tests.dbsetup import drop_database, new_database_url
from tests.registry.bulk.rows import counts, person, write_csv

runner = CliRunner()
REASON = "Load of the Thục Phán registers"


@pytest.fixture
def cli_sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    url = new_database_url("bulkcli")
    upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr(oncegov_db, "get_sessionmaker", lambda: factory)
    monkeypatch.setattr("oncegov.cli.common.get_sessionmaker", lambda: factory)
    yield factory
    engine.dispose()
    drop_database(url)


def flat(output: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(output.split())


def table_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return counts(session)


def test_import_export_and_reimport(cli_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rows = [person(household_code="HK-CLI", relationship_to_head="head"), person("F")]
    source = write_csv(tmp_path / "in.csv", rows)

    loaded = runner.invoke(app, ["import", "citizens", str(source), "--reason", REASON])

    assert loaded.exit_code == 0, loaded.output
    assert "loaded" in loaded.output and "2 created" in flat(loaded.output)
    assert table_counts(cli_sessions)["citizens"] == 2
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"out{suffix}"
        exported = runner.invoke(
            app, ["export", "citizens", str(out), "--purpose", "Back-up for the commune"]
        )
        assert exported.exit_code == 0, exported.output
        assert "exported 2 citizens" in flat(exported.output)
        again = runner.invoke(app, ["import", "citizens", str(out), "--reason", "Re-check"])
        assert again.exit_code == 0, again.output
        assert "0 created, 0 updated, 2 unchanged" in flat(again.output)
    with cli_sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions == ["registry.import"] + ["registry.export", "registry.import"] * 2


def test_a_rejected_import_writes_nothing_but_its_run_and_a_full_report(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    good = person()
    bad_rows = [person(permanent_commune_code="99999") for _ in range(25)]
    source = write_csv(tmp_path / "bad.csv", [good, *bad_rows])
    report = tmp_path / "report.csv"

    result = runner.invoke(
        app, ["import", "citizens", str(source), "--reason", REASON, "--report", str(report)]
    )

    assert result.exit_code == 1
    output = flat(result.output)
    assert "rejected" in output and "nothing was written" in output
    assert "99999" in output and "… and 5 more" in output  # 20 shown
    with report.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["row", "personal_id", "field", "value", "code", "reason"]
    assert len(lines) == 1 + 25
    assert lines[1] == [
        "3",
        bad_rows[0]["personal_id"],
        "permanent_commune_code",
        "99999",
        "unknown_commune",
        "is not a known commune code",
    ]
    after = table_counts(cli_sessions)
    assert (after["citizens"], after["households"], after["registry_changes"]) == (0, 0, 0)
    assert after["import_runs"] == 1
    with cli_sessions() as session:
        run = session.scalar(select(ImportRun))
        assert run is not None
        assert (run.status, run.rows_total, run.rows_rejected, run.rows_created) == (
            "rejected",
            26,
            25,
            0,
        )


def test_accept_valid_loads_the_valid_rows(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "mixed.csv", [person(), person(sex="F", full_name="")])

    result = runner.invoke(
        app, ["import", "citizens", str(source), "--reason", REASON, "--accept-valid"]
    )

    assert result.exit_code == 0, result.output
    assert "partial" in result.output and "1 created" in flat(result.output)
    assert "full_name" in result.output
    assert table_counts(cli_sessions)["citizens"] == 1


def test_export_needs_a_purpose_and_import_a_reason(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    assert runner.invoke(app, ["export", "citizens", str(tmp_path / "x.csv")]).exit_code == 2
    source = write_csv(tmp_path / "in.csv", [person()])
    assert runner.invoke(app, ["import", "citizens", str(source)]).exit_code == 2
    blank = runner.invoke(app, ["import", "citizens", str(source), "--reason", " "])
    assert blank.exit_code == 1 and "reason" in blank.output
    assert table_counts(cli_sessions)["citizens"] == 0
