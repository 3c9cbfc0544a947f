"""Relying-party management: the administrators' pages, the JSON API and the CLI."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from oncegov.cli.main import app as cli
from oncegov.identity.oidc import service
from oncegov.identity.oidc.models import OidcClient, OidcSigningKey
from oncegov.kit.crypto import hash_token
from tests.fixtures import CAO_BANG, OfficerLogin, login, make_officer

runner = CliRunner()


@pytest.fixture
def oidc_admin(db: Session) -> OfficerLogin:
    return make_officer(db, "quantri.oidc", ("admin", "province", CAO_BANG))


def test_admin_registers_a_client_and_sees_the_secret_once(
    client: TestClient, db: Session, oidc_admin: OfficerLogin
) -> None:
    client.cookies.set("oncegov_lang", "en")
    csrf = login(client, oidc_admin)
    assert client.get("/admin/oidc/clients").status_code == 200
    response = client.post(
        "/admin/oidc/clients",
        data={
            "csrf_token": csrf,
            "name": "Cổng bảo hiểm",
            "agency": "BHXH tỉnh",
            "redirect_uris": "https://bh.example/cb\nhttps://bh.example/cb2",
            "post_logout_redirect_uris": "https://bh.example/bye",
            "scopes": ["openid", "profile", "phone"],
            "max_level": "1",
            "auth_method": "client_secret_basic",
        },
    )
    assert response.status_code == 200, response.text
    secret = re.search(r'<code class="oidc-secret">([^<]+)</code>', response.text)
    assert secret
    row = db.scalars(select(OidcClient).where(OidcClient.name == "Cổng bảo hiểm")).one()
    assert row.secret_hash == hash_token(secret[1])
    assert secret[1] not in (row.secret_hash or "")
    assert row.redirect_uris.split() == ["https://bh.example/cb", "https://bh.example/cb2"]
    assert row.scopes.split() == ["openid", "profile", "phone"] and row.max_level == 1
    listing = client.get("/admin/oidc/clients")
    assert row.client_id in listing.text and secret[1] not in listing.text

    edited = client.post(
        f"/admin/oidc/clients/{row.client_id}",
        data={
            "csrf_token": csrf,
            "name": "Cổng bảo hiểm",
            "agency": "BHXH tỉnh",
            "redirect_uris": "https://bh.example/new",
            "scopes": ["openid", "profile"],
            "max_level": "2",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    db.refresh(row)
    assert row.redirect_uris == "https://bh.example/new" and row.max_level == 2

    rotated = client.post(f"/admin/oidc/clients/{row.client_id}/secret", data={"csrf_token": csrf})
    new_secret = re.search(r'<code class="oidc-secret">([^<]+)</code>', rotated.text)
    assert new_secret and new_secret[1] != secret[1]
    db.refresh(row)
    assert row.secret_hash == hash_token(new_secret[1])

    client.post(
        f"/admin/oidc/clients/{row.client_id}/enabled",
        data={"csrf_token": csrf, "enabled": "0"},
        follow_redirects=False,
    )
    db.refresh(row)
    assert row.enabled is False


def test_admin_form_errors_name_the_field(client: TestClient, oidc_admin: OfficerLogin) -> None:
    client.cookies.set("oncegov_lang", "en")
    csrf = login(client, oidc_admin)
    response = client.post(
        "/admin/oidc/clients",
        data={
            "csrf_token": csrf,
            "name": "X",
            "agency": "Y",
            "redirect_uris": "ftp://x.example/cb",
            "scopes": ["openid"],
        },
    )
    assert response.status_code == 422 and "redirect_uris" in response.text
    response = client.post(
        "/admin/oidc/clients",
        data={
            "csrf_token": csrf,
            "name": "X",
            "agency": "Y",
            "redirect_uris": "https://x.example/cb",
            "scopes": ["openid"],
            "auth_method": "private_key_jwt",
            "jwks": "not json",
        },
    )
    assert response.status_code == 422 and "jwks" in response.text


def test_private_jwks_are_refused(db: Session) -> None:
    from oncegov.errors import ValidationFailed
    from oncegov.identity.oidc.schemas import ClientForm
    from oncegov.kit.actor import Actor

    key = RSAKey.generate_key(2048)
    form = ClientForm(
        name="X",
        agency="Y",
        redirect_uris=["https://x.example/cb"],
        auth_method="private_key_jwt",
        jwks=json.dumps({"keys": [key.as_dict(private=True)]}),
    )
    with pytest.raises(ValidationFailed) as caught:
        service.register_client(db, form, Actor.system("test"))
    assert caught.value.field == "jwks"


def test_api_lists_and_registers_clients(client: TestClient, oidc_admin: OfficerLogin) -> None:
    csrf = login(client, oidc_admin)
    created = client.post(
        "/api/v1/oidc/clients",
        json={"name": "API RP", "agency": "Sở TT", "redirect_uris": ["https://a.example/cb"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201, created.text
    assert created.json()["secret"]
    listed = client.get("/api/v1/oidc/clients").json()
    assert any(c["name"] == "API RP" for c in listed)
    assert all("secret" not in c for c in listed)


def test_cli_clients_and_keys(cli_sessions: sessionmaker[Session], tmp_path: object) -> None:
    added = runner.invoke(
        cli,
        [
            "oidc",
            "clients",
            "add",
            "--name",
            "Cổng DVC",
            "--agency",
            "VP UBND",
            "--redirect-uri",
            "https://dvc.example/cb",
            "--post-logout-uri",
            "https://dvc.example/bye",
            "--scopes",
            "openid profile personal_id",
            "--max-level",
            "2",
            "--auth",
            "secret",
        ],
    )
    assert added.exit_code == 0, added.output
    client_id = re.search(r"client_id: (\S+)", added.output)
    secret = re.search(r"client_secret: (\S+)", added.output)
    assert client_id and secret
    with cli_sessions() as session:
        row = session.scalars(select(OidcClient).where(OidcClient.client_id == client_id[1])).one()
        assert row.secret_hash == hash_token(secret[1])
        assert row.scopes == "openid profile personal_id"
    listed = runner.invoke(cli, ["oidc", "clients", "list"])
    assert client_id[1] in listed.output
    rotated = runner.invoke(cli, ["oidc", "clients", "rotate-secret", client_id[1]])
    assert rotated.exit_code == 0 and secret[1] not in rotated.output
    disabled = runner.invoke(cli, ["oidc", "clients", "disable", client_id[1]])
    assert disabled.exit_code == 0
    with cli_sessions() as session:
        assert (
            session.scalars(
                select(OidcClient.enabled).where(OidcClient.client_id == client_id[1])
            ).one()
            is False
        )
    bad = runner.invoke(
        cli,
        ["oidc", "clients", "add", "--name", "X", "--agency", "Y", "--redirect-uri", "nope"],
    )
    assert bad.exit_code == 1 and "redirect_uris" in bad.output

    first = runner.invoke(cli, ["oidc", "keys", "rotate"])
    second = runner.invoke(cli, ["oidc", "keys", "rotate"])
    assert first.exit_code == 0 and second.exit_code == 0
    with cli_sessions() as session:
        rows = session.scalars(select(OidcSigningKey)).all()
        assert sum(1 for r in rows if r.active_slot == 1) == 1
        assert sum(1 for r in rows if r.retired_at is not None) >= 1
    shown = runner.invoke(cli, ["oidc", "keys", "list"])
    assert shown.output.count("RS256") >= 2


REFUSED_REDIRECTS = (
    "http://rp.example/cb",  # plain http off the loopback interface
    "http://localhost.evil.example/cb",
    "http://10.0.0.1/cb",
    "https://*.rp.example/cb",  # wildcards: matching is exact
    "https://rp.example/*",
    "https://rp.example/cb#frag",
    "https://user:pw@rp.example/cb",
    "https:///cb",
    "rp.example/cb",
    "com.example.app:/cb",
)
ACCEPTED_REDIRECTS = (
    "https://rp.example/cb",
    "https://rp.example:8443/cb?tenant=1",
    "http://127.0.0.1:8080/cb",  # RFC 8252 loopback redirects of native apps
    "http://[::1]:8080/cb",
    "http://localhost/cb",
)


@pytest.mark.parametrize("uri", REFUSED_REDIRECTS)
def test_the_one_validator_refuses_unsafe_redirect_uris(uri: str) -> None:
    assert service.redirect_uri_problem(uri) is not None


@pytest.mark.parametrize("uri", ACCEPTED_REDIRECTS)
def test_the_one_validator_accepts_https_and_loopback(uri: str) -> None:
    assert service.redirect_uri_problem(uri) is None


@pytest.mark.parametrize("uri", ["http://rp.example/cb", "https://*.rp.example/cb"])
def test_api_pages_and_cli_refuse_http_and_wildcard_redirects(
    client: TestClient, db: Session, oidc_admin: OfficerLogin, uri: str
) -> None:
    csrf = login(client, oidc_admin)
    api = client.post(
        "/api/v1/oidc/clients",
        json={"name": "RP", "agency": "Sở", "redirect_uris": [uri]},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422 and api.json()["error"]["field"] == "redirect_uris"
    logout_uri = client.post(
        "/api/v1/oidc/clients",
        json={
            "name": "RP",
            "agency": "Sở",
            "redirect_uris": ["https://rp.example/cb"],
            "post_logout_redirect_uris": [uri],
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert logout_uri.status_code == 422
    assert logout_uri.json()["error"]["field"] == "post_logout_redirect_uris"
    page = client.post(
        "/admin/oidc/clients",
        data={"csrf_token": csrf, "name": "RP", "agency": "Sở", "redirect_uris": uri},
    )
    assert page.status_code == 422 and "redirect_uris" in page.text
    assert db.scalars(select(OidcClient).where(OidcClient.name == "RP")).all() == []


@pytest.mark.usefixtures("cli_sessions")
@pytest.mark.parametrize("uri", ["http://rp.example/cb", "https://*.rp.example/cb"])
def test_cli_refuses_http_and_wildcard_redirects(uri: str) -> None:
    refused = runner.invoke(
        cli, ["oidc", "clients", "add", "--name", "X", "--agency", "Y", "--redirect-uri", uri]
    )
    assert refused.exit_code == 1 and "redirect_uris" in refused.output
    loopback = runner.invoke(
        cli,
        [
            "oidc",
            "clients",
            "add",
            "--name",
            "X",
            "--agency",
            "Y",
            "--redirect-uri",
            "http://127.0.0.1:8765/cb",
        ],
    )
    assert loopback.exit_code == 0, loopback.output


def test_editing_a_client_cannot_add_an_http_redirect(
    client: TestClient, db: Session, oidc_admin: OfficerLogin
) -> None:
    csrf = login(client, oidc_admin)
    created = client.post(
        "/api/v1/oidc/clients",
        json={"name": "RP", "agency": "Sở", "redirect_uris": ["https://rp.example/cb"]},
        headers={"X-CSRF-Token": csrf},
    ).json()
    client_id = created["client"]["client_id"]
    edited = client.post(
        f"/admin/oidc/clients/{client_id}",
        data={
            "csrf_token": csrf,
            "name": "RP",
            "agency": "Sở",
            "redirect_uris": "https://rp.example/cb\nhttp://rp.example/cb",
            "scopes": ["openid"],
        },
    )
    assert edited.status_code == 422
    row = db.scalars(select(OidcClient).where(OidcClient.client_id == client_id)).one()
    assert row.redirect_uris == "https://rp.example/cb"


def test_unknown_enum_values_in_the_pages_name_the_field(
    client: TestClient, oidc_admin: OfficerLogin
) -> None:
    csrf = login(client, oidc_admin)
    page = client.post(
        "/admin/oidc/clients",
        data={
            "csrf_token": csrf,
            "name": "RP",
            "agency": "Sở",
            "redirect_uris": "https://rp.example/cb",
            "scopes": ["openid"],
            "max_level": "3",
        },
    )
    assert page.status_code == 422 and "max_level" in page.text


@pytest.mark.usefixtures("cli_sessions")
def test_cli_names_the_field_of_an_unknown_level() -> None:
    cli_run = runner.invoke(
        cli,
        [
            "oidc", "clients", "add", "--name", "X", "--agency", "Y",
            "--redirect-uri", "https://x.example/cb", "--max-level", "3",
        ],
    )  # fmt: skip
    assert cli_run.exit_code == 1 and "max_level" in cli_run.output
