"""JSON API of the data-quality review (mounted under /api/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from oncegov.auth.dependencies import require
from oncegov.auth.roles import QUALITY_READ, QUALITY_RESOLVE, QUALITY_RUN
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.registry.quality import service
from oncegov.registry.quality.schemas import (
    FindingDetail,
    FindingFilters,
    FindingOut,
    FindingPage,
    FindingStatus,
    ResolveIn,
    RunOut,
    SummaryOut,
)
from oncegov.web.params import IdPath, OffsetQuery
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/quality", tags=["data quality"])

Reader = Annotated[Authorized, Depends(require(QUALITY_READ))]
Resolver = Annotated[Authorized, Depends(require(QUALITY_RESOLVE))]
Runner = Annotated[Authorized, Depends(require(QUALITY_RUN))]


@router.get("/summary")
def summary(db: DbSession, auth: Reader) -> SummaryOut:
    """Open findings per commune and rule in the caller's area."""
    return service.summary(db, auth.scope)


@router.get("/findings")
def list_findings(
    db: DbSession,
    auth: Reader,
    commune: str | None = None,
    rule: str | None = None,
    status: FindingStatus | None = None,
    subject: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = service.PAGE_SIZE,
    offset: OffsetQuery = 0,
) -> FindingPage:
    filters = FindingFilters(commune_code=commune, rule=rule, status=status, subject_key=subject)
    return service.list_findings(db, auth.scope, filters, limit=limit, offset=offset)


@router.get("/findings/{finding_id}")
def get_finding(db: DbSession, auth: Reader, finding_id: IdPath) -> FindingDetail:
    """A finding with the citizens it concerns (each read is audited)."""
    return service.finding_detail(db, auth.actor("api"), auth.scope, finding_id)


@router.post("/findings/{finding_id}/resolve")
def resolve(db: DbSession, auth: Resolver, finding_id: IdPath, body: ResolveIn) -> FindingOut:
    return service.resolve(
        db,
        auth.actor("api"),
        auth.scope,
        finding_id,
        body.resolution,
        body.note,
        corrections=body.corrections,
        reason=body.reason,
        legal_reference=body.legal_reference,
    )


@router.post("/runs", status_code=201)
def run_checks(db: DbSession, auth: Runner) -> RunOut:
    """Run every rule over the province now (takes seconds on a full province)."""
    return service.run_checks(db, auth.actor("api"))
