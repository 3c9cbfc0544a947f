"""All SQL of the portal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from oncegov.kit.repository import Repository
from oncegov.procedures.portal.models import PortalLoginRequest, PortalSession


class PortalRepository(Repository):
    def login_request(self, state_hash: str) -> PortalLoginRequest | None:
        return self.session.scalar(
            select(PortalLoginRequest).where(PortalLoginRequest.state_hash == state_hash)
        )

    def spend_login_request(self, row_id: int, moment: dt.datetime) -> bool:
        """Compare-and-set: True for the one callback that spends the request."""
        result = self.session.execute(
            update(PortalLoginRequest)
            .where(PortalLoginRequest.id == row_id, PortalLoginRequest.used_at.is_(None))
            .values(used_at=moment)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def forget_old_login_requests(self, before: dt.datetime) -> None:
        self.session.execute(
            delete(PortalLoginRequest)
            .where(PortalLoginRequest.expires_at < before)
            .execution_options(synchronize_session=False)
        )

    def session_by_token_hash(self, token_hash: str) -> PortalSession | None:
        return self.session.scalar(
            select(PortalSession).where(PortalSession.token_hash == token_hash)
        )
