"""The officers' navigation offers exactly the sections their roles open."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.fixtures import CAO_BANG, COMMUNE_A, login, make_officer
from tests.health.factories import HOSPITAL, make_facility

SECTIONS = {
    "/registry/search",
    "/quality",
    "/registry/corrections",
    "/audit",
    "/identity/cards",
    "/identity/eid",
    "/admin/oidc/clients",
    "/admin/calendar",
    "/health/reception",
    "/health/statistics",
    "/dossiers",
    "/dossiers/counter",
}


def _nav_links(html: str) -> set[str]:
    nav = html[html.index("<nav>") : html.index("</nav>")]
    return set(re.findall(r'href="([^"]+)"', nav))


@pytest.mark.parametrize(
    ("role", "scope", "expected"),
    [
        ("commune_officer", ("commune", COMMUNE_A), {"/registry/search", "/quality",
                                                     "/registry/corrections"}),
        ("id_card_officer", ("province", CAO_BANG), {"/registry/search", "/identity/cards",
                                                     "/identity/eid"}),
        ("auditor", ("province", CAO_BANG), {"/audit"}),
        ("admin", ("province", CAO_BANG), {"/admin/oidc/clients", "/admin/calendar"}),
        ("facility_receptionist", ("agency", HOSPITAL), {"/health/reception"}),
        ("health_statistician", ("province", CAO_BANG), {"/health/statistics"}),
        ("service_centre_clerk", ("commune", COMMUNE_A), {"/dossiers", "/dossiers/counter"}),
        ("dossier_handler", ("commune", COMMUNE_A), {"/dossiers"}),
        ("dossier_approver", ("province", CAO_BANG), {"/dossiers"}),
    ],
)  # fmt: skip
def test_each_role_sees_its_sections(
    client: TestClient, db: Session, role: str, scope: tuple[str, str], expected: set[str]
) -> None:
    make_facility(db, HOSPITAL)
    officer = make_officer(db, f"nav.{role}", (role, *scope))
    login(client, officer)
    links = _nav_links(client.get("/").text) & SECTIONS
    assert links == expected
    for path in expected:
        assert client.get(path).status_code == 200, path
