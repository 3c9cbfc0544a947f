"""The public catalogue of procedures (no sign-in): ``/procedures`` lists those in force today,
searched accent-insensitively ("dang ky tam tru" finds "Đăng ký tạm trú") and filtered by
field and level; ``/procedures/{code}`` shows one: its steps, time, fee, what to bring and
what the citizen no longer has to provide because the state already holds it.

The pages speak the request's language: Vietnamese by default, English on request (each
catalogue text is written in both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from oncegov.db import DbSession
from oncegov.errors import ValidationFailed
from oncegov.procedures.catalogue import service
from oncegov.procedures.catalogue.schemas import (
    ABOUT_LABELS,
    CHANNEL_LABELS,
    FIELD_LABELS,
    LEVEL_LABELS,
    ONLINE_LEVEL_LABELS,
    FeeItem,
    LocalText,
    Procedure,
    StatutoryTime,
)
from oncegov.procedures.catalogue.service import StoredProcedure
from oncegov.translatable import N_
from oncegov.web import formatting
from oncegov.web.i18n import _, get_locale, ngettext
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import render

router = APIRouter(route_class=CheckedRoute, prefix="/procedures", include_in_schema=False)
MAX_QUERY = 200

SOURCE_LABELS: dict[str, str] = {
    "registry": N_("Taken from the national population database"),
    "eid": N_("Proven by your eID sign-in"),
    "exchange": N_("You declare it for now; later it will come from the agency that holds it"),
    "applicant": N_("You fill it in"),
}
FEE_CHANNELS: dict[str, str] = {
    "online": N_("online"),
    "counter": N_("at the counter"),
    "post": N_("by post"),
}


def text(value: LocalText | None) -> str:
    """A catalogue text in the request's language."""
    return "" if value is None else value.get(get_locale())


def amount(units: float, unit: str) -> str:
    """``3`` working days → "3 ngày làm việc" / "3 working days"; fractions too ("0,5 …")."""
    shown = formatting.format_number(units)
    plural = 1 if units == 1 else 2
    if unit == "working_hours":
        return ngettext("%(num)s working hour", "%(num)s working hours", plural) % {"num": shown}
    return ngettext("%(num)s working day", "%(num)s working days", plural) % {"num": shown}


def time_text(time: StatutoryTime) -> str:
    if time.unit == "same_day":
        return _("The same working day")
    assert time.amount is not None  # the loader refuses a working time without one
    return amount(time.amount, time.unit)


def time_notes(time: StatutoryTime) -> list[str]:
    notes = []
    if time.extended_amount is not None and time.extended_when is not None:
        notes.append(
            _("%(when)s: up to %(time)s")
            % {"when": text(time.extended_when), "time": amount(time.extended_amount, time.unit)}
        )
    if time.cutoff is not None:
        if time.unit == "same_day":
            notes.append(
                _("Received after %(time)s: the result is returned the next working day")
                % {"time": time.cutoff}
            )
        else:
            notes.append(
                _("Received after %(time)s: the time counts from the next working day")
                % {"time": time.cutoff}
            )
    return notes


def money(vnd: int) -> str:
    if vnd == 0:
        return _("Free of charge")
    return _("%(amount)s VND") % {"amount": formatting.format_number(vnd)}


def fee_line(item: FeeItem) -> str:
    line = f"{text(item.label)}: {money(item.amount_vnd)}"
    if item.channel != "any":
        line += f" ({_(FEE_CHANNELS[item.channel])})"
    return line


def fee_summary(procedure: Procedure) -> str:
    items = procedure.fees.items
    if not items:
        return _("Free of charge")
    amounts = sorted({item.amount_vnd for item in items})
    if len(amounts) == 1:
        return money(amounts[0])
    return _("From %(low)s to %(high)s") % {"low": money(amounts[0]), "high": money(amounts[-1])}


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    url: str
    field: str
    level: str
    online: str
    time: str
    fee: str


def _row(stored: StoredProcedure) -> Row:
    p = stored.definition
    return Row(
        code=p.code,
        name=text(p.name),
        url=f"/procedures/{p.code}",
        field=_(FIELD_LABELS[p.field.value]),
        level=_(LEVEL_LABELS[p.level]),
        online=_(ONLINE_LEVEL_LABELS[p.online_level]),
        time=time_text(p.statutory_time),
        fee=fee_summary(p),
    )


def _choice(value: str, labels: dict[str, str], name: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value not in labels:
        raise ValidationFailed(N_("Not one of the choices"), field=name)
    return value


@router.get("", response_class=HTMLResponse)
def catalogue_page(
    request: Request, db: DbSession, q: str = "", field: str = "", level: str = ""
) -> HTMLResponse:
    chosen_field = _choice(field, FIELD_LABELS, "field")
    chosen_level = _choice(level, LEVEL_LABELS, "level")
    query = q.strip()[:MAX_QUERY]
    found = service.catalogue(db, query=query, field=chosen_field, level=chosen_level)
    context: dict[str, Any] = {
        "q": query,
        "field": chosen_field or "",
        "level": chosen_level or "",
        "fields": [(key, _(label)) for key, label in FIELD_LABELS.items()],
        "levels": [(key, _(label)) for key, label in LEVEL_LABELS.items()],
        "rows": [_row(stored) for stored in found],
        "filtered": bool(query or chosen_field or chosen_level),
    }
    return render(request, "procedures/catalogue.html", context)


def procedure_context(stored: StoredProcedure) -> dict[str, Any]:
    p = stored.definition
    total = sum(step.share for step in p.workflow.steps)
    fractions = abs(total - 1.0) < 1e-9
    unit = "working_days" if p.statutory_time.unit == "same_day" else p.statutory_time.unit
    steps = [
        {
            "name": text(step.name),
            "agency": text(step.agency),
            "level": _(LEVEL_LABELS[step.level]),
            "share": formatting.format_percent_value(step.share, 0)
            if fractions
            else amount(step.share, unit),
        }
        for step in p.workflow.steps
    ]
    documents = [d for d in p.documents if d.replaced_by is None]
    return {
        "code": p.code,
        "version": stored.version,
        "since": formatting.format_date(stored.effective_from),
        "name": text(p.name),
        "summary": text(p.summary),
        "field": _(FIELD_LABELS[p.field.value]),
        "agency": text(p.agency),
        "level": _(LEVEL_LABELS[p.level]),
        "channels": ", ".join(_(CHANNEL_LABELS[c]) for c in p.channels),
        "online": _(ONLINE_LEVEL_LABELS[p.online_level]),
        "online_level": p.online_level,
        "eid_level": p.eid_level,
        "time": time_text(p.statutory_time),
        "time_notes": time_notes(p.statutory_time),
        "fees": [fee_line(item) for item in p.fees.items],
        "fee_summary": fee_summary(p),
        "exemptions": [f"{text(e.who)} ({e.basis})" for e in p.fees.exemptions],
        "bring": [{"name": text(d.name), "note": text(d.note)} for d in documents if d.required],
        "optional": [
            {"name": text(d.name), "note": text(d.note)} for d in documents if not d.required
        ],
        "not_required": [
            {"name": text(d.name), "why": text(d.replaced_by.text)}
            for d in p.documents
            if d.replaced_by is not None
        ],
        "form": [
            {
                "label": text(f.label),
                "about": _(ABOUT_LABELS[f.about]),
                "about_other": f.about != "applicant",
                "source": _(SOURCE_LABELS[f.source_kind]),
                "kind": f.source_kind,
                "required": f.required,
            }
            for f in p.form
        ],
        "steps": steps,
        "legal_basis": [
            {
                "number": b.number,
                "title": text(b.title),
                "articles": b.articles or "",
                "effective": formatting.format_date(b.effective),
            }
            for b in p.legal_basis
        ],
    }


@router.get("/{code}", response_class=HTMLResponse)
def procedure_page(request: Request, db: DbSession, code: str) -> HTMLResponse:
    stored = service.procedure(db, code)
    return render(request, "procedures/procedure.html", procedure_context(stored))
