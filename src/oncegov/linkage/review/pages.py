"""Pages of the linkage review queue (``linkage.review``).

``/linkage/review`` lists the open review items (filter by source, pages of 25);
``/linkage/review/{id}`` shows the sector record next to its registry candidates, one column
each, with every field's contribution to the score, and a button per candidate ("Accept this
person") and one to reject them all. A decision posts a plain form (CSRF-checked by the auth
dependencies, like every form of the app) and is answered with a redirect (303) to the next
open item, or to the queue when none is left, with a notice of what was done. No JavaScript
is needed.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oncegov.auth.dependencies import require
from oncegov.auth.roles import LINKAGE_REVIEW
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import Conflict, OnceGovError, ValidationFailed
from oncegov.kit.text import fold
from oncegov.linkage.quality import QUALITY_SAMPLE
from oncegov.linkage.report.pages import SOURCE_LABELS
from oncegov.linkage.review import service
from oncegov.linkage.review.service import CandidateView, Contribution, ReviewItem
from oncegov.registry.schemas import SEX_LABELS, display_birth
from oncegov.translatable import N_
from oncegov.units.service import CommuneNames
from oncegov.web import formatting
from oncegov.web.forms import PostedForm, form_text
from oncegov.web.i18n import _, get_locale
from oncegov.web.params import IdPath, PageQuery
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, prefix="/linkage/review", include_in_schema=False)
Clerk = Annotated[Authorized, Depends(require(LINKAGE_REVIEW))]

REASON_LABELS: dict[str, str] = {
    "uncertain": N_("Uncertain: between the review and auto-link thresholds"),
    "ambiguous": N_("Ambiguous: several likely candidates"),
    "conflict": N_("Conflict: the person is claimed by another record"),
    "name_differs": N_("The ID is held by someone of another name"),
    "birth_differs": N_("The ID is held by someone of another birth date"),
    "old_id_shared": N_("The old ID is held by several citizens"),
    "namesake": N_(
        "Namesake: someone else may share this name and birth date, and nothing else confirms"
        " the link"
    ),
    "twin": N_(
        "Twin: the candidate has a household member born the same day, and the given name differs"
    ),
    "given_name_differs": N_(
        "The given name differs and only household facts (commune, phone) agree"
    ),
    "personal_id_differs": N_(
        "The record's personal ID is not the candidate's: another person or a mistyped ID"
    ),
    "rejected_in_review": N_("Rejected in review"),
    # A random few of the records the model would auto-link (the labels above the threshold).
    # Worded neutrally: telling the officer the model was sure would lean them to accept.
    QUALITY_SAMPLE: N_("Quality sample: a random check of the linkage"),
}
# The rows of the side-by-side table and the contribution fields each row shows.
ROWS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("full_name", N_("Full name"), ("name", "full_name", "given_name", "family_name")),
    ("date_of_birth", N_("Date of birth"), ("birth_date", "date_of_birth", "birth_year", "dob")),
    ("sex", N_("Sex"), ("sex",)),
    ("address", N_("Address / commune"), ("commune", "address", "province", "district")),
    ("old_id", N_("Old ID number"), ("old_id", "old_id_number")),
    ("personal_id", N_("Personal ID number"), ("personal_id",)),
    ("phone", N_("Phone"), ("phone",)),
)
ACCEPTED = "accept"
REJECTED = "reject"


def percent(value: float | None) -> str:
    """A probability to one decimal that never rounds up to a certainty it is not: 0.99996 is
    ``> 99.9%``, and only 1 itself is ``100%``."""
    if value is None:
        return "—"
    if 0.999 < value < 1:
        return "> " + formatting.format_percent_value(0.999)
    return formatting.format_percent_value(value)


def weight_text(value: float) -> str:
    """A match weight with its sign spelt out: ``+7,1`` or ``−2,3`` (a true minus sign)."""
    number = format_decimal(abs(value), format="#,##0.0#", locale=get_locale())
    return f"+{number}" if value >= 0 else f"\u2212{number}"


# The comparison levels of the linkage settings (their ``label``s), as officers read them.
LEVEL_LABELS: dict[str, str] = {
    "exact with diacritics": N_("exact with diacritics"),
    "same without diacritics or order": N_("same without diacritics or order"),
    "same words, other order": N_("same words, other order"),
    "same name without Thị/Văn": N_("same name without Thị/Văn"),
    "one typo": N_("one typo"),
    "one typo as written": N_("one typo as written"),
    "two typos or typo and other order": N_("two typos or typo and other order"),
    "same family and given name": N_("same family and given name"),
    "same given name": N_("same given name"),
    "exact date": N_("exact date"),
    "day and month swapped": N_("day and month swapped"),
    "year off by one, same day and month": N_("year off by one, same day and month"),
    "same year, date partial": N_("same year, date partial"),
    "same year and month, day unknown": N_("same year and month, day unknown"),
    "same year and month": N_("same year and month"),
    "same year": N_("same year"),
    "same day and month, year differs": N_("same day and month, year differs"),
    "same sex": N_("same sex"),
    "same commune": N_("same commune"),
    "same phone": N_("same phone"),
    "same old ID": N_("same old ID"),
    "All other comparisons": N_("different"),
}


def _contribution_view(c: Contribution) -> dict[str, Any]:
    if c.level.endswith(" is NULL") or c.match_weight == 0:
        # A value missing on either side weighs nothing: it is no evidence either way.
        return {
            "field": c.field,
            "level": _("no information"),
            "weight": weight_text(0.0),
            "css": "weight-none",
            "meaning": _("a value is missing: no evidence either way"),
        }
    favours = c.match_weight > 0
    return {
        "field": c.field,
        "level": _(LEVEL_LABELS[c.level]) if c.level in LEVEL_LABELS else c.level,
        "weight": weight_text(c.match_weight),
        "css": "weight-for card-ok" if favours else "weight-against card-bad",
        "meaning": _("evidence for the same person") if favours else _("evidence against"),
    }


def with_commune(address: str, commune_code: str | None, communes: CommuneNames) -> str:
    """The address as written, with the commune's name added when the address does not
    already say it."""
    name = communes.name(commune_code) if commune_code else None
    if not name or fold(name) in fold(address):
        return address
    return f"{address}, {name}" if address else name


def _sector_values(item: ReviewItem, communes: CommuneNames) -> dict[str, str]:
    record = item.sector_record

    def text(key: str) -> str:
        value = record.get(key)
        return str(value) if value not in (None, "") else "—"

    birth = record.get("date_of_birth_text")
    if not birth and record.get("birth_year"):
        parts = [record.get("birth_day"), record.get("birth_month"), record.get("birth_year")]
        birth = "/".join(f"{p:02d}" if isinstance(p, int) and p < 100 else str(p)
                         for p in parts if p)  # fmt: skip
    address = with_commune(str(record.get("address") or ""), item.commune_code, communes)
    sex = record.get("sex")
    return {
        "full_name": text("full_name"),
        "date_of_birth": birth or "—",
        "sex": _(SEX_LABELS[sex]) if sex in SEX_LABELS else text("sex"),
        "address": address or "—",
        "old_id": text("old_id_number"),
        "personal_id": text("personal_id"),
        "phone": text("phone"),
    }


def _registry_values(candidate: CandidateView, communes: CommuneNames) -> dict[str, str]:
    c = candidate.citizen
    if c is None:
        return {}
    address = with_commune(
        c.current_address or c.permanent_address or "",
        c.current_commune_code or c.permanent_commune_code,
        communes,
    )
    return {
        "full_name": c.full_name,
        "date_of_birth": display_birth(c.date_of_birth),
        "sex": _(SEX_LABELS[c.sex]) if c.sex in SEX_LABELS else c.sex,
        "address": address or "—",
        "old_id": c.old_id_number or "—",
        "personal_id": c.personal_id,
        "phone": c.phone or "—",
    }


def comparison(item: ReviewItem, communes: CommuneNames) -> list[dict[str, Any]]:
    """One row per field: the sector value, then per candidate its registry value and the
    contributions of the matching comparison fields. Contributions of fields no row shows
    get rows of their own, so nothing of the score is hidden."""
    known = {name for _key, _label, names in ROWS for name in names}
    extra = sorted(
        {c.field for cand in item.candidates for c in cand.contributions if c.field not in known}
    )
    rows_spec = [*ROWS, *((f, f, (f,)) for f in extra)]
    sector = _sector_values(item, communes)
    registry = [_registry_values(cand, communes) for cand in item.candidates]
    rows = []
    for key, title, names in rows_spec:
        cells = []
        for cand, values in zip(item.candidates, registry, strict=True):
            cells.append(
                {
                    "value": values.get(key, "—"),
                    "contributions": [
                        _contribution_view(c) for c in cand.contributions if c.field in names
                    ],
                }
            )
        rows.append(
            {
                "key": key,
                "label": _(title),
                "sector": sector.get(key, "—"),
                "cells": cells,
            }
        )
    return rows


def source_label(source: str | None) -> str:
    if not source:
        return "—"
    return _(SOURCE_LABELS[source]) if source in SOURCE_LABELS else source


def _reason(reason: str | None) -> str:
    return _(REASON_LABELS[reason]) if reason in REASON_LABELS else (reason or "—")


def _notice(decided: str, record: str, pid: str) -> str | None:
    if decided == ACCEPTED and record and pid:
        return _("Record %(record)s is now linked to personal ID %(pid)s.") % {
            "record": record,
            "pid": pid,
        }
    if decided == REJECTED and record:
        return _("All candidates of record %(record)s were rejected.") % {"record": record}
    return None


@router.get("", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DbSession,
    clerk: Clerk,
    source: str = "",
    page: PageQuery = 1,
    decided: str = "",
    record: str = "",
    pid: str = "",
) -> HTMLResponse:
    result = service.queue(db, source, page=page)

    def page_link(n: int) -> str:
        return "/linkage/review?" + urlencode({"source": result.source or "", "page": n})

    return render(
        request,
        "linkage/review/queue.html",
        {
            "source_label": source_label,
            "result": result,
            "rows": [
                {
                    "item": it,
                    "reason": _reason(it.reason),
                    "best": percent(it.best_probability),
                }
                for it in result.items
            ],
            "sources": service.sources(db),
            "source": result.source or "",
            "page": result.page,
            "last_page": result.pages,
            "page_link": page_link,
            "notice": _notice(decided, record[:64], pid[:12]),
        },
    )


def _item_page(
    request: Request,
    db: DbSession,
    clerk: Authorized,
    result_id: IdPath,
    *,
    error: OnceGovError | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    found = service.item(db, clerk.actor(), result_id)
    communes = CommuneNames(db)
    return render(
        request,
        "linkage/review/item.html",
        {
            "source_label": source_label,
            "item": found,
            "reason": _reason(found.reason),
            "rows": comparison(found, communes),
            "candidates": [
                {
                    "candidate": cand,
                    "probability": percent(cand.probability),
                    "weight": weight_text(cand.match_weight)
                    if cand.match_weight is not None
                    else "—",
                }
                for cand in found.candidates
            ],
            "error": error,
            "error_record": error.params.get("record_key") if error else None,
            "notice": notice,
        },
        status_code=error.status if error is not None else 200,
    )


@router.get("/{result_id}", response_class=HTMLResponse)
def item_page(
    request: Request,
    db: DbSession,
    clerk: Clerk,
    result_id: IdPath,
    decided: str = "",
    record: str = "",
    pid: str = "",
) -> HTMLResponse:
    return _item_page(request, db, clerk, result_id, notice=_notice(decided, record[:64], pid[:12]))


@router.post("/{result_id}/decision", response_model=None)
def decide(
    request: Request, db: DbSession, clerk: Clerk, result_id: IdPath, form: PostedForm
) -> HTMLResponse | RedirectResponse:
    decision = form_text(form, "decision")
    try:
        if decision == ACCEPTED:
            done = service.decide(
                db, clerk.actor(), result_id, accept=form_text(form, "personal_id")
            )
        elif decision == REJECTED:
            done = service.decide(db, clerk.actor(), result_id, accept=None)
        else:
            raise ValidationFailed(N_("Choose a candidate or reject them all"), field="decision")
    except (ValidationFailed, Conflict) as exc:
        # Nothing was written (the decision runs in a savepoint); show the item again.
        return _item_page(request, db, clerk, result_id, error=exc)
    params = {"decided": done.decision, "record": done.record_key}
    if done.personal_id:
        params["pid"] = done.personal_id
    target = f"/linkage/review/{done.next_id}" if done.next_id else "/linkage/review"
    return RedirectResponse(f"{target}?{urlencode(params)}", status_code=303)
