"""The schema comes from migrations only, and they agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from oncegov.models import metadata
from oncegov.units.models import Commune, Province


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_administrative_units_of_the_2025_reform(db: Session) -> None:
    assert db.scalar(select(func.count()).select_from(Province)) == 34
    assert db.scalar(select(func.count()).select_from(Commune)) == 3321
    cao_bang = db.get(Province, "04")
    assert cao_bang is not None and cao_bang.name == "Cao Bằng"
    communes = db.scalar(
        select(func.count()).select_from(Commune).where(Commune.province_code == "04")
    )
    assert communes == 56


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql"
        return
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
