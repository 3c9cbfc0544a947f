"""One clock: nothing but ``oncegov.kit.clock`` asks the machine for the date or the time.

The machine's own "today" and a naive "now" give the machine's day, which between 17:00 and
24:00 UTC is not the day in Vietnam; even an aware "now" in UTC outside the clock makes
a second source of "now" that tests cannot move. Ruff's DTZ rules catch the naive calls; this
test also catches the aware ones and ``time.time()`` used as a wall clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK = ROOT / "src" / "oncegov" / "kit" / "clock.py"
FORBIDDEN = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}


def _calls_to_the_machine_clock(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if (owner_name, node.func.attr) in FORBIDDEN:
            found.append(f"{path.relative_to(root)}:{node.lineno} {owner_name}.{node.func.attr}()")
    return found


def test_only_the_clock_reads_the_machine_clock() -> None:
    offenders = [
        hit
        for folder in ("src", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != CLOCK
        for hit in _calls_to_the_machine_clock(path)
    ]
    assert offenders == []


def test_the_rule_sees_a_call(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    calls = ("dt.date." + "today()", "dt.datetime." + "now(dt.UTC)")  # spelt apart: not a call
    sample.write_text("import datetime as dt\nx = {}\ny = {}\n".format(*calls))
    assert len(_calls_to_the_machine_clock(sample, tmp_path)) == 2
