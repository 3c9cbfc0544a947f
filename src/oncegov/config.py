"""The only settings object. Every value comes from the environment (prefix ``ONCEGOV_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONCEGOV_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'oncegov.db'}",
        description="SQLite file (default) or postgresql+psycopg://… in production.",
    )
    # Development defaults only; a production deployment must set both (see docs/operations.md).
    secret_key: SecretStr = SecretStr("dev-only-secret-key-change-me-in-production-0000")
    field_encryption_key: SecretStr = SecretStr("dev-only-field-key-change-me-in-production-000")
    environment: str = "development"

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
    lookup_limit_per_minute: int = 120
    service_token_cache_seconds: int = 10

    # Rate limits: "database" (the throttles table) or "redis" (counters at redis_url, under
    # redis_key_prefix, so several deployments can share one Redis).
    rate_limit_backend: Literal["database", "redis"] = "database"
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
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

    # OpenID Connect provider.
    oidc_issuer: str = "http://127.0.0.1:8000"
    oidc_id_token_seconds: int = 600
    oidc_access_token_seconds: int = 600
    oidc_refresh_token_days: int = 30
    oidc_code_seconds: int = 60
    oidc_key_rotation_days: int = 90
    # Token-endpoint requests per client and minute (a stuck client cannot flood the provider).
    oidc_token_limit_per_minute: int = 600

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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


settings = Settings()
