"""``oncegov oidc``: relying parties (clients) and signing keys of the OpenID Connect provider."""

from __future__ import annotations

from pathlib import Path

import typer

from oncegov.cli.common import cli_actor, console, fail, transaction
from oncegov.errors import OnceGovError
from oncegov.identity.oidc import keys, service
from oncegov.identity.oidc.schemas import client_form

app = typer.Typer(help="OpenID Connect provider: clients and keys.", no_args_is_help=True)
clients_app = typer.Typer(help="Relying parties (services using eID sign-in).")
keys_app = typer.Typer(help="ID-token signing keys.")
app.add_typer(clients_app, name="clients")
app.add_typer(keys_app, name="keys")


@clients_app.command("add")
def add(
    name: str = typer.Option(..., "--name"),
    agency: str = typer.Option(..., "--agency"),
    redirect_uri: list[str] = typer.Option(..., "--redirect-uri", help="Repeat for several."),
    post_logout_uri: list[str] = typer.Option([], "--post-logout-uri"),
    scopes: str = typer.Option("openid profile", "--scopes", help="Space-separated."),
    max_level: int = typer.Option(2, "--max-level", help="Highest eID level it may ask for."),
    auth: str = typer.Option("secret", "--auth", help="secret | private_key_jwt"),
    jwks: Path | None = typer.Option(None, "--jwks", help="Public JWKS file (private_key_jwt)."),
    require_nonce: bool = typer.Option(False, "--require-nonce"),
) -> None:
    """Register a client; a secret is printed once and cannot be read again."""
    try:
        form = client_form(
            name=name,
            agency=agency,
            redirect_uris=redirect_uri,
            post_logout_redirect_uris=post_logout_uri,
            scopes=scopes.replace(",", " ").split(),
            max_level=max_level,
            auth_method="private_key_jwt" if auth == "private_key_jwt" else "client_secret_basic",
            jwks=jwks.read_text() if jwks else None,
            require_nonce=require_nonce,
        )
        with transaction() as session:
            created = service.register_client(session, form, cli_actor())
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"client_id: {created.client.client_id}")
    if created.secret:
        console.print(f"client_secret: {created.secret}  (shown once)")


@clients_app.command("list")
def list_clients() -> None:
    """List the registered clients."""
    with transaction() as session:
        clients = service.list_clients(session)
    # One plain line per client: ids must stay copyable whatever the terminal width.
    for c in clients:
        state = "enabled" if c.enabled else "disabled"
        typer.echo(
            f"{c.client_id}\t{c.name}\t{c.agency}\t{' '.join(c.scopes)}\t"
            f"level {c.max_level}\t{c.auth_method}\t{state}"
        )


@clients_app.command("disable")
def disable(client_id: str) -> None:
    """Disable a client at once (its sign-ins and token requests are refused)."""
    try:
        with transaction() as session:
            service.set_enabled(session, client_id, False, cli_actor())
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"{client_id}: disabled")


@clients_app.command("rotate-secret")
def rotate_secret(client_id: str) -> None:
    """Issue a new secret (the old one stops working now); printed once."""
    try:
        with transaction() as session:
            secret = service.rotate_secret(session, client_id, cli_actor())
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"client_secret: {secret}  (shown once)")


@keys_app.command("rotate")
def rotate() -> None:
    """Make a new signing key active; the old one stays in the JWKS until its tokens expire."""
    with transaction() as session:
        row = keys.rotate(session)
    console.print(f"active key: {row.kid}")


@keys_app.command("list")
def list_keys() -> None:
    """The published keys (active first)."""
    with transaction() as session:
        rows = keys.published(session)
    for row in rows:
        retired = f"retired {row.retired_at:%Y-%m-%d %H:%M}" if row.retired_at else "active"
        typer.echo(f"{row.kid}\t{row.alg}\tcreated {row.created_at:%Y-%m-%d %H:%M}\t{retired}")
