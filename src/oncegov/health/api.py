"""Check-in JSON API under /api/v1/health.

``POST /checkins`` is what a reception desk or a hospital system calls for every patient: one
person, by exact identifier. Its write is group-committed with the other desks' (one
transaction for everything that arrived while the previous one committed) and answered only
once durable. There is deliberately no search and no listing of people.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from oncegov.auth.dependencies import require
from oncegov.auth.roles import HEALTH_STATS
from oncegov.auth.schemas import Authorized
from oncegov.config import settings
from oncegov.db import DbSession, GroupCommitter, session_scope
from oncegov.errors import ERRORS, NotFound
from oncegov.health import service
from oncegov.health.dependencies import ApiDesk, Desk
from oncegov.health.repository import HealthRepository
from oncegov.health.schemas import CheckInIn, CheckInOut, StatisticsOut
from oncegov.health.service import CheckInRequest, CheckInResult
from oncegov.translatable import N_
from oncegov.web.params import IdPath
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/health", tags=["health"])
Stats = Annotated[Authorized, Depends(require(HEALTH_STATS))]


def committer(request: Request) -> GroupCommitter[CheckInRequest, CheckInResult]:
    """The app's check-in writer (one per app and process), created on first use."""
    app = request.app
    found: GroupCommitter[CheckInRequest, CheckInResult] | None = getattr(
        app.state, "checkin_committer", None
    )
    if found is None:
        found = GroupCommitter(
            service.check_in,  # type: ignore[arg-type]
            lambda: session_scope(app),
            max_batch=settings.health_group_commit_max_batch,
        )
        app.state.checkin_committer = found
    return found


@router.post(
    "/checkins",
    response_class=Response,
    responses={200: {"model": CheckInOut, "content": {"application/json": {}}}, **ERRORS},
)
async def check_in(request: Request, desk: ApiDesk, body: CheckInIn) -> Response:
    """Check one patient in at the caller's facility."""
    identification = service.identification(body.method, body.value)
    result = await committer(request).submit(CheckInRequest(desk, identification))
    # Serialised once, straight from the model (a response_model would validate it again).
    return Response(CheckInOut.of(result).model_dump_json(), media_type="application/json")


@router.get("/checkins/{checkin_id}", responses=ERRORS)
def stored_checkin(db: DbSession, desk: Desk, checkin_id: IdPath) -> dict[str, object]:
    """A visit stored at the caller's facility (its own visits only: another facility's is
    answered exactly like one that does not exist)."""
    found = HealthRepository(db).checkin(checkin_id)
    if found is None or found.facility_code != desk.facility_code:
        raise NotFound(N_("No check-in with this number at your facility"), field="checkin_id")
    return {
        "checkin_id": found.id,
        "facility_code": found.facility_code,
        "checked_in_at": found.checked_in_at,
        "method": found.method,
        "warnings": found.warnings.split(),
    }


@router.get("/statistics", response_model=StatisticsOut, responses=ERRORS)
def statistics(
    db: DbSession,
    _: Stats,
    since: Annotated[dt.date, Query()],
    until: Annotated[dt.date, Query()],
    facility_code: Annotated[str | None, Query(max_length=5)] = None,
) -> StatisticsOut:
    """Check-ins per facility, day and method, and the share of facilities using the chip ID
    card, over a period (at most a year)."""
    return StatisticsOut.of(service.statistics(db, since, until, facility_code))
