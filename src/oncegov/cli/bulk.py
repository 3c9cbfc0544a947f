"""``oncegov import`` / ``oncegov export`` (being built)."""

import typer

import_app = typer.Typer(help="Import registry data.", no_args_is_help=True)
export_app = typer.Typer(help="Export registry data.", no_args_is_help=True)
