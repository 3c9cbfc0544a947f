"""A small demo province served by the real app, shared by the tests that walk every main
page as each demo officer and as a demo citizen (the Vietnamese-labels test and the phone-
width test): the demo population with its accounts, one data-quality run, one linkage run of
a synthetic social-insurance extract, a check-in and a correction request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from oncegov.demo import service as demo
from oncegov.demo.accounts import CitizenLogin, DemoLogin
from oncegov.kit.actor import Actor
from oncegov.linkage import service as linkage
from oncegov.registry.quality import service as quality

SEED = 4242
SCALE = 0.002  # ≈1,100 people
ACTOR = Actor.system("cli:tests")


@dataclass(frozen=True)
class DemoSite:
    base_url: str
    # Signed-in sessions: each demo officer by username, "citizen" (level 1), "anonymous".
    clients: dict[str, httpx.Client]
    personal_id: str  # a citizen the registry pages show
    finding_ids: list[int]  # one finding of each rule that found something
    review_id: int | None
    card_id: int | None


def load(engine: Engine, workdir: Path) -> tuple[dict[str, DemoLogin], list[CitizenLogin]]:
    with Session(engine, expire_on_commit=False) as session:
        demo.run_demo(session, ACTOR, scale=SCALE, seed=SEED)
        quality.run_checks(session, ACTOR)
        files = linkage.write_synthetic_extract(
            session, ACTOR, size=300, seed=5, out=workdir / "social-insurance.csv"
        )
        linkage.run_linkage(
            session,
            ACTOR,
            source="social-insurance",
            extract_path=files.extract,
            mapping_path=files.mapping,
        )
        officers = {a.username: a for a in demo.logins(session, seed=SEED)}
        citizens = demo.logins_of_citizens(session, seed=SEED)
        session.commit()
    return officers, citizens


def officer_client(base_url: str, officer: DemoLogin, lang: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=60)
    client.cookies.set("oncegov_lang", lang)
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form)
    assert token, "no login form"
    signed_in = client.post(
        "/login",
        data={
            "username": officer.username,
            "password": officer.password,
            "otp": pyotp.TOTP(officer.totp_secret).now(),
            "login_csrf": token[1],
            "next": "/",
        },
    )
    assert signed_in.url.path == "/officer", signed_in.text[:500]
    return client


def citizen_client(base_url: str, citizen: CitizenLogin, lang: str) -> httpx.Client:
    """A level-1 sign-in (the level-2 one also asks for the texted code)."""
    client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=60)
    client.cookies.set("oncegov_lang", lang)
    form = client.get("/eid/login").text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token, "no eID sign-in form"
    signed_in = client.post(
        "/eid/login",
        data={
            "form_token": token[1],
            "next": "/me",
            "level": "1",
            "personal_id": citizen.personal_id or "",
            "passcode": citizen.passcode,
        },
    )
    assert signed_in.url.path == "/me", signed_in.text[:500]
    return client


def first_link(client: httpx.Client, page: str, pattern: str) -> str | None:
    found = re.search(pattern, client.get(page).text)
    return found[1] if found else None


def speaking(client: httpx.Client, lang: str) -> httpx.Client:
    client.cookies.set("oncegov_lang", lang)
    return client


def main_pages(site: DemoSite) -> Iterator[tuple[str, str]]:
    """(username or "citizen", path) of every main page, for each demo role that opens it."""
    pid = site.personal_id
    for path in ("/", "/login", "/eid/login", "/eid/register", "/eid/reset"):
        yield "anonymous", path
    # The public catalogue of procedures (the demo loads it).
    for path in (
        "/procedures",
        "/procedures?q=dang+ky+tam+tru",
        "/procedures/1.004194",
        "/procedures/1.000656",
        "/procedures/LT.KS-TT-BHYT",
        "/procedures/2.000488",
    ):
        yield "anonymous", path
    yield from (
        ("pc06.demo", p)
        for p in (
            "/officer",
            "/registry/search",
            f"/registry/search?q={pid}",
            "/registry/search?q=Nong",
            f"/registry/citizens/{pid}?purpose=Inspection",
            f"/registry/citizens/{pid}/edit?purpose=Inspection",
            "/quality",
            "/quality/findings",
            *(f"/quality/findings/{n}" for n in site.finding_ids),
            "/registry/corrections",
            "/linkage/report",
        )
    )
    yield from (
        ("cccd.demo", p)
        for p in (
            "/officer",
            "/identity/cards",
            "/identity/cards/new",
            *([f"/identity/cards/{site.card_id}"] if site.card_id else []),
            "/identity/eid",
            f"/identity/eid?personal_id={pid}",
        )
    )
    yield from (("thanhtra.demo", p) for p in ("/officer", "/audit"))
    yield from (("quantri.demo", p) for p in ("/officer", "/admin/oidc/clients", "/admin/calendar"))
    yield from (("letan.demo", p) for p in ("/officer", "/health/reception"))
    yield from (("yte.demo", p) for p in ("/officer", "/health/statistics"))
    yield from (
        ("doisoat.demo", p)
        for p in (
            "/officer",
            "/linkage/review",
            *([f"/linkage/review/{site.review_id}"] if site.review_id else []),
            "/linkage/report",
        )
    )
    yield from (
        ("citizen", p)
        for p in ("/", "/me", "/me/account", "/me/logins", "/me/access", "/me/qr", "/me/report")
    )
