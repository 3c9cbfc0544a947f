"""The only settings object. Every value comes from the environment (prefix ``ONCEGOV_``)."""

from __future__ import annotations

from pathlib import Path

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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


settings = Settings()
