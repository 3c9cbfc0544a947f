"""Dossier submission benchmark: citizens' apps submitting dossiers through the portal API
under load, against a bare JSON endpoint served by the same server in the same run.

The portal runs as deployed (``oncegov serve``: uvicorn, one worker) on loopback against the
demo province (``--scale 1`` by default, built once into ``var/bench/`` or a PostgreSQL
database and reused; ``--rebuild`` builds it again). The load generator is wrk (Debian package
``wrk``) in a separate process: ``--connections`` (64) for ``--seconds`` (30) each,

1. ``GET /healthz`` — the baseline;
2. ``POST /api/v1/portal/dossiers`` without a file: temporary residence registration, the form
   pre-filled from the registry (audited reads), the typed values, the dossier, its first
   event, the audit entries and the notifications in one transaction;
3. the same with a 200 KB PDF (the proof of lawful residence): checked by content, hashed
   and kept in the file store.

Each request carries the access token of one of ``--citizens`` (1,000) level-2 citizens,
issued for the portal client by the provider's own token store, and a fresh Idempotency-Key.
After each run the dossiers written are counted against the 201 answers.

Prints throughput, p50/p99 latency and the ratios submission / baseline throughput.
Targets on SQLite: ratio >= 0.2 with p99 <= 100 ms; the same figures are printed for
PostgreSQL.

    uv run python bench/dossier_bench.py                 # SQLite
    uv run python bench/dossier_bench.py --pg            # PostgreSQL
    uv run python bench/dossier_bench.py --seconds 10 --scale 0.2   # a quick look
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from benchlib import (
    ROOT,
    bench_env,
    build_demo,
    citizen_count,
    database_url,
    free_port,
    oncegov,
    served,
    wrk,
    wrk_script,
)

PG_DATABASE = "oncegov_bench_dossiers"
TARGET_RATIO = 0.2
TARGET_P99_MS = 100.0
PROCEDURE = "1.004194"  # temporary residence registration (level 2, one required document)
PROOF_DOCUMENT = 3  # its "papers proving the lawful place of residence"
PDF_BYTES = 200 * 1024
VALUES = {
    "temporary_address": "Số 12, tổ 3, phường Thục Phán, tỉnh Cao Bằng",
    "stay_until": "30/06/2027",
    "lawful_residence_proof": "Hợp đồng thuê nhà số 12/2026",
}

SUBMIT_SCRIPT = """
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local file = io.open("%(body)s", "rb")
local body = file:read("*a")
file:close()
local sent = 0

function request()
  sent = sent + 1
  return wrk.format("POST", "/api/v1/portal/dossiers", {
    ["Content-Type"] = "multipart/form-data; boundary=%(boundary)s",
    ["Authorization"] = "Bearer " .. tokens[(sent %% #tokens) + 1],
    ["Idempotency-Key"] = string.format("%(run)s-%%d", sent),
  }, body)
end
"""


def _env(url: str) -> dict[str, str]:
    return bench_env(url, {"ONCEGOV_FILE_STORE_DIR": str(ROOT / "var" / "bench" / "files")})


def build(url: str, scale: float, rebuild: bool, pg: bool) -> None:
    if not rebuild and citizen_count(url) > 0:
        print(f"registry: reusing {url}")
        oncegov(_env(url), "migrate")  # a database built by an earlier release
        return
    build_demo(url, _env(url), scale=scale, pg=pg)


def proof_pdf(size: int, seed: int) -> bytes:
    """A real PDF of about ``size`` bytes: one page, a scanned-looking image of noise (which
    no compression shrinks), as a photographed rental contract would be."""
    from fpdf import FPDF
    from PIL import Image

    rng = random.Random(seed)
    side = int((size / 3) ** 0.5)
    noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    png = io.BytesIO()
    noise.save(png, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Rental contract (scan)")
    pdf.image(png, x=10, y=30, w=120)
    return bytes(pdf.output())


def multipart(boundary: str, parts: list[tuple[str, bytes, str | None]]) -> bytes:
    """A multipart/form-data body: (name, value, filename or None) per part."""
    out = io.BytesIO()
    for name, value, filename in parts:
        out.write(f"--{boundary}\r\n".encode())
        if filename is None:
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        else:
            out.write(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/pdf\r\n\r\n".encode()
            )
        out.write(value)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def prepare(url: str, workdir: Path, citizens: int, seed: int) -> tuple[Path, int]:
    """Level-2 eID accounts and live portal access tokens for ``citizens`` adults whose
    record the form can be filled from; the tokens' file and the registry's size."""
    os.environ.update(_env(url))
    sys.path.insert(0, str(ROOT / "src"))
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from oncegov.identity.accounts.models import EidAccount
    from oncegov.identity.oidc import service as oidc
    from oncegov.kit import clock
    from oncegov.procedures.portal import service as portal
    from oncegov.registry.models import Citizen

    engine = create_engine(url)
    rng = random.Random(seed)
    tokens: list[str] = []
    with Session(engine) as session:
        total = int(session.scalar(select(func.count()).select_from(Citizen)) or 0)
        candidates = list(
            session.scalars(
                select(Citizen)
                .where(
                    Citizen.status == "living",
                    Citizen.permanent_address.is_not(None),
                    Citizen.birth_year <= clock.today().year - 18,
                    Citizen.birth_month.is_not(None),
                )
                .limit(citizens * 5)
            )
        )
        chosen = rng.sample(candidates, min(citizens, len(candidates)))
        accounts = {
            a.personal_id: a
            for a in session.scalars(
                select(EidAccount).where(
                    EidAccount.personal_id.in_([c.personal_id for c in chosen])
                )
            )
        }
        client, _ = portal.ensure_portal_client(session)
        moment = clock.now()
        for citizen in chosen:
            account = accounts.get(citizen.personal_id)
            if account is not None and (account.status != "active" or account.level != 2):
                continue  # a locked, pending or level-1 account: not one of the submitters
            if account is None:
                account = EidAccount(
                    personal_id=citizen.personal_id,
                    level=2,
                    status="active",
                    phone=citizen.phone or "0912000000",
                    failed_logins=0,
                    registered_channel="station",
                    created_at=moment,
                    activated_at=moment,
                    level2_verified_at=moment,
                    level2_verified_by="bench",
                )
                session.add(account)
                session.flush()
            token = oidc.issue_access_token(
                session,
                client_id=client.client_id,
                account_id=account.id,
                personal_id=citizen.personal_id,
                level=2,
            )
            tokens.append(token)
        session.commit()
    engine.dispose()
    tokens_file = workdir / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    return tokens_file, total


def written(url: str, run: str) -> tuple[int, int]:
    """(dossiers whose key starts with ``run``, first-event notifications in the outbox)."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from oncegov.integrations.models import OutboxMessage
    from oncegov.procedures.dossiers.models import Dossier

    engine = create_engine(url)
    with Session(engine) as session:
        made = session.scalar(select(func.count()).where(Dossier.idempotency_key.like(f"{run}-%")))
        notes = session.scalar(
            select(func.count()).where(OutboxMessage.key.like("dossier:%:event:1:%"))
        )
    engine.dispose()
    return int(made or 0), int(notes or 0)


def warm(base: str, token: str, body: bytes, boundary: str) -> None:
    """A few submissions so the endpoints are past first-use costs (imports, caches)."""
    import httpx

    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(10):
            client.get("/healthz")
            answer = client.post(
                "/api/v1/portal/dossiers",
                content=body,
                headers={**headers, "Idempotency-Key": f"warm-{secrets.token_hex(6)}-{n}"},
            )
            if answer.status_code != 201:
                raise SystemExit(
                    f"a warm-up submission was refused: {answer.status_code} {answer.text}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--rebuild", action="store_true", help="build the registry again")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian package)")
    url = database_url(args.pg, pg_database=PG_DATABASE, sqlite_name=f"dossiers-{args.scale:g}.db")
    build(url, args.scale, args.rebuild, args.pg)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        tokens_file, citizens = prepare(url, workdir, args.citizens, args.seed)
        boundary = "oncegov" + secrets.token_hex(8)
        form = [
            ("procedure", PROCEDURE.encode(), None),
            ("values", json.dumps(VALUES, ensure_ascii=False).encode(), None),
        ]
        pdf = proof_pdf(PDF_BYTES, args.seed)
        bodies = {
            "without a file": multipart(boundary, form),
            f"with a {len(pdf) // 1024} KB PDF": multipart(
                boundary,
                [
                    *form,
                    ("document", str(PROOF_DOCUMENT).encode(), None),
                    ("file", pdf, "scan.pdf"),
                ],
            ),
        }
        baseline_script = workdir / "baseline.lua"
        baseline_script.write_text(wrk_script(""))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        database = "PostgreSQL" if args.pg else "SQLite"
        print(
            f"{database}: {citizens:,} citizens; {args.citizens:,} level-2 citizens submitting; "
            f"wrk -t1 -c{args.connections} -d{args.seconds}s per endpoint; "
            f"{args.workers} server worker(s)"
        )
        results: dict[str, dict[str, float]] = {}
        checks: dict[str, tuple[int, int]] = {}
        token = tokens_file.read_text().split()[0]
        with served(_env(url), port, args.workers, log_name="dossier_bench_server.log"):
            warm(base, token, bodies["without a file"], boundary)
            results["GET /healthz (baseline)"] = wrk(
                f"{base}/healthz", baseline_script, args.connections, args.seconds
            )
            for name, body in bodies.items():
                run = "b" + secrets.token_hex(4)
                body_file = workdir / f"{run}.body"
                body_file.write_bytes(body)
                script = workdir / f"{run}.lua"
                script.write_text(
                    wrk_script(
                        SUBMIT_SCRIPT
                        % {
                            "tokens": tokens_file,
                            "body": body_file,
                            "boundary": boundary,
                            "run": run,
                        }
                    )
                )
                notes_before = written(url, run)[1]
                results[f"POST dossier {name}"] = wrk(base, script, args.connections, args.seconds)
                made, notes_after = written(url, run)
                checks[f"POST dossier {name}"] = (made, notes_after - notes_before)
    report(results, checks, args.connections)


def report(
    results: dict[str, dict[str, float]], checks: dict[str, tuple[int, int]], connections: int
) -> None:
    baseline = results["GET /healthz (baseline)"]
    print()
    print(f"{'endpoint':<36}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}")
    for name, figures in results.items():
        print(
            f"{name:<36}{figures['rps']:>10.0f}{figures['P50US']:>10.1f}"
            f"{figures['P99US']:>10.1f}{figures['rps'] / baseline['rps']:>8.2f}"
        )
    for name, (made, notes) in checks.items():
        figures = results[name]
        statuses = {k[7:]: int(v) for k, v in figures.items() if k.startswith("status_")}
        answered = statuses.get("201", 0)
        # Submissions in flight when wrk stops are written but their answers not counted.
        agree = "agrees" if 0 <= made - answered <= connections else "DISAGREES"
        print(
            f"{name}: answers by status {json.dumps(statuses)}; {made:,} dossiers written "
            f"({agree} with the 201 answers, up to {connections} in flight at the end), "
            f"{notes:,} notifications queued"
        )
        ratio = figures["rps"] / baseline["rps"]
        verdict_ratio = "meets" if ratio >= TARGET_RATIO else "misses"
        verdict_p99 = "meets" if figures["P99US"] <= TARGET_P99_MS else "misses"
        print(
            f"  ratio {ratio:.2f}x ({verdict_ratio} the {TARGET_RATIO}x target); "
            f"p99 {figures['P99US']:.1f} ms ({verdict_p99} the {TARGET_P99_MS:.0f} ms target)"
        )


if __name__ == "__main__":
    main()
