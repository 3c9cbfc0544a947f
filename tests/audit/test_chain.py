from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.audit.models import AuditEntry
from oncegov.kit.actor import Actor

ACTOR = Actor("officer", "xa.thucphan", "Officer", channel="web")


def _fill(db: Session, n: int = 5) -> None:
    for i in range(n):
        audit.record(
            db, ACTOR, "registry.read", purpose=f"case {i}", subject_personal_id=f"004085{i:06d}"
        )
        audit.write_deferred(db)  # one append each, as separate reads in separate requests


def _drop_protection(db: Session) -> None:
    """Tampering needs DDL rights: an attacker with them drops the append-only triggers."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
    else:
        db.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.execute(text("DROP TRIGGER audit_entries_no_delete"))


def test_intact_chain_verifies(db: Session) -> None:
    _fill(db)
    result = audit.verify(db)
    assert result.ok
    assert result.checked == 5


def test_application_cannot_update_or_delete(db: Session) -> None:
    _fill(db, 2)
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("UPDATE audit_entries SET purpose = 'x' WHERE seq = 1"))
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("DELETE FROM audit_entries WHERE seq = 1"))


def test_altered_entry_is_reported(db: Session) -> None:
    _fill(db)
    _drop_protection(db)
    db.execute(text("UPDATE audit_entries SET purpose = 'nothing to see' WHERE seq = 3"))
    result = audit.verify(db)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 3, "altered")


def test_deleted_entry_is_reported(db: Session) -> None:
    _fill(db)
    _drop_protection(db)
    db.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (2, "missing")


def test_deleted_newest_entries_are_reported(db: Session) -> None:
    _fill(db)
    _drop_protection(db)
    db.execute(text("DELETE FROM audit_entries WHERE seq >= 4"))
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (4, "truncated")


def test_reordered_entries_are_reported(db: Session) -> None:
    _fill(db)
    _drop_protection(db)
    # Swap entries 2 and 3 (their seq numbers trade places).
    db.execute(text("UPDATE audit_entries SET seq = 1000 WHERE seq = 2"))
    db.execute(text("UPDATE audit_entries SET seq = 2 WHERE seq = 3"))
    db.execute(text("UPDATE audit_entries SET seq = 3 WHERE seq = 1000"))
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (2, "broken_link")


def test_recomputed_hashes_do_not_hide_an_alteration_from_the_head(db: Session) -> None:
    """An attacker who alters the last entry and recomputes its hash is caught by the head."""
    _fill(db, 3)
    _drop_protection(db)
    last = db.get(AuditEntry, 3)
    assert last is not None
    db.expunge(last)
    last.purpose = "forged"
    new_hash = audit.entry_hash(last.prev_hash, last)
    db.execute(
        text("UPDATE audit_entries SET purpose = 'forged', hash = :h WHERE seq = 3"),
        {"h": new_hash},
    )
    result = audit.verify(db)
    assert (result.first_bad_seq, result.problem) == (3, "altered")


def test_a_batch_appended_at_once_chains_like_single_appends(db: Session) -> None:
    _fill(db, 2)
    seqs = audit.record_many(
        db,
        [
            audit.PendingEntry(
                ACTOR,
                "health.checkin",
                purpose="medical examination",
                subject_personal_id=f"004090{i:06d}",
                detail={"facility": "04001", "method": "personal_id"},
            )
            for i in range(4)
        ],
    )
    audit.record(db, ACTOR, "registry.read", purpose="after the batch")
    db.flush()
    assert seqs == [3, 4, 5, 6]
    result = audit.verify(db)
    assert result.ok and result.checked == 7
    _drop_protection(db)
    db.execute(text("UPDATE audit_entries SET purpose = 'changed' WHERE seq = 5"))
    db.expire_all()
    broken = audit.verify(db)
    assert (broken.ok, broken.first_bad_seq, broken.problem) == (False, 5, "altered")
