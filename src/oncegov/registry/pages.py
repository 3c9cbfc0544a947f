"""Officer console pages for the population registry: search, record, correction form.

Every read goes through registry.service (which audits it) with the officer's unit scope and
the purpose the officer stated; the purpose travels in the query string from page to page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from oncegov.auth.dependencies import require
from oncegov.auth.schemas import Authorized
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import NotFound, ValidationFailed
from oncegov.registry import service as registry
from oncegov.registry.api import count_lookup
from oncegov.registry.reference import ETHNIC_GROUPS, RELATIONSHIPS, RELIGIONS, STATUSES
from oncegov.registry.schemas import (
    EDITABLE_FIELDS,
    SEX_LABELS,
    ChangeOut,
    CitizenOut,
    CitizenSummary,
    display_birth,
)
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.service import CommuneNames
from oncegov.web.forms import TextFields
from oncegov.web.i18n import _, country_name
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import local_time, render

router = APIRouter(route_class=CheckedRoute, prefix="/registry", include_in_schema=False)

Reader = Annotated[Authorized, Depends(require("registry.read"))]
Writer = Annotated[Authorized, Depends(require("registry.write"))]

# Offered in the purpose field; an officer may also type a case or dossier number.
PURPOSES: tuple[str, ...] = (
    N_("Record verification"),
    N_("Administrative procedure"),
    N_("Correction of records"),
    N_("Citizen's request"),
    N_("Inspection"),
)
DEFAULT_PURPOSE = PURPOSES[0]
EDIT_PURPOSE = PURPOSES[2]

FIELD_LABELS: dict[str, str] = {
    "personal_id": N_("Personal ID number"),
    "old_id_number": N_("Old ID card number"),
    "full_name": N_("Full name"),
    "date_of_birth": N_("Date of birth"),
    "birth_year": N_("Year of birth"),
    "birth_month": N_("Month of birth"),
    "birth_day": N_("Day of birth"),
    "sex": N_("Sex"),
    "ethnicity_code": N_("Ethnicity"),
    "religion": N_("Religion"),
    "nationality": N_("Nationality"),
    "birth_registration_commune_code": N_("Birth registered in"),
    "hometown": N_("Hometown"),
    "permanent_commune_code": N_("Permanent residence: commune"),
    "permanent_address": N_("Permanent residence: address"),
    "temporary_commune_code": N_("Temporary residence: commune"),
    "temporary_address": N_("Temporary residence: address"),
    "current_commune_code": N_("Current residence: commune"),
    "current_address": N_("Current residence: address"),
    "household_code": N_("Household"),
    "relationship_to_head": N_("Relationship to head of household"),
    "father_personal_id": N_("Father's personal ID"),
    "mother_personal_id": N_("Mother's personal ID"),
    "spouse_personal_id": N_("Spouse's personal ID"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "status": N_("Status"),
    "date_of_death": N_("Date of death"),
    "version": N_("Version"),
    "reason": N_("Reason for the change"),
    "legal_reference": N_("Legal document"),
    "changes": N_("Changes"),
}
# The reference tables name relationships and religions in Vietnamese; pages show them in the
# reader's language (message ids in English, the tables' own names as the translations).
RELATIONSHIP_LABELS = {
    "head": N_("Head of household"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "parent": N_("Parent"),
    "grandchild": N_("Grandchild"),
    "grandparent": N_("Grandparent"),
    "sibling": N_("Sibling"),
    "child_in_law": N_("Son- or daughter-in-law"),
    "other": N_("Other relative"),
}
RELIGION_LABELS = {
    "none": N_("No religion"),
    "buddhism": N_("Buddhism"),
    "catholicism": N_("Catholicism"),
    "protestantism": N_("Protestantism"),
    "caodaism": N_("Caodaism"),
    "hoahao": N_("Hoa Hao Buddhism"),
    "islam": N_("Islam"),
    "other": N_("Other religion"),
}
STATUS_LABELS = {"living": N_("Living"), "deceased": N_("Deceased"), "missing": N_("Missing")}
SOURCE_LABELS = {
    "edit": N_("Officer correction"),
    "import": N_("Import"),
    "demo": N_("Demo data"),
    "quality": N_("Data-quality fix"),
    "service": N_("Other system"),
}
COMMUNE_FIELDS = frozenset(
    {
        "birth_registration_commune_code",
        "permanent_commune_code",
        "temporary_commune_code",
        "current_commune_code",
    }
)
# Derived match keys change with the name; they mean nothing to a reader of the history.
HIDDEN_IN_HISTORY = frozenset({"folded_name", "name_key"})

# The correction form: fields grouped as on the paper household register.
EDIT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        N_("Identity"),
        (
            "full_name",
            "date_of_birth",
            "sex",
            "ethnicity_code",
            "religion",
            "nationality",
            "old_id_number",
            "hometown",
            "birth_registration_commune_code",
        ),
    ),
    (
        N_("Residence"),
        (
            "permanent_commune_code",
            "permanent_address",
            "temporary_commune_code",
            "temporary_address",
            "current_commune_code",
            "current_address",
        ),
    ),
    (
        N_("Household and family"),
        (
            "household_code",
            "relationship_to_head",
            "father_personal_id",
            "mother_personal_id",
            "spouse_personal_id",
        ),
    ),
    (N_("Contact"), ("phone", "email")),
    (N_("Civil status"), ("status", "date_of_death")),
)
FORM_HINTS = {
    "date_of_birth": N_("d/m/yyyy, m/yyyy or only the year when that is all the record knows"),
    "old_id_number": N_("9 digits"),
    "nationality": N_("2-letter country code, e.g. VN"),
    "date_of_death": N_("Only for a deceased person"),
}
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MY = re.compile(r"(\d{1,2})/(\d{4})")
ORIGINAL_PREFIX = "was_"


# --- display helpers ------------------------------------------------------------------------


def iso_birth(text: str) -> str:
    """Accept d/m/yyyy and m/yyyy in the form as well as the ISO forms the validator takes."""
    text = text.strip()
    if match := _DMY.fullmatch(text):
        return f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}"
    if match := _MY.fullmatch(text):
        return f"{match[2]}-{int(match[1]):02d}"
    return text


def display_value(field_name: str, value: Any, communes: CommuneNames) -> str:
    """A field's value as an officer reads it: names for codes, local date formats."""
    if value is None or value == "":
        return "—"
    text = str(value)
    if field_name in COMMUNE_FIELDS:
        return communes.label(text)
    if field_name == "ethnicity_code":
        return ETHNIC_GROUPS.get(text, text)  # the groups' own names, in every language
    translated = {"religion": RELIGION_LABELS, "relationship_to_head": RELATIONSHIP_LABELS}.get(
        field_name
    )
    if translated is not None:
        return _(translated[text]) if text in translated else text
    if field_name == "sex":
        return _(SEX_LABELS[text]) if text in SEX_LABELS else text
    if field_name == "status":
        return _(STATUS_LABELS[text]) if text in STATUS_LABELS else text
    if field_name in ("date_of_birth", "date_of_death"):
        return display_birth(text)
    if field_name == "nationality":
        return country_name(text)
    return text


def label(field_name: str) -> str:
    return _(FIELD_LABELS.get(field_name, field_name))


def purpose_or_default(purpose: str | None) -> str:
    return (purpose or "").strip() or _(DEFAULT_PURPOSE)


def record_url(personal_id: str, purpose: str, **extra: str) -> str:
    return f"/registry/citizens/{personal_id}?{urlencode({'purpose': purpose, **extra})}"


def not_found_page(request: Request, exc: NotFound) -> HTMLResponse:
    """Rendered rather than raised, so the lookup just counted is committed: probing numbers
    that are not there (or not yours) must use up the rate limit too."""
    return render(request, "error.html", {"error": exc}, status_code=exc.status)


# --- search -----------------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    db: DbSession,
    authorized: Reader,
    q: str = "",
    purpose: str = "",
) -> HTMLResponse:
    purpose = purpose_or_default(purpose)
    results: list[CitizenSummary] | None = None
    error: str | None = None
    if q.strip():
        count_lookup(db, authorized.principal)
        try:
            results = registry.search_citizens(
                db, authorized.actor(), q, purpose=purpose, scope=authorized.scope
            )
        except ValidationFailed as exc:
            error = exc.message
    communes = CommuneNames(db)
    rows = [
        {
            "personal_id": c.personal_id,
            "full_name": c.full_name,
            "date_of_birth": display_birth(c.date_of_birth),
            "sex": display_value("sex", c.sex, communes),
            "commune": communes.label(c.permanent_commune_code),
            "status": c.status,
            "status_label": display_value("status", c.status, communes),
            "url": record_url(c.personal_id, purpose),
        }
        for c in results or []
    ]
    return render(
        request,
        "registry/search.html",
        {
            "q": q,
            "purpose": purpose,
            "purposes": [_(p) for p in PURPOSES],
            "rows": rows,
            "searched": results is not None,
            "limit": registry.SEARCH_LIMIT,
            "error": error,
        },
        status_code=422 if error else 200,
    )


# --- record -----------------------------------------------------------------------------------


def _record_fields(citizen: CitizenOut, communes: CommuneNames) -> list[tuple[str, str]]:
    values = citizen.model_dump()
    return [
        (label(name), display_value(name, values[name], communes))
        for name in ("personal_id", *EDITABLE_FIELDS, "version")
    ]


def _history_rows(changes: list[ChangeOut], communes: CommuneNames) -> list[dict[str, Any]]:
    rows = []
    for change in changes:
        fields = [
            {
                "label": label(name),
                "old": display_value(name, pair[0], communes),
                "new": display_value(name, pair[1], communes),
            }
            for name, pair in change.changes.items()
            if name not in HIDDEN_IN_HISTORY and isinstance(pair, list) and len(pair) == 2
        ]
        rows.append(
            {
                "version": change.version,
                "when": local_time(change.changed_at),
                "actor": change.actor,
                "source": _(SOURCE_LABELS.get(change.source, change.source)),
                # Reasons the system itself writes (the demo, imports) are message ids.
                "reason": _(change.reason) if change.reason else "—",
                "legal_reference": change.legal_reference or "—",
                "fields": fields,
            }
        )
    return rows


@router.get("/citizens/{personal_id}", response_class=HTMLResponse)
def record_page(
    request: Request,
    db: DbSession,
    authorized: Reader,
    personal_id: str,
    purpose: str = "",
    saved: str = "",
) -> HTMLResponse:
    if not purpose.strip():
        # Nothing is read until the officer says why; the record is not even looked up.
        return render(
            request,
            "registry/purpose.html",
            {"personal_id": personal_id, "purposes": [_(p) for p in PURPOSES]},
        )
    count_lookup(db, authorized.principal)
    actor, scope = authorized.actor(), authorized.scope
    try:
        citizen = registry.get_citizen(db, actor, personal_id, purpose=purpose, scope=scope)
    except NotFound as exc:
        return not_found_page(request, exc)
    household = registry.household_of(db, actor, personal_id, purpose=purpose, scope=scope)
    changes = registry.history(db, actor, personal_id, purpose=purpose, scope=scope)
    communes = CommuneNames(db)
    members = [
        {
            "personal_id": m.personal_id,
            "full_name": m.full_name,
            "date_of_birth": display_birth(m.date_of_birth),
            "sex": display_value("sex", m.sex, communes),
            "status_label": display_value("status", m.status, communes),
            "is_head": household is not None and m.personal_id == household.head_personal_id,
            "url": record_url(m.personal_id, purpose),
        }
        for m in (household.members if household else [])
    ]
    return render(
        request,
        "registry/record.html",
        {
            "citizen": citizen,
            "status_label": display_value("status", citizen.status, communes),
            "purpose": purpose,
            "fields": _record_fields(citizen, communes),
            "household": household,
            "household_commune": communes.label(household.commune_code) if household else "",
            "members": members,
            "history": _history_rows(changes, communes),
            "saved": saved if saved.isdigit() else "",
            "edit_url": (
                f"/registry/citizens/{personal_id}/edit?{urlencode({'purpose': purpose})}"
            ),
            "search_url": f"/registry/search?{urlencode({'purpose': purpose})}",
        },
    )


# --- correction -------------------------------------------------------------------------------


def _form_text(citizen: CitizenOut) -> dict[str, str]:
    """The record's editable fields as the form shows them."""
    values = citizen.model_dump()
    text: dict[str, str] = {}
    for name in EDITABLE_FIELDS:
        value = values[name]
        if isinstance(value, dt.date):
            text[name] = value.isoformat()
        elif name == "date_of_birth":
            text[name] = display_birth(value)
        else:
            text[name] = "" if value is None else str(value)
    return text


def _options(field_name: str) -> list[tuple[str, str]] | None:
    if field_name == "sex":
        return [(code, _(name)) for code, name in SEX_LABELS.items()]
    if field_name == "status":
        return [(code, _(STATUS_LABELS[code])) for code in STATUSES]
    if field_name == "ethnicity_code":
        return [(code, f"{code} – {name}") for code, name in ETHNIC_GROUPS.items()]
    if field_name == "religion":
        return [(code, _(RELIGION_LABELS[code])) for code in RELIGIONS]
    if field_name == "relationship_to_head":
        return [("", "—"), *((code, _(RELATIONSHIP_LABELS[code])) for code in RELATIONSHIPS)]
    return None


@dataclass
class FormField:
    name: str
    label: str
    value: str
    original: str
    kind: str  # text | select | commune | date
    options: list[tuple[str, str]] | None = None
    hint: str | None = None
    error: str | None = None


@dataclass
class EditForm:
    personal_id: str
    full_name: str
    purpose: str
    groups: list[tuple[str, list[FormField]]]
    reason: str = ""
    legal_reference: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _build_form(
    personal_id: str,
    full_name: str,
    purpose: str,
    values: dict[str, str],
    originals: dict[str, str],
    communes: CommuneNames,
    errors: dict[str, str] | None = None,
) -> EditForm:
    errors = errors or {}
    groups = []
    for title, names in EDIT_GROUPS:
        fields = []
        for name in names:
            options = _options(name)
            kind = "select" if options else "text"
            if name in COMMUNE_FIELDS:
                kind = "commune"
            elif name == "date_of_death":
                kind = "date"
            hint = _(FORM_HINTS[name]) if name in FORM_HINTS else None
            if kind == "commune":
                hint = communes.name(values.get(name, "").strip())  # the code, spelled out
            fields.append(
                FormField(
                    name=name,
                    label=label(name),
                    value=values.get(name, ""),
                    original=originals.get(name, ""),
                    kind=kind,
                    options=options,
                    hint=hint,
                    error=errors.get(name),
                )
            )
        groups.append((_(title), fields))
    return EditForm(personal_id, full_name, purpose, groups, errors=errors)


def _render_form(request: Request, db: Session, form: EditForm, status_code: int = 200) -> Response:
    communes = units.communes_of_province(db, settings.province_code)
    # Errors about fields the form does not show (e.g. the personal ID no longer agreeing
    # with a corrected sex or birth year) are listed at the top.
    shown = {f.name for _title, fields in form.groups for f in fields} | {"reason"}
    general = {k: v for k, v in form.errors.items() if k not in shown}
    return render(
        request,
        "registry/edit.html",
        {
            "form": form,
            "communes": communes,
            "general_errors": [(label(k), v) for k, v in general.items()],
            "cancel_url": record_url(form.personal_id, form.purpose),
        },
        status_code=status_code,
    )


@router.get("/citizens/{personal_id}/edit", response_class=HTMLResponse)
def edit_page(
    request: Request,
    db: DbSession,
    authorized: Writer,
    personal_id: str,
    purpose: str = "",
) -> Response:
    purpose = (purpose or "").strip() or _(EDIT_PURPOSE)
    count_lookup(db, authorized.principal)
    try:
        citizen = registry.get_citizen(
            db, authorized.actor(), personal_id, purpose=purpose, scope=authorized.scope
        )
    except NotFound as exc:
        return not_found_page(request, exc)
    values = _form_text(citizen)
    form = _build_form(personal_id, citizen.full_name, purpose, values, values, CommuneNames(db))
    return _render_form(request, db, form)


def changed_fields(posted: dict[str, str]) -> dict[str, str | None]:
    """Only what the officer changed in the form, compared with the values the form showed,
    so a field someone else corrected meanwhile is not silently put back."""
    updates: dict[str, str | None] = {}
    for name in EDITABLE_FIELDS:
        if name not in posted:
            continue
        new = posted[name].strip()
        if new == posted.get(ORIGINAL_PREFIX + name, "").strip():
            continue
        updates[name] = (iso_birth(new) if name == "date_of_birth" else new) or None
    return updates


def _errors_of(exc: ValidationFailed) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in exc.params.get("errors") or []:
        errors.setdefault(str(item["field"]), str(item["message"]))
    if not errors:
        errors[exc.field or "changes"] = exc.message
    return errors


@router.post("/citizens/{personal_id}/edit", response_class=HTMLResponse)
def edit_submit(
    request: Request,
    db: DbSession,
    authorized: Writer,
    personal_id: str,
    posted: TextFields,
) -> Response:
    purpose = posted.get("purpose", "").strip() or _(EDIT_PURPOSE)
    reason = posted.get("reason", "")
    legal_reference = posted.get("legal_reference", "").strip() or None
    try:
        citizen = registry.record_change(
            db,
            authorized.actor(),
            personal_id,
            changed_fields(posted),
            reason=reason,
            legal_reference=legal_reference,
            source="edit",
            scope=authorized.scope,
        )
    except ValidationFailed as exc:
        values = {name: posted.get(name, "") for name in EDITABLE_FIELDS}
        originals = {name: posted.get(ORIGINAL_PREFIX + name, "") for name in EDITABLE_FIELDS}
        full_name = originals.get("full_name") or values.get("full_name", "")
        form = _build_form(
            personal_id, full_name, purpose, values, originals, CommuneNames(db), _errors_of(exc)
        )
        form.reason, form.legal_reference = reason, legal_reference or ""
        return _render_form(request, db, form, status_code=422)
    return RedirectResponse(
        record_url(personal_id, purpose, saved=str(citizen.version)), status_code=303
    )
