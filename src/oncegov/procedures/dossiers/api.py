"""The portal's JSON API under /api/v1/portal: a citizen's app submits and follows dossiers.

The app signs the citizen in through OnceGov's OpenID Connect provider and calls with the
access token (``Authorization: Bearer``); a sign-in below the procedure's eID level gets RFC
9470's step-up answer (401 ``insufficient_user_authentication`` with the ``acr_values`` to ask
for). A submission is one multipart request — the procedure, the typed values, the files — with
an ``Idempotency-Key`` header: the first call answers 201, a retry with the same key 200 and the
same dossier, whatever happened to the first answer.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Path, Query, Response, UploadFile
from pydantic import Field

from oncegov.db import DbSession
from oncegov.errors import ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.kit.repository import Page
from oncegov.procedures.catalogue import service as catalogue
from oncegov.procedures.dossiers import service
from oncegov.procedures.dossiers.models import CODE_MAX, KEY_MAX, Dossier
from oncegov.procedures.dossiers.schemas import (
    DossierDetailOut,
    DossierEventOut,
    DossierListOut,
    DossierOut,
    FormFieldOut,
    FormOut,
    RelativeOut,
)
from oncegov.procedures.portal.dependencies import CurrentApiCitizen, require_api_level
from oncegov.procedures.portal.schemas import ApiCitizen
from oncegov.translatable import N_
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/portal", tags=["portal"])
ProcedureCode = Annotated[str, Path(min_length=1, max_length=20)]
DossierCode = Annotated[str, Path(min_length=1, max_length=CODE_MAX)]
PersonalIdQuery = Annotated[str | None, Query(min_length=12, max_length=12, pattern=r"^\d{12}$")]
SubjectForm = Annotated[str | None, Form(min_length=12, max_length=12, pattern=r"^\d{12}$")]
CommuneForm = Annotated[str | None, Form(min_length=5, max_length=5, pattern=r"^\d{5}$")]
DocumentNumbers = Annotated[
    list[Annotated[int, Field(ge=0, le=100)]] | None,
    Form(description="For each file, in order: the number of the procedure's document it is"),
]
Files = Annotated[list[UploadFile] | None, File(description="PDF, JPEG or PNG")]
VALUES_MAX = 20_000  # characters of the typed values' JSON: far above any form in the catalogue
FILES_MAX = 10  # files in one submission (the body limit bounds their bytes)
ACTOR_KINDS_SHOWN = {"citizen": "citizen", "officer": "officer"}


def _actor(citizen: ApiCitizen) -> Actor:
    # The same actor as the portal's pages: a retry through either finds the same dossier.
    return Actor(kind="citizen", id=citizen.personal_id, name=citizen.personal_id)


def _dossier_out(dossier: Dossier) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "procedure_code": dossier.procedure_code,
        "procedure_version": dossier.procedure_version,
        "channel": dossier.channel,
        "commune_code": dossier.commune_code,
        "state": dossier.state,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "due_day": dossier.due_day,
        "waiting_for_applicant": dossier.paused_since is not None,
        "ended_at": dossier.ended_at,
        "outcome": dossier.outcome,
        "receipt_url": f"/portal/dossiers/{dossier.code}/receipt.pdf",
    }


@router.get("/procedures/{code}/form", response_model=FormOut)
def prefilled_form(
    db: DbSession,
    citizen: CurrentApiCitizen,
    code: ProcedureCode,
    subject: PersonalIdQuery = None,
) -> FormOut:
    """The procedure's form pre-filled from the population registry for the signed-in citizen
    (and the relative it is about): every record read is audited with the procedure as its
    purpose."""
    stored = catalogue.procedure(db, code)
    require_api_level(citizen, stored.definition.eid_level)
    view = service.open_form(
        db,
        _actor(citizen),
        citizen.personal_id,
        stored.definition,
        stored.version,
        subject_personal_id=subject,
    )
    return FormOut(
        procedure_code=stored.code,
        procedure_version=stored.version,
        eid_level=stored.definition.eid_level,
        about=view.about,
        subject_personal_id=view.subject.personal_id if view.subject else None,
        candidates=[
            RelativeOut(relation=r.relation, personal_id=r.personal_id, full_name=r.full_name)
            for r in view.candidates
        ],
        fields=[
            FormFieldOut(
                key=f.key,
                label=f.label,
                type=f.type,
                source=f.source,
                locked=f.locked,
                required=f.required,
                value=f.value,
            )
            for f in view.fields
        ],
        missing=view.missing,
    )


def _typed_values(raw: str) -> dict[str, str]:
    """The ``values`` part: a JSON object of field keys to text."""
    try:
        values = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise ValidationFailed(N_("Send the values as a JSON object"), field="values") from None
    if not isinstance(values, dict):
        raise ValidationFailed(N_("Send the values as a JSON object"), field="values")
    for key, value in values.items():
        if not isinstance(value, str):
            raise ValidationFailed(N_("Each value is text"), field=f"values.{key}")
    return values


def _uploads(documents: list[int], files: list[UploadFile]) -> tuple[service.Upload, ...]:
    if len(documents) != len(files):
        raise ValidationFailed(
            N_("Say which document each file is: one document number per file"),
            field="document",
        )
    if len(files) > FILES_MAX:
        raise ValidationFailed(N_("Too many files in one submission"), field="file")
    return tuple(
        # A sync route runs in the thread pool: reading the spooled upload blocks no loop.
        service.Upload(document, upload.filename or "", upload.file.read())
        for document, upload in zip(documents, files, strict=True)
    )


@router.post(
    "/dossiers",
    response_model=DossierOut,
    status_code=201,
    responses={200: {"model": DossierOut, "description": "A retry: the dossier already made"}},
)
def submit(
    db: DbSession,
    citizen: CurrentApiCitizen,
    response: Response,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", min_length=8, max_length=KEY_MAX)
    ],
    procedure: Annotated[str, Form(min_length=1, max_length=20)],
    values: Annotated[str, Form(max_length=VALUES_MAX)] = "{}",
    subject: SubjectForm = None,
    commune: CommuneForm = None,
    document: DocumentNumbers = None,
    file: Files = None,
) -> dict[str, Any]:
    """Submit a dossier in one call: the form pre-filled from the registry, ``values`` (a JSON
    object of the typed fields), and files, each with the number of the procedure's document
    it is (``document``, in the order of the files). One transaction writes the dossier, its
    files' records, the audit entries and the notifications."""
    stored = catalogue.procedure(db, procedure)
    require_api_level(citizen, stored.definition.eid_level)
    dossier, made = service.submit_at_once(
        db,
        _actor(citizen),
        citizen.personal_id,
        stored.code,
        idempotency_key,
        values=_typed_values(values),
        uploads=_uploads(document or [], file or []),
        subject_personal_id=subject,
        commune_code=commune,
    )
    response.status_code = 201 if made else 200
    response.headers["Location"] = f"/api/v1/portal/dossiers/{dossier.code}"
    return _dossier_out(dossier)


@router.get("/dossiers", response_model=DossierListOut)
def my_dossiers(
    db: DbSession,
    citizen: CurrentApiCitizen,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> DossierListOut:
    """The dossiers the citizen submitted or that concern them, newest first."""
    found = service.dossiers_of(db, citizen.personal_id, Page(size=limit, offset=offset))
    return DossierListOut(
        items=[DossierOut.model_validate(_dossier_out(d)) for d in found.items],
        has_more=found.has_more,
        next_offset=found.next_offset,
    )


@router.get("/dossiers/{code}", response_model=DossierDetailOut)
def my_dossier(db: DbSession, citizen: CurrentApiCitizen, code: DossierCode) -> DossierDetailOut:
    """One dossier with its timeline (officers are shown as "officer", never by name)."""
    dossier = service.citizen_dossier(db, citizen.personal_id, code)
    timeline = service.timeline(db, dossier)
    events = [
        DossierEventOut(
            seq=e.seq,
            at=e.at,
            by=ACTOR_KINDS_SHOWN.get(e.actor_kind, "system"),
            from_state=e.from_state,
            to_state=e.to_state,
            reason=e.reason,
            form=e.form,
            due_at=e.due_at,
        )
        for e in timeline.events
    ]
    return DossierDetailOut(
        **_dossier_out(dossier),
        events=events,
        expected_of_applicant=timeline.expected_of_applicant,
    )
