"""The only settings object. Every value comes from the environment (prefix ``ONCEGOV_``)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Every development default of a secret starts with this, so a value copied from the code is
# recognised wherever it ends up (``Settings.production_problems``).
DEV_SECRET_PREFIX = "dev-only-"  # noqa: S105 - the marker, not a secret

# Room in a multipart upload for what surrounds the document (Settings' check of the limits).
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONCEGOV_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'oncegov.db'}",
        description="SQLite file (default) or postgresql+psycopg://… in production.",
    )
    # Development defaults only (DEV_SECRET_PREFIX): production refuses to start with any of
    # them (``production_problems``; see docs/operations.md).
    secret_key: SecretStr = SecretStr("dev-only-secret-key-change-me-in-production-0000")
    field_encryption_key: SecretStr = SecretStr("dev-only-field-key-change-me-in-production-000")
    environment: Environment = Environment.DEVELOPMENT

    # Keys of the audit chain (docs/operations.md, "The audit chain's keys"); they live outside
    # the database, so whoever holds only the database cannot rewrite the log. ``None`` means
    # "development key derived from secret_key": production refuses to append or verify without
    # them. HMAC keys: any string of 32+ random bytes; retired keys (comma-separated) keep old
    # entries verifiable after a rotation.
    audit_hmac_key: SecretStr | None = None
    audit_hmac_retired_keys: SecretStr | None = None
    # Ed25519 key signing checkpoints of the chain head: a PKCS#8 PEM file, or the PEM itself.
    audit_checkpoint_key_file: Path | None = None
    audit_checkpoint_key: SecretStr | None = None
    # Public keys of retired checkpoint keys (comma-separated JWK ``x`` values), so checkpoints
    # they signed still verify.
    audit_checkpoint_retired_public_keys: str = ""
    # A checkpoint is signed on the first append after this many entries or minutes.
    audit_checkpoint_every_entries: int = 1000
    audit_checkpoint_every_minutes: int = 10

    province_code: str = "04"
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"

    session_cookie: str = "oncegov_session"
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    cookie_secure: bool = False

    login_max_failures_before_lock: int = 5
    login_lock_base_seconds: int = 30
    login_lock_max_seconds: int = 3600
    ip_login_limit_per_minute: int = 30
    # Sign-in attempts per account and minute, from any address (the lockout comes on top).
    account_login_limit_per_minute: int = 10
    lookup_limit_per_minute: int = 120
    service_token_cache_seconds: int = 10

    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed;
    # none by default, so a client cannot choose its own address (see docs/operations.md).
    trusted_proxies: str = ""

    # Rate limits: "database" (the throttles table) or "redis" (counters at redis_url, under
    # redis_key_prefix, so several deployments can share one Redis).
    rate_limit_backend: Literal["database", "redis"] = "database"
    # A SecretStr (the URL may hold a password); unset means the local Redis without one,
    # which is no development secret for the production check to refuse.
    redis_url: SecretStr | None = None
    redis_key_prefix: str = "oncegov:ratelimit:"

    # Citizens (eID). Their session cookie is separate from the officers' one.
    citizen_session_cookie: str = "oncegov_eid_session"
    eid_min_age_years: int = 14
    passcode_max_failures_before_lock: int = 5
    otp_lifetime_seconds: int = 300
    otp_max_attempts: int = 5
    otp_sends_per_hour: int = 5
    login_history_retention_days: int = 5 * 365
    eid_qr_seconds: int = 120  # lifetime of the signed check-in QR on the eID page

    # SMS: only the local outbox exists here (the operator's gateway is not reachable).
    sms_backend: str = "local"
    sms_sender: str = "ONCEGOV"
    # Numbers starting with this prefix are undeliverable in the local gateway, so the
    # failure path can be exercised; the delay imitates a slow gateway.
    sms_local_undeliverable_prefix: str = "0999"
    sms_local_delay_ms: int = 0

    # E-mail: only the local outbox exists here (``integrations.email``). Addresses ending in
    # the suffix are undeliverable in the local outbox; the delay imitates a slow provider.
    email_backend: str = "local"
    email_sender: str = "no-reply@oncegov.invalid"
    email_local_undeliverable_suffix: str = "@undeliverable.invalid"
    email_local_delay_ms: int = 0

    # Background jobs (``oncegov.jobs``, Huey): "sqlite" (a file of its own, no server; the
    # default), "redis" (at ``redis_url``; production with more than one host), "memory"
    # (in-process, nothing consumes it: tests) or "immediate" (tasks run when enqueued).
    jobs_backend: Literal["sqlite", "redis", "memory", "immediate"] = "sqlite"
    jobs_sqlite_path: Path = PROJECT_ROOT / "var" / "jobs.db"
    jobs_workers: int = Field(default=2, ge=1, le=64)

    # Notification outbox (``integrations.outbox``): messages claimed per batch, how long a
    # claim holds before another worker may take the message again (a crashed worker's claims
    # run out), retries with exponential backoff from ``outbox_retry_base_seconds`` up to
    # ``outbox_retry_max_seconds``, and failed for good after ``outbox_max_attempts``.
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    outbox_lease_seconds: int = Field(default=120, ge=1)
    outbox_retry_base_seconds: int = Field(default=30, ge=1)
    outbox_retry_max_seconds: int = Field(default=3600, ge=1)
    outbox_max_attempts: int = Field(default=6, ge=1, le=100)

    # Argon2id for officers' passwords and citizens' eID passcodes (kit.passwords). Defaults:
    # the first configuration of the OWASP Password Storage Cheat Sheet ("a minimum
    # configuration of 19 MiB of memory, an iteration count of 2, and 1 degree of
    # parallelism"), which it rates equal in defence to its higher-memory ones; the library's
    # own default (RFC 9106's 64 MiB, 3 passes, 4 lanes) took 162 ms a verification on the
    # 2-core CI machine against 28 ms for these, and a burst of sign-ins at 162 ms each starves
    # every other request of a small province server. Hashes keep their parameters: stored
    # ones still verify after a change and are re-hashed at the next successful sign-in.
    argon2_time_cost: int = Field(default=2, ge=1, le=20)
    argon2_memory_kib: int = Field(default=19_456, ge=8_192, le=4_194_304)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)

    # OpenID Connect provider.
    oidc_issuer: str = "http://127.0.0.1:8000"
    oidc_id_token_seconds: int = 600
    oidc_access_token_seconds: int = 600
    oidc_refresh_token_days: int = 30
    oidc_code_seconds: int = 60
    oidc_key_rotation_days: int = 90
    # Token-endpoint requests per authenticated client and minute (a stuck client cannot flood
    # the provider; counted after the client proved who it is).
    oidc_token_limit_per_minute: int = 600
    # Failed client authentications per source address and minute; past it that address (and
    # only it) is refused, so a guesser of secrets cannot lock the real relying party out.
    oidc_token_failures_per_minute: int = 30

    # The public-service portal (procedures.portal), a confidential relying party of the
    # provider above: client ``oncegov-portal``, its secret (client_secret_basic), and the
    # provider's address for server-to-server calls (token, JWKS, userinfo). The browser is
    # sent to ``oidc_issuer`` (the public address); behind a proxy the two differ.
    portal_client_secret: SecretStr = SecretStr("dev-only-portal-client-secret-change-me-0000")
    portal_issuer_url: str = "http://127.0.0.1:8000"
    portal_session_cookie: str = "portal_session"
    portal_login_seconds: int = 600  # how long a started sign-in may take to come back
    portal_logins_per_minute: int = 30  # sign-ins started per client address and minute
    portal_http_timeout_seconds: float = 10.0

    # Set by ``oncegov serve``: tune the long-running server process (garbage-collector
    # thresholds, frozen start-up objects, SQLite checkpoints in a background thread).
    server_tuning: bool = False
    gc_gen0_threshold: int = 50_000
    # Requests in progress at once per worker process (uvicorn answers 503 beyond). The thread
    # pool gets more threads than this, so a request that holds a database lock always finds a
    # thread for its next step even when every other request waits for that lock.
    server_max_concurrency: int = 256

    # Health-insurance check-in at medical facilities.
    # Check-ins per facility and minute (all its desks and its hospital system together).
    health_checkin_limit_per_minute: int = 300
    health_group_commit_max_batch: int = 256

    # Database outages: a new connection gives up after this long (PostgreSQL), a SQLite
    # transaction waits this long for the write lock, /readyz waits this long for an answer,
    # and a 503 asks the client to come back after ``outage_retry_after_seconds``.
    database_connect_timeout_seconds: int = 5
    sqlite_busy_timeout_ms: int = 10_000
    readiness_timeout_seconds: float = 2.0
    outage_retry_after_seconds: int = 5
    # Request bodies, counted while they stream in (413 past the limit, Content-Length or not).
    # JSON and forms: an eID registration's base64 portrait (2 MB photo) fits.
    max_body_bytes: int = 4 * 1024 * 1024
    # multipart/form-data uploads (a portrait photo with its form; a document of up to
    # ``max_document_bytes`` with its form): one MiB above the document limit.
    max_upload_bytes: int = 11 * 1024 * 1024
    # One uploaded document (PDF, JPEG or PNG; kit.uploads). assumption: 10 MiB; neither
    # Decree 118/2025/ND-CP nor Circular 03/2025/TT-VPCP sets a figure we could confirm. A
    # multipart body carries the file plus its form fields, so ``max_upload_bytes`` must stay
    # above this (``upload_limit_problems``).
    max_document_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # The file store's folder (kit.filestore.LocalFolderStore): content-addressed documents.
    file_store_dir: Path = PROJECT_ROOT / "var" / "files"

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip())  # ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _upload_fits_body_limit(self) -> Settings:
        # The multipart body around one document: boundaries, part headers, a CSRF token and
        # a few form fields. assumption: 64 KiB is ample for those.
        if self.max_upload_bytes < self.max_document_bytes + MULTIPART_OVERHEAD_BYTES:
            raise ValueError(
                "ONCEGOV_MAX_UPLOAD_BYTES must exceed ONCEGOV_MAX_DOCUMENT_BYTES by at least "
                f"{MULTIPART_OVERHEAD_BYTES} bytes (the form around the file)"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.environment == Environment.PRODUCTION

    def production_problems(self) -> list[str]:
        """The environment variables that make this configuration unfit for production: every
        secret still at a development value (its default, or anything starting with
        ``DEV_SECRET_PREFIX``) and insecure cookies. Names only, never values."""
        problems = [
            env_name(name)
            for name, field in type(self).model_fields.items()
            if isinstance(value := getattr(self, name), SecretStr)
            and _is_development_secret(value, field.default)
        ]
        problems += [
            env_name(group[0])
            for group in REQUIRED_IN_PRODUCTION
            if all(getattr(self, name) is None for name in group)
        ]
        if not self.cookie_secure:
            problems.append(env_name("cookie_secure"))
        return problems


# Keys with no default at all: left unset, development derives one (kit.chain_keys); production
# must configure each group (any one setting of a group is enough).
REQUIRED_IN_PRODUCTION: tuple[tuple[str, ...], ...] = (
    ("audit_hmac_key",),
    ("audit_checkpoint_key", "audit_checkpoint_key_file"),
)


def env_name(field: str) -> str:
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def _is_development_secret(value: SecretStr, default: object) -> bool:
    plain = value.get_secret_value()
    if isinstance(default, SecretStr) and plain == default.get_secret_value():
        return True
    return plain.startswith(DEV_SECRET_PREFIX)


settings = Settings()
