"""Through ``oncegov serve`` itself (uvicorn, whose own default is to believe X-Forwarded-For
from 127.0.0.1): a client on this machine that rotates the header keeps one sign-in budget."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import httpx
import pytest

from tests.procedures.portal_live import free_port, wait_healthy

LIMIT = 3


@pytest.fixture(scope="module")
def served(cli_database: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ONCEGOV_DATABASE_URL": cli_database,
        "ONCEGOV_IP_LOGIN_LIMIT_PER_MINUTE": str(LIMIT),
    }
    env.pop("ONCEGOV_TRUSTED_PROXIES", None)
    command = [sys.executable, "-m", "oncegov.cli.main", "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:  # not a pipe nobody reads: a full one blocks it
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_healthy(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _attempts(base: str, usernames: list[str]) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for number, username in enumerate(usernames):
            page = client.get("/login").text
            token = re.search(r'name="login_csrf" value="([^"]+)"', page)
            assert token
            answer = client.post(
                "/login",
                data={
                    "username": username,
                    "password": "a guessed password",
                    "otp": "000000",
                    "login_csrf": token[1],
                },
                headers={"X-Forwarded-For": f"198.51.100.{number + 1}"},
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert answer.headers["Retry-After"].isdigit()
    return statuses


def test_rotating_forwarded_for_gives_no_fresh_address_budget(served: str) -> None:
    statuses = _attempts(served, [f"spray{n}" for n in range(LIMIT + 2)])
    assert statuses == [401] * LIMIT + [429, 429]
