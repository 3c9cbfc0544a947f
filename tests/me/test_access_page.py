"""The citizen's "Who accessed my data" page: only entries about them, newest first, who in
words a citizen understands (officers by role and unit), filters, paging (its query and the
local days' bounds: ``tests/audit/test_access_entries.py``)."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.audit.models import AuditEntry
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.registry import service as registry
from oncegov.registry.models import Citizen
from tests.fixtures import (
    COMMUNE_A,
    citizen_session,
    make_citizen,
    make_eid_account,
    make_officer,
)
from tests.identity.oidc.conftest import AuthRequest, register, tokens_for

RP_NAME = "Cổng dịch vụ công tỉnh"
RP_AGENCY = "Văn phòng UBND tỉnh"
BHXH = Actor("service", "bhxh", "Tra cứu thẻ BHYT", agency="BHXH tỉnh Cao Bằng", channel="api")
SYSTEM = Actor.system("eid.login", channel="web")


@dataclass(frozen=True)
class Row:
    kind: str
    ref: int
    when: str
    who: str
    what: str
    purpose: str


def rows(page: str) -> list[Row]:
    found = re.findall(
        r'<tr class="access-entry" data-kind="(\w+)" data-ref="(\d+)">(.*?)</tr>', page, re.S
    )
    result = []
    for kind, ref, body in found:
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        ]
        result.append(Row(kind, int(ref), *cells[:4]))
    return result


def recorded(db: Session, actor: Actor, action: str, **fields: Any) -> AuditEntry:
    """One entry written now (``audit.record`` defers its entries to the commit), to compare
    with the page by its seq and time."""
    (seq,) = audit.record_many(db, [audit.PendingEntry(actor, action, **fields)])
    entry = db.get(AuditEntry, seq)
    assert entry is not None
    return entry


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found[1]) if found else None


@pytest.fixture
def me(client: TestClient, db: Session) -> Citizen:
    citizen = make_citizen(db, full_name="Nông Thị Ánh", sex="F", birth_year=1990)
    citizen_session(client, db, make_eid_account(db, citizen, level=1))
    return citizen


@pytest.fixture
def officer_actor(db: Session) -> Actor:
    make_officer(db, "xa.thucphan", ("commune_officer", "commune", COMMUNE_A))
    return Actor("officer", "xa.thucphan", "Officer xa.thucphan")


def test_anonymous_visitor_is_sent_to_the_eid_sign_in(client: TestClient) -> None:
    response = client.get("/me/access", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/eid/login?next=/me/access"


def test_only_entries_about_me_newest_first(
    client: TestClient, db: Session, me: Citizen, officer_actor: Actor
) -> None:
    other = make_citizen(db, full_name="Hoàng Văn Thụ", birth_year=1950)
    registry.get_citizen(db, officer_actor, me.personal_id, purpose="Hồ sơ 15/2026")
    mine = [
        audit.entries_about(db, me.personal_id, limit=1)[0].seq,
        recorded(
            db, BHXH, "registry.read", purpose="Insurance card", subject_personal_id=me.personal_id
        ).seq,
        recorded(
            db,
            SYSTEM,
            "registry.status_check",
            purpose="eID sign-in",
            subject_personal_id=me.personal_id,
        ).seq,
    ]
    theirs = recorded(
        db,
        officer_actor,
        "registry.read",
        purpose="Secret case",
        subject_personal_id=other.personal_id,
    ).seq
    recorded(db, officer_actor, "registry.search", purpose="Search")  # no subject
    page = client.get("/me/access")
    assert page.status_code == 200
    shown = rows(page.text)
    assert [r.ref for r in shown] == sorted(mine, reverse=True)
    assert theirs not in [r.ref for r in shown]
    assert "Secret case" not in page.text and other.personal_id not in page.text
    assert shown[0].who == "eID sign-in (automatic check)"
    assert shown[0].what == "Whether you are alive (only that)"
    assert shown[1].who == "BHXH tỉnh Cao Bằng — Tra cứu thẻ BHYT"
    assert shown[1].purpose == "Insurance card"


def test_officer_is_shown_by_role_and_unit_not_by_name(
    client: TestClient, db: Session, me: Citizen, officer_actor: Actor
) -> None:
    registry.get_citizen(db, officer_actor, me.personal_id, purpose="Hồ sơ 15/2026")
    registry.record_change(
        db, officer_actor, me.personal_id, {"phone": "0987000111"}, reason="Citizen's request"
    )
    page = client.get("/me/access")
    change, read = rows(page.text)
    assert read.kind == change.kind == "officer"
    assert read.who == "Officer: Commune police, Phường Thục Phán"
    assert (read.what, read.purpose) == ("Your registry record", "Hồ sơ 15/2026")
    assert change.what == "A correction of your record: phone number"
    assert change.purpose == "Citizen's request"
    assert "xa.thucphan" not in page.text and "Officer xa.thucphan" not in page.text


def test_claims_released_to_a_relying_party_name_the_service_and_the_claims(
    client: TestClient, db: Session, me: Citizen
) -> None:
    tokens = tokens_for(client, AuthRequest(register(db), scope="openid profile birthdate"))
    answer = client.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert answer.status_code == 200
    shown = rows(client.get("/me/access").text)
    released = next(r for r in shown if r.what.startswith("Data released"))
    assert released.kind == "service"
    assert released.who == f"{RP_AGENCY} — {RP_NAME}"
    assert released.what.startswith(f"Data released to {RP_NAME}: ")
    for claim in ("full name", "family name", "given name", "sex", "date of birth"):
        assert claim in released.what
    assert released.purpose == f"With your consent, to {RP_NAME}"
    # The registry read behind the release is shown too, by the same relying party.
    read = next(r for r in shown if r.what == "Your registry record")
    assert read.who == released.who and read.ref < released.ref


def test_filters_by_kind_of_actor_category_and_period(
    client: TestClient, db: Session, me: Citizen, officer_actor: Actor
) -> None:
    pid = me.personal_id
    officer = recorded(db, officer_actor, "registry.read", purpose="A", subject_personal_id=pid)
    service = recorded(
        db,
        BHXH,
        "oidc.claims_released",
        purpose="B",
        subject_personal_id=pid,
        detail={"claims": ["sub"]},
    )
    mine = recorded(
        db,
        Actor("citizen", pid, pid),
        "eid.locked",
        purpose="Locked by the citizen",
        subject_personal_id=pid,
    )
    other_citizen = recorded(
        db,
        Actor("citizen", "004085999999", "x"),
        "registry.read_household",
        purpose="C",
        subject_personal_id=pid,
    )
    system = recorded(
        db, SYSTEM, "registry.status_check", purpose="eID sign-in", subject_personal_id=pid
    )

    def refs(query: str) -> list[int]:
        response = client.get("/me/access?" + query)
        assert response.status_code == 200
        return [r.ref for r in rows(response.text)]

    assert refs("actor=officer") == [officer.seq]
    assert refs("actor=service") == [service.seq]
    assert refs("actor=you") == [mine.seq]  # not the other citizen
    assert refs("actor=system") == [system.seq]
    assert refs("category=registry_read") == [system.seq, other_citizen.seq, officer.seq]
    assert refs("category=shared") == [service.seq]
    assert refs("category=eid") == [mine.seq]
    assert refs("category=eid&actor=officer") == []
    assert refs("actor=bogus&category=bogus") == refs("")  # unknown values: no filter

    today = clock.now().astimezone(audit_zone()).date()
    day = dt.timedelta(days=1)
    assert len(refs(f"from={today}&to={today}")) == 5
    assert refs(f"from={today + day}") == []
    assert refs(f"to={today - day}") == []
    assert len(refs(f"from={today - day}&category=shared")) == 1
    bad = client.get(f"/me/access?from={today}&to={today - day}")
    assert 'id="period-error"' in bad.text and rows(bad.text) == []
    assert 'id="period-error"' in client.get("/me/access?from=17/05").text


def audit_zone() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    from oncegov.config import settings

    return ZoneInfo(settings.timezone)


def test_times_are_shown_in_local_time(client: TestClient, db: Session, me: Citizen) -> None:
    entry = recorded(db, BHXH, "registry.read", purpose="A", subject_personal_id=me.personal_id)
    local = entry.at.astimezone(audit_zone())
    when = rows(client.get("/me/access").text)[0].when
    # English: month/day/year, then the 12-hour local time.
    assert when.startswith(f"{local.month}/{local.day}/{local.year}, ")
    hour = local.hour % 12 or 12
    assert f", {hour}:{local:%M}:{local:%S}\u202f{local:%p}" in when


def test_keyset_pages_older_and_back_to_newer(client: TestClient, db: Session, me: Citizen) -> None:
    seqs = [
        recorded(db, BHXH, "registry.read", purpose=f"p{i}", subject_personal_id=me.personal_id).seq
        for i in range(audit.ACCESS_PAGE_SIZE + 5)
    ]
    first = client.get("/me/access?actor=service").text
    assert [r.ref for r in rows(first)] == seqs[::-1][: audit.ACCESS_PAGE_SIZE]
    assert link(first, "prev") is None
    older_url = link(first, "next")
    assert older_url and "actor=service" in older_url
    older = client.get(older_url).text
    assert [r.ref for r in rows(older)] == seqs[4::-1]
    assert link(older, "next") is None
    newer_url = link(older, "prev")
    assert newer_url
    back = client.get(newer_url).text
    assert [r.ref for r in rows(back)] == [r.ref for r in rows(first)]
    assert link(back, "prev") is None and link(back, "next") == older_url


def test_viewing_the_page_writes_no_audit_entry(
    client: TestClient, db: Session, me: Citizen
) -> None:
    recorded(db, BHXH, "registry.read", purpose="A", subject_personal_id=me.personal_id)
    before = db.scalar(select(func.count()).select_from(AuditEntry))
    for _ in range(3):
        assert client.get("/me/access").status_code == 200
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_nothing_yet_says_so(client: TestClient, me: Citizen) -> None:
    page = client.get("/me/access").text
    assert "Nobody has accessed your data yet." in page


def test_correction_requests_are_labelled_and_filed_under_changes(
    client: TestClient, db: Session, me: Citizen, officer_actor: Actor
) -> None:
    pid = me.personal_id
    filed = recorded(
        db,
        Actor("citizen", pid, pid),
        "corrections.file",
        purpose="Citizen reporting an error in their record",
        subject_personal_id=pid,
        detail={"request": 7, "fields": ["phone"]},
    )
    taken = recorded(
        db,
        officer_actor,
        "corrections.take",
        purpose="Handling correction request #7",
        subject_personal_id=pid,
        detail={"request": 7, "status": "in_review", "version": None},
    )
    shown = rows(client.get("/me/access?category=registry_change").text)
    assert [r.ref for r in shown] == [taken.seq, filed.seq]
    assert shown[0].what == "Your request to correct your record: taken up (no. 7)"
    assert shown[0].purpose == "Handling your correction request no. 7"
    assert (shown[1].kind, shown[1].who) == ("you", "You")


def test_a_link_from_a_sector_database_shows_as_a_use_of_my_data(
    client: TestClient, db: Session, me: Citizen, tmp_path: Path
) -> None:
    from oncegov.linkage import service as linkage

    extract = tmp_path / "bhxh.csv"
    extract.write_text(
        "MA_SO_BHXH,HO_TEN,NGAY_SINH,GIOI_TINH,DIA_CHI,SO_CMND,SO_DDCN,DIEN_THOAI\n"
        f"BHXH0001,NONG THI ANH,17/05/1990,0,,,{me.personal_id},\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "bhxh.yaml"
    mapping.write_text(linkage.SYNTHETIC_MAPPING, encoding="utf-8")
    linkage.run_linkage(
        db,
        Actor.system("cli:bhxh"),
        source="social-insurance",
        extract_path=extract,
        mapping_path=mapping,
    )
    shown = rows(client.get("/me/access?category=sector").text)
    assert len(shown) == 1
    assert shown[0].what.startswith("A record of yours in a sector database")
    assert shown[0].purpose == linkage.PURPOSE


def test_a_read_for_a_public_service_names_the_procedure(
    client: TestClient, db: Session, me: Citizen
) -> None:
    from oncegov.procedures.catalogue import service as catalogue

    assert catalogue.load_catalogue(db).ok
    portal = Actor("citizen", me.personal_id, me.personal_id)
    registry.get_citizen(db, portal, me.personal_id, purpose="procedure 1.004194")
    registry.get_citizen(db, portal, me.personal_id, purpose="procedure 9.999999")  # withdrawn
    unknown, known = rows(client.get("/me/access").text)
    assert known.purpose == "The public service: Temporary residence registration"
    assert unknown.purpose == "The public service: 9.999999"
    client.cookies.set("oncegov_lang", "vi")
    vietnamese = rows(client.get("/me/access").text)
    assert vietnamese[1].purpose == "Dịch vụ công: Đăng ký tạm trú"
