"""``oncegov eid``: eID accounts from the server's shell (police desk tasks, maintenance)."""

from __future__ import annotations

import typer
from rich.table import Table

from oncegov.cli.common import cli_actor, console, fail, transaction
from oncegov.errors import OnceGovError
from oncegov.identity.accounts import codes, locks, police_desk, qr, self_service
from oncegov.units.schemas import EVERYWHERE

app = typer.Typer(
    help="eID accounts: show, lock, unlock, sweeps, check-in QR key.", no_args_is_help=True
)
REASON = typer.Option(..., "--reason", help="Why (recorded in the audit log).")


@app.command("show")
def show(personal_id: str) -> None:
    """Show a citizen's eID account (the registry read is audited)."""
    try:
        with transaction() as session:
            view = police_desk.desk_lookup(session, cli_actor(), personal_id, scope=EVERYWHERE)
    except OnceGovError as exc:
        raise fail(exc) from exc
    table = Table(show_header=False)
    for field, value in vars(view).items():
        table.add_row(field, "" if value is None else str(value))
    console.print(table)


@app.command("lock")
def lock(personal_id: str, reason: str = REASON) -> None:
    """Lock an account at once: every session and token of it ends."""
    try:
        with transaction() as session:
            locks.lock_by_police(session, cli_actor(), personal_id, reason=reason, scope=EVERYWHERE)
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"{personal_id}: locked")


@app.command("unlock")
def unlock(personal_id: str, reason: str = REASON) -> None:
    """Unlock a locked account (after checking the person and their chip ID card)."""
    try:
        with transaction() as session:
            locks.unlock_by_police(
                session, cli_actor(), personal_id, reason=reason, scope=EVERYWHERE
            )
    except OnceGovError as exc:
        raise fail(exc) from exc
    console.print(f"{personal_id}: unlocked")


@app.command("sweep-deceased")
def sweep_deceased() -> None:
    """Revoke every account whose citizen the registry records as deceased (safety net)."""
    with transaction() as session:
        revoked = locks.sweep_deceased(session, cli_actor())
    console.print(f"{revoked} accounts revoked")


@app.command("purge-login-history")
def purge_login_history() -> None:
    """Delete login history older than the retention period (5 years by default)."""
    with transaction() as session:
        deleted = self_service.purge_login_history(session)
    console.print(f"{deleted} login history rows deleted")


@app.command("outbox")
def outbox(phone: str) -> None:
    """Print the local SMS outbox for a phone number (last 30 minutes, newest first)."""
    try:
        with transaction() as session:
            messages = codes.outbox(session, phone)
            rows = [
                (m.created_at.isoformat(timespec="seconds"), m.status, m.body) for m in messages
            ]
    except OnceGovError as exc:
        raise fail(exc) from exc
    table = Table("sent", "status", "text")
    for row in rows:
        table.add_row(*row)
    console.print(table)


@app.command("qr-rotate")
def qr_rotate() -> None:
    """Make a new check-in QR signing key active; the old one stays published until its QRs
    expire."""
    with transaction() as session:
        row = qr.rotate(session)
    console.print(f"active check-in QR key: {row.kid}")
