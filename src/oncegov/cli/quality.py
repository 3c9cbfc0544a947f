"""``oncegov quality`` (being built)."""

import typer

app = typer.Typer(help="Data quality.", no_args_is_help=True)
