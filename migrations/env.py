"""Alembic environment: the URL comes from settings, or a connection handed in by the caller."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from oncegov.db import make_engine
from oncegov.models import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes.get("url"))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


run_migrations_online()
