"""``oncegov quality``: run the data-quality rules over the province, list the rules."""

from __future__ import annotations

import time

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from oncegov.cli.common import cli_actor, console, progress, transaction
from oncegov.registry.quality import service
from oncegov.registry.quality.rules import RULES, Rule
from oncegov.registry.quality.schemas import RuleRunCounts

app = typer.Typer(help="Data quality.", no_args_is_help=True)


class _RichProgress:
    """Advances one bar over the rules, naming the rule being checked."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID = bar.add_task("checking", total=len(RULES))

    def rule_started(self, rule: Rule) -> None:
        self.bar.update(self.task, description=rule.code)

    def rule_finished(self, rule: Rule, counts: RuleRunCounts) -> None:
        self.bar.advance(self.task)


@app.command("run")
def run() -> None:
    """Run every rule over the configured province and store the findings."""
    started = time.perf_counter()
    with transaction() as session, progress() as bar:
        result = service.run_checks(session, cli_actor(), progress=_RichProgress(bar))
        bar.update(bar.task_ids[0], description="done")
    elapsed = time.perf_counter() - started
    table = Table("rule", "found", "new", "reopened", "closed", "seconds")
    for counts in result.rules:
        table.add_row(
            counts.rule,
            f"{counts.seen:,}",
            f"{counts.new:,}",
            f"{counts.reopened:,}",
            f"{counts.closed:,}",
            f"{counts.seconds:.2f}",
        )
    table.add_row(
        "[bold]total[/bold]",
        f"{result.findings_seen:,}",
        f"{result.findings_new:,}",
        f"{result.findings_reopened:,}",
        f"{result.findings_closed:,}",
        f"{elapsed:.2f}",
    )
    console.print(table)
    console.print(f"run [bold]#{result.id}[/bold] committed in {elapsed:.1f}s")


@app.command("rules")
def rules() -> None:
    """List the rules: code, severity, what each looks for."""
    table = Table("code", "severity", "subject", "description")
    for rule in RULES:
        table.add_row(rule.code, rule.severity, rule.subject_kind, rule.description)
    console.print(table)
