"""The OpenAPI document of /api/v1 says what the server does: every path an API path, the
security of each operation, the shared error answers, the enums the server enforces, aware
datetimes; and HTTP itself: 405 answers name the allowed methods."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.orm import Session

from oncegov.app import create_app
from oncegov.kit.schema_types import Instant
from tests.auth.test_route_permissions import PUBLIC, endpoints, is_api_citizen, route_auth
from tests.fixtures import OfficerLogin, login, make_citizen

APP = create_app()
DOCUMENT = APP.openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def test_the_document_lists_only_json_api_operations() -> None:
    assert OPERATIONS
    assert [path for _, path, _ in OPERATIONS if not path.startswith("/api/v1/")] == []
    for page in ("/", "/login", "/quality", "/eid/login", "/oidc/authorize", "/api/v1/docs"):
        assert page not in DOCUMENT["paths"]


def test_security_schemes_are_declared_and_attached_to_each_protected_operation() -> None:
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["serviceToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["serviceToken"]["description"],
    }
    assert schemes["citizenAccessToken"]["scheme"] == "bearer"
    assert schemes["officerSession"]["in"] == "cookie"
    assert schemes["officerSession"]["name"] == "oncegov_session"
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "in": "header", "name": "x-csrf-token"}
    documented = {(m, p): o for m, p, o in OPERATIONS}
    for route in endpoints(APP):
        operation = documented.get((route.method, route.path))
        if operation is None:
            continue
        needs_auth, _ = route_auth(route)
        if (route.method, route.path) in PUBLIC:
            assert "security" not in operation, route.path
            continue
        assert needs_auth, route.path
        names = [set(requirement) for requirement in operation["security"]]
        if is_api_citizen(route):  # a bearer token carries no cookie: no CSRF token either
            assert names == [{"citizenAccessToken"}], route.path
        elif route.method == "GET":
            assert names == [{"serviceToken"}, {"officerSession"}], route.path
        else:
            assert names == [{"serviceToken"}, {"officerSession", "csrfToken"}], route.path


def test_every_operation_documents_the_shared_error_answers() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's shape, which we never answer
    assert set(schemas["ErrorOut"]["properties"]) == {"error"}
    detail = schemas["ErrorDetail"]["properties"]
    assert {"code", "message", "field", "params", "fields"} <= set(detail)
    for method, path, operation in OPERATIONS:
        for status in ("401", "403", "404", "405", "422", "429"):
            answer = operation["responses"].get(status)
            assert answer, (method, path, status)
            if "/health/fhir/" in path and status not in ("401", "403", "405"):
                continue  # FHIR answers its own OperationOutcome past authentication
            content = answer["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


def _enum_of(schema: dict[str, Any]) -> list[Any]:
    items = schema.get("items", schema)
    if "$ref" in items:
        items = DOCUMENT["components"]["schemas"][items["$ref"].rsplit("/", 1)[1]]
    return list(items.get("enum", []))


def test_enums_the_server_enforces_are_declared() -> None:
    form = DOCUMENT["components"]["schemas"]["ClientForm"]["properties"]
    assert _enum_of(form["auth_method"]) == ["client_secret_basic", "private_key_jwt"]
    assert _enum_of(form["max_level"]) == [1, 2]
    assert "personal_id" in _enum_of(form["scopes"]) and "openid" in _enum_of(form["scopes"])
    schemas = DOCUMENT["components"]["schemas"]
    intake = schemas["Intake"]["properties"]
    assert _enum_of(intake["kind"])[:2] == ["first_issue", "renewal_25"]
    assert _enum_of(intake["sex"]) == ["M", "F"]
    assert _enum_of(intake["delivery"]) == ["station", "post"]
    assert "received" not in _enum_of(schemas["StepIn"]["properties"]["to"])
    assert "rejected" in _enum_of(schemas["ApplicationOut"]["properties"]["status"])
    assert _enum_of(schemas["CheckInOut"]["properties"]["method"]) == [
        "personal_id",
        "chip_qr",
        "eid_qr",
    ]
    listing = DOCUMENT["paths"]["/api/v1/identity/cards/applications"]["get"]["parameters"]
    status = next(p for p in listing if p["name"] == "status")
    assert "produced" in _enum_of(status["schema"])
    redirect = form["redirect_uris"]["items"]
    assert "https" in redirect["description"] and redirect["maxLength"] == 2000


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models(argument)


def _naive_datetime_fields(model: type[BaseModel], seen: set[type]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        if _holds_plain_datetime(field.annotation):
            yield f"{model.__name__}.{name}"
        for inner in _models(field.annotation):
            yield from _naive_datetime_fields(inner, seen)


def _holds_plain_datetime(annotation: Any) -> bool:
    if annotation is dt.datetime:
        return True
    if annotation is AwareDatetime:
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _holds_plain_datetime(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        return any(_holds_plain_datetime(a) for a in typing.get_args(annotation))
    return False


def test_every_response_datetime_is_time_zone_aware() -> None:
    naive: list[str] = []
    seen: set[type] = set()
    for context in iter_route_contexts(APP.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.include_in_schema:
            continue
        models = [route.response_model] + [
            answer.get("model") for answer in (route.responses or {}).values()
        ]
        for model in models:
            for found in _models(model):
                naive.extend(_naive_datetime_fields(found, seen))
    assert seen, "no response model found"
    assert naive == []


def test_instant_reads_naive_values_as_utc() -> None:
    class Out(BaseModel):
        at: Instant

    utc = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)
    naive = Out(at=utc.replace(tzinfo=None))  # what SQLite hands back
    assert naive.at == utc
    assert naive.model_dump_json() == '{"at":"2026-12-01T17:30:00Z"}'
    hanoi = dt.timezone(dt.timedelta(hours=7))
    assert Out(at=dt.datetime(2026, 12, 2, 0, 30, tzinfo=hanoi)).at == naive.at


def test_datetimes_in_api_answers_carry_an_offset(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    db.flush()
    login(client, commune_officer)
    history = client.get(
        f"/api/v1/registry/citizens/{citizen.personal_id}/history", params={"purpose": "x"}
    )
    assert history.status_code == 200
    stamps = [change["changed_at"] for change in history.json()]
    assert stamps and all(OFFSET.search(stamp) for stamp in stamps), stamps


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v1/registry/citizens", {"GET"}),
        ("DELETE", "/api/v1/oidc/clients", {"GET", "POST"}),
        ("PUT", "/login", {"GET", "POST"}),
        ("DELETE", "/oidc/authorize", {"GET", "POST"}),
    ],
)
def test_405_names_the_allowed_methods(
    client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= allowed
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "http_405"


def test_api_docs_page_uses_only_local_scripts(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page.text)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "<script>" not in page.text  # no inline script: the CSP would refuse it
    for src in [*scripts, *re.findall(r'<link[^>]*href="([^"]+)"', page.text)]:
        assert client.get(src).status_code == 200, src
