"""Rows and files for the bulk import tests: valid citizens as text, counts of what is stored."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.registry.bulk.models import ImportRun
from oncegov.registry.models import Citizen, Household, RegistryChange
from oncegov.registry.schemas import CITIZEN_COLUMNS
from tests.fixtures import COMMUNE_A, personal_id_for


def person(sex: str = "M", birth: str = "1985-05-17", **overrides: str) -> dict[str, str]:
    """A valid citizen row (text form), with a fresh personal ID matching sex and birth year."""
    row = dict.fromkeys(CITIZEN_COLUMNS, "")
    row.update(
        personal_id=personal_id_for(sex, int(birth[:4])),
        full_name="Nông Văn Dũng" if sex == "M" else "Hoàng Thị Ánh",
        date_of_birth=birth,
        sex=sex,
        ethnicity_code="02",
        religion="none",
        nationality="VN",
        permanent_commune_code=COMMUNE_A,
        permanent_address="Tổ 3, phường Thục Phán",
        current_commune_code=COMMUNE_A,
        current_address="Tổ 3, phường Thục Phán",
        status="living",
    )
    row.update(overrides)
    return row


def write_csv(
    path: Path, rows: Iterable[dict[str, str]], header: Sequence[str] = CITIZEN_COLUMNS
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
    return path


def counts(db: Session) -> dict[str, int]:
    """Rows in every table an import writes to."""
    return {
        model.__tablename__: int(db.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Citizen, Household, RegistryChange, ImportRun, AuditEntry)
    }


def versions(db: Session, personal_id: str) -> list[RegistryChange]:
    return list(
        db.scalars(
            select(RegistryChange)
            .where(RegistryChange.entity == "citizen", RegistryChange.entity_key == personal_id)
            .order_by(RegistryChange.version)
        )
    )


def citizen(db: Session, personal_id: str) -> Citizen | None:
    return db.scalar(select(Citizen).where(Citizen.personal_id == personal_id))
