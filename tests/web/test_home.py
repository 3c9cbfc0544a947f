"""The public home page, each role's home, the logo and the language switch."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.fixtures import (
    CAO_BANG,
    COMMUNE_A,
    citizen_session,
    login,
    make_citizen,
    make_eid_account,
    make_officer,
)
from tests.health.factories import HOSPITAL, make_facility


def _logo(html: str) -> str:
    found = re.search(r'<a class="brand" href="([^"]+)"', html)
    assert found, html[:400]
    return found[1]


def test_the_public_home_leads_citizens_and_officers_to_their_sign_ins(
    client: TestClient,
) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    assert 'href="/eid/login"' in page.text and 'href="/login"' in page.text
    assert 'href="/eid/register"' in page.text
    assert _logo(page.text) == "/"


def test_a_signed_in_officer_is_sent_to_their_home_and_the_logo_leads_there(
    client: TestClient, db: Session
) -> None:
    login(client, make_officer(db, "home.xa", ("commune_officer", "commune", COMMUNE_A)))
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/officer"
    page = client.get("/registry/search")
    assert _logo(page.text) == "/officer"
    officer_home = client.get("/officer?lang=en").text
    assert "Citizens in your area" in officer_home and 'action="/registry/search"' in officer_home


def test_a_role_without_the_registry_sees_what_it_can_do_and_no_citizen_count(
    client: TestClient, db: Session
) -> None:
    make_facility(db, HOSPITAL)
    login(client, make_officer(db, "home.letan", ("facility_receptionist", "agency", HOSPITAL)))
    page = client.get("/officer?lang=en").text
    assert "Citizens in your area" not in page and "/registry/search" not in page
    assert 'href="/health/reception"' in page and "Check patients in" in page
    login(client, make_officer(db, "home.doisoat", ("linkage_clerk", "province", CAO_BANG)))
    page = client.get("/officer?lang=en").text
    assert "/registry/search" not in page
    assert 'href="/linkage/review"' in page and 'href="/linkage/report"' in page


def test_a_signed_in_citizen_s_logo_leads_to_their_own_pages(
    client: TestClient, db: Session
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    for path in ("/", "/me", "/me/account"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert _logo(page.text) == "/me", path
    assert 'href="/me"' in client.get("/").text  # the home page offers them their pages


def test_the_language_switch_keeps_the_path_and_the_query(client: TestClient, db: Session) -> None:
    login(client, make_officer(db, "home.lang", ("commune_officer", "commune", COMMUNE_A)))
    page = client.get("/registry/search?q=N%C3%B4ng&purpose=Inspection").text
    switch = re.search(r'<a href="([^"]+)" hreflang="en"', page)
    assert switch, page[:800]
    assert switch[1].replace("&amp;", "&") == (
        "/registry/search?q=N%C3%B4ng&purpose=Inspection&lang=en"
    )
    again = client.get("/registry/search?q=x&lang=en").text
    back = re.search(r'<a href="([^"]+)" hreflang="vi"', again)
    assert back and back[1].replace("&amp;", "&") == "/registry/search?q=x&lang=vi"
