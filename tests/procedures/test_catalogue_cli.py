"""``oncegov procedures load`` and ``list``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oncegov.cli.main import app
from tests.fixtures import run_cli_in
from tests.procedures.catalogue_files import minimal, write

runner = CliRunner()


def test_load_then_load_again_then_list(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    run_cli_in(db, monkeypatch)
    first = runner.invoke(app, ["procedures", "load"])
    assert first.exit_code == 0, first.output
    assert "added 1.004194 version 1" in first.output
    # The summary table: files, added, unchanged, errors.
    assert "│ 3     │ 6     │ 0         │ 0      │" in first.output
    again = runner.invoke(app, ["procedures", "load"])
    assert again.exit_code == 0, again.output
    assert "│ 3     │ 0     │ 6         │ 0      │" in again.output
    listed = runner.invoke(app, ["procedures", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "Đăng ký tạm trú" in listed.output and "6 procedures in force" in listed.output


def test_load_reports_each_problem_and_fails(
    db: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_cli_in(db, monkeypatch)
    procedure = minimal()
    procedure["form"][0]["source"] = "registry:blood_type"
    write(tmp_path, "broken.yaml", procedure)
    write(tmp_path, "good.yaml", minimal(code="9.999998"))
    result = runner.invoke(app, ["procedures", "load", "--path", str(tmp_path)])
    assert result.exit_code == 1
    assert "added 9.999998 version 1" in result.output
    assert "broken.yaml: 9.999999: form[0].source: unknown registry field 'blood_type'" in (
        result.output
    )
