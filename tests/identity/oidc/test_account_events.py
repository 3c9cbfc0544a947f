"""The eID accounts never call the provider; they announce (``identity.accounts.events``) and the
provider's listeners revoke its tokens. These tests prove the listeners are there on every
path that ends an account's access: the CLI, the police desk page, the citizen's own page, and
in a fresh interpreter for each composition root (the test process has imported everything,
so only a fresh one shows a root that forgot them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oncegov.auth import service as auth
from oncegov.cli.main import app as cli
from oncegov.config import settings
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.oidc.models import OidcToken
from tests.fixtures import (
    OfficerLogin,
    citizen_session,
    login,
    make_citizen,
    make_eid_account,
    run_cli_in,
)
from tests.identity.oidc.conftest import AuthRequest, RelyingParty, tokens_for

PROVIDER = "oncegov.identity.oidc.service"
LISTENERS = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
from oncegov.identity.accounts import events
from oncegov.registry import events as registry_events
print(json.dumps({
    "access_ended": sorted({f.__module__ for f in events.on_access_ended}),
    "session_ended": sorted({f.__module__ for f in events.on_session_ended}),
    "deceased": sorted({f.__module__ for f in registry_events.on_deceased}),
}))
"""


def _revoke_reasons(db: Session, account: EidAccount) -> list[str | None]:
    """Why each token of the account was revoked, as stored (None: still live). Stored, not
    asked of ``/oidc/userinfo``: that refuses a locked account's live token too."""
    query = select(OidcToken.revoke_reason).where(OidcToken.account_id == account.id)
    return list(db.scalars(query))


@pytest.mark.parametrize("root", ["oncegov.app", "oncegov.cli.main"])
def test_every_composition_root_registers_the_providers_listeners(root: str) -> None:
    found = subprocess.run(
        [sys.executable, "-c", LISTENERS, root],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
        timeout=120,
    )
    listeners = json.loads(found.stdout)
    assert PROVIDER in listeners["access_ended"]
    assert PROVIDER in listeners["session_ended"]
    assert any(m.startswith("oncegov.identity.accounts.") for m in listeners["deceased"])


def test_locking_through_the_cli_revokes_the_tokens(
    client: TestClient, db: Session, rp: RelyingParty, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens_for(client, AuthRequest(rp))
    run_cli_in(db, monkeypatch)
    locked = CliRunner().invoke(cli, ["eid", "lock", account.personal_id, "--reason", "stolen"])
    assert locked.exit_code == 0, locked.output
    assert account.status == "locked"
    assert _revoke_reasons(db, account) == ["locked by police"]


def test_locking_at_the_police_desk_revokes_the_tokens(
    app: object, client: TestClient, db: Session, rp: RelyingParty, id_card_officer: OfficerLogin
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens_for(client, AuthRequest(rp))
    with TestClient(app) as desk:  # type: ignore[arg-type]
        csrf = login(desk, id_card_officer)
        locked = desk.post(
            "/identity/eid/lock",
            data={"csrf_token": csrf, "personal_id": account.personal_id, "reason": "stolen"},
        )
    assert locked.status_code == 200 and account.status == "locked"
    assert _revoke_reasons(db, account) == ["locked by police"]


def test_locking_my_own_account_revokes_the_tokens(
    app: object, client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens_for(client, AuthRequest(rp))
    with TestClient(app) as browser:  # type: ignore[arg-type]
        csrf = citizen_session(browser, db, account)
        locked = browser.post("/me/account/lock", data={"csrf_token": csrf})
    assert locked.status_code == 200 and account.status == "locked"
    assert _revoke_reasons(db, account) == ["locked by citizen"]


def test_ending_a_session_from_another_device_revokes_its_tokens(
    app: object, client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens_for(client, AuthRequest(rp))
    phone_session = _session_id_of(db, account, client.cookies[settings.citizen_session_cookie])
    with TestClient(app) as other:  # type: ignore[arg-type]
        csrf = citizen_session(other, db, account)
        ended = other.post(
            f"/me/account/sessions/{phone_session}/end",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
    assert ended.status_code == 303 and account.status == "active"
    assert _revoke_reasons(db, account) == ["ended_by_citizen"]


def _session_id_of(db: Session, account: EidAccount, cookie: str) -> int:
    principal = auth.citizen_principal_from_session(db, cookie)
    assert principal.account_id == account.id
    return principal.session_id
