"""The facility behind a request, as a typed dependency.

A receptionist's session (role ``facility_receptionist`` for one facility) or the facility's
system token (permission ``health.checkin``, agency scope = the facility code) both become a
``FacilityDesk``. Nothing else passes: not another permission, not a token bound to no or to
several facilities.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from oncegov.auth.dependencies import principal_outside_request_session, require
from oncegov.auth.roles import HEALTH_CHECKIN
from oncegov.auth.schemas import Authorized, Principal
from oncegov.db import DbSession, session_scope
from oncegov.health import service
from oncegov.health.service import FacilityDesk


def _desk_in_own_session(request: Request, principal: Principal, channel: str) -> FacilityDesk:
    with session_scope(request.app) as session:
        return service.desk_for(session, principal, channel)


async def api_desk(request: Request) -> FacilityDesk:
    """For the JSON check-in API: no request session (the write is group-committed)."""
    principal = await principal_outside_request_session(request)
    channel = "api" if principal.kind == "service" else "web"
    desk = service.cached_desk(principal, channel)
    if desk is not None:
        return desk
    return await run_in_threadpool(_desk_in_own_session, request, principal, channel)


api_desk.required_permission = HEALTH_CHECKIN  # type: ignore[attr-defined]


def page_desk(
    db: DbSession, authorized: Annotated[Authorized, Depends(require(HEALTH_CHECKIN))]
) -> FacilityDesk:
    """For the reception page and FHIR (ordinary request transaction)."""
    principal = authorized.principal
    return service.desk_for(db, principal, "api" if principal.kind == "service" else "web")


ApiDesk = Annotated[FacilityDesk, Depends(api_desk)]
Desk = Annotated[FacilityDesk, Depends(page_desk)]
