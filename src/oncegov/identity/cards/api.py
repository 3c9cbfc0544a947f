"""Chip ID-card applications JSON API under /api/v1/identity/cards.

Officers of the ID-card desk (``identity.cards``) receive applications and move them along;
dashboards read the counts (``identity.stats``). Both are scoped to the caller's units.
An intake carries an ``Idempotency-Key`` header (or ``client_token``): a repeated request with
the same key returns the application the first one created.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query

from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import ERRORS
from oncegov.identity.cards import service
from oncegov.identity.cards.models import KINDS, STATUSES
from oncegov.identity.cards.schemas import (
    ApplicationOut,
    ApplicationPage,
    CountsOut,
    Intake,
    StepIn,
)
from oncegov.kit.schema_types import one_of
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/identity/cards", tags=["identity"])

Desk = Annotated[Authorized, Depends(require("identity.cards"))]
Stats = Annotated[Authorized, Depends(require("identity.stats"))]


@router.post("/applications", response_model=ApplicationOut, status_code=201, responses=ERRORS)
def receive_application(
    db: DbSession,
    authorized: Desk,
    body: Intake,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> ApplicationOut:
    """Receive an application for a registered citizen. The declared name, date of birth and
    sex must agree with the registry; the postal address is the registry's permanent or current
    residence (``delivery_address_source``). Errors name the field at fault; a second
    application while one is in progress is 409 ``application_in_progress``."""
    if idempotency_key:
        body = body.model_copy(update={"client_token": idempotency_key})
    return service.submit_application(db, authorized.actor("api"), body, scope=authorized.scope)


@router.get("/applications", response_model=ApplicationPage, responses=ERRORS)
def list_applications(
    db: DbSession,
    authorized: Desk,
    status: Annotated[str | None, Query(max_length=24, json_schema_extra=one_of(STATUSES))] = None,
    kind: Annotated[str | None, Query(max_length=24, json_schema_extra=one_of(KINDS))] = None,
    commune: Annotated[str | None, Query(max_length=5)] = None,
    page: PageQuery = 1,
) -> ApplicationPage:
    """Applications in your area, newest first, 50 a page."""
    return service.list_applications(
        db,
        authorized.actor("api"),
        scope=authorized.scope,
        status=status,
        kind=kind,
        commune_code=commune,
        page=page,
    )


@router.get("/applications/{application_id}", response_model=ApplicationOut, responses=ERRORS)
def get_application(db: DbSession, authorized: Desk, application_id: IdPath) -> ApplicationOut:
    """One application with its steps; 404 for unknown numbers and for those outside your area."""
    return service.get_application(
        db, authorized.actor("api"), application_id, scope=authorized.scope
    )


@router.post(
    "/applications/{application_id}/steps", response_model=ApplicationOut, responses=ERRORS
)
def move_application(
    db: DbSession, authorized: Desk, application_id: IdPath, body: StepIn
) -> ApplicationOut:
    """``{"to": "checked"}`` moves one step forward; ``{"to": "rejected", "reason": …}`` rejects.
    A move that is not the next one is 409 with a message saying where the application is."""
    return service.advance(
        db,
        authorized.actor("api"),
        application_id,
        body.to,
        scope=authorized.scope,
        reason=body.reason,
        note=body.note,
    )


@router.get("/stats", response_model=CountsOut, responses=ERRORS)
def application_counts(
    db: DbSession,
    authorized: Stats,
    date_from: dt.date,
    date_to: dt.date,
    group_by: Annotated[
        list[str],
        Query(
            description="commune, kind and/or status: repeat the parameter or separate by commas"
        ),
    ],
) -> CountsOut:
    """Applications received in the period (both days included, province time) per commune,
    kind and/or status, within your area."""
    groups = [part for value in group_by for part in value.split(",")]
    return service.application_counts(db, authorized.scope, date_from, date_to, groups)
