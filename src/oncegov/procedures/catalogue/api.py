"""The procedure catalogue's JSON API under /api/v1/procedures: public, like its pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query

from oncegov.db import DbSession
from oncegov.kit import clock
from oncegov.procedures.catalogue import service
from oncegov.procedures.catalogue.schemas import (
    Level,
    ProcedureField,
    ProcedureOut,
    ProcedureSummaryOut,
)
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/procedures", tags=["procedures"])


@router.get("", response_model=list[ProcedureSummaryOut])
def list_procedures(
    db: DbSession,
    q: Annotated[str, Query(max_length=200, description="Words of the name or code")] = "",
    field: ProcedureField | None = None,
    level: Level | None = None,
    on: Annotated[dt.date | None, Query(description="The day (default: today)")] = None,
) -> list[ProcedureSummaryOut]:
    """The procedures in force on ``on``; ``q`` matches the code, names and agency,
    accents and case aside."""
    found = service.catalogue(
        db, query=q, field=field.value if field else None, level=level, day=on
    )
    return [
        ProcedureSummaryOut(
            code=s.code,
            version=s.version,
            effective_from=s.effective_from,
            name=s.definition.name,
            field=s.definition.field,
            level=s.definition.level,
            online_level=s.definition.online_level,
        )
        for s in found
    ]


@router.get("/{code}", response_model=ProcedureOut)
def get_procedure(
    db: DbSession,
    code: Annotated[str, Path(max_length=20)],
    on: Annotated[dt.date | None, Query(description="The day (default: today)")] = None,
) -> ProcedureOut:
    """The version of one procedure in force on ``on``, with its whole definition."""
    day = on or clock.today()
    stored = service.procedure(db, code, day)
    return ProcedureOut(
        code=stored.code,
        version=stored.version,
        effective_from=stored.effective_from,
        as_of=day,
        loaded_at=stored.loaded_at,
        definition=stored.definition,
    )
