"""Browser-test fixtures: the real app under uvicorn on its own database, headless Chromium.

The app runs in a background thread against a database of its own (not the rolled-back test
transaction: the browser's requests must see each other's commits). ``get_engine`` is cached on
the run's main database, so the app's ``get_db`` is overridden with a sessionmaker bound to
this database's engine.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from oncegov.app import create_app
from oncegov.auth import service as auth
from oncegov.db import get_db, make_engine
from oncegov.migrate import upgrade
from tests.dbsetup import drop_database, new_database_url
from tests.fixtures import COMMUNE_A, COMMUNE_B, PASSWORD, OfficerLogin, make_citizen
from tests.web import demo_site as demo_site_data
from tests.web.demo_site import DemoSite

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Seeded:
    officer: OfficerLogin
    citizen_id: str  # Nông Văn Dũng, commune A
    namesake_elsewhere_id: str  # the same name in commune B: invisible to the officer


@dataclass(frozen=True)
class LiveApp:
    base_url: str
    engine: Engine
    seeded: Seeded


@pytest.fixture(scope="module")
def e2e_engine(engine: Engine) -> Iterator[Engine]:
    # ``engine`` (the run's main database) is requested only so that it is migrated and dropped
    # as usual even when the browser tests run alone.
    del engine
    url = new_database_url("e2e")
    upgrade(url)
    e2e = make_engine(url)
    try:
        yield e2e
    finally:
        e2e.dispose()
        drop_database(url)


def _seed(engine: Engine) -> Seeded:
    with Session(engine, expire_on_commit=False) as session:
        created = auth.create_officer(
            session,
            username="xa.e2e",
            full_name="Cán bộ Thục Phán",
            password=PASSWORD,
            roles=[("commune_officer", "commune", COMMUNE_A)],
        )
        dung = make_citizen(
            session, full_name="Nông Văn Dũng", sex="M", birth_year=1985, phone="0912000111"
        )
        make_citizen(session, full_name="Nông Thị Ánh", sex="F", birth_year=1990)
        make_citizen(session, full_name="Hoàng Văn Thụ", sex="M", birth_year=1950)
        namesake = make_citizen(
            session,
            full_name="Nông Văn Dũng",
            sex="M",
            birth_year=1985,
            permanent_commune_code=COMMUNE_B,
            current_commune_code=COMMUNE_B,
        )
        session.commit()
        return Seeded(
            OfficerLogin(created.officer.username, PASSWORD, created.totp_secret),
            dung.personal_id,
            namesake.personal_id,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app_on(engine: Engine) -> FastAPI:
    app = create_app()
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def e2e_db() -> Iterator[Session]:  # the same contract as oncegov.db.get_db
        with sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    app.dependency_overrides[get_db] = e2e_db
    return app


@pytest.fixture(scope="module")
def live_app(e2e_engine: Engine) -> Iterator[LiveApp]:
    seeded = _seed(e2e_engine)
    server, thread, port = _serve(_app_on(e2e_engine))
    try:
        yield LiveApp(f"http://127.0.0.1:{port}", e2e_engine, seeded)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A fresh browser context in English (the message ids the assertions read)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "oncegov_lang", "value": "en", "url": live_app.base_url}])
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


def _serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, int]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, port


@pytest.fixture(scope="session")
def demo_site(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The small demo province on a database of its own, served on a free port."""
    del engine  # requested so the run's main database is migrated and dropped as usual
    url = new_database_url("site")
    upgrade(url)
    site_engine = make_engine(url)
    server = thread = None
    try:
        officers, citizens = demo_site_data.load(site_engine, tmp_path_factory.mktemp("site"))
        server, thread, port = _serve(_app_on(site_engine))
        base_url = f"http://127.0.0.1:{port}"
        # Each officer signs in once (a TOTP code is accepted once); the tests reuse the
        # sessions and switch the language cookie.
        clients = {
            name: demo_site_data.officer_client(base_url, officer, "en")
            for name, officer in officers.items()
        }
        level1 = next(c for c in citizens if c.level == 1)
        clients["citizen"] = demo_site_data.citizen_client(base_url, level1, "en")
        clients["anonymous"] = httpx.Client(base_url=base_url, follow_redirects=True)
        pc06, clerk, desk = clients["pc06.demo"], clients["doisoat.demo"], clients["cccd.demo"]
        search = pc06.get("/registry/search?q=Nong").text
        personal_id = re.search(r"/registry/citizens/(\d{12})", search)
        assert personal_id, "no citizen found"
        findings = pc06.get("/quality/findings?status=all").text
        finding_ids = sorted({int(n) for n in re.findall(r"/quality/findings/(\d+)", findings)})
        review = demo_site_data.first_link(clerk, "/linkage/review", r"/linkage/review/(\d+)")
        card = demo_site_data.first_link(desk, "/identity/cards", r"/identity/cards/(\d+)")
        yield DemoSite(
            base_url=base_url,
            clients=clients,
            personal_id=personal_id[1],
            finding_ids=finding_ids[:12],
            review_id=int(review) if review else None,
            card_id=int(card) if card else None,
        )
        for client in clients.values():
            client.close()
    finally:
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=10)
        site_engine.dispose()
        drop_database(url)
