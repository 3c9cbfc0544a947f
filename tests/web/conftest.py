"""Browser-test fixtures: the real app under uvicorn on its own database, headless Chromium.

The app runs in a background thread against a database of its own (not the rolled-back test
transaction: the browser's requests must see each other's commits). ``get_engine`` is cached on
the run's main database, so the app's ``get_db`` is overridden with a sessionmaker bound to
this database's engine.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

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
    port = _free_port()
    config = uvicorn.Config(
        _app_on(e2e_engine), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
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
