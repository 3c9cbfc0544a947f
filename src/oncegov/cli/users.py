"""``oncegov users``: officer accounts and their roles."""

from __future__ import annotations

import typer
from rich.table import Table

from oncegov.auth import service as auth
from oncegov.auth.roles import ROLES
from oncegov.cli.common import console, fail, transaction
from oncegov.errors import OnceGovError

app = typer.Typer(help="Officer accounts and roles.", no_args_is_help=True)


def _parse_role(spec: str) -> tuple[str, str, str]:
    """``commune_officer@commune:01273`` → (role, scope kind, scope code)."""
    try:
        role, scope = spec.split("@", 1)
        kind, code = scope.split(":", 1)
    except ValueError as exc:
        raise typer.BadParameter(f"expected ROLE@KIND:CODE, got {spec!r}") from exc
    return role, kind, code


@app.command("create")
def create(
    username: str,
    full_name: str = typer.Option(..., "--name", help="Full name of the officer."),
    role: list[str] = typer.Option(
        ...,
        "--role",
        help=f"ROLE@KIND:CODE, e.g. commune_officer@commune:01273. Roles: {', '.join(ROLES)}.",
    ),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an officer; prints the TOTP enrolment URI once."""
    try:
        with transaction() as session:
            created = auth.create_officer(
                session,
                username=username,
                full_name=full_name,
                password=password,
                roles=[_parse_role(r) for r in role],
            )
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"created officer [bold]{created.officer.username}[/bold]")
    console.print("Enrol this in an authenticator app (shown once):")
    console.print(created.provisioning_uri)


@app.command("list")
def list_officers() -> None:
    """List officers and their roles."""
    with transaction() as session:
        rows = auth.list_officers(session)
        table = Table("username", "name", "roles", "active")
        for officer, roles in rows:
            table.add_row(
                officer.username,
                officer.full_name,
                ", ".join(f"{r.role}@{r.scope_kind}:{r.scope_code}" for r in roles),
                "yes" if officer.is_active else "no",
            )
    console.print(table)


@app.command("token")
def create_token(
    name: str,
    permission: list[str] = typer.Option(..., "--permission"),
    scope: str = typer.Option(..., help="KIND:CODE, e.g. province:04"),
) -> None:
    """Create a service token for another system (printed once)."""
    kind, _, code = scope.partition(":")
    try:
        with transaction() as session:
            token = auth.create_service_token(
                session, name=name, permissions=permission, scope_kind=kind, scope_code=code
            )
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(token)
