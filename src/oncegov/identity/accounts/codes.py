"""One-time codes texted to the account's phone (keyed hashes, single use, limited attempts
and sends) and the local SMS outbox that shows them in development.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets

from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.errors import NotFound
from oncegov.identity.accounts.models import EidAccount, OneTimeCode
from oncegov.identity.accounts.repository import AccountRepository
from oncegov.identity.accounts.service import CodeRejected
from oncegov.integrations.models import SmsOutboxMessage
from oncegov.integrations.sms import LocalSmsGateway, sms_gateway
from oncegov.kit import clock
from oncegov.kit.crypto import hash_token
from oncegov.translatable import N_

CODE_FAILED = N_("Wrong or expired code")
SMS_TEXT = "OnceGov: ma xac thuc cua ban la {code}. Hieu luc {minutes} phut. Khong chia se ma nay."
OUTBOX_WINDOW = dt.timedelta(minutes=30)


def _code_hash(account_id: int, purpose: str, code: str) -> str:
    # Keyed, and bound to account and purpose: a leaked table gives no usable code.
    return hash_token(f"otp:{account_id}:{purpose}:{code}")


def send_code(session: Session, account: EidAccount, purpose: str) -> None:
    """Text a fresh code; older live codes of the same purpose die. Limited per hour."""
    repo = AccountRepository(session)
    moment = clock.now()
    auth.hit_rate_limit(
        session,
        f"eid-otp-send:{account.id}",
        settings.otp_sends_per_hour,
        window_seconds=3600,
        message=N_("Too many codes were sent to this account; try again in an hour"),
        field="code",
        code="otp_send_limit",
    )
    repo.kill_codes(account.id, purpose, moment)
    code = f"{secrets.randbelow(1_000_000):06d}"
    repo.add(
        OneTimeCode(
            account_id=account.id,
            purpose=purpose,
            code_hash=_code_hash(account.id, purpose, code),
            created_at=moment,
            expires_at=moment + dt.timedelta(seconds=settings.otp_lifetime_seconds),
            attempts=0,
        )
    )
    minutes = max(1, math.ceil(settings.otp_lifetime_seconds / 60))
    text = SMS_TEXT.format(code=code, minutes=minutes)
    sms_gateway(session).send(account.phone, text, purpose=f"eid.{purpose}")


def check_code(session: Session, account: EidAccount, purpose: str, code: str) -> OneTimeCode:
    """The live code matching ``code``; a wrong try counts, the last allowed one kills it.
    The caller marks it used once the rest of the step has succeeded."""
    moment = clock.now()
    record = AccountRepository(session).live_code(account.id, purpose, moment)
    if record is None:
        raise CodeRejected(CODE_FAILED, field="code")
    sent = _code_hash(account.id, purpose, (code or "").strip())
    if not secrets.compare_digest(record.code_hash, sent):
        # Counted atomically: concurrent wrong guesses cannot overwrite each other's count.
        wrong = auth.count_hit(
            session,
            f"eid-otp-wrong:{record.id}",
            settings.otp_max_attempts,
            window_seconds=settings.otp_lifetime_seconds,
        )
        record.attempts = wrong.count
        if wrong.count >= settings.otp_max_attempts:
            record.dead_at = moment
        session.flush()
        raise CodeRejected(CODE_FAILED, field="code")
    return record


# --- the demo SMS outbox ------------------------------------------------------------------------


def outbox(session: Session, phone: str) -> list[SmsOutboxMessage]:
    """Local text messages to ``phone`` from the last 30 minutes, newest first. Not in
    production (there, texts go to real phones)."""
    if settings.environment == "production":
        raise NotFound(N_("Not found"))
    since = clock.now() - OUTBOX_WINDOW
    return [
        m
        for m in LocalSmsGateway(session).messages_to(phone, limit=50)
        if clock.aware(m.created_at) >= since
    ]
