"""The keyed chain against someone who holds the database but not the keys.

The attacker can drop the append-only triggers, edit, insert and delete rows, and run the
project's own hash functions; the HMAC key and the checkpoint signing key are not in the
database, so the test gives the attacker keys of their own.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from oncegov.config import settings
from oncegov.kit import chain, clock
from oncegov.kit.chain_keys import checkpoint_public_keys, published_jwks
from tests.audit.test_chain import ACTOR, _drop_protection, _fill

Hasher = Callable[[str, AuditEntry], str]


def _rewrite(db: Session, first_seq: int, hasher: Hasher, key_id: str | None) -> None:
    """What the attacker does after an edit: recompute every hash from ``first_seq`` on, with
    ``hasher`` and ``key_id``, and move the head, so the chain links up again."""
    entries = db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    for entry in entries:
        db.expunge(entry)
    prev = entries[first_seq - 2].hash if first_seq > 1 else chain.GENESIS
    for entry in entries[first_seq - 1 :]:
        entry.prev_hash, entry.key_id = prev, key_id
        entry.hash = prev = hasher(prev, entry)
        db.execute(
            text(
                "UPDATE audit_entries SET purpose = :purpose, prev_hash = :prev, hash = :hash,"
                " key_id = :kid WHERE seq = :seq"
            ),
            {
                "purpose": entry.purpose,
                "prev": entry.prev_hash,
                "hash": entry.hash,
                "kid": key_id,
                "seq": entry.seq,
            },
        )
    db.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": prev})
    db.expire_all()


def _edit_purpose(db: Session, seq: int) -> None:
    db.execute(
        text("UPDATE audit_entries SET purpose = 'nothing to see' WHERE seq = :s"), {"s": seq}
    )
    db.expire_all()


def test_the_issue_attack_recomputing_with_entry_hash_is_detected(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drop the trigger, edit entry 3, recompute every later hash with ``entry_hash``: without
    the real key the recomputed entries carry a key nobody configured."""
    _fill(db)
    _drop_protection(db)
    _edit_purpose(db, 3)
    with monkeypatch.context() as attacker:
        attacker.setattr(settings, "audit_hmac_key", SecretStr("the attacker's own key"))
        _rewrite(db, 3, audit.entry_hash, audit.keys().current_id)
    result = audit.verify(db)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 3, "unknown_key")
    assert result.checked == 2
    assert result.anchored is not None and result.anchored.seq == 1  # the first append's
    assert result.written is None  # a broken chain is never signed


def test_recomputing_under_the_real_key_id_is_detected(db: Session) -> None:
    """The attacker keeps our key id and computes the HMAC with a key of their own."""
    _fill(db)
    _drop_protection(db)
    _edit_purpose(db, 3)
    guessed = chain.chain_subkey(b"a guessed key", audit.CHAIN)
    real_id = audit.keys().current_id

    def forge(prev: str, entry: AuditEntry) -> str:
        message = (prev + real_id + audit._canonical(audit._fields(entry))).encode()
        return hmac.digest(guessed, message, "sha256").hex()

    _rewrite(db, 3, forge, real_id)
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (3, "altered")


def test_downgrading_to_unkeyed_hashes_is_detected(db: Session) -> None:
    """The old project's SHA-256 with the key id cleared: a legacy entry after keyed ones."""
    _fill(db)
    _drop_protection(db)
    _edit_purpose(db, 3)
    _rewrite(db, 3, audit.legacy_entry_hash, None)
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (3, "downgraded")


def test_downgrading_the_whole_chain_is_caught_by_the_first_checkpoint(db: Session) -> None:
    _fill(db)
    _drop_protection(db)
    _edit_purpose(db, 3)
    _rewrite(db, 1, audit.legacy_entry_hash, None)
    result = audit.verify(db)
    # Checkpoint 1 signed entry 1's keyed hash; nothing before it is vouched for.
    assert (result.first_bad_seq, result.problem, result.anchored) == (1, "altered", None)


def _forge_checkpoint(db: Session, key: Ed25519PrivateKey | None, signature: str | None) -> int:
    head = db.get(AuditHead, 1)
    assert head is not None
    number = head.checkpoint_number + 1
    forged = chain.sign_checkpoint(
        key or Ed25519PrivateKey.generate(),
        audit.CHAIN,
        number,
        head.last_seq,
        head.last_hash,
        clock.now(),
    )
    db.add(
        AuditCheckpoint(
            number=number,
            seq=forged.seq,
            link=forged.link,
            signed_at=forged.signed_at,
            # Claim the real key's id, so only the signature gives the forgery away.
            key_id=next(iter(checkpoint_public_keys())),
            signature=signature or forged.signature,
        )
    )
    db.flush()
    return number


def test_a_checkpoint_signed_with_another_key_is_detected(db: Session) -> None:
    _fill(db)
    number = _forge_checkpoint(db, Ed25519PrivateKey.generate(), None)
    result = audit.verify(db)
    assert (result.ok, result.problem, result.bad_checkpoint) == (
        False,
        "checkpoint_forged",
        number,
    )
    assert result.anchored is not None and result.anchored.number == number - 1


def test_a_checkpoint_with_a_garbled_signature_is_detected(db: Session) -> None:
    _fill(db)
    number = _forge_checkpoint(db, None, "A" * 86)
    result = audit.verify(db)
    assert (result.problem, result.bad_checkpoint) == ("checkpoint_forged", number)


def test_verify_signs_a_checkpoint_of_the_head(db: Session) -> None:
    _fill(db)
    before = db.scalar(select(AuditHead.checkpoint_number))
    result = audit.verify(db)
    assert result.ok and result.written is not None
    assert (result.written.number, result.written.seq) == ((before or 0) + 1, 5)
    stored = db.get(AuditCheckpoint, result.written.number)
    assert stored is not None and stored.link == db.get(AuditEntry, 5).hash  # type: ignore[union-attr]
    public = {k["kid"]: chain.public_key_from_x(k["x"]) for k in published_jwks()["keys"]}
    assert chain.checkpoint_is_genuine(result.written, public)
    assert audit.verify(db, write_checkpoint=False).anchored == result.written


def test_deleting_the_newest_entries_is_caught_by_a_checkpoint(db: Session) -> None:
    _fill(db)
    assert audit.verify(db).ok  # signs entry 5
    _drop_protection(db)
    third = db.get(AuditEntry, 3)
    assert third is not None
    db.execute(text("DELETE FROM audit_entries WHERE seq > 3"))
    # A careful attacker also moves the head back.
    db.execute(
        text("UPDATE audit_head SET last_seq = 3, last_hash = :h WHERE id = 1"), {"h": third.hash}
    )
    db.expire_all()
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (4, "truncated")


def test_a_deleted_checkpoint_is_reported(db: Session) -> None:
    _fill(db)
    first = audit.verify(db).written
    _fill(db)
    assert first is not None and audit.verify(db).ok
    _drop_checkpoint_protection(db)
    db.execute(text("DELETE FROM audit_checkpoints WHERE number = :n"), {"n": first.number})
    db.expire_all()
    result = audit.verify(db)
    assert (result.problem, result.bad_checkpoint) == ("checkpoint_missing", first.number)


def test_a_checkpoint_kept_outside_catches_deleting_entries_and_checkpoints(db: Session) -> None:
    """Truncating entries together with the checkpoints that covered them fools the database
    alone; a copy of the newest checkpoint kept elsewhere does not."""
    _fill(db)
    kept = audit.verify(db).written
    assert kept is not None
    _drop_checkpoint_protection(db)
    _drop_protection(db)
    db.execute(text("DELETE FROM audit_checkpoints WHERE number >= :n"), {"n": kept.number})
    db.execute(text("DELETE FROM audit_entries WHERE seq > 3"))
    third = db.get(AuditEntry, 3)
    assert third is not None
    db.execute(
        text("UPDATE audit_head SET last_seq = 3, last_hash = :h, checkpoint_number = :n"),
        {"h": third.hash, "n": kept.number - 1},
    )
    db.expire_all()
    alone = audit.verify(db, write_checkpoint=False)
    assert alone.ok and alone.anchored is not None and alone.anchored.seq < 4  # the limit
    anchored = audit.verify(db, anchors=[kept])
    assert (anchored.first_bad_seq, anchored.problem, anchored.bad_checkpoint) == (
        4,
        "truncated",
        kept.number,
    )


def _drop_checkpoint_protection(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            text("ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only")
        )
    else:
        db.execute(text("DROP TRIGGER audit_checkpoints_no_delete"))


def test_rotating_the_hmac_key_keeps_old_entries_verifiable(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "audit_hmac_key", SecretStr("first key " + "x" * 32))
    old_id = audit.keys().current_id
    _fill(db, 3)
    monkeypatch.setattr(settings, "audit_hmac_key", SecretStr("second key " + "y" * 32))
    monkeypatch.setattr(settings, "audit_hmac_retired_keys", SecretStr("first key " + "x" * 32))
    _fill(db, 3)
    ids = db.scalars(select(AuditEntry.key_id).order_by(AuditEntry.seq)).all()
    assert ids[:3] == [old_id] * 3 and ids[3:] == [audit.keys().current_id] * 3
    assert old_id != audit.keys().current_id
    assert audit.verify(db).ok
    # Forgetting the retired key is reported, at the first entry it made.
    monkeypatch.setattr(settings, "audit_hmac_retired_keys", None)
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (1, "unknown_key")


def test_rotating_the_checkpoint_key_keeps_old_checkpoints_verifiable(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    monkeypatch.setattr(
        settings, "audit_checkpoint_key", SecretStr(chain.private_key_pem(old).decode())
    )
    _fill(db, 3)
    assert audit.verify(db).ok
    monkeypatch.setattr(
        settings, "audit_checkpoint_key", SecretStr(chain.private_key_pem(new).decode())
    )
    monkeypatch.setattr(
        settings, "audit_checkpoint_retired_public_keys", chain.public_key_x(old.public_key())
    )
    _fill(db, 2)
    assert audit.verify(db).ok
    kids = [k["kid"] for k in published_jwks()["keys"]]
    assert kids == [chain.public_key_id(new.public_key()), chain.public_key_id(old.public_key())]
    monkeypatch.setattr(settings, "audit_checkpoint_retired_public_keys", "")
    assert audit.verify(db).problem == "checkpoint_forged"


def test_checkpoints_are_written_every_n_entries_and_t_minutes(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "audit_checkpoint_every_entries", 3)
    monkeypatch.setattr(settings, "audit_checkpoint_every_minutes", 10)
    _fill(db, 7)
    audit.record_many(db, [audit.PendingEntry(ACTOR, "health.checkin", "care")] * 4)  # 8..11
    seqs = db.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.number)).all()
    assert seqs == [1, 4, 7, 11]
    later = clock.now() + dt.timedelta(minutes=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    _fill(db, 1)
    seqs = db.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.number)).all()
    assert seqs[-1] == 12
    assert audit.verify(db).ok


def test_entries_from_before_the_keyed_chain_verify_as_a_legacy_prefix(db: Session) -> None:
    """A database upgraded from the unkeyed chain: its entries stay as they were written."""
    prev = chain.GENESIS
    moment = clock.now()
    for seq in (1, 2, 3):
        entry = AuditEntry(
            seq=seq,
            at=moment,
            actor_kind="system",
            actor_id="cli:root",
            actor_name="root",
            actor_agency=None,
            action="registry.import",
            subject_personal_id=None,
            purpose="Demo population",
            channel="cli",
            detail="",
            prev_hash=prev,
            key_id=None,
        )
        entry.hash = prev = audit.legacy_entry_hash(prev, entry)
        db.execute(
            insert(AuditEntry).values(
                {c: getattr(entry, c) for c in (*audit._HASHED, "prev_hash", "hash", "key_id")}
            )
        )
    db.execute(insert(AuditHead).values(id=1, last_seq=3, last_hash=prev))
    _fill(db, 2)
    result = audit.verify(db)
    assert (result.ok, result.checked, result.legacy_until) == (True, 5, 3)
    # The first keyed append signed a checkpoint over the legacy prefix: rewriting a legacy
    # entry consistently (unkeyed hashes recomputed) no longer goes unseen.
    _drop_protection(db)
    _edit_purpose(db, 2)
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.seq <= 3).order_by(AuditEntry.seq)
    ).all()
    prev = chain.GENESIS
    for entry in entries:
        db.expunge(entry)
        entry.prev_hash = prev
        prev = audit.legacy_entry_hash(prev, entry)
        db.execute(
            text("UPDATE audit_entries SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": entry.prev_hash, "h": prev, "s": entry.seq},
        )
    db.expire_all()
    broken = audit.verify(db)
    assert (broken.ok, broken.first_bad_seq, broken.problem) == (False, 1, "altered")


def test_a_rewrite_with_the_hmac_key_is_caught_by_the_checkpoint_key(db: Session) -> None:
    """Someone who also stole the HMAC key recomputes valid hashes; a checkpoint signed before
    the rewrite still disagrees, and the first entry after the last good one is named."""
    _fill(db, 3)
    assert audit.verify(db).ok  # checkpoint 2 signs entry 3; checkpoint 1 entry 1
    _fill(db, 2)
    _drop_protection(db)
    _edit_purpose(db, 2)
    _rewrite(db, 2, audit.entry_hash, audit.keys().current_id)
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem, result.checked) == (2, "altered", 1)
    assert result.anchored is not None and result.anchored.seq == 1
