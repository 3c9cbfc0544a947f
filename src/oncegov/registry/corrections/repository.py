"""All SQL of correction requests. Officers' unit scoping is the registry's own
(``citizen_in_scope``): a request is visible when its citizen is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select

from oncegov.kit.repository import Page, Paged, Repository
from oncegov.registry.corrections.models import ACTIVE_STATUSES, CorrectionRequest
from oncegov.registry.models import Citizen
from oncegov.registry.repository import citizen_in_scope
from oncegov.units.schemas import UnitScope

AnySelect = TypeVar("AnySelect", bound=Select[Any])


def _scoped(query: AnySelect, scope: UnitScope, statuses: Sequence[str] | None = None) -> AnySelect:
    """Only requests about citizens within ``scope`` (and, if given, in these statuses)."""
    query = query.join(Citizen, Citizen.personal_id == CorrectionRequest.personal_id).where(
        citizen_in_scope(scope)
    )
    if statuses:
        query = query.where(CorrectionRequest.status.in_(list(statuses)))
    return query


class CorrectionRepository(Repository):
    # --- the citizen's side -------------------------------------------------------------------

    def lock_citizen(self, personal_id: str) -> Citizen | None:
        """The citizen's row, locked until the transaction ends (PostgreSQL; SQLite's
        BEGIN IMMEDIATE already serialises writers), so two filings at once are counted and
        compared one after the other."""
        query = select(Citizen).where(Citizen.personal_id == personal_id)
        return self.session.scalar(query.with_for_update())

    def active_of(self, personal_id: str) -> Sequence[CorrectionRequest]:
        return self.session.scalars(
            select(CorrectionRequest)
            .where(
                CorrectionRequest.personal_id == personal_id,
                CorrectionRequest.status.in_(ACTIVE_STATUSES),
            )
            .order_by(CorrectionRequest.id)
        ).all()

    def of_citizen(self, personal_id: str, limit: int) -> Sequence[CorrectionRequest]:
        return self.session.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.personal_id == personal_id)
            .order_by(CorrectionRequest.id.desc())
            .limit(limit)
        ).all()

    # --- the officers' queue --------------------------------------------------------------------

    def queue(
        self, scope: UnitScope, statuses: Sequence[str] | None, page: Page
    ) -> Paged[CorrectionRequest]:
        """One page of the queue, oldest first, with the total."""
        query = _scoped(select(CorrectionRequest), scope, statuses)
        query = query.order_by(CorrectionRequest.created_at, CorrectionRequest.id)
        return self.fetch_page(query, page, counted=True)

    def request(self, request_id: int, scope: UnitScope) -> CorrectionRequest | None:
        query = _scoped(select(CorrectionRequest), scope)
        return self.session.scalar(query.where(CorrectionRequest.id == request_id))

    def request_for_update(self, request_id: int, scope: UnitScope) -> CorrectionRequest | None:
        query = _scoped(select(CorrectionRequest), scope).where(CorrectionRequest.id == request_id)
        return self.session.scalar(query.with_for_update(of=CorrectionRequest))
