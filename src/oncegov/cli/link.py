"""``oncegov link``: link a sector database's extract to the registry (record linkage)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import TaskID
from rich.table import Table

from oncegov.cli.common import cli_actor, console, fail, progress, transaction
from oncegov.errors import OnceGovError
from oncegov.linkage import service

app = typer.Typer(
    help="Record linkage: attach personal ID numbers to a sector database's records.",
    no_args_is_help=True,
)


def _run(source: str, extract: Path, mapping: Path, out: Path) -> None:
    try:
        with transaction() as session, progress() as bar:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(service.STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            summary = service.run_linkage(
                session,
                cli_actor(),
                source=source,
                extract_path=extract,
                mapping_path=mapping,
                on_progress=report,
            )
            rows = service.output_rows(session, summary.run_id)
            # Written before the commit: a file that cannot be written rolls the run back.
            written = service.write_output(rows, out)
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(_summary_table(summary))
    console.print(f"wrote {written:,} lines to {out}")


@app.command("run")
def run(
    source: str = typer.Option(..., "--source", help="The sector database, e.g. social-insurance."),
    extract: Path = typer.Option(..., "--extract", help="The extract: CSV or Parquet."),
    mapping: Path = typer.Option(..., "--mapping", help="Its column mapping: YAML or TOML."),
    out: Path = typer.Option(..., "--out", help="The write-back CSV to create."),
) -> None:
    """Link every record of the extract: deterministic rules, then the trained model; store
    the run; write one line per record (record key, personal ID, band, probability, method,
    reason). Nothing is stored and no file is written if anything fails."""
    _run(source, extract, mapping, out)


@app.command("demo")
def demo(
    directory: Path = typer.Option(Path("var/demo"), help="Where the demo extract is written."),
    size: int = typer.Option(10_000, min=1, help="Records of the demo extract."),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Do nothing if social insurance has been linked already."
    ),
) -> None:
    """Draw a labelled demo social-insurance extract from the registry and link it, so the
    review queue and the sync report have something to show. Not in production."""
    source = "social-insurance"
    with transaction() as session:
        linked_before = service.has_runs(session, source)
    if if_empty and linked_before:
        console.print("social insurance is linked already: nothing to do")
        return
    extract = directory / "social-insurance.csv"
    try:
        with transaction() as session:
            files = service.write_synthetic_extract(
                session, cli_actor(), size=size, seed=5, out=extract
            )
    except OnceGovError as exc:
        raise fail(exc) from exc
    _run(source, files.extract, files.mapping, directory / "social-insurance.linked.csv")


def _summary_table(summary: service.RunSummary) -> Table:
    table = Table(
        title=f"Linkage run {summary.run_id}: {summary.source} ({summary.settings_version})"
    )
    table.add_column("", style="bold")
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    total = max(summary.records, 1)
    for label, count in (
        ("linked by rule", summary.linked_deterministic),
        ("linked by the model", summary.linked_model),
        ("linked by an officer's decision", summary.linked_clerical),
        ("clerical review", summary.review),
        ("no match", summary.unmatched),
        ("all records", summary.records),
    ):
        table.add_row(label, f"{count:,}", f"{count / total:.2%}")
    table.caption = (
        f"{summary.pairs_compared:,} pairs compared, {summary.new_links:,} new links, "
        f"{summary.seconds:.1f} s"
    )
    return table


@app.command("sample-extract")
def sample_extract(
    out: Path = typer.Option(..., "--out", help="The CSV to create (mapping and truth beside it)."),
    size: int = typer.Option(20_000, min=1, help="Records to draw from the registry."),
    seed: int = typer.Option(5, help="Seed: same registry and seed, same extract."),
    generator: str = typer.Option(
        "own",
        help="own (the generator the model was tuned on) or independent (written apart from "
        "the model, never tuned on).",
    ),
) -> None:
    """Write a labelled synthetic social-insurance extract drawn from the registry with
    realistic corruptions, its mapping file and its truth file. Not in production."""
    try:
        with transaction() as session:
            files = service.write_synthetic_extract(
                session, cli_actor(), size=size, seed=seed, out=out, generator=generator
            )
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"{files.records:,} records: {files.extract}, {files.mapping}, {files.truth}")
