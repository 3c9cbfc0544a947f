"""The signed check-in QR on the citizen's eID page: issuance, offline verification (signature,
algorithm, type, time), key rotation, the key cache and the JWKS (the page and its fragment:
``tests/me/test_qr_page.py``)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
import segno
from fastapi.testclient import TestClient
from joserfc import jws
from joserfc.jwk import KeySet, OKPKey
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oncegov.audit.models import AuditEntry
from oncegov.cli.main import app as cli_app
from oncegov.config import settings
from oncegov.errors import PermissionDenied
from oncegov.identity.accounts import qr
from oncegov.identity.accounts.models import EidAccount, EidQrKey
from oncegov.identity.accounts.qr import (
    EidQrClaims,
    EidQrRejected,
    issue_checkin_token,
    verify_checkin_token,
)
from oncegov.kit import clock
from tests.fixtures import make_citizen, make_eid_account, run_cli_in


@pytest.fixture(autouse=True)
def fresh_key_cache() -> Iterator[None]:
    # Each test's keys are rolled back with its transaction: the process cache must not keep them.
    qr.clear_key_cache()
    yield
    qr.clear_key_cache()


@pytest.fixture
def account(db: Session) -> EidAccount:
    return make_eid_account(db, make_citizen(db), level=2)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload))


def claims_for(account: EidAccount, **overrides: Any) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    claims = {
        "iss": settings.oidc_issuer,
        "sub": account.personal_id,
        "lvl": account.level,
        "iat": now,
        "exp": now + settings.eid_qr_seconds,
        "jti": "j1",
    }
    return {**claims, **overrides}


def sign(key: OKPKey, claims: dict[str, Any], **header: Any) -> str:
    """A token signed with ``key`` (ours or a stranger's), with header members overridden."""
    protected = {"alg": "EdDSA", "kid": key.kid, "typ": "eid-checkin+jwt", **header}
    payload = json.dumps(claims, separators=(",", ":"))
    return jws.serialize_compact(protected, payload, key, registry=qr._REGISTRY)


def our_key(db: Session) -> OKPKey:
    return qr._private_key(qr.active_key(db))


def rejected(db: Session, token: str, now: dt.datetime | None = None) -> EidQrRejected:
    with pytest.raises(EidQrRejected) as caught:
        verify_checkin_token(db, token, now=now)
    assert caught.value.field == "eid_qr"
    assert caught.value.status == 422
    return caught.value


# --- issue and verify ----------------------------------------------------------------------


def test_issue_verify_round_trip_and_size(db: Session, account: EidAccount) -> None:
    moment = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    issued = issue_checkin_token(db, account, now=moment)
    assert issued.expires_at == moment + dt.timedelta(seconds=settings.eid_qr_seconds)

    header, payload = parts(issued.token)
    assert header == {"alg": "EdDSA", "kid": qr.active_key(db).kid, "typ": "eid-checkin+jwt"}
    assert set(payload) == {"iss", "sub", "lvl", "iat", "exp", "jti"}
    assert payload["sub"] == account.personal_id and payload["lvl"] == 2
    assert payload["exp"] - payload["iat"] == settings.eid_qr_seconds

    claims = verify_checkin_token(db, issued.token, now=moment + dt.timedelta(seconds=5))
    assert claims == EidQrClaims(
        personal_id=account.personal_id,
        level=2,
        issued_at=moment,
        expires_at=issued.expires_at,
        jti=payload["jti"],
    )
    # Compact enough for a QR a desk scanner reads off a phone screen: about 320 bytes with
    # this issuer, version 13 at error level M (69 x 69 modules).
    assert len(issued.token) < 360
    version = segno.make_qr(issued.token, error="m").version
    assert isinstance(version, int) and version <= 14


def test_every_token_is_new(db: Session, account: EidAccount) -> None:
    first, second = issue_checkin_token(db, account), issue_checkin_token(db, account)
    assert first.token != second.token
    assert parts(first.token)[1]["jti"] != parts(second.token)[1]["jti"]


def test_expired_and_not_yet_valid_tokens_are_refused(db: Session, account: EidAccount) -> None:
    moment = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    token = issue_checkin_token(db, account, now=moment).token
    lifetime = dt.timedelta(seconds=settings.eid_qr_seconds)

    verify_checkin_token(db, token, now=moment + lifetime - dt.timedelta(seconds=1))
    assert rejected(db, token, now=moment + lifetime).code == "eid_qr_expired"
    assert rejected(db, token, now=moment + dt.timedelta(days=1)).code == "eid_qr_expired"
    # A clock up to 30 s behind is tolerated; further is "not valid now".
    verify_checkin_token(db, token, now=moment - dt.timedelta(seconds=25))
    assert rejected(db, token, now=moment - dt.timedelta(seconds=60)).code == "eid_qr_expired"


def test_tampered_payload_is_refused(db: Session, account: EidAccount) -> None:
    token = issue_checkin_token(db, account).token
    header, payload, signature = token.split(".")
    claims = json.loads(unb64(payload))
    for change in ({"sub": "001099000001"}, {"lvl": 2 if account.level == 1 else 1}):
        forged = b64(json.dumps({**claims, **change}, separators=(",", ":")).encode())
        assert rejected(db, f"{header}.{forged}.{signature}").code == "eid_qr_bad_signature"
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert rejected(db, f"{header}.{payload}.{flipped}").code == "eid_qr_bad_signature"


def test_a_token_signed_by_another_key_is_refused(db: Session, account: EidAccount) -> None:
    ours = our_key(db)
    stranger = OKPKey.generate_key("Ed25519", parameters={"kid": "stranger"})
    assert rejected(db, sign(stranger, claims_for(account))).code == "eid_qr_bad_signature"
    # Even when it claims our kid.
    impostor = OKPKey.generate_key("Ed25519", parameters={"kid": str(ours.kid)})
    assert rejected(db, sign(impostor, claims_for(account))).code == "eid_qr_bad_signature"
    # Our own key signs fine (the helper is right).
    assert verify_checkin_token(db, sign(ours, claims_for(account))).jti == "j1"


def test_other_algorithms_are_refused(db: Session, account: EidAccount) -> None:
    ours = our_key(db)
    payload = b64(json.dumps(claims_for(account)).encode())

    def header(alg: str) -> str:
        return b64(json.dumps({"alg": alg, "kid": ours.kid, "typ": "eid-checkin+jwt"}).encode())

    assert rejected(db, f"{header('none')}.{payload}.").code == "eid_qr_bad_signature"
    # HS256 keyed with the public key (the classic algorithm-confusion forgery).
    signing_input = f"{header('HS256')}.{payload}"
    secret = json.dumps(ours.as_dict(private=False)).encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert rejected(db, f"{signing_input}.{b64(mac)}").code == "eid_qr_bad_signature"
    x = unb64(str(ours.as_dict(private=False)["x"]))
    mac = hmac.new(x, signing_input.encode(), hashlib.sha256).digest()
    assert rejected(db, f"{signing_input}.{b64(mac)}").code == "eid_qr_bad_signature"


def test_wrong_type_and_header_are_refused(db: Session, account: EidAccount) -> None:
    ours = our_key(db)
    for header in ({"typ": "JWT"}, {"typ": "EID-CHECKIN+JWT"}, {"cty": "x"}):
        token = sign(ours, claims_for(account), **header)
        assert rejected(db, token).code == "eid_qr_malformed", header


def test_garbage_is_malformed(db: Session) -> None:
    for garbage in ("", "hello", "a.b.c", "..", "x" * 5000, "é.é.é", "eyJ.eyJ.eyJ", "a.b.c.d.e"):
        assert rejected(db, garbage).code == "eid_qr_malformed", garbage


def test_signed_claims_are_still_checked(db: Session, account: EidAccount) -> None:
    ours = our_key(db)
    now = int(clock.now().timestamp())
    bad_claims: list[dict[str, Any]] = [
        {"iss": "https://elsewhere.example"},
        {"sub": "12345"},
        {"sub": "٠٠١٠٨٥٠١٢٣٤٥"},  # Arabic-Indic digits are not a personal ID
        {"sub": 1085012345},
        {"lvl": 3},
        {"lvl": True},
        {"iat": str(now)},
        {"exp": now + settings.eid_qr_seconds + 60},  # lives longer than any QR may
        {"exp": now},
        {"jti": ""},
    ]
    for change in bad_claims:
        assert rejected(db, sign(ours, claims_for(account, **change))).code == "eid_qr_malformed"
    missing = claims_for(account)
    del missing["jti"]
    assert rejected(db, sign(ours, missing)).code == "eid_qr_malformed"


@pytest.mark.parametrize("status", ["pending", "locked", "revoked"])
def test_only_an_active_account_gets_a_qr(db: Session, status: str) -> None:
    account = make_eid_account(db, make_citizen(db), status=status)
    with pytest.raises(PermissionDenied) as caught:
        issue_checkin_token(db, account)
    assert caught.value.code == "eid_qr_unavailable"
    assert db.scalar(select(func.count()).select_from(EidQrKey)) == 0  # not even a key made


# --- keys ----------------------------------------------------------------------------------


def test_rotation_keeps_the_retired_key_until_its_qrs_expire(
    db: Session, account: EidAccount
) -> None:
    old_token = issue_checkin_token(db, account).token
    old_kid = parts(old_token)[0]["kid"]
    new_row = qr.rotate(db)
    assert new_row.kid != old_kid

    new_token = issue_checkin_token(db, account).token
    assert parts(new_token)[0]["kid"] == new_row.kid
    assert verify_checkin_token(db, old_token).personal_id == account.personal_id
    assert verify_checkin_token(db, new_token).personal_id == account.personal_id
    published = {k["kid"] for k in qr.published_jwks(db)["keys"]}
    assert published == {old_kid, new_row.kid}

    # Once every QR of the retired key has expired, it is no longer published or accepted.
    retired = db.scalars(select(EidQrKey).where(EidQrKey.kid == old_kid)).one()
    retired.retired_at = clock.now() - dt.timedelta(seconds=settings.eid_qr_seconds + 60)
    db.flush()
    qr.clear_key_cache()
    assert {k["kid"] for k in qr.published_jwks(db)["keys"]} == {new_row.kid}
    assert rejected(db, old_token).code == "eid_qr_bad_signature"
    verify_checkin_token(db, new_token)


def test_a_key_rotated_elsewhere_is_learnt_on_its_first_token(
    db: Session, account: EidAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    verify_checkin_token(db, issue_checkin_token(db, account).token)  # cache warm
    new_row = qr.rotate(db)  # as by `oncegov eid qr-rotate` in another process
    token = sign(qr._private_key(new_row), claims_for(account))
    # Right after a load an unknown kid is refused without a query (forged kids are cheap)…
    assert rejected(db, token).code == "eid_qr_bad_signature"
    # …a moment later, the unknown kid reloads the published keys once.
    monkeypatch.setattr(qr, "UNKNOWN_KID_RELOAD_SECONDS", 0.0)
    assert verify_checkin_token(db, token).jti == "j1"


def test_concurrent_first_key_creation_keeps_one_active_key(db: Session) -> None:
    first = qr.active_key(db)
    assert qr.active_key(db).kid == first.kid
    assert db.scalar(select(func.count()).select_from(EidQrKey)) == 1
    stored = db.scalars(select(EidQrKey)).one()
    assert stored.alg == "EdDSA" and '"d"' not in stored.public_jwk
    assert '"d"' not in stored.private_key_encrypted  # field-encrypted


@contextlib.contextmanager
def counted_statements(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_verifying_needs_no_sql_once_the_keys_are_cached(db: Session, account: EidAccount) -> None:
    token = issue_checkin_token(db, account).token
    qr.clear_key_cache()
    audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
    with counted_statements(db) as cold:
        verify_checkin_token(db, token)
    assert len(cold) == 1  # the published keys

    forged = sign(OKPKey.generate_key("Ed25519", parameters={"kid": "nope"}), claims_for(account))
    with counted_statements(db) as warm:
        for _ in range(200):
            verify_checkin_token(db, token)
        rejected(db, forged)
        rejected(db, "garbage")
    assert warm == []
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_verification_works_offline_with_the_published_jwks(
    client: TestClient, db: Session, account: EidAccount
) -> None:
    token = issue_checkin_token(db, account).token
    response = client.get("/eid/qr/jwks.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    keys = response.json()["keys"]
    assert keys and all("d" not in k for k in keys)
    assert {(k["kty"], k["crv"], k["alg"], k["use"]) for k in keys} == {
        ("OKP", "Ed25519", "EdDSA", "sig")
    }
    # What a facility does with nothing but the JWKS (joserfc here; any JOSE library will do).
    keyset = KeySet.import_key_set(response.json())
    with pytest.warns(Warning):  # joserfc's note that RFC 9864 prefers "Ed25519" to "EdDSA"
        verified = jws.deserialize_compact(token, keyset, algorithms=["EdDSA"])
    assert json.loads(verified.payload)["sub"] == account.personal_id


def test_qr_rotate_command(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    run_cli_in(db, monkeypatch)
    before = qr.active_key(db).kid
    result = CliRunner().invoke(cli_app, ["eid", "qr-rotate"])
    assert result.exit_code == 0, result.output
    after = qr.active_key(db).kid
    assert after != before and after in result.output
