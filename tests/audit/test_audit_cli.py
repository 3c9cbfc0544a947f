"""``oncegov audit``: verify with checkpoints, checkpoint, keys, keygen; keys in production.

The CLI commits, so these tests share a database of their own (``cli_sessions``); the one that
tampers with it runs last.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oncegov.audit import service as audit
from oncegov.cli.main import app
from oncegov.config import settings
from oncegov.kit import chain, clock
from oncegov.kit.actor import Actor
from oncegov.kit.chain_keys import (
    ChainKeyMissing,
    chain_keys,
    checkpoint_key,
    checkpoint_public_keys,
    development_keys_in_use,
)

runner = CliRunner()


def _append(sessions: sessionmaker[Session], n: int) -> None:
    with sessions() as session:
        for i in range(n):
            audit.record(session, Actor.system("test"), "registry.read", purpose=f"cli {i}")
        session.commit()


def _checkpoint_line(output: str) -> dict[str, object]:
    lines = [line for line in output.splitlines() if line.startswith('{"chain"')]
    assert len(lines) == 1, output
    parsed: dict[str, object] = json.loads(lines[0])
    return parsed


def test_verify_signs_and_prints_a_checkpoint(cli_sessions: sessionmaker[Session]) -> None:
    _append(cli_sessions, 3)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output and "signed checkpoint" in result.output
    printed = _checkpoint_line(result.output)
    assert printed["seq"] == 3 and printed["chain"] == "audit"
    with cli_sessions() as session:
        assert audit.latest_checkpoint(session) == chain.checkpoint_from_dict(printed)


def test_checkpoint_and_keys_commands(
    cli_sessions: sessionmaker[Session], client: TestClient
) -> None:
    _append(cli_sessions, 1)
    signed = runner.invoke(app, ["audit", "checkpoint"])
    assert signed.exit_code == 0, signed.output
    checkpoint = chain.checkpoint_from_dict(_checkpoint_line(signed.output))
    shown = runner.invoke(app, ["audit", "keys"])
    assert shown.exit_code == 0, shown.output
    assert audit.keys().current_id in shown.output
    assert checkpoint.key_id in shown.output
    # The same public key is published over HTTP, and it verifies the checkpoint.
    published = client.get("/audit/jwks.json")
    assert published.status_code == 200
    keys = {k["kid"]: chain.public_key_from_x(k["x"]) for k in published.json()["keys"]}
    assert chain.checkpoint_is_genuine(checkpoint, keys)


def test_keygen_writes_a_private_key_file_the_settings_accept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "checkpoint.pem"
    made = runner.invoke(app, ["audit", "keygen", "--checkpoint-key-out", str(key_file)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    hmac_line = next(x for x in made.output.splitlines() if x.startswith("ONCEGOV_AUDIT_HMAC_KEY="))
    assert len(hmac_line.split("=", 1)[1]) >= 43
    again = runner.invoke(app, ["audit", "keygen", "--checkpoint-key-out", str(key_file)])
    assert again.exit_code == 1 and "not overwritten" in again.output
    monkeypatch.setattr(settings, "audit_checkpoint_key_file", key_file)
    key = checkpoint_key()
    assert f"x={chain.public_key_x(key.public_key())}" in made.output
    signed = chain.sign_checkpoint(key, "audit", 1, 1, chain.GENESIS, clock.now())
    assert chain.checkpoint_is_genuine(signed, checkpoint_public_keys())


def test_production_refuses_unset_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    assert development_keys_in_use() == ["audit_hmac_key", "audit_checkpoint_key"]
    monkeypatch.setattr(settings, "environment", "production")
    with pytest.raises(ChainKeyMissing, match="ONCEGOV_AUDIT_HMAC_KEY"):
        chain_keys("audit")
    with pytest.raises(ChainKeyMissing, match="ONCEGOV_AUDIT_CHECKPOINT_KEY"):
        checkpoint_key()
    monkeypatch.setattr(settings, "audit_hmac_key", SecretStr("k" * 43))
    assert chain_keys("audit").current_id == chain.key_id_of(b"k" * 43)
    assert development_keys_in_use() == ["audit_checkpoint_key"]


def test_verify_with_an_anchor_catches_a_careful_truncation(
    cli_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Delete the newest entries and every checkpoint that covered them, move the head back:
    the database alone cannot tell; the checkpoint line kept from an earlier run can."""
    _append(cli_sessions, 2)
    kept = runner.invoke(app, ["audit", "verify"])
    line = _checkpoint_line(kept.output)
    anchor = tmp_path / "checkpoints.jsonl"
    anchor.write_text(json.dumps(line) + "\n")
    with cli_sessions() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        for table in ("audit_entries", "audit_checkpoints"):
            if postgres:
                session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        if not postgres:
            for trigger in ("audit_entries_no_delete", "audit_checkpoints_no_delete"):
                session.execute(text(f"DROP TRIGGER {trigger}"))
        keep = int(str(line["seq"])) - 2
        session.execute(text("DELETE FROM audit_entries WHERE seq > :k"), {"k": keep})
        session.execute(text("DELETE FROM audit_checkpoints WHERE seq > :k"), {"k": keep})
        tip = session.execute(
            text("SELECT hash FROM audit_entries WHERE seq = :k"), {"k": keep}
        ).scalar_one()
        session.execute(
            text("UPDATE audit_head SET last_seq = :k, last_hash = :h"), {"k": keep, "h": tip}
        )
        session.commit()
    caught = runner.invoke(app, ["audit", "verify", "--anchor", str(anchor)])
    assert caught.exit_code == 2, caught.output
    assert f"entry {keep + 1}" in caught.output and "newest entries were deleted" in caught.output
    assert "last good checkpoint" in caught.output
