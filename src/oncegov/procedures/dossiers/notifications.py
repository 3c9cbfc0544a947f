"""Status notifications of a dossier, written to the outbox in the transaction of the move
they announce (the worker delivers them: none lost, none sent twice; ``integrations.outbox``).

The applicant's phone and e-mail are read from the registry when a message is due (an
audited read, purpose ``notification <code>``), not copied into the dossier. Texts are in
Vietnamese, the applicant's language on the portal by default; they name the dossier and its
state, never the applicant's personal data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from oncegov.integrations.outbox import queue_message
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.procedures.catalogue.schemas import Procedure
from oncegov.procedures.dossiers.models import Dossier
from oncegov.registry import service as registry

# What the citizen is told on entering a state (Vietnamese; the states not listed send none).
MESSAGES: dict[str, str] = {
    "received": "Hồ sơ {code} ({procedure}) đã được tiếp nhận. Hẹn trả kết quả: {due}.",
    "refused_to_accept": "Hồ sơ {code} không được tiếp nhận. Lý do: {reason}",
    "additions_requested": (
        "Hồ sơ {code} cần bổ sung: {reason}. Vui lòng bổ sung trên Cổng dịch vụ công."
    ),
    "refused": "Hồ sơ {code} bị từ chối giải quyết. Lý do: {reason}",
    "result_ready": "Hồ sơ {code} đã có kết quả.",
    "apology": ("Hồ sơ {code} chậm so với hẹn; cơ quan xin lỗi. Lý do: {reason}. Hẹn mới: {due}."),
}
SYSTEM = Actor.system("dossier-notifications", channel="job")


def _due_text(due: dt.datetime) -> str:
    local = clock.local(due)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def notify(
    session: Session,
    dossier: Dossier,
    procedure: Procedure,
    *,
    event_seq: int,
    kind: str,
    reason: str | None = None,
) -> int:
    """Queue the SMS and e-mail of one event (``kind``: the state entered, or ``apology``);
    returns how many messages were queued (none for a state that sends none, or an applicant
    without a phone or e-mail in the registry)."""
    template = MESSAGES.get(kind)
    if template is None:
        return 0
    phone, email = registry.contact_of(
        session, SYSTEM, dossier.applicant_personal_id, purpose=f"notification {dossier.code}"
    )
    body = template.format(
        code=dossier.code,
        procedure=procedure.name.vi,
        due=_due_text(clock.aware(dossier.due_at)),
        reason=(reason or "").strip(),
    )
    queued = 0
    for channel, recipient in (("sms", phone), ("email", email)):
        if recipient:
            queue_message(
                session,
                channel=channel,  # type: ignore[arg-type]
                recipient=recipient,
                subject=f"Hồ sơ {dossier.code}" if channel == "email" else None,
                body=body,
                key=f"dossier:{dossier.id}:event:{event_seq}:{channel}",
            )
            queued += 1
    return queued
