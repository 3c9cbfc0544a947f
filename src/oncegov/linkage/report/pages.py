"""The sync report page: ``/linkage/report?source=social-insurance``.

Counts only (never a record or a person): the latest run's records linked to a registry
personal ID, by method, the review backlog, the unmatched by reason, per commune (worst sync
rate first), and the sync rate over the source's successive runs as a server-rendered SVG bar
chart with the same figures in a table (no chart library, nothing inline that the CSP refuses).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Annotated, Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from oncegov.auth.dependencies import require
from oncegov.auth.roles import LINKAGE_REPORT
from oncegov.auth.schemas import Authorized
from oncegov.db import DbSession
from oncegov.linkage.models import METHODS
from oncegov.linkage.quality import QUALITY_SAMPLE, Interval, QualityEstimate
from oncegov.linkage.report import service
from oncegov.linkage.report.service import SyncReport
from oncegov.translatable import N_
from oncegov.web import formatting
from oncegov.web.charts import ChartFrame
from oncegov.web.i18n import _, get_locale
from oncegov.web.routing import CheckedRoute
from oncegov.web.templating import local_time, render

router = APIRouter(route_class=CheckedRoute, prefix="/linkage/report", include_in_schema=False)
Report = Annotated[Authorized, Depends(require(LINKAGE_REPORT))]

DEFAULT_SOURCE = "social-insurance"
SOURCE_LABELS: dict[str, str] = {
    "social-insurance": N_("Social insurance"),
}
METHOD_LABELS: dict[str, str] = {
    "deterministic": N_("Same ID number (deterministic)"),
    "model": N_("Probabilistic model"),
    "clerical": N_("Clerical review"),
    service.UNSPECIFIED: N_("Method not recorded"),
}
REASON_LABELS: dict[str, str] = {
    "uncertain": N_("Best candidate is uncertain"),
    "ambiguous": N_("Several likely candidates"),
    "conflict": N_("Personal ID already linked to another record"),
    "name_differs": N_("ID number held by someone of another name"),
    "birth_differs": N_("ID number held by someone of another birth date"),
    "old_id_shared": N_("Old ID number shared by several citizens"),
    "namesake": N_("Namesakes: same name and birth date"),
    "twin": N_("Candidate has a twin; given name differs"),
    "given_name_differs": N_("Given name differs; no ID number agrees"),
    "personal_id_differs": N_("Personal ID on the record is not the candidate's"),
    "no_candidate": N_("No candidate in the registry"),
    "low_probability": N_("Best candidate too unlikely"),
    "rejected_in_review": N_("Rejected in review"),
    "incomplete_record": N_("Record without name or birth year"),
    QUALITY_SAMPLE: N_("Quality sample: would have auto-linked, checked by an officer"),
    service.UNSPECIFIED: N_("No reason recorded"),
}
BAR_COLOUR = "#5c6bc0"  # an SVG presentation attribute: the CSP refuses inline styles


def _number(value: int) -> str:
    return formatting.format_number(value)


def _percent(value: float) -> str:
    return formatting.format_percent_value(value)


def _source_label(source: str) -> str:
    return _(SOURCE_LABELS[source]) if source in SOURCE_LABELS else source


def _reason_label(code: str) -> str:
    return _(REASON_LABELS[code]) if code in REASON_LABELS else code


# --- held-out measure -------------------------------------------------------------------------

# Shares of labelled pairs to two decimals of a percent: a 0.999 target needs them.
SHARE_DIGITS = 4


def _share(value: float, *, up: bool = False) -> str:
    """A share as a percent to two decimals, rounded *outward* for an interval's bounds (the
    low bound and the estimate down, the high bound up): the page never shows a certainty
    the labels do not give, such as 100.00 % for 0.99996."""
    scaled = round(value * 10**SHARE_DIGITS, 6)  # 0.29 * 10⁴ is 2899.999…: not a real 2899
    rounded = (math.ceil(scaled) if up else math.floor(scaled)) / 10**SHARE_DIGITS
    return formatting.format_percent_value(rounded, SHARE_DIGITS - 2)


def _threshold(value: float | None) -> str:
    """A probability threshold with the decimals it has (0.99, 0.9995), locale-formatted."""
    if value is None:
        return formatting.EMPTY
    return format_decimal(value, format="0.0#####", locale=get_locale())


def _interval(interval: Interval) -> dict[str, str]:
    if interval.estimate is None:
        return {"estimate": formatting.EMPTY, "range": "", "counts": _number(0)}
    return {
        "estimate": _share(interval.estimate),
        "range": _("%(low)s – %(high)s")
        % {"low": _share(interval.low), "high": _share(interval.high, up=True)},
        "counts": _("%(successes)s of %(n)s")
        % {"successes": _number(interval.successes), "n": _number(interval.n)},
    }


def quality_context(quality: QualityEstimate | None) -> dict[str, Any] | None:
    """What the page shows of a run's stored estimate (None: the run stored none)."""
    if quality is None:
        return None
    configured = _threshold(quality.auto_link)
    if quality.effective_auto_link is None:
        warning = _(
            "The labelled pairs say auto-linking at %(configured)s is unsafe (precision below "
            "%(target)s even at the upper bound of its 95%% interval) and no higher threshold "
            "is safe: this run auto-linked nothing by the model; those records went to review."
        ) % {"configured": configured, "target": _share(quality.min_precision)}
    elif quality.refused:
        warning = _(
            "The labelled pairs say auto-linking at %(configured)s is unsafe (precision below "
            "%(target)s even at the upper bound of its 95%% interval): this run auto-linked by "
            "the model only at %(effective)s or above; the records in between went to review."
        ) % {
            "configured": configured,
            "target": _share(quality.min_precision),
            "effective": _threshold(quality.effective_auto_link),
        }
    else:
        warning = None
    few = None
    if not quality.enough_labels:
        few = _(
            "Only %(n)s labelled pairs at or above the auto-link threshold: at least %(min)s "
            "are needed before the sample can vouch for it."
        ) % {"n": _number(quality.precision.n), "min": _number(quality.min_labels)}
    return {
        "labelled": _number(quality.labelled),
        "accepted": _number(quality.accepted),
        "precision": _interval(quality.precision),
        "recall_auto_link": _interval(quality.recall_auto_link),
        "recall_review": _interval(quality.recall_review),
        "auto_link": configured,
        "review": _threshold(quality.review),
        "target": _share(quality.min_precision),
        "effective": (
            _threshold(quality.effective_auto_link)
            if quality.effective_auto_link is not None
            else _("None (no auto-link by the model)")
        ),
        "refused": quality.refused,
        "warning": warning,
        "few_labels": few,
    }


# --- chart ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunBar:
    run_id: int
    label: str  # dd/mm/yyyy of the run's end
    rate: float
    rate_text: str
    records: str
    linked: str
    x: float
    y: float
    width: float
    height: float
    summary: str  # the bar's accessible text
    quality: dict[str, Any] | None = None  # the run's stored estimate (quality_context)


@dataclass(kw_only=True)
class RateChart(ChartFrame):
    height: int = 280
    top: int = 16
    bars: list[RunBar] = field(default_factory=list)
    colour: str = BAR_COLOUR


def _day(moment: dt.datetime) -> str:
    return formatting.format_date(moment)


def build_chart(report: SyncReport) -> RateChart:
    """One bar per run, oldest left, its height the share of its records linked (0–100 %)."""
    chart = RateChart()
    plot_height = chart.plot_bottom - chart.top
    slot = (chart.plot_right - chart.left) / max(len(report.trend), 1)
    bar = min(max(slot * 0.6, 0.5), 80)
    chart.y_ticks = [
        (
            round(chart.plot_bottom - share * plot_height, 2),
            formatting.format_percent_value(share, 0),
        )
        for share in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    for index, point in enumerate(report.trend):
        height = point.rate * plot_height
        x = chart.left + index * slot + (slot - bar) / 2
        label = _day(point.finished_at)
        summary = _("Run %(run)s, %(day)s: %(rate)s linked (%(linked)s of %(records)s)") % {
            "run": point.run_id,
            "day": label,
            "rate": _percent(point.rate),
            "linked": _number(point.linked),
            "records": _number(point.records),
        }
        chart.bars.append(
            RunBar(
                run_id=point.run_id,
                label=label,
                rate=round(point.rate, 4),
                rate_text=_percent(point.rate),
                records=_number(point.records),
                linked=_number(point.linked),
                x=round(x, 2),
                y=round(chart.plot_bottom - height, 2),
                width=round(bar, 2),
                height=round(height, 2),
                summary=summary,
                quality=quality_context(point.quality),
            )
        )
        chart.x_labels.append((round(chart.left + index * slot + slot / 2, 2), label[:5]))
    return chart


# --- page -------------------------------------------------------------------------------------


def _report_context(report: SyncReport) -> dict[str, Any]:
    run = report.run
    counters = run.at_run_time
    return {
        "run": {
            "id": run.id,
            "extract_name": run.extract_name,
            "settings_version": run.settings_version,
            "started_at": local_time(run.started_at),
            "finished_at": local_time(run.finished_at),
            "seconds": formatting.format_number(run.seconds, 1),
            "actor": run.actor,
        },
        "figures": {
            "total": _number(report.total),
            "linked": _number(report.linked),
            "rate": _percent(report.rate),
            "backlog": _number(report.backlog),
            "unmatched": _number(report.unmatched),
        },
        "by_method": [
            {
                "code": code,
                "label": _(METHOD_LABELS.get(code, code)),
                "count": _number(count),
                "share": _percent(service.rate(count, report.total)),
            }
            for code, count in report.by_method.items()
            if code in METHODS or count
        ],
        "at_run_time": [
            (_("Records"), _number(counters.records)),
            (_(METHOD_LABELS["deterministic"]), _number(counters.linked_deterministic)),
            (_(METHOD_LABELS["model"]), _number(counters.linked_model)),
            (_(METHOD_LABELS["clerical"]), _number(counters.linked_clerical)),
            (_("Sent to review"), _number(counters.review)),
            (_("Unmatched"), _number(counters.unmatched)),
        ],
        "unmatched_reasons": [
            {
                "code": code,
                "label": _reason_label(code),
                "count": _number(count),
                "share": _percent(service.rate(count, report.unmatched)),
            }
            for code, count in report.unmatched_by_reason.items()
        ],
        "backlog_reasons": [
            {"code": code, "label": _reason_label(code), "count": _number(count)}
            for code, count in report.backlog_by_reason.items()
        ],
        "communes": [
            {
                "code": row.code or "",
                "name": row.name or (row.code if row.code else _("Commune unknown")),
                "known": row.code is not None,
                "total": _number(row.total),
                "linked": _number(row.linked),
                "rate": _percent(row.rate),
                "rate_value": round(row.rate, 4),
                "backlog": _number(row.backlog),
            }
            for row in report.communes
        ],
        "chart": build_chart(report),
        "quality": quality_context(run.quality),
    }


@router.get("", response_class=HTMLResponse)
def report_page(
    request: Request, db: DbSession, _authorized: Report, source: str = ""
) -> HTMLResponse:
    known = service.sources(db)
    chosen = source.strip()[:40]
    if not chosen:
        chosen = DEFAULT_SOURCE if DEFAULT_SOURCE in known or not known else known[0]
    report = service.sync_report(db, chosen) if chosen in known else None
    context: dict[str, Any] = {
        "source": chosen,
        "source_label": _source_label(chosen),
        "sources": [(s, _source_label(s)) for s in known],
        "report": report,
    }
    if report is not None:
        context |= _report_context(report)
    # A source asked for by name that has no run is not found; no run at all is an empty state.
    status = 404 if report is None and source.strip() else 200
    return render(request, "linkage/report/report.html", context, status_code=status)
