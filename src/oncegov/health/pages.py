"""Reception and statistics pages of the health domain.

``/health/reception`` is what a facility's reception desk keeps open all day: one input that
takes whatever the desk's scanner types (the chip ID card's QR, the eID check-in QR, or a
personal ID typed in) followed by Enter, and answers with the patient's card and warnings.
The form posts through htmx and gets back only the reception block, whose input carries
``autofocus`` (htmx focuses it after the swap), so the next scan goes straight in. Without
htmx the same POST answers with the whole page. There is deliberately no search and no list
of patients.

``/health/statistics`` shows counts only (never a patient): check-ins per method and per
facility over a period, the share of facilities that use the chip ID card, and a bar chart
per day drawn as server-rendered SVG (no chart library, nothing inline that the CSP refuses).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from oncegov.auth.dependencies import require
from oncegov.auth.roles import HEALTH_STATS
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.errors import NotFound, OnceGovError, TooManyRequests, ValidationFailed
from oncegov.health import service
from oncegov.health.dependencies import Desk
from oncegov.health.models import CHECKIN_METHODS
from oncegov.health.service import CheckInResult, CheckInStatistics, FacilityDesk
from oncegov.kit import clock
from oncegov.registry.schemas import SEX_LABELS
from oncegov.translatable import N_
from oncegov.web import formatting
from oncegov.web.charts import ChartFrame
from oncegov.web.forms import TextFields
from oncegov.web.i18n import _
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import local_time, render

router = APIRouter(route_class=CheckedRoute, prefix="/health", include_in_schema=False)
Stats = Annotated[Authorized, Depends(require(HEALTH_STATS))]

AUTO = "auto"
METHOD_LABELS: dict[str, str] = {
    "personal_id": N_("Personal ID typed in"),
    "chip_qr": N_("Chip ID card QR"),
    "eid_qr": N_("eID QR"),
}
# The field an error names: the form's own, then the fields of the chip ID card's QR.
FIELD_LABELS: dict[str, str] = {
    "scan": N_("Scan or personal ID"),
    "method": N_("Identified by"),
    "personal_id": N_("Personal ID number"),
    "chip_qr": N_("Chip ID card QR"),
    "eid_qr": N_("eID QR"),
    "since": N_("From"),
    "until": N_("To"),
}
QR_FIELD_LABELS: dict[str, str] = {
    "text": N_("the whole QR text"),
    "personal_id": N_("personal ID"),
    "old_id_number": N_("old ID number"),
    "full_name": N_("full name"),
    "date_of_birth": N_("date of birth"),
    "sex": N_("sex"),
    "address": N_("address"),
    "date_of_issue": N_("date of issue"),
}
DEFAULT_PERIOD_DAYS = 30
# What a reception page catches and shows next to the input; anything else (permission,
# session) goes to the app's error handler.
SHOWN_ERRORS = (ValidationFailed, service.NotValidIdentifier, NotFound, TooManyRequests)


def _today() -> dt.date:
    return clock.local_day(clock.now())


def _number(value: int) -> str:
    return formatting.format_number(value)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- reception --------------------------------------------------------------------------------


def detect_method(value: str) -> str:
    """What the scanner typed: 12 digits (spaces allowed) are a personal ID, text with ``|`` the
    chip ID card's QR, a JWS (``eyJ…``) the eID check-in QR."""
    text = value.strip()
    if not text:
        raise service.NotValidIdentifier(
            N_("Scan a QR code or type a personal ID number"), field="scan", code="scan_empty"
        )
    if "".join(text.split()).isdigit():
        return "personal_id"
    if "|" in text:
        return "chip_qr"
    if text.startswith("eyJ"):
        return "eid_qr"
    raise service.NotValidIdentifier(
        N_("Not recognised: scan the chip ID card's QR or the eID QR, or type the 12-digit ID"),
        field="scan",
        code="scan_unrecognised",
    )


# The beneficiary groups printed on the health-insurance card (its first two letters), by name;
# the code stays beside the name, as the receptionist reads it on the card.
BENEFICIARY_GROUPS: dict[str, str] = {
    "TE": N_("Child under 6"),
    "CC": N_("Person with merit to the revolution"),
    "BT": N_("Monthly social pension"),
    "HN": N_("Poor household"),
    "DT": N_("Ethnic minority in an extremely difficult commune"),
    "HT": N_("Retiree or pensioner"),
    "CN": N_("Near-poor household"),
    "HC": N_("Public servant"),
    "DN": N_("Employee of an enterprise"),
    "HS": N_("Pupil"),
    "SV": N_("Student"),
    "GD": N_("Household member (voluntary)"),
}


def beneficiary_group_label(code: str) -> str:
    return f"{_(BENEFICIARY_GROUPS[code])} ({code})" if code in BENEFICIARY_GROUPS else code


def _display_birth(value: str) -> str:
    """``1990-05-17`` → ``17/05/1990`` (a partial date keeps what it has)."""
    return "/".join(reversed(value.split("-")))


def _display_date(day: dt.date) -> str:
    return formatting.format_date(day)


@dataclass(frozen=True)
class ShownError:
    message: str  # untranslated source string (translated in the template)
    field_label: str | None  # translated
    code: str


def _shown_error(exc: OnceGovError) -> ShownError:
    label = _(FIELD_LABELS[exc.field]) if exc.field in FIELD_LABELS else None
    qr_field = exc.params.get("qr_field")
    if label and qr_field in QR_FIELD_LABELS:
        label = f"{label} ({_(QR_FIELD_LABELS[qr_field])})"
    return ShownError(exc.message, label, exc.code)


def _result_view(result: CheckInResult) -> dict[str, Any]:
    day = clock.local_day(result.checked_in_at)
    coverage = result.coverage
    return {
        "id": result.checkin_id,
        "full_name": result.full_name,
        "date_of_birth": _display_birth(result.date_of_birth),
        "sex": _(SEX_LABELS.get(result.sex, result.sex)),
        "method": _(METHOD_LABELS.get(result.method, result.method)),
        "checked_in_at": local_time(result.checked_in_at),
        "repeat": result.repeat,
        "initial_care_here": result.initial_care_here,
        "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
        "card": None
        if coverage is None
        else {
            "valid_from": _display_date(coverage.valid_from),
            "valid_to": _display_date(coverage.valid_to),
            "valid_today": coverage.valid_on(day),
            "locked": coverage.locked,
            "benefit_level": coverage.benefit_level,
            "beneficiary_group": beneficiary_group_label(coverage.beneficiary_group),
            "social_insurance_code": coverage.social_insurance_code,
        },
    }


def _reception(
    request: Request,
    db: Session,
    desk: FacilityDesk,
    *,
    scan: str = "",
    method: str = AUTO,
    result: CheckInResult | None = None,
    error: OnceGovError | None = None,
) -> HTMLResponse:
    today = _today()
    context = {
        "facility_name": desk.facility_name,
        "facility_code": desk.facility_code,
        "scan": scan,
        "method": method,
        "methods": [(AUTO, _("Automatic"))] + [(m, _(METHOD_LABELS[m])) for m in CHECKIN_METHODS],
        "result": _result_view(result) if result else None,
        "error": _shown_error(error) if error else None,
        "today_count": _number(service.statistics(db, today, today, desk.facility_code).total),
    }
    if _is_htmx(request):
        # htmx swaps only 2xx answers by default: the error is in the fragment, not the status.
        return render(request, "health/_reception.html", context)
    status = error.status if error else 200
    return render(request, "health/reception.html", context, status_code=status)


@router.get("/reception", response_class=HTMLResponse)
def reception_page(request: Request, db: DbSession, desk: Desk) -> HTMLResponse:
    return _reception(request, db, desk)


@router.post("/reception", response_class=HTMLResponse)
def reception_submit(
    request: Request, db: DbSession, desk: Desk, posted: TextFields
) -> HTMLResponse:
    scan = posted.get("scan", "")
    method = posted.get("method", AUTO)
    if method not in (AUTO, *CHECKIN_METHODS):
        method = AUTO
    try:
        chosen = detect_method(scan) if method == AUTO else method
        result = service.check_in_one(db, desk, service.identification(chosen, scan))
    except SHOWN_ERRORS as exc:
        return _reception(request, db, desk, scan=scan, method=method, error=exc)
    # Success: an empty input for the next patient, the same method as chosen.
    return _reception(request, db, desk, method=method, result=result)


# --- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    method: str


@dataclass(frozen=True)
class DayColumn:
    label: str  # dd/mm/yyyy
    total: int
    counts: list[tuple[str, int]]  # (method label, count), in method order
    segments: list[Segment]
    summary: str  # the bar's accessible text


@dataclass(kw_only=True)
class Chart(ChartFrame):
    columns: list[DayColumn] = field(default_factory=list)


def nice_step(value: float) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ that is at least ``value`` (an axis step)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= value:
            return int(multiple * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def build_chart(stats: CheckInStatistics) -> Chart:
    """Stacked bars of check-ins per day (every day of the period, empty days included)."""
    chart = Chart()
    per_day: dict[dt.date, dict[str, int]] = {}
    for count in stats.daily:
        bucket = per_day.setdefault(count.day, {})
        bucket[count.method] = bucket.get(count.method, 0) + count.count
    days = [stats.since + dt.timedelta(days=n) for n in range((stats.until - stats.since).days + 1)]
    highest = max((sum(per_day.get(d, {}).values()) for d in days), default=0)
    step = nice_step(highest / 4)
    top_value = max(step * math.ceil(highest / step), step)
    plot_height = chart.plot_bottom - chart.top
    plot_width = chart.plot_right - chart.left
    slot = plot_width / max(len(days), 1)
    bar = max(slot * 0.75, 0.5)
    scale = plot_height / top_value
    chart.y_ticks = [
        (chart.plot_bottom - v * scale, _number(v)) for v in range(0, top_value + 1, step)
    ]
    every = max(1, math.ceil(len(days) / 10))
    for index, day in enumerate(days):
        counts = per_day.get(day, {})
        x = chart.left + index * slot + (slot - bar) / 2
        y = float(chart.plot_bottom)
        segments = []
        for method in CHECKIN_METHODS:
            height = counts.get(method, 0) * scale
            if height > 0:
                y -= height
                segments.append(
                    Segment(round(x, 2), round(y, 2), round(bar, 2), round(height, 2), method)
                )
        labelled = [(_(METHOD_LABELS[m]), counts.get(m, 0)) for m in CHECKIN_METHODS]
        total = sum(counts.values())
        summary = f"{_display_date(day)}: {_number(total)} — " + ", ".join(
            f"{name}: {_number(n)}" for name, n in labelled
        )
        chart.columns.append(DayColumn(_display_date(day), total, labelled, segments, summary))
        if index % every == 0:
            chart.x_labels.append(
                (round(chart.left + index * slot + slot / 2, 2), formatting.format_day_month(day))
            )
    return chart


def facility_rows(stats: CheckInStatistics, facilities: Sequence[Any]) -> list[dict[str, Any]]:
    """One row per facility (active ones, and any other that checked patients in), busiest
    first: its counts per method and whether it used the chip ID card."""
    counts: dict[str, dict[str, int]] = {}
    for count in stats.daily:
        row = counts.setdefault(count.facility_code, dict.fromkeys(CHECKIN_METHODS, 0))
        row[count.method] = row.get(count.method, 0) + count.count
    names = {f.code: f.name for f in facilities}
    shown = [f.code for f in facilities if f.is_active or f.code in counts]
    shown += sorted(code for code in counts if code not in names)
    rows = []
    for code in shown:
        by_method = counts.get(code, dict.fromkeys(CHECKIN_METHODS, 0))
        total = sum(by_method.values())
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "counts": [_number(by_method[m]) for m in CHECKIN_METHODS],
                "total": total,
                "total_text": _number(total),
                "uses_chip_card": any(by_method[m] for m in service.CHIP_CARD_METHODS),
            }
        )
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    return rows


def _parse_day(text: str, name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = N_("Enter a date (yyyy-mm-dd)")
        return None


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(
    request: Request, db: DbSession, _authorized: Stats, since: str = "", until: str = ""
) -> HTMLResponse:
    today = _today()
    values = {
        "since": since.strip() or (today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)).isoformat(),
        "until": until.strip() or today.isoformat(),
    }
    errors: dict[str, str] = {}
    start = _parse_day(values["since"], "since", errors)
    end = _parse_day(values["until"], "until", errors)
    stats = None
    if start and end:
        try:
            stats = service.statistics(db, start, end)
        except service.NotValidIdentifier as exc:
            errors[exc.field or "since"] = exc.message
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "field_labels": {k: _(v) for k, v in FIELD_LABELS.items()},
        "stats": stats,
    }
    if stats is not None:
        context |= {
            "period": f"{_display_date(stats.since)} – {_display_date(stats.until)}",
            "total": _number(stats.total),
            "by_method": [
                (m, _(METHOD_LABELS[m]), _number(stats.by_method.get(m, 0)))
                for m in CHECKIN_METHODS
            ],
            "share": formatting.format_percent_value(stats.chip_card_share, 0),
            "chip_facilities": stats.facilities_by_chip_card,
            "active_facilities": stats.active_facilities,
            "chart": build_chart(stats),
            "method_labels": [(m, _(METHOD_LABELS[m])) for m in CHECKIN_METHODS],
            "rows": facility_rows(stats, service.facilities(db)),
        }
    return render(request, "health/statistics.html", context, status_code=422 if errors else 200)
