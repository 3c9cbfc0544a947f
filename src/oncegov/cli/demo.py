"""``oncegov demo``: generate and load the demo province (being built)."""

from __future__ import annotations

import typer


def demo(scale: float = typer.Option(1.0, help="Fraction of the full population.")) -> None:
    """Generate and load a synthetic population for the configured province."""
    raise typer.Exit(1)
