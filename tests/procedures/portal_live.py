"""A live server for the portal's end-to-end tests: uvicorn in a subprocess on a database of its
own (the portal's OpenID Connect client calls the provider over real HTTP, at
ONCEGOV_PORTAL_ISSUER_URL = the server's own base URL), the SMS codes read from the local SMS
outbox, and optionally the server's clock moved by libfaketime while it runs.

Seed the database first (``portal.ensure_portal_client(db, public_url=base_url(port))``), then
``with live_server(url, port) as base: ...``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.db import make_engine
from oncegov.integrations.models import SmsOutboxMessage
from oncegov.kit import clock

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
_OFFSET = re.compile(r"^([+-]?\d+(?:\.\d+)?)([smhdy]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def inherited_offset() -> float:
    """The relative libfaketime offset this process runs under (``make test-clock`` runs pytest
    under ``faketime -f +N``), in seconds; 0 without faketime. An absolute start ("@…") cannot
    be composed with a jump and is refused."""
    faked = "faketime" in os.environ.get("LD_PRELOAD", "")
    value = os.environ.get("FAKETIME", "").strip() if faked else ""
    if not value:
        return 0.0
    match = _OFFSET.match(value)
    if not match:
        raise RuntimeError(f"only a relative FAKETIME offset composes with ServerClock: {value!r}")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


class ServerClock:
    """The server's clock under libfaketime, moved while it runs: the relative offset is read
    from a file, again at most a second after it changed (FAKETIME_CACHE_DURATION=1);
    ``advance`` waits until the server's answers carry the new time. The offset is the
    inherited one (the one this process runs under, if any) plus the jumps, so the server and
    this process agree until the first jump.

    Measured on 30 requests: reading the file on every clock call (FAKETIME_NO_CACHE) made the
    server 10 times slower, FAKETIME_DONT_FAKE_MONOTONIC 15 times; the one-second cache costs
    about 1.5 times. CLOCK_MONOTONIC therefore jumps with the wall clock, as under ``make
    test-clock``: a timed thread wait begun after a jump lasts the jump longer (libfaketime
    0.9.10 does not translate sem_clockwait), which the pages walked here do not use."""

    def __init__(self, folder: Path) -> None:
        if not LIBFAKETIME.exists():
            raise RuntimeError(f"{LIBFAKETIME} is missing: run `make faketime`")
        self.path = folder / "server-faketime"
        self.inherited = inherited_offset()
        self.extra = 0.0
        self._write()

    def _write(self) -> None:
        self.path.write_text(f"{self.inherited + self.extra:+.0f}\n")

    def advance(self, seconds: float, base: str) -> None:
        """Move the server at ``base`` ``seconds`` forward; returns once it answers with the
        new time (uvicorn's Date header, renewed every second from the faked clock)."""
        self.extra += seconds
        self._write()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            date = httpx.get(base + "/healthz", timeout=5).headers.get("date", "")
            if date and parsedate_to_datetime(date).timestamp() >= self.time() - 60:
                return
            time.sleep(0.2)  # polling the server's answers: there is no event to wait for
        raise RuntimeError("the server's clock did not move")

    def time(self) -> float:
        """The server's POSIX time, read here (for a TOTP code at the server's time)."""
        return clock.now().timestamp() + self.extra

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_CACHE_DURATION": "1",
        }


def server_env(url: str, base: str, clock: ServerClock | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "ONCEGOV_DATABASE_URL": url,
        "ONCEGOV_OIDC_ISSUER": base,
        "ONCEGOV_PORTAL_ISSUER_URL": base,
    }
    if clock is not None:
        # FAKETIME (inherited under make test-clock) would win over the file: the file holds
        # the inherited offset instead.
        for name in ("FAKETIME", "FAKETIME_SHARED", "FAKETIME_START_AFTER_SECONDS"):
            env.pop(name, None)
        env.update(clock.env())
    return env


def start_server(
    url: str,
    port: int,
    log: IO[bytes],
    *,
    clock: ServerClock | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """uvicorn serving the app on ``port`` against the database ``url``, returned once
    /healthz answers. Its messages go to ``log``, not a pipe nobody reads while it runs (a full
    pipe would block the server); they are shown if it dies before answering."""
    base = base_url(port)
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "oncegov.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        env={**server_env(url, base, clock), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    wait_healthy(base, process, log)
    return process


@contextmanager
def live_server(
    url: str,
    port: int,
    *,
    clock: ServerClock | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """``start_server`` for a ``with`` block: yields its base URL and stops it on leaving."""
    with tempfile.TemporaryFile() as log:
        process = start_server(url, port, log, clock=clock, env=env)
        try:
            yield base_url(port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 180  # a busy machine can take long to import the app
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(log.read().decode(errors="replace") or "the server died")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling a port for a subprocess: there is no event to wait for
    raise RuntimeError("the server did not start")


def latest_sms_code(url: str, phone: str) -> str:
    """The 6-digit code of the newest text message to ``phone`` in the local SMS outbox."""
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            body = db.scalars(
                select(SmsOutboxMessage.body)
                .where(SmsOutboxMessage.phone == phone)
                .order_by(SmsOutboxMessage.id.desc())
            ).first()
    finally:
        engine.dispose()
    assert body is not None, f"no text message to {phone}"
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match[1]
