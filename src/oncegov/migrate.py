"""Run the Alembic migrations: the only way the schema is created (production and tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from oncegov.config import PROJECT_ROOT, settings


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url or settings.database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
