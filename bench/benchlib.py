"""What the benchmarks that need a big demo registry share: where it lives (``var/bench/`` or a
PostgreSQL database of its own), the environment of the ``oncegov`` commands they run, and
building it once."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def database_url(pg: bool, *, pg_database: str, sqlite_name: str) -> str:
    if pg:
        server = os.environ.get("ONCEGOV_BENCH_PG_SERVER", DEFAULT_PG_SERVER)
        return f"{server}/{pg_database}"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{BENCH_DIR / sqlite_name}"


def bench_env(url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["ONCEGOV_DATABASE_URL"] = url
    env.setdefault("ONCEGOV_SECRET_KEY", "bench-secret-key-0123456789abcdef")
    env.update(extra or {})
    return env


def oncegov(env: Mapping[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "oncegov.cli.main", *args], env=dict(env), check=True)


def citizen_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM citizens")).scalar() or 0)
    except Exception:
        return 0
    finally:
        engine.dispose()


def _recreate_pg_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server.replace('postgresql+psycopg', 'postgresql')}/postgres",
                         autocommit=True) as conn:  # fmt: skip
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build_demo(url: str, env: Mapping[str, str], *, scale: float, pg: bool) -> None:
    """A fresh database holding the demo province at ``scale``."""
    print(f"registry: building the demo province at scale {scale} into {url} …")
    started = time.perf_counter()
    if pg:
        _recreate_pg_database(url)
    else:
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    oncegov(env, "migrate")
    oncegov(env, "demo", "--scale", str(scale))
    print(f"registry: built in {time.perf_counter() - started:.0f} s")


def free_port() -> int:
    """A free TCP port on the loopback interface, for a server this benchmark starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(port: int, log_name: str, seconds: float = 60) -> None:
    """Return once the server on ``port`` accepts connections; give up after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start; see {log_name}")


@contextmanager
def served(
    env: Mapping[str, str], port: int, workers: int = 1, *, log_name: str = "bench_server.log"
) -> Iterator[subprocess.Popen[bytes]]:
    """``oncegov serve`` (uvicorn, as deployed) on loopback ``port``, stopped on the way out."""
    log = (Path(tempfile.gettempdir()) / log_name).open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            *("-m", "oncegov.cli.main", "serve"),
            *("--port", str(port), "--workers", str(workers)),
        ],
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_listening(port, log.name)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


# The end of every wrk script here: answers counted by status on each thread, then the status
# counts, p50/p95/p99 and the maximum latency in microseconds, in the lines ``wrk`` reads.
WRK_REPORT = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  codes = {}
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("codes")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("STATUS %d %d\\n", status, n)) end
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("P%dUS %d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("MAXUS %d\\n", latency.max))
end
"""


def wrk_script(request_part: str) -> str:
    """A wrk script: ``request_part`` (what to send) and the shared ``WRK_REPORT``."""
    return request_part + WRK_REPORT


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, float]:
    """One wrk run (one thread, ``connections`` connections, ``seconds``) with a Lua script
    whose ``done`` prints ``P<n>US``/``MAXUS`` and ``STATUS <code> <count>`` lines;
    requests/s, the percentiles in ms, ``status_<code>`` counts and ``socket_errors``."""
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    figures: dict[str, float] = {"rps": requests}
    for key, value in re.findall(r"^(P\d+US|MAXUS) (\d+)$", out, re.MULTILINE):
        figures[key] = int(value) / 1000
    for status, count in re.findall(r"^STATUS (\d+) (\d+)$", out, re.MULTILINE):
        figures[f"status_{status}"] = int(count)
    errors = re.search(r"Socket errors: (.*)", out)
    if errors:
        print("  wrk socket errors:", errors.group(1))
        figures["socket_errors"] = 1
    return figures
