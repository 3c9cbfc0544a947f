"""``oncegov audit``: verify the keyed hash chain, sign checkpoints, show and make its keys."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from oncegov.audit import service as audit
from oncegov.cli.common import console, err_console, fail, transaction
from oncegov.errors import OnceGovError
from oncegov.kit.chain import Checkpoint, checkpoint_from_dict, private_key_pem, public_jwk
from oncegov.kit.chain_keys import published_jwks

app = typer.Typer(help="The audit log.", no_args_is_help=True)

PROBLEMS = {
    "missing": "an entry is missing (deleted)",
    "broken_link": "the chain is broken (entries deleted or reordered)",
    "altered": "an entry was altered",
    "truncated": "the newest entries were deleted",
    "unknown_key": "an entry names an unknown HMAC key (forged, or a retired key not configured)",
    "downgraded": "an entry after keyed ones carries no key (rewritten without the key)",
    "checkpoint_forged": "a checkpoint's signature does not verify (forged)",
    "checkpoint_missing": "a checkpoint was deleted",
}


def _print_checkpoint(label: str, checkpoint: Checkpoint) -> None:
    console.print(
        f"{label} {checkpoint.number} at entry {checkpoint.seq:,} (key {checkpoint.key_id})"
    )
    # One JSON line an operator can keep outside the database and pass back with --anchor.
    typer.echo(json.dumps(checkpoint.as_dict(), separators=(",", ":")))


def _read_anchors(paths: list[Path]) -> list[Checkpoint]:
    anchors = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                anchors.append(checkpoint_from_dict(json.loads(line)))
            except ValueError as exc:  # JSONDecodeError is a ValueError
                err_console.print(f"[red]{path}:{number}: {exc}[/red]")
                raise typer.Exit(1) from exc
    return anchors


@app.command("verify")
def verify(
    anchor: list[Path] = typer.Option(
        [],
        "--anchor",
        exists=True,
        dir_okay=False,
        help="A file of checkpoints kept outside the database (JSON lines, as printed here).",
    ),
) -> None:
    """Recompute the chain, check it against the signed checkpoints, report the first entry
    altered, deleted or reordered; sign a checkpoint of the head when the chain is intact."""
    anchors = _read_anchors(anchor)
    with transaction() as session, console.status("verifying the audit chain…") as status:
        result = audit.verify(
            session, lambda n: status.update(f"verified {n:,} entries…"), anchors=anchors
        )
    if result.legacy_until:
        console.print(
            f"[yellow]entries 1 to {result.legacy_until:,} predate the keyed chain[/yellow]: "
            "unkeyed SHA-256, protected only by the checkpoints that followed them"
        )
    if result.ok:
        console.print(f"[green]audit chain intact[/green]: {result.checked:,} entries")
        if result.written is not None:
            _print_checkpoint("signed checkpoint", result.written)
        return
    where = (
        f"at entry {result.first_bad_seq}"
        if result.first_bad_seq is not None
        else f"at checkpoint {result.bad_checkpoint}"
    )
    problem = result.problem or ""
    err_console.print(
        f"[red]audit chain broken[/red] {where}: {PROBLEMS.get(problem, problem)} "
        f"({result.checked:,} entries verified before it)"
    )
    if result.anchored is not None:
        err_console.print(
            f"last good checkpoint: {result.anchored.number} at entry {result.anchored.seq:,}; "
            f"entries from {result.anchored.seq + 1:,} on are not vouched for"
        )
    else:
        err_console.print("no signed checkpoint holds: no entry is vouched for")
    raise typer.Exit(2)


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint of the chain head now (without verifying the whole chain)."""
    try:
        with transaction() as session:
            written = audit.checkpoint(session)
    except OnceGovError as exc:
        raise fail(exc) from exc
    if written is None:
        console.print("the audit log is empty: nothing to sign")
        return
    _print_checkpoint("signed checkpoint", written)


@app.command("keys")
def keys() -> None:
    """Show the key ids in use and the published checkpoint public keys (never a secret)."""
    chain = audit.keys()
    console.print(f"HMAC key id of new entries: {chain.current_id}")
    console.print("checkpoint public keys (also served at /audit/jwks.json):")
    typer.echo(json.dumps(published_jwks(), indent=2))


@app.command("keygen")
def keygen(
    checkpoint_key_out: Path = typer.Option(
        ...,
        "--checkpoint-key-out",
        dir_okay=False,
        help="Where to write the new Ed25519 private key (PEM, mode 0600; must not exist).",
    ),
) -> None:
    """Make new keys: print an HMAC key for ONCEGOV_AUDIT_HMAC_KEY and write a checkpoint key
    for ONCEGOV_AUDIT_CHECKPOINT_KEY_FILE. Nothing is stored in the database."""
    key = Ed25519PrivateKey.generate()
    try:
        descriptor = os.open(checkpoint_key_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        err_console.print(f"[red]{checkpoint_key_out} exists; not overwritten[/red]")
        raise typer.Exit(1) from exc
    with os.fdopen(descriptor, "wb") as out:
        out.write(private_key_pem(key))
    jwk = public_jwk(key.public_key())
    typer.echo(f"ONCEGOV_AUDIT_HMAC_KEY={secrets.token_urlsafe(32)}")
    typer.echo(f"ONCEGOV_AUDIT_CHECKPOINT_KEY_FILE={checkpoint_key_out.resolve()}")
    typer.echo(f"# checkpoint public key x={jwk['x']} kid={jwk['kid']}")
