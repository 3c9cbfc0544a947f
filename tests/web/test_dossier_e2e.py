"""A dossier from start to approval in headless Chromium against a real server (uvicorn in a
subprocess, its own database, the bundled catalogue): a level-2 citizen on a phone-wide screen
signs in through the portal's OpenID Connect sign-in (eID passcode, the SMS code from the local
outbox, consent), applies for temporary residence registration (the registry's values locked
with their source, a PDF attached), gets the receipt; a commune officer takes the dossier
through the queue and asks for additions (form 02); the citizen answers them days later; the
officer continues to approval; the citizen's page shows every step and the appointed date moved
by the pause.

The pause counts whole working days (``WorkingCalendar._paused_days``: the working days after
the day of the request up to the day of the answer), so a pause of seconds moves nothing. The
server's clock therefore jumps forward while it runs (libfaketime, relative offset read from a
file: ``portal_live.ServerClock``) by the fewest days the calendar counts: 1 on most days, more
before a weekend or a holiday. Nothing is written into the database to fake the pause.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.db import make_engine
from oncegov.kit import clock
from oncegov.migrate import upgrade
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.dossiers import service as dossiers
from oncegov.procedures.dossiers.models import Dossier
from oncegov.procedures.portal import service as portal
from tests.dbsetup import drop_database, new_database_url
from tests.fixtures import (
    COMMUNE_A,
    PASSCODE,
    OfficerLogin,
    make_citizen,
    make_eid_account,
    make_officer,
)
from tests.kit.test_uploads import small_pdf
from tests.procedures.dossier_helpers import TEMPORARY_RESIDENCE
from tests.procedures.portal_live import (
    ServerClock,
    base_url,
    free_port,
    latest_sms_code,
    live_server,
)
from tests.web.browser import screenshot, sign_in, watch

PHONE = "0912000042"
FULL_NAME = "Hoàng Thị Mai"
DAY = 86_400


@dataclass(frozen=True)
class Server:
    base: str
    url: str
    clock: ServerClock
    personal_id: str
    officer: OfficerLogin


def _seed(url: str, base: str) -> tuple[str, OfficerLogin]:
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            report = catalogue.load_catalogue(db)
            assert report.ok, report.problems
            citizen = make_citizen(db, full_name=FULL_NAME, sex="F", phone=PHONE)
            make_eid_account(db, citizen, level=2, phone=PHONE)
            officer = make_officer(
                db,
                "motcua.e2e",
                ("service_centre_clerk", "commune", COMMUNE_A),
                ("dossier_handler", "commune", COMMUNE_A),
                ("dossier_approver", "commune", COMMUNE_A),
            )
            portal.ensure_portal_client(db, public_url=base)
            db.commit()
            return citizen.personal_id, officer
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = new_database_url("dossier_e2e")
    upgrade(url)
    port = free_port()
    folder = tmp_path_factory.mktemp("dossier_e2e")
    try:
        personal_id, officer = _seed(url, base_url(port))
        server_clock = ServerClock(folder)
        files = {"ONCEGOV_FILE_STORE_DIR": str(folder / "files")}
        with live_server(url, port, clock=server_clock, env=files) as base:
            yield Server(base, url, server_clock, personal_id, officer)
    finally:
        drop_database(url)


def _context(browser: Browser, server: Server, width: int, height: int) -> BrowserContext:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": "oncegov_lang", "value": "en", "url": server.base}])
    context.set_default_timeout(15_000)
    return context


def _portal_sign_in(page: Page, server: Server, next_path: str) -> None:
    """The portal's sign-in as the citizen walks it: the provider's eID page (passcode), the
    code texted to the phone, consent the first time, back through the portal's callback."""
    page.goto(f"{server.base}/portal/login?next={next_path}&level=2")
    expect(page).to_have_url(re.compile(re.escape(server.base) + r"/eid/login\?"))
    page.fill("#personal_id", server.personal_id)
    page.fill("#passcode", PASSCODE)
    page.click("form[action='/eid/login'] button[type=submit]")
    expect(page).to_have_url(server.base + "/eid/login/otp")
    page.fill("#code", latest_sms_code(server.url, PHONE))
    page.click("form[action='/eid/login/otp'] button[type=submit]")
    done = server.base + next_path
    page.wait_for_url(lambda url: url == done or "/oidc/authorize" in url)
    if page.url != done:
        expect(page.locator("ul.oidc-claims")).to_be_visible()
        page.click("form[action='/oidc/consent'] button[value=allow]")
    expect(page).to_have_url(done)


def _day(text: str) -> dt.date:
    """The date in an English ``format_datetime`` text (``12/2/2026, 4:05:03 PM``)."""
    found = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    assert found, text
    return dt.date(int(found[3]), int(found[1]), int(found[2]))


def _move(page: Page, target: str, reason: str | None = None) -> None:
    button = page.locator(f"button[data-move={target}]")
    if reason is not None:
        page.locator("form", has=button).locator("textarea[name=reason]").fill(reason)
    button.click()
    expect(page.locator(f"button[data-move={target}]")).to_have_count(0)


def _days_the_pause_must_last(server: Server, code: str) -> int:
    """The fewest whole days of waiting that the working-day calendar counts against the due
    date of the dossier paused now (read from the server's database, written by the pages)."""
    engine = make_engine(server.url)
    try:
        with Session(engine) as db:
            dossier = db.scalars(select(Dossier).where(Dossier.code == code)).one()
            assert dossier.paused_since is not None
            procedure = catalogue.procedure(db, TEMPORARY_RESIDENCE).definition
            received, since = clock.aware(dossier.received_at), clock.aware(dossier.paused_since)
            for days in range(1, 31):
                pause = (since, since + dt.timedelta(days=days))
                if dossiers.due_of(db, procedure, received, [pause]).day > dossier.due_day:
                    return days
    finally:
        engine.dispose()
    raise AssertionError("no pause of up to 30 days moves the due date")


@pytest.mark.browser
def test_a_dossier_from_the_portal_to_approval(browser: Browser, server: Server) -> None:
    started = time.monotonic()
    citizen_context = _context(browser, server, 375, 812)  # a phone
    officer_context = _context(browser, server, 1280, 900)
    try:
        citizen, officer = citizen_context.new_page(), officer_context.new_page()
        problems = watch(citizen)
        officer_problems = watch(officer)

        # 1. The citizen signs in at level 2 through the portal, on the way to the procedure.
        apply_path = f"/portal/apply/{TEMPORARY_RESIDENCE}"
        _portal_sign_in(citizen, server, apply_path)
        expect(citizen.locator("h1")).to_have_text("Temporary residence registration")

        # 2. The form, pre-filled from the registry with the source; a PDF; submit; receipt.
        citizen.click("form[action='/portal/apply/1.004194'] button[type=submit]")
        expect(citizen).to_have_url(re.compile(r"/portal/drafts/\d+$"))
        for key, value in (("full_name", FULL_NAME), ("personal_id", server.personal_id)):
            field = citizen.locator(f"#f-{key}")
            expect(field).to_have_value(value)
            expect(field).to_have_attribute("readonly", "")
            expect(citizen.locator(f"#src-{key}")).to_contain_text(
                "From the national population database"
            )
        upload = citizen.locator("#upload-form")
        upload.locator("select[name=document]").select_option(
            label="Papers proving the lawful place of residence"
        )
        upload.locator("input[type=file]").set_input_files(
            {"name": "hop-dong-thue-nha.pdf", "mimeType": "application/pdf", "buffer": small_pdf()}
        )
        upload.locator("button[type=submit]").click()
        expect(citizen.locator("#attached")).to_contain_text("hop-dong-thue-nha.pdf")
        stay_until = (clock.today() + dt.timedelta(days=180)).strftime("%d/%m/%Y")
        citizen.fill("#f-temporary_address", "Số 5, tổ 2, phường Thục Phán")
        citizen.fill("#f-stay_until", stay_until)
        citizen.fill("#f-lawful_residence_proof", "Hợp đồng thuê nhà số 12/2026")
        screenshot(citizen, "dossier-e2e-1-form.png")
        citizen.click("#dossier-form button[value=submit]")
        expect(citizen).to_have_url(re.compile(r"/portal/dossiers/[^/]+/receipt$"))
        code = citizen.locator("#receipt-code").inner_text().strip()
        assert code and code in citizen.url
        expect(citizen.locator(".receipt")).to_contain_text(FULL_NAME)
        receipt_due = _day(citizen.locator("#receipt-due").inner_text())
        screenshot(citizen, "dossier-e2e-2-receipt.png")

        # 3. The officer finds it in the queue, moves it along and asks for additions.
        sign_in(officer, server.base, server.officer)
        officer.goto(server.base + "/dossiers?view=new")
        officer.get_by_role("link", name=code).click()
        expect(officer).to_have_url(f"{server.base}/dossiers/{code}")
        for target in ("accepted", "assigned", "processing"):
            _move(officer, target)
        reason = "Bổ sung bản sao hợp đồng thuê nhà có chữ ký của chủ nhà"
        _move(officer, "additions_requested", reason)
        expect(officer.locator(".badge", has_text="Clock paused")).to_be_visible()

        # The citizen answers some days later: the server's clock jumps (sessions expire).
        days = _days_the_pause_must_last(server, code)
        server.clock.advance(days * DAY, server.base)

        # 4. The citizen signs in again, sees what is asked and answers it.
        dossier_path = f"/portal/dossiers/{code}"
        _portal_sign_in(citizen, server, dossier_path)
        expect(citizen.locator("#dossier-state")).to_have_text("Waiting for your additions")
        asked = citizen.locator("section.actions")
        expect(asked).to_contain_text(reason)
        screenshot(citizen, "dossier-e2e-3-additions.png")
        asked.locator("textarea[name=note]").fill("Đã tải lên bản sao có chữ ký")
        citizen.click("#supply-additions")
        expect(citizen.locator("#dossier-state")).to_have_text("Being processed")
        expect(citizen.locator("#supply-additions")).to_have_count(0)

        # 5. The officer (signed out by the jump: a TOTP code of the server's time) approves.
        officer.goto(server.base + "/dossiers")
        expect(officer).to_have_url(re.compile(r"/login"))
        sign_in(officer, server.base, server.officer, at=server.clock.time())
        officer.goto(f"{server.base}/dossiers/{code}")
        _move(officer, "submitted_for_approval")
        _move(officer, "approved")
        expect(officer.locator("button[data-move=result_ready]")).to_be_visible()

        # 6. The citizen's page: every step in order, the appointed date moved by the pause.
        citizen.reload()
        expect(citizen.locator("#dossier-state")).to_have_text("Approved")
        steps = [s.strip() for s in citizen.locator("ol.timeline li strong").all_inner_texts()]
        assert steps == [
            "Received",
            "Accepted",
            "Assigned",
            "Being processed",
            "Waiting for your additions",
            "Being processed",
            "Submitted for approval",
            "Approved",
        ]
        paused = citizen.locator("ol.timeline li").nth(4)
        expect(paused).to_contain_text("Form 02")
        expect(paused).to_contain_text(reason)
        due_after = _day(citizen.locator("#dossier-due").inner_text())
        assert due_after > receipt_due, (receipt_due, due_after, days)
        last_due = _day(citizen.locator("ol.timeline li").last.locator("small").inner_text())
        assert last_due == due_after
        screenshot(citizen, "dossier-e2e-4-approved.png")

        assert problems == [] and officer_problems == []
    finally:
        citizen_context.close()
        officer_context.close()
    assert time.monotonic() - started < 60
