"""The dossier's forms as documents: form 01 (receipt and appointment slip) from a stored
dossier, rendered by ``forms_pdf`` (Vietnamese text, embedded Unicode font)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oncegov.kit import clock
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.dossiers import service
from oncegov.procedures.dossiers.forms_pdf import ReceiptForm, ReceivedDocument, render_pdf
from oncegov.procedures.dossiers.models import Dossier
from oncegov.units import service as units

CHANNEL_TEXT = {"online": "Trực tuyến", "counter": "Trực tiếp", "post": "Bưu chính"}


def receipt_form(session: Session, dossier: Dossier) -> ReceiptForm:
    """Form 01 of a dossier: the documents it holds (each uploaded file one copy; the ones the
    state's data replaces are not listed), the moment received, the appointed return."""
    procedure = catalogue.procedure_version(
        session, dossier.procedure_code, dossier.procedure_version
    ).definition
    commune = units.commune(session, dossier.commune_code)
    place = commune.name if commune else dossier.commune_code
    uploaded = service.dossier_documents(session, dossier)
    documents = tuple(
        ReceivedDocument(procedure.documents[row.document].name.vi, copies=1)
        for row in uploaded
        if row.document < len(procedure.documents)
    )
    form = dossier.form or {}
    receiver = None if dossier.channel == "online" else dossier.submitted_by.split(":", 1)[-1]
    return ReceiptForm(
        agency_name=f"Ủy ban nhân dân {place}",
        office_name=f"Trung tâm Phục vụ hành chính công {place}",
        place=place.split(" ", 1)[-1],
        dossier_code=dossier.code,
        applicant_name=str(form.get("full_name", {}).get("value") or ""),
        personal_id=dossier.applicant_personal_id,
        procedure_name=procedure.name.vi,
        documents=documents,
        received_at=clock.aware(dossier.received_at),
        due_at=clock.aware(dossier.due_at),
        channel=CHANNEL_TEXT.get(dossier.channel, dossier.channel),
        # Assumption: the result comes back the way the dossier came in (online: on the
        # portal; otherwise at the centre's desk) until the citizen chooses the post.
        result_delivery=(
            "Trên Cổng dịch vụ công"
            if dossier.channel == "online"
            else "Tại Trung tâm Phục vụ hành chính công"
        ),
        receiving_officer=receiver,
        verification=f"Tra cứu hồ sơ {dossier.code} trên Cổng dịch vụ công",
    )


def receipt_pdf(session: Session, dossier: Dossier) -> bytes:
    return render_pdf(receipt_form(session, dossier))
