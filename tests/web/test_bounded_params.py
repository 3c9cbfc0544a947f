"""Every integer path and query parameter of every route refuses values past 64 bits.

Sent as a caller the route accepts (an officer holding every role, or a signed-in citizen for
the citizens' pages), so the request gets past authentication to the parameter's validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.auth.roles import ROLES
from oncegov.web.params import MAX_ID
from tests.auth.test_route_permissions import (
    ROUTES,
    SAMPLE_PATH_VALUES,
    Endpoint,
    is_api_citizen,
    is_citizen,
    is_portal,
)
from tests.fixtures import (
    CAO_BANG,
    citizen_session,
    login,
    make_citizen,
    make_eid_account,
    make_officer,
    portal_access_token,
    portal_sign_in,
)
from tests.health.factories import HOSPITAL, make_facility

OUT_OF_RANGE = [str(2**31), str(2**63), str(2**64), "-1"]


@dataclass(frozen=True)
class IntParam:
    method: str
    route: Endpoint
    name: str
    where: str  # path | query


def _dependants(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found.extend(_dependants(sub))
    return found


def _is_int(annotation: Any) -> bool:
    return annotation is int or int in getattr(annotation, "__args__", ())


def _int_params() -> list[IntParam]:
    params = []
    for method, route in ROUTES:
        for dependant in _dependants(route.dependant):
            for where, fields in (
                ("path", dependant.path_params),
                ("query", dependant.query_params),
            ):
                params.extend(
                    IntParam(method, route, field.alias, where)
                    for field in fields
                    if _is_int(field.field_info.annotation)
                )
    return params


INT_PARAMS = _int_params()


def test_the_walk_finds_the_integer_parameters() -> None:
    found = {(p.route.path, p.name) for p in INT_PARAMS}
    assert ("/quality/findings/{finding_id}", "finding_id") in found
    assert ("/api/v1/audit/entries", "offset") in found
    assert ("/me/access", "before") in found
    assert len(INT_PARAMS) >= 25


def _url(param: IntParam, value: str) -> tuple[str, dict[str, str]]:
    def fill(match: re.Match[str]) -> str:
        name = match[1]
        if param.where == "path" and name == param.name:
            return value
        return SAMPLE_PATH_VALUES.get(name, "1")

    path = re.sub(r"\{(\w+)(?::\w+)?\}", fill, param.route.path)
    return path, ({param.name: value} if param.where == "query" else {})


@pytest.fixture
def signed_in(client: TestClient, db: Session) -> dict[str, str]:
    """Signs the client in as an officer with every role and as a citizen (two cookies);
    returns the CSRF header for each kind of route."""
    make_facility(db)
    roles = [(role, "province", CAO_BANG) for role in ROLES if role != "facility_receptionist"]
    officer = make_officer(db, "tatca.quyen", *roles, ("facility_receptionist", "agency", HOSPITAL))
    officer_csrf = login(client, officer)
    citizen = make_citizen(db)
    citizen_csrf = citizen_session(client, db, make_eid_account(db, citizen))
    portal_csrf = portal_sign_in(client, db, citizen.personal_id)
    bearer = portal_access_token(db, citizen)
    db.commit()  # a refused request rolls its transaction back: the sessions must outlive it
    return {
        "officer": officer_csrf,
        "citizen": citizen_csrf,
        "portal": portal_csrf,
        "bearer": f"Bearer {bearer}",
    }


@pytest.mark.parametrize(
    "param", INT_PARAMS, ids=[f"{p.method} {p.route.path} {p.name}" for p in INT_PARAMS]
)
def test_out_of_range_integers_are_refused_not_a_server_error(
    client: TestClient, signed_in: dict[str, str], param: IntParam
) -> None:
    kind = "portal" if is_portal(param.route) else "citizen" if is_citizen(param.route) else None
    csrf = signed_in[kind or "officer"]
    for value in OUT_OF_RANGE:
        path, query = _url(param, value)
        headers = {"X-CSRF-Token": csrf}
        if is_api_citizen(param.route):
            headers["Authorization"] = signed_in["bearer"]
        response = client.request(
            param.method, path, params=query, headers=headers, follow_redirects=False
        )
        assert response.status_code in (404, 422), (
            f"{value}: {response.status_code} {response.text[:200]}"
        )


def test_the_largest_id_is_accepted_and_simply_not_found(
    client: TestClient, signed_in: dict[str, str]
) -> None:
    response = client.get(f"/api/v1/quality/findings/{MAX_ID}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_out_of_range_id_names_the_parameter(
    client: TestClient, signed_in: dict[str, str]
) -> None:
    response = client.get(f"/api/v1/quality/findings/{MAX_ID + 1}")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "finding_id"
    page = client.get(f"/quality/findings/{2**64}")
    assert page.status_code == 422
    assert "text/html" in page.headers["content-type"]
