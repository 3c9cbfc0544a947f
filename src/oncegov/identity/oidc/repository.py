"""All SQL of the OpenID Connect provider."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, or_, select, update

from oncegov.identity.accounts.models import ACTIVE_STATUS, EidAccount
from oncegov.identity.oidc.models import (
    OidcAssertionJti,
    OidcAuthorizationCode,
    OidcClient,
    OidcConsent,
    OidcSigningKey,
    OidcSubject,
    OidcToken,
)
from oncegov.kit.repository import Repository


class OidcRepository(Repository):
    # --- clients ---------------------------------------------------------------------------

    def client(self, client_id: str) -> OidcClient | None:
        return self.session.scalar(select(OidcClient).where(OidcClient.client_id == client_id))

    def client_names(self, client_ids: Sequence[str]) -> dict[str, str]:
        rows = self.session.execute(
            select(OidcClient.client_id, OidcClient.name).where(
                OidcClient.client_id.in_(list(client_ids))
            )
        )
        return {client_id: name for client_id, name in rows}  # noqa: C416

    def client_by_pk(self, pk: int) -> OidcClient | None:
        return self.get(OidcClient, pk)

    def clients(self) -> Sequence[OidcClient]:
        return self.session.scalars(select(OidcClient).order_by(OidcClient.name)).all()

    # --- keys -------------------------------------------------------------------------------

    def active_key(self) -> OidcSigningKey | None:
        return self.session.scalar(select(OidcSigningKey).where(OidcSigningKey.active_slot == 1))

    def published_keys(self, retired_after: dt.datetime) -> Sequence[OidcSigningKey]:
        return self.session.scalars(
            select(OidcSigningKey)
            .where(
                or_(
                    OidcSigningKey.retired_at.is_(None),
                    OidcSigningKey.retired_at > retired_after,
                )
            )
            .order_by(OidcSigningKey.id.desc())
        ).all()

    def key_by_kid(self, kid: str) -> OidcSigningKey | None:
        return self.session.scalar(select(OidcSigningKey).where(OidcSigningKey.kid == kid))

    # --- subjects and consents --------------------------------------------------------------

    def subject_of(self, personal_id: str) -> OidcSubject | None:
        return self.session.scalar(
            select(OidcSubject).where(OidcSubject.personal_id == personal_id)
        )

    def subject_by_sub(self, sub: str) -> OidcSubject | None:
        return self.session.scalar(select(OidcSubject).where(OidcSubject.sub == sub))

    def consent(self, account_id: int, client_id: str) -> OidcConsent | None:
        return self.session.scalar(
            select(OidcConsent).where(
                OidcConsent.account_id == account_id, OidcConsent.client_id == client_id
            )
        )

    # --- codes and tokens -------------------------------------------------------------------

    def code_by_hash(self, code_hash: str) -> OidcAuthorizationCode | None:
        return self.session.scalar(
            select(OidcAuthorizationCode).where(OidcAuthorizationCode.code_hash == code_hash)
        )

    def token_by_access_hash(self, token_hash: str) -> OidcToken | None:
        return self.session.scalar(
            select(OidcToken).where(OidcToken.access_token_hash == token_hash)
        )

    def live_bearer(self, token_hash: str, moment: dt.datetime) -> tuple[str, str, str, str] | None:
        """(personal ID, acr, client ID, scope) of a live access token (not revoked, not
        expired) of an enabled client and an active eID account, in one query: every call of
        the portal's API asks this (the checks ``_live_token`` makes one by one)."""
        row = self.session.execute(
            select(OidcToken.personal_id, OidcToken.acr, OidcToken.client_id, OidcToken.scope)
            .join(OidcClient, OidcClient.client_id == OidcToken.client_id)
            .join(EidAccount, EidAccount.id == OidcToken.account_id)
            .where(
                OidcToken.access_token_hash == token_hash,
                OidcToken.revoked_at.is_(None),
                OidcToken.access_expires_at > moment,
                OidcClient.enabled.is_(True),
                EidAccount.status == ACTIVE_STATUS,
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def token_by_refresh_hash(self, token_hash: str) -> OidcToken | None:
        return self.session.scalar(
            select(OidcToken).where(OidcToken.refresh_token_hash == token_hash)
        )

    def _revoke(self, condition: object, moment: dt.datetime, reason: str) -> int:
        result = self.session.execute(
            update(OidcToken)
            .where(condition, OidcToken.revoked_at.is_(None))  # type: ignore[arg-type]
            .values(revoked_at=moment, revoke_reason=reason[:60])
            .execution_options(synchronize_session="fetch")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def revoke_tokens_of_account(self, account_id: int, moment: dt.datetime, reason: str) -> int:
        return self._revoke(OidcToken.account_id == account_id, moment, reason)

    def revoke_tokens_of_session(
        self, web_session_id: int, moment: dt.datetime, reason: str
    ) -> int:
        return self._revoke(OidcToken.web_session_id == web_session_id, moment, reason)

    def revoke_family(self, family: str, moment: dt.datetime, reason: str) -> int:
        return self._revoke(OidcToken.family == family, moment, reason)

    def revoke_tokens_of_code(self, code_id: int, moment: dt.datetime, reason: str) -> int:
        families = select(OidcToken.family).where(OidcToken.code_id == code_id)
        return self._revoke(OidcToken.family.in_(families), moment, reason)

    # --- client assertions ------------------------------------------------------------------

    def jti_seen(self, client_id: str, jti: str) -> bool:
        return (
            self.session.scalar(
                select(OidcAssertionJti.id).where(
                    OidcAssertionJti.client_id == client_id, OidcAssertionJti.jti == jti
                )
            )
            is not None
        )

    def forget_expired_jtis(self, moment: dt.datetime) -> None:
        self.session.execute(delete(OidcAssertionJti).where(OidcAssertionJti.expires_at < moment))
