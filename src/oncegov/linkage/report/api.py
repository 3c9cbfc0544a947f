"""Sync report JSON API: ``GET /api/v1/linkage/report?source=…`` (counts only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from oncegov.auth.dependencies import require
from oncegov.auth.roles import LINKAGE_REPORT
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import ERRORS, NotFound
from oncegov.linkage.report import service
from oncegov.linkage.report.schemas import SyncReportOut
from oncegov.translatable import N_
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/linkage", tags=["linkage"])
Report = Annotated[Authorized, Depends(require(LINKAGE_REPORT))]


@router.get("/report", response_model=SyncReportOut, responses=ERRORS)
def sync_report(
    db: DbSession,
    _: Report,
    source: Annotated[str, Query(min_length=1, max_length=40)] = "social-insurance",
    runs: Annotated[int, Query(ge=1, le=service.MAX_RUNS)] = service.DEFAULT_RUNS,
) -> SyncReportOut:
    """The sync rate of a sector database: its latest linkage run's records linked by method,
    the review backlog, the unmatched by reason, per commune, and the rate over the last
    ``runs`` runs (oldest first)."""
    report = service.sync_report(db, source, runs=runs)
    if report is None:
        raise NotFound(N_("No linkage run for this source"), field="source")
    return SyncReportOut.of(report)
