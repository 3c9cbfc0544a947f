"""All SQL for officers, sessions and service tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import select, update

from oncegov.auth.models import Officer, RoleAssignment, ServiceToken, WebSession
from oncegov.kit.repository import Repository


class AuthRepository(Repository):
    def officer_by_username(self, username: str) -> Officer | None:
        return self.session.scalar(select(Officer).where(Officer.username == username))

    def officer(self, officer_id: int) -> Officer | None:
        return self.get(Officer, officer_id)

    def list_officers(self) -> Sequence[Officer]:
        return self.session.scalars(select(Officer).order_by(Officer.username)).all()

    def roles_of(self, officer_id: int) -> Sequence[RoleAssignment]:
        return self.session.scalars(
            select(RoleAssignment).where(RoleAssignment.officer_id == officer_id)
        ).all()

    def roles_of_usernames(self, usernames: Collection[str]) -> list[tuple[str, RoleAssignment]]:
        rows = self.session.execute(
            select(Officer.username, RoleAssignment)
            .join(RoleAssignment, RoleAssignment.officer_id == Officer.id)
            .where(Officer.username.in_(list(usernames)))
        )
        return [(username, assignment) for username, assignment in rows]

    def session_by_token_hash(self, token_hash: str) -> WebSession | None:
        return self.session.scalar(select(WebSession).where(WebSession.token_hash == token_hash))

    def web_session(self, web_session_id: int) -> WebSession | None:
        return self.get(WebSession, web_session_id)

    def revoke_sessions_of(self, subject_kind: str, subject_id: int, now: dt.datetime) -> None:
        self.session.execute(
            update(WebSession)
            .where(
                WebSession.subject_kind == subject_kind,
                WebSession.subject_id == subject_id,
                WebSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

    def live_sessions_of(
        self, subject_kind: str, subject_id: int, now: dt.datetime
    ) -> Sequence[WebSession]:
        return self.session.scalars(
            select(WebSession)
            .where(
                WebSession.subject_kind == subject_kind,
                WebSession.subject_id == subject_id,
                WebSession.revoked_at.is_(None),
                WebSession.expires_at > now,
            )
            .order_by(WebSession.created_at.desc())
        ).all()

    def service_token_by_hash(self, token_hash: str) -> ServiceToken | None:
        return self.session.scalar(
            select(ServiceToken).where(
                ServiceToken.token_hash == token_hash, ServiceToken.revoked_at.is_(None)
            )
        )

    def service_token_by_name(self, name: str) -> ServiceToken | None:
        return self.session.scalar(select(ServiceToken).where(ServiceToken.name == name))
