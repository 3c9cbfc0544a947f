"""Run the Alembic migrations: the only way the schema is created (production and tests).

``schema_status`` compares the database's revision with the code's head; the server and every
command that touches the database check it first (``require_current_schema``), so an
unmigrated or stale database is a one-line instruction instead of ``no such table`` halfway.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from oncegov.config import PROJECT_ROOT, settings


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url or settings.database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


class SchemaState(StrEnum):
    CURRENT = "current"
    MISSING = "missing"  # never migrated
    BEHIND = "behind"  # migrated by an older release
    UNKNOWN = "unknown"  # a revision this code does not know: a newer release, or another app


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    state: SchemaState
    database: tuple[str, ...]  # the database's revisions (empty when never migrated)
    code: tuple[str, ...]  # the code's heads

    @property
    def message(self) -> str:
        """One line for an operator: what is wrong and what to run."""
        if self.state is SchemaState.MISSING:
            return "The database has no schema yet: run `oncegov migrate`."
        if self.state is SchemaState.BEHIND:
            return (
                f"The database schema ({', '.join(self.database)}) is older than this release "
                f"({', '.join(self.code)}): run `oncegov migrate`."
            )
        if self.state is SchemaState.UNKNOWN:
            return (
                f"The database schema ({', '.join(self.database)}) is unknown to this release "
                f"({', '.join(self.code)}): it was migrated by a newer release; run that release "
                "or restore a matching backup."
            )
        return "The database schema is up to date."


def schema_status(bind: Engine | Connection) -> SchemaStatus:
    """On an engine (a connection of its own) or on the caller's connection."""
    scripts = ScriptDirectory.from_config(alembic_config())
    code = tuple(sorted(scripts.get_heads()))
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            database = _revisions(connection)
    else:
        database = _revisions(bind)
    if not database:
        return SchemaStatus(SchemaState.MISSING, database, code)
    if database == code:
        return SchemaStatus(SchemaState.CURRENT, database, code)
    known = all(_known(scripts, revision) for revision in database)
    return SchemaStatus(SchemaState.BEHIND if known else SchemaState.UNKNOWN, database, code)


def _revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for a revision it has no file for
        return False


class SchemaNotReady(Exception):
    """The database is not at the code's schema; ``str()`` is the operator's instruction."""

    def __init__(self, status: SchemaStatus) -> None:
        super().__init__(status.message)
        self.status = status


def require_current_schema(bind: Engine | Connection) -> None:
    status = schema_status(bind)
    if status.state is not SchemaState.CURRENT:
        raise SchemaNotReady(status)
