"""Officer accounts, login with password + TOTP, sessions, service tokens, rate limits."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass

import pyotp
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.auth.models import Officer, RoleAssignment, ServiceToken, WebSession
from oncegov.auth.repository import AuthRepository
from oncegov.auth.roles import ROLES
from oncegov.auth.schemas import CitizenPrincipal, Principal
from oncegov.config import settings
from oncegov.db import increment
from oncegov.errors import (
    CitizenNotAuthenticated,
    Conflict,
    NotAuthenticated,
    TooManyRequests,
    ValidationFailed,
)
from oncegov.kit import clock, passwords
from oncegov.kit.actor import Actor
from oncegov.kit.crypto import decrypt_field, encrypt_field, hash_token, new_token
from oncegov.ratelimit import Usage, rate_limiter
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.schemas import UnitScope

MIN_PASSWORD_LENGTH = 12
LOGIN_FAILED = N_("Wrong username, password or one-time code")


def hash_password(password: str) -> str:
    return passwords.hash_secret(password)


# --- officers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewOfficer:
    officer: Officer
    totp_secret: str

    @property
    def provisioning_uri(self) -> str:
        return pyotp.TOTP(self.totp_secret).provisioning_uri(
            name=self.officer.username, issuer_name="OnceGov"
        )


def create_officer(
    session: Session,
    *,
    username: str,
    full_name: str,
    password: str,
    roles: list[tuple[str, str, str]],
    totp_secret: str | None = None,
) -> NewOfficer:
    """Create an officer with roles ``[(role, scope_kind, scope_code)]``; returns the TOTP secret
    once so it can be enrolled in an authenticator app."""
    repo = AuthRepository(session)
    username = username.strip().lower()
    if not username:
        raise ValidationFailed(N_("Username is required"), field="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if repo.officer_by_username(username):
        raise Conflict(N_("An officer with this username already exists"), field="username")
    for role, scope_kind, scope_code in roles:
        _check_role(session, role, scope_kind, scope_code)
    secret = totp_secret or pyotp.random_base32()
    officer = Officer(
        username=username,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        totp_secret_encrypted=encrypt_field(secret),
        is_active=True,
        failed_logins=0,
    )
    repo.add(officer)
    for role, scope_kind, scope_code in roles:
        repo.add(
            RoleAssignment(
                officer_id=officer.id, role=role, scope_kind=scope_kind, scope_code=scope_code
            )
        )
    return NewOfficer(officer, secret)


def _check_role(session: Session, role: str, scope_kind: str, scope_code: str) -> None:
    if role not in ROLES:
        raise ValidationFailed(f"Unknown role {role}", field="role")
    if scope_kind == "commune" and units.commune(session, scope_code) is None:
        raise ValidationFailed(f"Unknown commune code {scope_code}", field="scope")
    if scope_kind == "province" and not units.commune_codes_of_province(session, scope_code):
        raise ValidationFailed(f"Unknown province code {scope_code}", field="scope")
    if scope_kind not in ("province", "commune", "agency"):
        raise ValidationFailed(f"Unknown scope kind {scope_kind}", field="scope")


def list_officers(session: Session) -> list[tuple[Officer, list[RoleAssignment]]]:
    repo = AuthRepository(session)
    return [(o, list(repo.roles_of(o.id))) for o in repo.list_officers()]


def roles_by_username(
    session: Session, usernames: Collection[str]
) -> dict[str, list[RoleAssignment]]:
    """The current role assignments of just these officers (one query)."""
    roles: dict[str, list[RoleAssignment]] = {}
    if usernames:
        for username, assignment in AuthRepository(session).roles_of_usernames(usernames):
            roles.setdefault(username, []).append(assignment)
    return roles


def current_totp(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def _scope_of(session: Session, assignment: RoleAssignment) -> UnitScope:
    if assignment.scope_kind == "commune":
        return UnitScope(frozenset({assignment.scope_code}))
    if assignment.scope_kind == "province":
        return UnitScope(units.commune_codes_of_province(session, assignment.scope_code))
    return UnitScope(frozenset())  # agency roles see no citizens through the unit scope


def _merge(a: UnitScope | None, b: UnitScope) -> UnitScope:
    if a is None:
        return b
    if a.communes is None or b.communes is None:
        return UnitScope(None)
    return UnitScope(a.communes | b.communes)


def principal_for_officer(
    session: Session, officer: Officer, web_session: WebSession | None = None
) -> Principal:
    repo = AuthRepository(session)
    scopes: dict[str, UnitScope] = {}
    agencies: dict[str, frozenset[str]] = {}
    for assignment in repo.roles_of(officer.id):
        scope = _scope_of(session, assignment)
        for permission in ROLES.get(assignment.role, frozenset()):
            scopes[permission] = _merge(scopes.get(permission), scope)
            if assignment.scope_kind == "agency":
                held = agencies.get(permission, frozenset())
                agencies[permission] = held | {assignment.scope_code}
    return Principal(
        kind="officer",
        id=officer.id,
        name=officer.username,
        display_name=officer.full_name,
        permissions=frozenset(scopes),
        scopes=scopes,
        agencies=agencies,
        session_id=web_session.id if web_session else None,
        csrf_token=web_session.csrf_token if web_session else None,
    )


# --- rate limits ------------------------------------------------------------------------------


TOO_MANY_REQUESTS = N_("Too many requests; try again in a minute")


def count_hit(session: Session, key: str, limit: int, window_seconds: int = 60) -> Usage:
    """Count one hit on ``key`` and say where its window stands (the caller decides)."""
    return rate_limiter(session).hit(key, limit=limit, window_seconds=window_seconds)


def hit_rate_limit(
    session: Session,
    key: str,
    limit: int,
    window_seconds: int = 60,
    *,
    message: str = TOO_MANY_REQUESTS,
    **details: str,
) -> None:
    """Count one hit on ``key``; raise TooManyRequests (``message``, ``details`` such as the
    field and code) past ``limit`` in the current window, with when to come back."""
    usage = count_hit(session, key, limit, window_seconds)
    if usage.exceeded:
        raise TooManyRequests(message, retry_after=usage.reset_after, **details)


def check_rate_limit(session: Session, key: str, limit: int, window_seconds: int = 60) -> None:
    """Raise TooManyRequests if ``key``'s budget is used up, without counting a hit (for limits
    that count only failures, learnt after the work)."""
    usage = rate_limiter(session).hit(key, limit=limit, window_seconds=window_seconds, amount=0)
    if usage.exceeded:
        raise TooManyRequests(TOO_MANY_REQUESTS, retry_after=usage.reset_after)


def take_hits(
    session: Session, hits: dict[str, int], limit: int, window_seconds: int = 60
) -> dict[str, int]:
    """Count many hits on many keys at once (a group-committed batch of check-ins from several
    facilities). Returns, per key, how many of its hits fit under ``limit`` in the current
    window; the caller refuses the rest. Keys are taken in order, so two batches that share
    keys lock their rows in the same order and cannot deadlock."""
    limiter = rate_limiter(session)
    return {
        key: limiter.hit(key, limit=limit, window_seconds=window_seconds, amount=hits[key]).allowed
        for key in sorted(hits)
    }


# --- login ------------------------------------------------------------------------------------


def _lock_seconds(failures: int) -> int:
    over = failures - settings.login_max_failures_before_lock
    return int(min(settings.login_lock_base_seconds * 2**over, settings.login_lock_max_seconds))


def authenticate_officer(
    session: Session, *, username: str, password: str, otp: str, ip: str | None
) -> Officer:
    """Check password and TOTP. Every failure raises the same NotAuthenticated error, whether
    the user is unknown, the password or code is wrong, or the account is locked."""
    claimed = username.strip().lower()
    hit_rate_limit(session, f"login-ip:{ip}", settings.ip_login_limit_per_minute)
    # Per claimed account, known or not (a refusal must not reveal which usernames exist): a
    # guesser spreading tries over many addresses meets this budget whatever its address.
    hit_rate_limit(
        session, f"login-account:{claimed[:60]}", settings.account_login_limit_per_minute
    )
    repo = AuthRepository(session)
    officer = repo.officer_by_username(claimed)
    if officer is None:
        passwords.verify(None, password)  # the same one Argon2 verification as a known name
        raise NotAuthenticated(LOGIN_FAILED, code="login_failed")
    moment = clock.now()
    locked = officer.locked_until is not None and clock.aware(officer.locked_until) > moment
    password_ok = passwords.verify(officer.password_hash, password)
    otp_step = _valid_totp_step(officer, otp) if password_ok else None
    if locked or not officer.is_active or otp_step is None:
        if not locked:
            _record_failure(session, officer, moment)
        audit.record(
            session,
            Actor("officer", officer.username, officer.full_name),
            "auth.login_failed",
            purpose="login",
            detail={"ip": ip, "locked": locked},
        )
        raise NotAuthenticated(LOGIN_FAILED, code="login_failed")
    officer.failed_logins = 0
    officer.locked_until = None
    officer.last_totp_step = otp_step
    officer.last_login_at = moment
    if passwords.needs_rehash(officer.password_hash):
        officer.password_hash = passwords.hash_secret(password)
    audit.record(
        session,
        Actor("officer", officer.username, officer.full_name),
        "auth.login",
        purpose="login",
        detail={"ip": ip},
    )
    return officer


def _valid_totp_step(officer: Officer, otp: str) -> int | None:
    totp = pyotp.TOTP(decrypt_field(officer.totp_secret_encrypted))
    moment = clock.now()
    for drift in (0, -1, 1):  # one 30-second step of clock drift either way
        at = moment + dt.timedelta(seconds=30 * drift)
        step = int(at.timestamp()) // 30
        if secrets.compare_digest(totp.at(at), otp.strip()):
            if officer.last_totp_step is not None and step <= officer.last_totp_step:
                return None  # replayed code
            return int(step)
    return None


def _record_failure(session: Session, officer: Officer, moment: dt.datetime) -> None:
    failures = increment(session, officer, "failed_logins")  # concurrent tries all count
    if failures >= settings.login_max_failures_before_lock:
        officer.locked_until = moment + dt.timedelta(seconds=_lock_seconds(failures))


# --- sessions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSession:
    token: str
    web_session: WebSession


def start_session(
    session: Session,
    *,
    subject_kind: str,
    subject_id: int,
    ip: str | None,
    user_agent: str | None,
    personal_id: str | None = None,
    auth_level: int | None = None,
    amr: tuple[str, ...] = (),
) -> IssuedSession:
    """A fresh random token on every login (never reuses a pre-login identifier).

    Citizens' sessions also keep the eID level proven at login and the methods used."""
    token = new_token()
    moment = clock.now()
    web_session = WebSession(
        token_hash=hash_token(token),
        subject_kind=subject_kind,
        subject_id=subject_id,
        csrf_token=new_token(24),
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + dt.timedelta(hours=settings.session_absolute_hours),
        ip=ip,
        user_agent=(user_agent or "")[:300],
        personal_id=personal_id,
        auth_level=auth_level,
        amr=" ".join(amr) or None,
    )
    AuthRepository(session).add(web_session)
    return IssuedSession(token, web_session)


def resolve_session(session: Session, token: str) -> WebSession:
    """The live session for a cookie token; enforces idle and absolute timeouts."""
    web_session = AuthRepository(session).session_by_token_hash(hash_token(token))
    moment = clock.now()
    if web_session is None or web_session.revoked_at is not None:
        raise NotAuthenticated(N_("Please sign in"))
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    if (
        clock.aware(web_session.expires_at) <= moment
        or clock.aware(web_session.last_seen_at) + idle <= moment
    ):
        web_session.revoked_at = moment
        raise NotAuthenticated(N_("Your session has expired; please sign in again"))
    # Writing last_seen on every request would make every read a write; a minute's grain is enough.
    if moment - clock.aware(web_session.last_seen_at) > dt.timedelta(minutes=1):
        web_session.last_seen_at = moment
    return web_session


def end_session(session: Session, token: str) -> None:
    web_session = AuthRepository(session).session_by_token_hash(hash_token(token))
    if web_session is not None and web_session.revoked_at is None:
        web_session.revoked_at = clock.now()


def revoke_sessions_of(session: Session, subject_kind: str, subject_id: int) -> None:
    """End every live session of one subject at once (account locked, revoked, signed out)."""
    AuthRepository(session).revoke_sessions_of(subject_kind, subject_id, clock.now())


def end_session_by_id(
    session: Session, subject_kind: str, subject_id: int, web_session_id: int
) -> bool:
    """End one live session of a subject (a citizen signing out another device); False when
    that session is not theirs or not live."""
    web_session = AuthRepository(session).web_session(web_session_id)
    if (
        web_session is None
        or web_session.subject_kind != subject_kind
        or web_session.subject_id != subject_id
        or web_session.revoked_at is not None
    ):
        return False
    web_session.revoked_at = clock.now()
    return True


def live_sessions_of(session: Session, subject_kind: str, subject_id: int) -> list[WebSession]:
    return list(AuthRepository(session).live_sessions_of(subject_kind, subject_id, clock.now()))


def citizen_principal_from_session(session: Session, token: str) -> CitizenPrincipal:
    """The citizen behind an eID session cookie. Locking or revoking an account revokes its
    sessions, so a live session is enough; the account itself belongs to ``identity``."""
    try:
        web_session = resolve_session(session, token)
    except NotAuthenticated as exc:
        raise CitizenNotAuthenticated(exc.message) from None
    if web_session.subject_kind != "citizen" or web_session.personal_id is None:
        raise CitizenNotAuthenticated(N_("Please sign in with your electronic identity"))
    return CitizenPrincipal(
        account_id=web_session.subject_id,
        personal_id=web_session.personal_id,
        level=web_session.auth_level or 1,
        amr=tuple((web_session.amr or "").split()),
        auth_time=clock.aware(web_session.created_at),
        session_id=web_session.id,
        csrf_token=web_session.csrf_token,
    )


def officer_principal_from_session(session: Session, token: str) -> Principal:
    web_session = resolve_session(session, token)
    if web_session.subject_kind != "officer":
        raise NotAuthenticated(N_("Please sign in as an officer"))
    officer = AuthRepository(session).officer(web_session.subject_id)
    if officer is None or not officer.is_active:
        raise NotAuthenticated(N_("Please sign in"))
    return principal_for_officer(session, officer, web_session)


# --- service tokens ---------------------------------------------------------------------------


def create_service_token(
    session: Session,
    *,
    name: str,
    permissions: list[str],
    scope_kind: str,
    scope_code: str,
    token: str | None = None,
) -> str:
    """Create a bearer token for another system; the plain token is returned once only.
    ``token`` is for demo credentials derived from the demo seed; otherwise it is random."""
    all_permissions = frozenset().union(*ROLES.values())
    unknown = [p for p in permissions if p not in all_permissions]
    if unknown:
        raise ValidationFailed(f"Unknown permissions: {', '.join(unknown)}", field="permissions")
    token = token or "og_" + new_token()
    AuthRepository(session).add(
        ServiceToken(
            name=name,
            token_hash=hash_token(token),
            permissions=" ".join(sorted(permissions)),
            scope_kind=scope_kind,
            scope_code=scope_code,
        )
    )
    return token


# Bearer tokens of busy machine clients (a hospital's reception system) are resolved from this
# cache for a few seconds instead of one query per request. Revoking a token clears it here at
# once; other worker processes notice within ``service_token_cache_seconds``.
_service_cache: dict[str, tuple[float, Principal]] = {}
_refreshing: set[str] = set()
# Tokens that just failed: refused again from memory for a few seconds, so a client (or an
# attacker) repeating a wrong or revoked token costs no database query per request.
_refused: dict[str, float] = {}


@dataclass(frozen=True, slots=True)
class CachedPrincipal:
    principal: Principal
    fresh: bool  # False: past its time; still usable while one refresh runs (``claim_refresh``)


def cached_service_principal(token: str) -> CachedPrincipal | None:
    """The principal of a token resolved recently in this process, or None (load it).
    Raises NotAuthenticated for a token refused in the last few seconds."""
    key = hash_token(token)
    refused_until = _refused.get(key)
    if refused_until is not None:
        if refused_until > time.monotonic():
            raise NotAuthenticated(N_("Invalid service token"), code="invalid_token")
        del _refused[key]
    hit = _service_cache.get(key)
    if hit is None:
        return None
    return CachedPrincipal(hit[1], fresh=hit[0] >= time.monotonic())


def claim_refresh(token: str) -> bool:
    """True for the one caller that should reload a stale entry (the others keep using it, so
    a busy client's expiry never sends all its concurrent requests to the database at once)."""
    key = hash_token(token)
    if key in _refreshing:
        return False
    _refreshing.add(key)
    return True


def remember_service_principal(token: str, principal: Principal | None) -> None:
    """Cache a loaded principal; None (the token no longer resolves) forgets the token."""
    key = hash_token(token)
    _refreshing.discard(key)
    if principal is None:
        _service_cache.pop(key, None)
        if len(_refused) > 10_000:
            _refused.clear()
        _refused[key] = time.monotonic() + settings.service_token_cache_seconds
        return
    if len(_service_cache) > 10_000:  # bounded: forget everything rather than grow
        _service_cache.clear()
    _service_cache[key] = (time.monotonic() + settings.service_token_cache_seconds, principal)


def service_token_exists(session: Session, name: str) -> bool:
    return AuthRepository(session).service_token_by_name(name) is not None


def revoke_service_token(session: Session, name: str) -> bool:
    """Revoke a service client's token by name; False if there is no live token of that name."""
    record = AuthRepository(session).service_token_by_name(name)
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = clock.now()
    session.flush()
    _service_cache.clear()
    return True


def service_principal(session: Session, token: str) -> Principal:
    repo = AuthRepository(session)
    record = repo.service_token_by_hash(hash_token(token))
    if record is None:
        raise NotAuthenticated(N_("Invalid service token"), code="invalid_token")
    assignment = RoleAssignment(role="", scope_kind=record.scope_kind, scope_code=record.scope_code)
    scope = _scope_of(session, assignment)
    permissions = frozenset(record.permissions.split())
    return Principal(
        kind="service",
        id=record.id,
        name=record.name,
        display_name=record.name,
        permissions=permissions,
        scopes=dict.fromkeys(permissions, scope),
        agencies=(
            dict.fromkeys(permissions, frozenset({record.scope_code}))
            if record.scope_kind == "agency"
            else {}
        ),
        agency=record.name,
    )
