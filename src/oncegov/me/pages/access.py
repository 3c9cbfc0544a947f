"""The citizen's "Who accessed my data" page: every audit entry about the signed-in citizen.

What a citizen is told about each entry:

- when, in the province's local time;
- who: for an officer, the role they hold and the unit (commune, province or agency), not
  their name or username: the citizen learns which office is accountable, and the entry's
  reference number lets an inspector (who sees the whole log) name the person if the citizen
  complains; for an online service, its agency and name; "You"; or the system;
- what: a label derived from the action and its detail (claims released are listed by name);
- why: the purpose recorded with the entry (fixed purposes are translated).

Viewing the page is not audited itself; ``audit.service.access_page`` says why. The entries come
from the audit log, the officers' posts from auth and the registry (``me.service``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.audit.models import AuditEntry
from oncegov.auth.dependencies import CurrentCitizen
from oncegov.config import settings
from oncegov.db import DbSession
from oncegov.errors import NotFound
from oncegov.me.service import OfficerPost, my_access_page
from oncegov.procedures.catalogue import service as catalogue
from oncegov.translatable import N_
from oncegov.web.i18n import _, get_locale
from oncegov.web.params import CursorQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import local_time, render

router = APIRouter(route_class=CheckedRoute, include_in_schema=False)

ACTOR_KIND_LABELS = {
    "officer": N_("An officer"),
    "service": N_("An agency's online service"),
    "you": N_("You"),
    "system": N_("The system (automatic)"),
}
CATEGORY_LABELS = {
    "registry_read": N_("Reads of your registry record"),
    "registry_change": N_("Changes to your record"),
    "eid": N_("Your eID account"),
    "id_card": N_("Chip ID card applications"),
    "shared": N_("Data shared with online services"),
    "sector": N_("Medical visits and sector databases"),
    "inspection": N_("Inspections of this log"),
    "dossiers": N_("Your public-service dossiers"),
}
ROLE_LABELS = {
    "commune_officer": N_("Commune police"),
    "id_card_officer": N_("ID card and eID desk"),
    "provincial_officer": N_("Provincial police (PC06)"),
    "linkage_clerk": N_("Sector data synchronisation clerk"),
    "auditor": N_("Inspector"),
    "admin": N_("Administrator"),
    "service_centre_clerk": N_("Public administration service centre"),
    "dossier_handler": N_("Officer handling dossiers"),
    "dossier_approver": N_("Head approving dossiers"),
}
SYSTEM_LABELS = {
    "eid.registration": N_("eID registration (automatic check of the details you typed)"),
    "eid.login": N_("eID sign-in (automatic check)"),
    "eid.reset": N_("eID passcode reset (automatic check of the details you typed)"),
    "eid.deceased": N_("Automatic update from the civil status records"),
}
ACTION_LABELS = {
    "registry.read": N_("Your registry record"),
    "registry.read_household": N_("Your household's members (in a read of the household)"),
    "registry.read_history": N_("The change history of your record"),
    "registry.match": N_("A match of your name and date of birth"),
    "registry.search": N_("A search of the registry that listed you"),
    "registry.status_check": N_("Whether you are alive (only that)"),
    "registry.read_relative": N_(
        "Your record, read for a relative's public-service form (a parent, spouse or child)"
    ),
    "registry.read_contact": N_("Your phone and e-mail, to tell you about a dossier"),
    "dossier.submit": N_("A public-service dossier about you: submitted"),
    "dossier.move": N_("A public-service dossier about you: handled (a step of its workflow)"),
    "registry.export": N_("An export of registry records"),
    "registry.import": N_("Your record, in a bulk import"),
    "registry.change": N_("A correction of your record"),
    "corrections.file": N_("Your request to correct your record: filed"),
    "corrections.take": N_("Your request to correct your record: taken up"),
    "corrections.resolve": N_("Your request to correct your record: corrected"),
    "corrections.reject": N_("Your request to correct your record: rejected"),
    "eid.registered": N_("Your eID account: registered"),
    "eid.level2_registered": N_("Your eID account: level 2 registered at a police desk"),
    "eid.locked": N_("Your eID account: locked"),
    "eid.unlocked": N_("Your eID account: unlocked"),
    "eid.revoked": N_("Your eID account: revoked"),
    "identity.cards.receive": N_("Your chip ID card application: received"),
    "identity.cards.read": N_("Your chip ID card application: viewed"),
    "identity.cards.step": N_("Your chip ID card application: moved to the next step"),
    "oidc.claims_released": N_("Data released to an online service"),
    "health.checkin": N_("A check-in at a medical facility with your health-insurance card"),
    "linkage.link": N_(
        "A record of yours in a sector database (such as social insurance) linked to your "
        "personal ID"
    ),
    "audit.read": N_("Entries of this log about you (an inspection)"),
}
CLAIM_LABELS = {
    "sub": N_("a pseudonymous identifier"),
    "name": N_("full name"),
    "family_name": N_("family name"),
    "given_name": N_("given name"),
    "gender": N_("sex"),
    "birthdate": N_("date of birth"),
    "address": N_("permanent address"),
    "personal_id": N_("personal ID number"),
    "phone_number": N_("phone number"),
    "phone_number_verified": N_("that the phone number is verified"),
}
FIELD_LABELS = {
    "full_name": N_("full name"),
    "phone": N_("phone number"),
    "permanent_address": N_("permanent address"),
    "current_address": N_("current address"),
    "permanent_commune_code": N_("permanent commune"),
    "current_commune_code": N_("current commune"),
    "household_code": N_("household"),
    "ethnicity_code": N_("ethnic group"),
    "religion": N_("religion"),
    "status": N_("status"),
    "date_of_death": N_("date of death"),
}
# Purposes the code itself records (in English); officers' typed purposes are shown as typed.
KNOWN_PURPOSES = (
    N_("eID self-registration"),
    N_("eID sign-in"),
    N_("eID activation"),
    N_("eID reset"),
    N_("eID passcode reset"),
    N_("eID deceased sweep"),
    N_("eID account desk"),
    N_("eID level 2 registration"),
    N_("eID account lock"),
    N_("eID account unlock"),
    N_("Locked by the citizen"),
    N_("chip ID-card application"),
    N_("audit review"),
    N_("deceased"),
    N_("Citizen viewing their own record"),
    N_("Citizen reporting an error in their record"),
    N_("medical examination"),
    N_("sector data synchronisation"),
    N_("login"),
    N_("relying-party management"),
    N_("synthetic test extract"),
    N_("Data-quality review"),
    N_("Issue a facility system token"),
    N_("Revoke a facility system token"),
    N_("Load the demo population"),
)
_RELEASE_PURPOSE = re.compile(r"Data released to (?P<name>.+) with the citizen's consent")
_HANDLING_PURPOSE = re.compile(r"Handling correction request #(?P<id>\d+)")
# What procedures.dossiers records for its registry reads: "procedure <national code>".
_PROCEDURE_PURPOSE = re.compile(r"procedure (?P<code>[0-9][0-9.]{0,19})")


def _procedure_names(db: Session, entries: list[AuditEntry], locale: str) -> dict[str, str]:
    """The names, in the page's language, of the procedures the page's entries were for."""
    codes = {m["code"] for e in entries if (m := _PROCEDURE_PURPOSE.fullmatch(e.purpose))}
    names: dict[str, str] = {}
    for code in sorted(codes):
        try:
            names[code] = catalogue.procedure(db, code).definition.name.get(locale)
        except NotFound:  # withdrawn from the catalogue: the code alone still says which
            continue
    return names


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _detail(entry: AuditEntry) -> dict[str, Any]:
    try:
        detail = json.loads(entry.detail) if entry.detail else {}
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def _who(entry: AuditEntry, me: str, posts: dict[str, list[OfficerPost]]) -> str:
    if entry.actor_kind == "officer":
        held = posts.get(entry.actor_id, [])
        where = [f"{_(ROLE_LABELS.get(p.role, p.role))}, {p.unit_name}" for p in held]
        if entry.actor_agency:
            where.insert(0, entry.actor_agency)
        if not where:
            return _("An officer")
        return _("Officer: %(where)s") % {"where": "; ".join(where)}
    if entry.actor_kind == "service":
        agency = entry.actor_agency
        if agency and agency != entry.actor_name:
            return f"{agency} — {entry.actor_name}"
        return entry.actor_name
    if entry.actor_kind == "citizen":
        return _("You") if entry.actor_id == me else _("Another citizen")
    return _(SYSTEM_LABELS.get(entry.actor_id, N_("The system (automatic)")))


def _names(labels: dict[str, str], keys: Any) -> str:
    return ", ".join(_(labels[k]) if k in labels else str(k) for k in keys)


def _what(entry: AuditEntry) -> str:
    detail = _detail(entry)
    label = _(ACTION_LABELS[entry.action]) if entry.action in ACTION_LABELS else entry.action
    if entry.action == "oidc.claims_released":
        claims = detail.get("claims") or []
        return _("Data released to %(service)s: %(claims)s") % {
            "service": entry.actor_name,
            "claims": _names(CLAIM_LABELS, claims),
        }
    if entry.action.startswith("corrections.") and detail.get("request"):
        return _("%(label)s (no. %(number)s)") % {"label": label, "number": detail["request"]}
    if entry.action == "registry.change" and detail.get("fields"):
        fields = _names(FIELD_LABELS, detail["fields"])
        return _("A correction of your record: %(fields)s") % {"fields": fields}
    if entry.action.startswith("identity.cards.") and detail.get("application_id"):
        return _("%(label)s (no. %(number)s)") % {
            "label": label,
            "number": detail["application_id"],
        }
    if entry.action == "eid.registered" and detail.get("level"):
        return _("%(label)s (level %(level)s)") % {"label": label, "level": detail["level"]}
    return label


def _purpose(entry: AuditEntry, procedures: dict[str, str]) -> str:
    procedure = _PROCEDURE_PURPOSE.fullmatch(entry.purpose)
    if procedure:
        name = procedures.get(procedure["code"], procedure["code"])
        return _("The public service: %(name)s") % {"name": name}
    release = _RELEASE_PURPOSE.match(entry.purpose)
    if release:
        return _("With your consent, to %(service)s") % {"service": release["name"]}
    handling = _HANDLING_PURPOSE.fullmatch(entry.purpose)
    if handling:
        return _("Handling your correction request no. %(number)s") % {"number": handling["id"]}
    return _(entry.purpose) if entry.purpose in KNOWN_PURPOSES else entry.purpose


def _row(
    entry: AuditEntry,
    me: str,
    posts: dict[str, list[OfficerPost]],
    procedures: dict[str, str],
) -> dict[str, Any]:
    kind = "you" if entry.actor_kind == "citizen" and entry.actor_id == me else entry.actor_kind
    return {
        "ref": entry.seq,
        "when": local_time(entry.at),
        "kind": kind,
        "who": _who(entry, me, posts),
        "what": _what(entry),
        "purpose": _purpose(entry, procedures),
    }


@router.get("/me/access", response_class=HTMLResponse)
def my_access(
    request: Request,
    db: DbSession,
    citizen: CurrentCitizen,
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
    actor: Annotated[str, Query(max_length=20)] = "",
    category: Annotated[str, Query(max_length=20)] = "",
    before: CursorQuery = None,
    after: CursorQuery = None,
) -> HTMLResponse:
    """Newest first, 25 a page (keyset on the entry's number), filterable by period (local
    days, both inclusive), kind of actor and kind of action."""
    first, last = _day(from_), _day(to)
    bad_period = bool(from_.strip() and first is None) or bool(to.strip() and last is None)
    if first and last and first > last:
        bad_period = True
    since, until = audit.local_day_bounds(first, last, settings.timezone)
    actor_kind = actor if actor in audit.ACCESS_ACTOR_KINDS else None
    chosen = category if category in audit.ACCESS_CATEGORIES else None
    view = my_access_page(
        db,
        citizen.personal_id,
        audit.AccessFilters(since, until, actor_kind, chosen),
        before=before,
        after=after,
    )
    page = view.page
    filters = {
        "from": first.isoformat() if first else "",
        "to": last.isoformat() if last else "",
        "actor": actor_kind or "",
        "category": chosen or "",
    }
    active = {k: v for k, v in filters.items() if v}
    paged = before is not None or after is not None

    def url(**cursor: int) -> str:
        return "/me/access?" + urlencode({**active, **cursor})

    procedures = _procedure_names(db, list(page.entries), get_locale())

    return render(
        request,
        "me/access.html",
        {
            "rows": [
                _row(e, citizen.personal_id, view.officer_posts, procedures) for e in page.entries
            ],
            "filters": filters,
            "filtered": bool(active),
            "actor_kinds": [(k, _(ACTOR_KIND_LABELS[k])) for k in audit.ACCESS_ACTOR_KINDS],
            "categories": [(k, _(CATEGORY_LABELS[k])) for k in audit.ACCESS_CATEGORIES],
            "newer_url": url(after=page.newer_after) if page.newer_after is not None else None,
            "older_url": url(before=page.older_before) if page.older_before is not None else None,
            "paged": paged,
            "newest_url": ("/me/access?" + urlencode(active)).rstrip("?") if paged else None,
            "bad_period": bad_period,
        },
    )
