"""``oncegov link run`` and ``oncegov link sample-extract``: progress, write-back, errors that
name the field and store nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oncegov.cli.main import app
from oncegov.linkage import service
from oncegov.linkage.models import LinkageRun, SectorLink
from oncegov.registry.models import Citizen
from tests.fixtures import make_citizen

runner = CliRunner()
HEADER = "MA_SO_BHXH,HO_TEN,NGAY_SINH,GIOI_TINH,DIA_CHI,SO_CMND,SO_DDCN,DIEN_THOAI\n"


def _citizens(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with factory() as session:
        made = [
            make_citizen(session, full_name="Nông Văn Dũng", birth_year=1985, sex="M"),
            make_citizen(session, full_name="Bế Thị Lan", birth_year=1990, sex="F"),
        ]
        pairs = [(c.personal_id, c.full_name) for c in made]
        session.commit()
    return pairs


def _link_run(source: str, extract: Path, mapping: Path, out: Path) -> list[str]:
    return [
        *("link", "run", "--source", source, "--extract", str(extract)),
        *("--mapping", str(mapping), "--out", str(out)),
    ]


def _runs(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(LinkageRun)) or 0


def test_run_writes_the_file_and_stores_the_run(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    (pid_a, name_a), (pid_b, name_b) = _citizens(cli_sessions)
    extract = tmp_path / "bhxh.csv"
    extract.write_text(
        HEADER
        + f"K1,{name_a},17/05/1985,1,Cao Bằng,,{pid_a},\n"
        + f"K2,{name_b.upper()},05/17/1990,0,Cao Bằng,,{pid_b},\n",  # day and month swapped
        encoding="utf-8",
    )
    mapping = tmp_path / "bhxh.yaml"
    mapping.write_text(service.SYNTHETIC_MAPPING, encoding="utf-8")
    out = tmp_path / "linked.csv"
    before = _runs(cli_sessions)
    result = runner.invoke(app, _link_run("social-insurance", extract, mapping, out))
    assert result.exit_code == 0, result.output
    assert "Deterministic rules" in result.output  # the progress bar's stages
    assert "wrote 2 lines" in result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["record_key"], r["personal_id"], r["band"], r["method"]) for r in rows] == [
        ("K1", pid_a, "auto_link", "deterministic"),
        ("K2", pid_b, "auto_link", "deterministic"),
    ]
    assert _runs(cli_sessions) == before + 1
    with cli_sessions() as session:
        assert session.get(SectorLink, ("social-insurance", "K2")) is not None


def test_a_missing_mapped_column_names_it_and_stores_nothing(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    extract = tmp_path / "bhxh.csv"
    extract.write_text(HEADER.replace("NGAY_SINH", "NGAYSINH") + "K1,A B,1985,1,,,,\n", "utf-8")
    mapping = tmp_path / "bhxh.yaml"
    mapping.write_text(service.SYNTHETIC_MAPPING, encoding="utf-8")
    out = tmp_path / "linked.csv"
    before = _runs(cli_sessions)
    result = runner.invoke(app, _link_run("social-insurance", extract, mapping, out))
    assert result.exit_code == 1
    assert "date_of_birth" in result.output
    assert not out.exists()
    assert _runs(cli_sessions) == before


def test_an_unknown_source_is_refused(cli_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(service.SYNTHETIC_MAPPING, encoding="utf-8")
    (tmp_path / "e.csv").write_text(HEADER, encoding="utf-8")
    result = runner.invoke(
        app, _link_run("pensions", tmp_path / "e.csv", mapping, tmp_path / "o.csv")
    )
    assert result.exit_code == 1
    assert "source" in result.output


def test_sample_extract_writes_extract_mapping_and_truth(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _citizens(cli_sessions)
    out = tmp_path / "sample.csv"
    result = runner.invoke(app, ["link", "sample-extract", "--out", str(out), "--size", "3"])
    assert result.exit_code == 0, result.output
    truth = list(csv.DictReader(out.with_suffix(".truth.csv").open(encoding="utf-8")))
    extract = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(truth) == len(extract) >= 2
    assert [r["MA_SO_BHXH"] for r in extract] == [r["record_key"] for r in truth]
    assert out.with_suffix(".mapping.yaml").read_text(encoding="utf-8").startswith("#")


def test_sample_extract_by_the_independent_generator_reads_as_an_extract(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    from oncegov.linkage.extract import load_mapping, read_extract

    with cli_sessions() as session:
        people = [
            make_citizen(session, full_name=name, birth_year=1950 + i, sex="MF"[i % 2])
            for i, name in enumerate(
                ["Nông Văn Dũng", "Bế Thị Lan", "Hoàng Văn Hùng", "Lương Thị Hoà", "Đàm Văn Khoẻ"]
                * 8
            )
        ]
        made = {c.personal_id for c in people}
        session.commit()
    out = tmp_path / "independent.csv"
    result = runner.invoke(
        app,
        ["link", "sample-extract", "--out", str(out), "--size", "30", "--generator", "independent"],
    )
    assert result.exit_code == 0, result.output
    truth = list(csv.DictReader(out.with_suffix(".truth.csv").open(encoding="utf-8")))
    read = read_extract(out, load_mapping(out.with_suffix(".mapping.yaml")))
    assert [r.record_key for r in read.records] == [t["record_key"] for t in truth]
    assert len(truth) >= 20
    # Every label names a living registry person (of this test or an earlier one) or nobody.
    with cli_sessions() as session:
        living = set(session.scalars(select(Citizen.personal_id).where(Citizen.status == "living")))
    assert made <= living
    assert {t["personal_id"] for t in truth if t["personal_id"]} <= living


def test_sample_extract_refuses_an_unknown_generator(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _citizens(cli_sessions)
    out = tmp_path / "x.csv"
    result = runner.invoke(
        app, ["link", "sample-extract", "--out", str(out), "--size", "2", "--generator", "mine"]
    )
    assert result.exit_code != 0
    assert "generator" in result.output
    assert not out.exists()


def test_link_demo_links_a_sample_once(cli_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _citizens(cli_sessions)
    first = runner.invoke(app, ["link", "demo", "--directory", str(tmp_path), "--size", "2"])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "social-insurance.linked.csv").exists()
    runs = _runs(cli_sessions)
    again = runner.invoke(app, ["link", "demo", "--directory", str(tmp_path), "--if-empty"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert _runs(cli_sessions) == runs
