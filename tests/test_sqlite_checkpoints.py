"""The web server's SQLite checkpoints run in a background thread, not inside commits.

Always on a SQLite file of its own (this is SQLite behaviour, whatever the suite's database)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from oncegov.db import _BackgroundCheckpoints, make_engine


@pytest.mark.real_monotonic
def test_background_checkpoints_turn_off_checkpoints_in_commits(tmp_path: Path) -> None:
    import oncegov.db as db_module

    checkpoints = _BackgroundCheckpoints()
    db_module._checkpoints, saved = checkpoints, db_module._checkpoints
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.begin() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        checkpoints.start(engine, interval=0.05)
        with engine.begin() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
            conn.execute(text("INSERT INTO t VALUES (1)"))
        deadline = time.monotonic() + 5
        while checkpoints.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpoints.runs >= 2
        # The row reached the database file itself: read it ignoring the WAL.
        path = tmp_path / "wal.db"
        with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as frozen:
            assert frozen.execute("SELECT count(*) FROM t").fetchone() == (1,)
        checkpoints.stop()
        engine.dispose()
        with engine.begin() as conn:  # commands and tests keep SQLite's own checkpoints
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        checkpoints.stop()
        db_module._checkpoints = saved
        engine.dispose()
