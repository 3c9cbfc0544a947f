"""Property-based conformance run of the whole /api/v1 OpenAPI document with schemathesis.

A throwaway database (SQLite by default, or ``--database-url``) is migrated and seeded with a
small demo province and a service token holding every permission; ``oncegov serve`` runs on a
free loopback port; schemathesis generates requests for every operation from the document the
running server publishes, authenticated with that token (or a medical facility's system token for
the check-in and FHIR routes: ``api_conformance_hooks.py``), and checks each answer: no server
error, a documented status code, the documented content type, and a body that matches the
documented schema. The budget is bounded (``--max-examples`` per operation, ``--max-time``).

    python scripts/api_conformance.py [--max-examples 8] [--max-time 240]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
DEMO_SCALE = "0.002"  # about a thousand people: every read has something to find


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _oncegov(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "oncegov"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"oncegov {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _token_in(out: str) -> str:
    match = re.search(r"\b([A-Za-z0-9_-]{30,})\b", out)
    if not match:
        sys.exit(f"no token in the output:\n{out}")
    return match.group(1)


def _seed(env: dict[str, str]) -> tuple[str, str]:
    """Migrate, load the demo province; a service token with every permission, and the system
    token of the first medical facility."""
    from oncegov.auth.roles import ALL_PERMISSIONS

    _oncegov(env, "migrate")
    _oncegov(env, "demo", "--scale", DEMO_SCALE)
    permissions = [arg for p in sorted(ALL_PERMISSIONS) for arg in ("--permission", p)]
    out = _oncegov(env, "users", "token", "conformance", *permissions, "--scope", "province:04")
    facility = re.search(r"\b(\d{5})\b", _oncegov(env, "health", "facilities"))
    if not facility:
        sys.exit("no medical facility in the demo province")
    system = _oncegov(env, "health", "token", facility.group(1), "--name", "his-conformance")
    return _token_in(out), _token_in(system)


def _citizen_token() -> str:
    """A level-2 demo citizen's access token for the portal client, as the provider issues
    one after a sign-in (the portal API's operations take no service token)."""
    from sqlalchemy import select

    from oncegov.db import get_sessionmaker
    from oncegov.identity.accounts.models import EidAccount
    from oncegov.identity.oidc import service as oidc
    from oncegov.procedures.portal import service as portal

    with get_sessionmaker()() as session:
        account = session.scalars(
            select(EidAccount)
            .where(EidAccount.level == 2, EidAccount.status == "active")
            .order_by(EidAccount.id)
            .limit(1)
        ).one()
        client, _ = portal.ensure_portal_client(session)
        token = oidc.issue_access_token(
            session,
            client_id=client.client_id,
            account_id=account.id,
            personal_id=account.personal_id,
            level=2,
        )
        session.commit()
    return token


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):  # up to two minutes: start-up on a loaded machine is slow
        if server.poll() is not None:
            sys.exit("the server stopped during start-up")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("the server did not answer /healthz")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--max-examples", default="8", help="test cases per operation")
    parser.add_argument("--max-time", default="240", help="seconds for the whole run")
    parser.add_argument("--seed", default="11", help="schemathesis seed (reproducible runs)")
    args, extra = parser.parse_known_args()

    with tempfile.TemporaryDirectory(prefix="oncegov-api-") as folder:
        env = dict(os.environ)
        env["ONCEGOV_DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/conformance.db"
        # Generated requests come fast from one client: budgets that would answer 429 to most
        # of them would leave the operations behind them untested.
        env["ONCEGOV_LOOKUP_LIMIT_PER_MINUTE"] = "1000000"
        env["ONCEGOV_HEALTH_CHECKIN_LIMIT_PER_MINUTE"] = "1000000"
        # The citizen's access token must outlast the run (the provider's are for 10 minutes).
        env["ONCEGOV_OIDC_ACCESS_TOKEN_SECONDS"] = "3600"
        os.environ.update(env)  # for the permission list imported in _seed
        token, facility_token = _seed(env)
        env["ONCEGOV_CONFORMANCE_TOKEN"] = token
        env["ONCEGOV_CONFORMANCE_FACILITY_TOKEN"] = facility_token
        env["ONCEGOV_CONFORMANCE_CITIZEN_TOKEN"] = _citizen_token()
        env["SCHEMATHESIS_HOOKS"] = "api_conformance_hooks"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN / "oncegov"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(Path(folder) / "server.log").open("wb"),
        )
        try:
            _wait_until_up(base, server)
            command = [
                str(BIN / "schemathesis"),
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                args.max_examples,
                "--max-time",
                args.max_time,
                "--seed",
                args.seed,
                # One worker: SQLite serialises writers, and the conformance of answers is
                # what this run checks, not their concurrency.
                "--workers",
                "1",
                "--no-color",
                "--generation-with-security-parameters",
                "false",
                "--generation-database",
                "none",
                *extra,
            ]
            result = subprocess.run(command, cwd=folder, env=env, check=False).returncode
        finally:
            server.terminate()
            server.wait(timeout=30)
        if result != 0:
            log = (Path(folder) / "server.log").read_text(errors="replace").splitlines()
            raised = sorted(
                {line for line in log if re.match(r"^\w+(\.\w+)*(Error|Exception)\b", line)}
            )
            print("--- exceptions in the server log ---\n" + "\n".join(raised))
        return result


if __name__ == "__main__":
    sys.exit(main())
