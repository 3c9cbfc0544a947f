"""Citizens' reports of errors in their registry data ("correction requests").

A request moves ``open`` → ``in_review`` (an officer took it) → ``resolved_corrected`` (the
registry was corrected; ``registry_version`` is the citizen's version that did it) or
``rejected`` (``resolution_note`` says why). Requests are never deleted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

REQUEST_STATUSES = ("open", "in_review", "resolved_corrected", "rejected")
ACTIVE_STATUSES = ("open", "in_review")  # not yet handled: count against the citizen's limit
DESCRIPTION_MAX = 1000
PROPOSED_MAX = 500
NOTE_MAX = 500


class CorrectionRequest(Base):
    __tablename__ = "correction_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'in_review', 'resolved_corrected', 'rejected')",
            name="correction_status_known",
        ),
        CheckConstraint(
            "status != 'resolved_corrected' OR registry_version IS NOT NULL",
            name="corrected_has_version",
        ),
        CheckConstraint(
            "status != 'rejected' OR resolution_note IS NOT NULL", name="rejected_has_note"
        ),
        Index("ix_correction_requests_citizen_status", "personal_id", "status"),
        Index("ix_correction_requests_status_commune", "status", "commune_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    personal_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT")
    )
    # The citizen's permanent commune when the request was filed (for filtering and counts;
    # who may see the request follows the citizen's current registration, as for the record).
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    fields: Mapped[list[str]] = mapped_column(JSON)  # keys of schemas.REPORTABLE_FIELDS
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX))
    proposed_value: Mapped[str | None] = mapped_column(String(PROPOSED_MAX))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    filed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("eid_accounts.id", ondelete="SET NULL")
    )
    handled_by: Mapped[str | None] = mapped_column(String(120))  # actor label of the officer
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    # The citizen's registry version (registry_changes: entity 'citizen', entity_key
    # personal_id) that made the correction.
    registry_version: Mapped[int | None] = mapped_column(Integer)
