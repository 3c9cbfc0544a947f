"""HL7 FHIR R4 interface for hospital systems, under /api/v1/health/fhir (``docs/fhir.md``).

What a hospital information system needs at reception, and nothing more:

- ``GET /metadata``: the CapabilityStatement (exactly the three interactions below).
- ``GET /Patient?identifier=<personal-ID system>|<12 digits>``: one patient by exact personal
  ID, never by name, birth date or anything else, never a listing.
- ``GET /Coverage?beneficiary=Patient/<personal ID>`` (or ``patient=``): their health-insurance
  card.
- ``POST /CoverageEligibilityRequest``: the eligibility call at reception *is* the check-in
  (``service.check_in_one``); the answer is a CoverageEligibilityResponse.

Every route takes the ``Desk`` dependency (a facility's system token or a receptionist's
session): anonymous callers and officers without ``health.checkin`` are refused by it, before
this code runs, in the API's own JSON error shape. From there on every answer, errors included,
is a FHIR resource (``application/fhir+json``) built with the ``fhir.resources.R4B`` models:
the package has no R4 (4.0.1) models, and R4B has the same wire format for the resources used
here. Reads go through ``service.patient_and_coverage`` (audited, exact ID, rate-limited per
facility); domain errors become an OperationOutcome with the error's own HTTP status.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementImplementation,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementRestSecurity,
    CapabilityStatementSoftware,
)
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.coverage import Coverage as FhirCoverage
from fhir.resources.R4B.coverage import CoverageClass, CoverageCostToBeneficiary
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from fhir.resources.R4B.coverageeligibilityresponse import (
    CoverageEligibilityResponse,
    CoverageEligibilityResponseInsurance,
    CoverageEligibilityResponseInsuranceItem,
    CoverageEligibilityResponseInsuranceItemBenefit,
)
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from oncegov.db import DbSession
from oncegov.errors import OnceGovError
from oncegov.health import service
from oncegov.health.dependencies import Desk
from oncegov.health.service import CheckInResult, Coverage, FacilityDesk, PatientNotFound
from oncegov.kit import clock
from oncegov.registry.schemas import VisitIdentity
from oncegov.translatable import N_
from oncegov.web.i18n import gettext
from oncegov.web.routing import CheckedRoute

router = APIRouter(route_class=CheckedRoute, prefix="/health/fhir", tags=["health", "fhir"])

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"  # what the interface promises; see the module docstring on R4B
CAPABILITY_DATE = "2026-12-01"
MAX_BODY = 64 * 1024

# Our identifier systems, code systems and extensions (docs/fhir.md).
BASE = "https://oncegov.vn/fhir"
PERSONAL_ID_SYSTEM = f"{BASE}/sid/personal-id"
SOCIAL_INSURANCE_SYSTEM = f"{BASE}/sid/social-insurance-code"
CARD_SYSTEM = f"{BASE}/sid/health-insurance-card"
FACILITY_SYSTEM = f"{BASE}/sid/medical-facility"
CHECKIN_SYSTEM = f"{BASE}/sid/checkin"
ERROR_SYSTEM = f"{BASE}/CodeSystem/error"
WARNING_SYSTEM = f"{BASE}/CodeSystem/checkin-warning"
BENEFIT_TYPE_SYSTEM = f"{BASE}/CodeSystem/benefit-type"
WARNING_EXTENSION = f"{BASE}/StructureDefinition/checkin-warning"
INITIAL_CARE_EXTENSION = f"{BASE}/StructureDefinition/initial-care-here"

# HL7 terminology.
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
COPAY_TYPE = "http://terminology.hl7.org/CodeSystem/coverage-copay-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
BENEFIT_CATEGORY = "http://terminology.hl7.org/CodeSystem/ex-benefitcategory"
HL7_BENEFIT_TYPE = "http://terminology.hl7.org/CodeSystem/benefit-type"
UCUM = "http://unitsofmeasure.org"

PAYOR = "Bảo hiểm xã hội Việt Nam"  # Vietnam Social Security, the only health insurer
GENDER = {"M": "male", "F": "female"}
REQUEST_STATUSES = ("active", "cancelled", "draft", "entered-in-error")
PURPOSES = ("auth-requirements", "benefits", "discovery", "validation")
SUPPORTED_PURPOSES = ("validation", "benefits")
# The issue type (OperationOutcome.issue.code) for an HTTP status.
ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


# What the OpenAPI document says of these routes: a FHIR resource, and past the desk's
# authentication (401/403 in the API's JSON shape) every error is an OperationOutcome.
_FHIR_CONTENT = {
    FHIR_JSON: {
        "schema": {
            "type": "object",
            "required": ["resourceType"],
            "properties": {"resourceType": {"type": "string"}},
        }
    }
}
FHIR_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A FHIR R4 resource", "content": _FHIR_CONTENT},
    **{
        status: {"description": "An OperationOutcome", "content": _FHIR_CONTENT}
        for status in (400, 404, 409, 413, 415, 422, 429)
    },
}


# --- errors -----------------------------------------------------------------------------------


class FhirError(OnceGovError):
    """A request this interface refuses; ``expression`` is the FHIRPath of the fault."""

    issue_type: str | None = None

    def __init__(self, message: str, *, expression: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.expression = expression


class SearchRefused(FhirError):
    """A search parameter other than the one exact identifier: refused, by policy."""

    status = 403
    code = "fhir_search_refused"


class BadSearch(FhirError):
    status = 400
    code = "fhir_search_invalid"


class InvalidResource(FhirError):
    """The body is not a valid FHIR resource of the expected type."""

    status = 400
    code = "fhir_resource_invalid"

    def __init__(
        self, message: str, problems: Iterable[tuple[str, str]] = (), **params: Any
    ) -> None:
        super().__init__(message, **params)
        self.problems = list(problems)


class NotSupported(FhirError):
    """A valid resource asking for something this server does not do."""

    status = 422
    code = "fhir_not_supported"
    issue_type = "not-supported"


class BodyTooLarge(FhirError):
    status = 413
    code = "fhir_body_too_large"


class WrongMediaType(FhirError):
    status = 415
    code = "fhir_media_type"


# --- rendering --------------------------------------------------------------------------------


def _fhir(resource: Resource, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        resource.model_dump_json(), status_code=status, media_type=FHIR_JSON, headers=headers
    )


def _issue(exc: OnceGovError, text: str, expression: str | None = None) -> OperationOutcomeIssue:
    issue_type = getattr(exc, "issue_type", None) or ISSUE_TYPE.get(exc.status, "exception")
    return OperationOutcomeIssue(
        severity="error",
        code=issue_type,
        details=CodeableConcept(coding=[Coding(system=ERROR_SYSTEM, code=exc.code)], text=text),
        expression=[expression] if expression else None,
    )


def outcome(exc: OnceGovError) -> Response:
    """An OnceGov error as an OperationOutcome with the error's HTTP status."""
    message = gettext(exc.message)
    if isinstance(exc, InvalidResource) and exc.problems:
        issues = [_issue(exc, f"{message}: {text}", path) for path, text in exc.problems[:20]]
    else:
        issues = [_issue(exc, message, getattr(exc, "expression", None))]
    headers = None
    if "retry_after" in exc.params:
        headers = {"Retry-After": str(exc.params["retry_after"])}
    return _fhir(OperationOutcome(issue=issues), exc.status, headers)


def _answer(build: Callable[[], Resource]) -> Response:
    try:
        return _fhir(build())
    except OnceGovError as exc:
        return outcome(exc)


def _base(request: Request) -> str:
    """This interface's absolute base URL, wherever the router is mounted."""
    path = request.url.path
    end = path.index(router.prefix) + len(router.prefix)
    return str(request.url.replace(path=path[:end], query=""))


def _searchset(request: Request, resources: list[tuple[str, Resource]]) -> Bundle:
    return Bundle(
        type="searchset",
        total=len(resources),
        link=[BundleLink(relation="self", url=str(request.url))],
        entry=[
            BundleEntry(
                fullUrl=f"{_base(request)}/{path}",
                resource=resource,
                search=BundleEntrySearch(mode="match"),
            )
            for path, resource in resources
        ]
        or None,
    )


def _coding(system: str, code: str, display: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)])


# --- search parameters ------------------------------------------------------------------------


def _one_parameter(request: Request, allowed: tuple[str, ...], resource: str) -> tuple[str, str]:
    """The single allowed search parameter and its value; anything else is refused."""
    items = request.query_params.multi_items()
    refused = sorted({name for name, _ in items if name not in allowed})
    if refused:
        raise SearchRefused(
            N_("This server searches by one exact identifier only; this parameter is refused"),
            expression=f"{resource}.{refused[0]}",
            refused=refused,
            allowed=list(allowed),
        )
    if len(items) != 1:
        raise BadSearch(
            N_("Give exactly one search parameter, exactly once"),
            expression=resource,
            allowed=list(allowed),
        )
    name, value = items[0]
    if not value.strip() or "," in value:
        raise BadSearch(N_("Give exactly one value, not a list"), expression=f"{resource}.{name}")
    return name, value.strip()


def _patient_identifier(request: Request) -> str:
    _, value = _one_parameter(request, ("identifier",), "Patient")
    system, bar, number = value.partition("|")
    if not bar or not number:
        raise BadSearch(
            N_("The identifier must name its system: system|value"),
            expression="Patient.identifier",
            system=PERSONAL_ID_SYSTEM,
        )
    if system != PERSONAL_ID_SYSTEM:
        raise BadSearch(
            N_("Unknown identifier system; patients are found by personal ID"),
            expression="Patient.identifier",
            system=PERSONAL_ID_SYSTEM,
        )
    return number


_PATIENT_REFERENCE = re.compile(r"(?:Patient/)?([^/]+)")


def _coverage_beneficiary(request: Request) -> str:
    name, value = _one_parameter(request, ("beneficiary", "patient"), "Coverage")
    match = _PATIENT_REFERENCE.fullmatch(value)
    if match is None:
        raise BadSearch(
            N_("The beneficiary must be Patient/<personal ID>"), expression=f"Coverage.{name}"
        )
    return match[1]


# --- resources --------------------------------------------------------------------------------


def personal_identifier(personal_id: str) -> Identifier:
    return Identifier(use="official", system=PERSONAL_ID_SYSTEM, value=personal_id)


def _name(full_name: str) -> HumanName:
    """Vietnamese order: the family name first, then the middle and given names."""
    parts = full_name.split()
    return HumanName(
        use="official",
        text=full_name,
        family=parts[0] if parts else None,
        given=parts[1:] or None,
    )


def _birth_date(person: VisitIdentity) -> str:
    """FHIR allows partial dates: YYYY, YYYY-MM or YYYY-MM-DD, as the registry knows it."""
    text = f"{person.birth_year:04d}"
    if person.birth_month:
        text += f"-{person.birth_month:02d}"
        if person.birth_day:
            text += f"-{person.birth_day:02d}"
    return text


def patient_resource(person: VisitIdentity) -> Patient:
    return Patient(
        id=person.personal_id,
        identifier=[personal_identifier(person.personal_id)],
        name=[_name(person.full_name)],
        gender=GENDER.get(person.sex, "unknown"),
        birthDate=_birth_date(person),
    )


def _patient_reference(personal_id: str) -> Reference:
    return Reference(reference=f"Patient/{personal_id}", type="Patient")


def _payor() -> Reference:
    return Reference(type="Organization", display=PAYOR)


def coverage_resource(personal_id: str, coverage: Coverage) -> FhirCoverage:
    """The card. Locked by the insurer → ``cancelled``; expiry shows in ``period`` only."""
    level = coverage.benefit_level
    return FhirCoverage(
        id=coverage.social_insurance_code,
        identifier=[
            Identifier(
                use="official",
                system=SOCIAL_INSURANCE_SYSTEM,
                value=coverage.social_insurance_code,
            ),
            Identifier(use="secondary", system=CARD_SYSTEM, value=coverage.card_number),
        ],
        status="cancelled" if coverage.locked else "active",
        type=_coding(ACT_CODE, "PUBLICPOL", "public healthcare"),
        subscriberId=coverage.card_number,
        beneficiary=_patient_reference(personal_id),
        period=Period(start=coverage.valid_from, end=coverage.valid_to),
        payor=[_payor()],
        class_fhir=[
            CoverageClass(
                type=_coding(COVERAGE_CLASS, "group", "Group"),
                value=coverage.beneficiary_group,
                name=f"Nhóm đối tượng {coverage.beneficiary_group}",
            ),
            CoverageClass(
                type=_coding(COVERAGE_CLASS, "plan", "Plan"),
                value=str(level),
                name=f"Mức hưởng {level}%",
            ),
        ],
        costToBeneficiary=[
            CoverageCostToBeneficiary(
                type=_coding(COPAY_TYPE, "copaypct", "Copay Percentage"),
                valueQuantity=Quantity(value=100 - level, unit="%", system=UCUM, code="%"),
            )
        ],
    )


# --- routes -----------------------------------------------------------------------------------


def capability_statement(base: str) -> CapabilityStatement:
    def search(
        name: str, kind: str, documentation: str
    ) -> CapabilityStatementRestResourceSearchParam:
        return CapabilityStatementRestResourceSearchParam(
            name=name, type=kind, documentation=documentation
        )

    def interactions(*codes: str) -> list[CapabilityStatementRestResourceInteraction]:
        return [CapabilityStatementRestResourceInteraction(code=code) for code in codes]

    resources = [
        CapabilityStatementRestResource(
            type="Patient",
            interaction=interactions("search-type"),
            searchParam=[
                search(
                    "identifier",
                    "token",
                    f"Exactly one, {PERSONAL_ID_SYSTEM}|<12 digits>; no other parameter",
                )
            ],
            documentation="Search by exact personal ID only: 0 or 1 patient.",
        ),
        CapabilityStatementRestResource(
            type="Coverage",
            interaction=interactions("search-type"),
            searchParam=[
                search("beneficiary", "reference", "Patient/<personal ID>; exactly one"),
                search("patient", "reference", "Patient/<personal ID>; exactly one"),
            ],
            documentation="The patient's health-insurance card: 0 or 1 coverage.",
        ),
        CapabilityStatementRestResource(
            type="CoverageEligibilityRequest",
            interaction=interactions("create"),
            documentation=(
                "Purpose validation and/or benefits, patient by Patient/<personal ID> or by "
                "identifier. Checks the patient in at the caller's facility and answers a "
                "CoverageEligibilityResponse (200), not the created request."
            ),
        ),
    ]
    return CapabilityStatement(
        status="active",
        date=CAPABILITY_DATE,
        publisher="OnceGov",
        kind="instance",
        software=CapabilityStatementSoftware(name="OnceGov", version="0.1.0"),
        implementation=CapabilityStatementImplementation(
            description="OnceGov health-insurance check-in for hospital systems", url=base
        ),
        fhirVersion=FHIR_VERSION,
        format=[FHIR_JSON],
        rest=[
            CapabilityStatementRest(
                mode="server",
                security=CapabilityStatementRestSecurity(
                    cors=False,
                    description=(
                        "Bearer token of a medical facility's system (permission "
                        "health.checkin for exactly one facility) or a receptionist's session."
                    ),
                ),
                resource=resources,
            )
        ],
    )


@router.get("/metadata", response_class=Response, responses=FHIR_RESPONSES)
def metadata(request: Request, desk: Desk) -> Response:
    """The CapabilityStatement: exactly what this interface supports."""
    return _fhir(capability_statement(_base(request)))


@router.get("/Patient", response_class=Response, responses=FHIR_RESPONSES)
def search_patient(request: Request, db: DbSession, desk: Desk) -> Response:
    """One patient by exact personal ID (``identifier=<system>|<value>``); nothing else."""

    def build() -> Bundle:
        number = _patient_identifier(request)
        try:
            person, _, _ = service.patient_and_coverage(
                db, desk, number, action="health.fhir.patient"
            )
        except PatientNotFound:
            return _searchset(request, [])
        return _searchset(request, [(f"Patient/{person.personal_id}", patient_resource(person))])

    return _answer(build)


@router.get("/Coverage", response_class=Response, responses=FHIR_RESPONSES)
def search_coverage(request: Request, db: DbSession, desk: Desk) -> Response:
    """The health-insurance card of one patient (``beneficiary=Patient/<personal ID>``)."""

    def build() -> Bundle:
        number = _coverage_beneficiary(request)
        try:
            person, coverage, _ = service.patient_and_coverage(
                db, desk, number, action="health.fhir.coverage"
            )
        except PatientNotFound:
            return _searchset(request, [])
        if coverage is None:
            return _searchset(request, [])
        resource = coverage_resource(person.personal_id, coverage)
        return _searchset(request, [(f"Coverage/{coverage.social_insurance_code}", resource)])

    return _answer(build)


async def _body(request: Request) -> bytes:
    """The raw request body (the route itself stays synchronous, like the other DB routes)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(_body)]


def parse_eligibility_request(content_type: str | None, body: bytes) -> CoverageEligibilityRequest:
    media_type = (content_type or FHIR_JSON).split(";")[0].strip().lower()
    if media_type not in (FHIR_JSON, "application/json"):
        raise WrongMediaType(N_("Send the resource as application/fhir+json"))
    if len(body) > MAX_BODY:
        raise BodyTooLarge(N_("The request body is too large"), limit=MAX_BODY)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidResource(N_("The body is not JSON")) from exc
    if not isinstance(data, dict) or data.get("resourceType") != "CoverageEligibilityRequest":
        raise InvalidResource(
            N_("The body must be a CoverageEligibilityRequest"),
            expression="resourceType",
        )
    try:
        request = CoverageEligibilityRequest.model_validate(data)
    except ValidationError as exc:
        problems = [
            (
                ".".join(["CoverageEligibilityRequest", *(str(p) for p in e["loc"])]),
                str(e["msg"]),
            )
            for e in exc.errors()
        ]
        raise InvalidResource(N_("Not a valid CoverageEligibilityRequest"), problems) from exc
    if request.status not in REQUEST_STATUSES:
        raise InvalidResource(
            N_("Unknown status code"), expression="CoverageEligibilityRequest.status"
        )
    if any(purpose not in PURPOSES for purpose in request.purpose or ()):
        raise InvalidResource(
            N_("Unknown purpose code"), expression="CoverageEligibilityRequest.purpose"
        )
    return request


def requested_patient(request: CoverageEligibilityRequest) -> str:
    """The personal ID the request is about: ``Patient/<id>`` or an identifier of our system."""
    patient = request.patient
    by_reference = by_identifier = None
    if patient.reference:
        match = re.fullmatch(r"Patient/([^/]+)", patient.reference)
        if match is None:
            raise NotSupported(
                N_("The patient must be referenced as Patient/<personal ID>"),
                expression="CoverageEligibilityRequest.patient.reference",
            )
        by_reference = match[1]
    if patient.identifier is not None:
        if patient.identifier.system != PERSONAL_ID_SYSTEM or not patient.identifier.value:
            raise NotSupported(
                N_("Unknown identifier system; patients are found by personal ID"),
                expression="CoverageEligibilityRequest.patient.identifier",
                system=PERSONAL_ID_SYSTEM,
            )
        by_identifier = patient.identifier.value
    if by_reference and by_identifier and by_reference != by_identifier:
        raise NotSupported(
            N_("The patient's reference and identifier name different people"),
            expression="CoverageEligibilityRequest.patient",
        )
    number = by_reference or by_identifier
    if not number:
        raise NotSupported(
            N_("Name the patient by reference or by personal-ID identifier"),
            expression="CoverageEligibilityRequest.patient",
        )
    return number


def _check_supported(request: CoverageEligibilityRequest, today: dt.date) -> None:
    if request.status != "active":
        raise NotSupported(
            N_("Only an active request is processed"),
            expression="CoverageEligibilityRequest.status",
        )
    if not set(request.purpose or ()) <= set(SUPPORTED_PURPOSES):
        raise NotSupported(
            N_("Supported purposes: validation and benefits"),
            expression="CoverageEligibilityRequest.purpose",
            allowed=list(SUPPORTED_PURPOSES),
        )
    if request.servicedPeriod is not None or (
        request.servicedDate is not None and request.servicedDate != today
    ):
        raise NotSupported(
            N_("Eligibility is answered for today's visit only"),
            expression="CoverageEligibilityRequest.serviced",
        )


_DISPOSITION = {
    "valid": N_("Checked in; the health-insurance card is valid today"),
    "invalid": N_("Checked in; the health-insurance card is not valid today"),
    "none": N_("Checked in; no health-insurance card"),
}


def _request_reference(request: CoverageEligibilityRequest, checkin: Identifier) -> Reference:
    """The request answered (``request`` is required in R4): by its id and first identifier
    when it has them; a request with neither is identified by the check-in it became."""
    identifier = request.identifier[0] if request.identifier else None
    if identifier is None and not request.id:
        identifier = checkin
    return Reference(
        reference=f"CoverageEligibilityRequest/{request.id}" if request.id else None,
        type="CoverageEligibilityRequest",
        identifier=identifier,
    )


def _insurance(
    coverage: Coverage, initial_care_here: bool, today: dt.date
) -> CoverageEligibilityResponseInsurance:
    level = coverage.benefit_level
    return CoverageEligibilityResponseInsurance(
        coverage=Reference(
            reference=f"Coverage/{coverage.social_insurance_code}",
            type="Coverage",
            identifier=Identifier(
                system=SOCIAL_INSURANCE_SYSTEM, value=coverage.social_insurance_code
            ),
        ),
        inforce=coverage.valid_on(today),
        benefitPeriod=Period(start=coverage.valid_from, end=coverage.valid_to),
        extension=[Extension(url=INITIAL_CARE_EXTENSION, valueBoolean=initial_care_here)],
        item=[
            CoverageEligibilityResponseInsuranceItem(
                category=_coding(BENEFIT_CATEGORY, "30", "Health Benefit Plan Coverage"),
                benefit=[
                    CoverageEligibilityResponseInsuranceItemBenefit(
                        type=_coding(BENEFIT_TYPE_SYSTEM, "benefit-level", "Mức hưởng"),
                        allowedUnsignedInt=level,
                    ),
                    CoverageEligibilityResponseInsuranceItemBenefit(
                        type=_coding(HL7_BENEFIT_TYPE, "copay-percent", "Copay Percentage"),
                        allowedUnsignedInt=100 - level,
                    ),
                ],
            )
        ],
    )


def eligibility_response(
    request: CoverageEligibilityRequest,
    desk: FacilityDesk,
    result: CheckInResult,
    now: dt.datetime,
) -> CoverageEligibilityResponse:
    today = clock.local_day(now)
    checkin = Identifier(system=CHECKIN_SYSTEM, value=str(result.checkin_id))
    coverage = result.coverage
    if coverage is None:
        disposition = _DISPOSITION["none"]
    else:
        disposition = _DISPOSITION["valid" if coverage.valid_on(today) else "invalid"]
    warnings = [
        Extension(
            url=WARNING_EXTENSION,
            valueCoding=Coding(system=WARNING_SYSTEM, code=w.code, display=gettext(w.message)),
        )
        for w in result.warnings
    ]
    return CoverageEligibilityResponse(
        identifier=[checkin],
        extension=warnings or None,
        status="active",
        purpose=list(request.purpose or ()),
        patient=_patient_reference(result.personal_id),
        servicedDate=today,
        created=now.replace(microsecond=0),
        requestor=Reference(
            type="Organization",
            identifier=Identifier(system=FACILITY_SYSTEM, value=desk.facility_code),
            display=desk.facility_name,
        ),
        request=_request_reference(request, checkin),
        outcome="complete",
        disposition=gettext(disposition),
        insurer=_payor(),
        insurance=None
        if coverage is None
        else [_insurance(coverage, result.initial_care_here, today)],
    )


@router.post("/CoverageEligibilityRequest", response_class=Response, responses=FHIR_RESPONSES)
def coverage_eligibility(request: Request, db: DbSession, desk: Desk, body: RawBody) -> Response:
    """The eligibility call at reception: checks the patient in at the caller's facility and
    answers a CoverageEligibilityResponse."""

    def build() -> CoverageEligibilityResponse:
        eligibility = parse_eligibility_request(request.headers.get("content-type"), body)
        now = clock.now()
        _check_supported(eligibility, clock.local_day(now))
        identification = service.by_personal_id(requested_patient(eligibility))
        result = service.check_in_one(db, desk, identification, now)
        return eligibility_response(eligibility, desk, result, now)

    return _answer(build)
