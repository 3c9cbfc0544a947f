"""eID JSON API standing in for the mobile app: registration, activation, passcode reset.

Public (each guarded by registry matching, one-time codes and per-IP limits). Refusals that
count (``CountedFailure``) are returned, not raised, so their counters are committed.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from oncegov.db import DbSession
from oncegov.errors import ERRORS as SHARED_ERRORS
from oncegov.errors import ErrorOut, ValidationFailed
from oncegov.identity.accounts import passcode_reset, registration, service
from oncegov.identity.accounts.schemas import (
    AccountStatusOut,
    ActivationIn,
    MessageOut,
    RegistrationForm,
    RegistrationIn,
    RegistrationOut,
    ResetConfirmIn,
    ResetIn,
)
from oncegov.translatable import N_
from oncegov.web.client import client_ip
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/eid", tags=["eID"])
ERRORS: dict[int | str, dict[str, Any]] = {
    **SHARED_ERRORS,
    422: {"model": ErrorOut, "description": "Invalid input, refused registration or wrong code"},
    429: {"model": ErrorOut, "description": "Too many requests or codes"},
    502: {"model": ErrorOut, "description": "The text message could not be delivered"},
}


def _refused(exc: service.CountedFailure) -> JSONResponse:
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.status)


def _portrait(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(N_("The photo is not valid base64"), field="portrait") from None


@router.post("/registrations", status_code=201, response_model=RegistrationOut, responses=ERRORS)
def register(
    body: RegistrationIn, request: Request, db: DbSession
) -> RegistrationOut | JSONResponse:
    """Level-1 self-registration; texts an activation code to ``phone``."""
    form = RegistrationForm(
        body.personal_id,
        body.full_name,
        body.date_of_birth,
        body.phone,
        _portrait(body.portrait_base64),
        "api",
    )
    try:
        account = registration.register_level1(db, form, ip=client_ip(request))
    except service.CountedFailure as exc:
        return _refused(exc)
    return RegistrationOut(status=account.status, message="code_sent")


@router.post("/activations", response_model=AccountStatusOut, responses=ERRORS)
def activate(
    body: ActivationIn, request: Request, db: DbSession
) -> AccountStatusOut | JSONResponse:
    """The texted code and a new 6-digit passcode activate the account (or raise it to the
    level verified at a police desk)."""
    try:
        account = registration.activate(
            db,
            personal_id=body.personal_id,
            code=body.code,
            passcode=body.passcode,
            ip=client_ip(request),
        )
    except service.CountedFailure as exc:
        return _refused(exc)
    return AccountStatusOut(status=account.status, level=account.level)


@router.post("/passcode-resets", response_model=MessageOut, responses=ERRORS)
def request_reset(body: ResetIn, request: Request, db: DbSession) -> MessageOut | JSONResponse:
    """Identity check (personal ID, name, birth date, registered phone), then a code by SMS."""
    form = passcode_reset.ResetRequest(
        body.personal_id, body.full_name, body.date_of_birth, body.phone
    )
    try:
        passcode_reset.request_reset(db, form, ip=client_ip(request))
    except service.CountedFailure as exc:
        return _refused(exc)
    return MessageOut(message="code_sent")


@router.post("/passcode-resets/confirm", response_model=AccountStatusOut, responses=ERRORS)
def confirm_reset(
    body: ResetConfirmIn, request: Request, db: DbSession
) -> AccountStatusOut | JSONResponse:
    """The texted code and a new passcode; every session and token of the account ends."""
    try:
        account = passcode_reset.confirm_reset(
            db,
            personal_id=body.personal_id,
            code=body.code,
            passcode=body.passcode,
            ip=client_ip(request),
        )
    except service.CountedFailure as exc:
        return _refused(exc)
    return AccountStatusOut(status=account.status, level=account.level)
