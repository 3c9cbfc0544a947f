"""The linkage review queue as JSON under /api/v1/linkage/review (``linkage.review``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from oncegov.auth.dependencies import require
from oncegov.auth.roles import LINKAGE_REVIEW
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import ERRORS
from oncegov.linkage.review import service
from oncegov.linkage.review.service import Decided, ReviewItem, ReviewPage
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/linkage/review", tags=["linkage"])
Clerk = Annotated[Authorized, Depends(require(LINKAGE_REVIEW))]
DECISION_ERRORS = {**ERRORS, 409: ERRORS[404]}


class DecisionIn(BaseModel):
    personal_id: str | None = Field(
        default=None,
        max_length=12,
        description="The candidate to accept; null rejects every candidate",
    )


@router.get("", response_model=ReviewPage, responses=ERRORS)
def review_queue(
    db: DbSession,
    _clerk: Clerk,
    source: Annotated[str | None, Query(max_length=40)] = None,
    page: PageQuery = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = service.PER_PAGE,
) -> ReviewPage:
    """Open review items of the latest run of each source, best candidate first."""
    return service.queue(db, source, page=page, per_page=per_page)


@router.get("/{result_id}", response_model=ReviewItem, responses=ERRORS)
def review_item(db: DbSession, clerk: Clerk, result_id: IdPath) -> ReviewItem:
    """One record in review with its candidates (each candidate read is audited)."""
    return service.item(db, clerk.actor("api"), result_id)


@router.post("/{result_id}/decision", response_model=Decided, responses=DECISION_ERRORS)
def review_decision(db: DbSession, clerk: Clerk, result_id: IdPath, body: DecisionIn) -> Decided:
    """Accept one candidate, or reject them all; answers the next open item's id."""
    return service.decide(db, clerk.actor("api"), result_id, accept=body.personal_id)
