"""The sync report of a sector database: service figures, the page, the JSON API, permissions."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.auth.roles import HEALTH_STATS, LINKAGE_REPORT
from oncegov.linkage.report import service
from oncegov.linkage.report.pages import METHOD_LABELS, REASON_LABELS, build_chart
from oncegov.linkage.service import REASONS
from oncegov.web import i18n
from tests.fixtures import CAO_BANG, COMMUNE_A, COMMUNE_B, OfficerLogin, login, make_officer
from tests.linkage.report_factories import (
    SOURCE,
    START,
    Fixture,
    decide,
    make_result,
    make_run,
    seed_two_runs,
)


@pytest.fixture
def runs(db: Session) -> Fixture:
    return seed_two_runs(db)


@pytest.fixture
def clerk(db: Session) -> OfficerLogin:
    return make_officer(db, "bhxh.doisoat", ("linkage_clerk", "province", CAO_BANG))


@pytest.fixture
def english(client: TestClient) -> None:
    client.cookies.set("oncegov_lang", "en")


def _bearer(db: Session, *permissions: str) -> dict[str, str]:
    token = auth.create_service_token(
        db,
        name=f"svc-{'-'.join(permissions) or 'none'}",
        permissions=list(permissions),
        scope_kind="province",
        scope_code=CAO_BANG,
    )
    db.flush()
    return {"Authorization": f"Bearer {token}"}


# --- service ------------------------------------------------------------------------------------


def test_figures_of_the_latest_run_per_method_reason_and_commune(
    db: Session, runs: Fixture
) -> None:
    report = service.sync_report(db, SOURCE)
    assert report is not None
    assert report.run.id == runs.latest.id
    assert report.run.extract_name == "bhxh-latest.csv"
    # Only the latest run counts for the headline (the older one had 10 records).
    assert (report.total, report.linked, report.backlog, report.unmatched) == (12, 6, 1, 5)
    assert report.rate == pytest.approx(0.5)
    assert report.by_method == {"deterministic": 4, "model": 1, "clerical": 1}
    assert report.unmatched_by_reason == {
        "no_candidate": 1,
        "low_probability": 1,
        "rejected_in_review": 1,
        "incomplete_record": 2,
    }
    assert list(report.unmatched_by_reason) == [
        r for r in REASONS if r in report.unmatched_by_reason
    ]
    assert report.backlog_by_reason == {"uncertain": 1}
    # Per commune, worst rate first; the records whose address names no commune are one row.
    rows = [(r.code, r.name, r.total, r.linked, r.backlog) for r in report.communes]
    assert rows == [
        (None, None, 2, 0, 0),
        (COMMUNE_B, "Phường Nùng Trí Cao", 4, 2, 0),
        (COMMUNE_A, "Phường Thục Phán", 6, 4, 1),
    ]
    assert [round(r.rate, 4) for r in report.communes] == [0.0, 0.5, 0.6667]
    # What the run itself decided is kept apart.
    assert report.run.at_run_time.linked == 5
    assert report.run.at_run_time.review == 3


def test_rate_over_runs_is_oldest_first_and_a_clerical_decision_shows_at_once(
    db: Session, runs: Fixture
) -> None:
    before = service.sync_report(db, SOURCE)
    assert before is not None
    assert [(p.run_id, p.records, p.linked) for p in before.trend] == [
        (runs.older.id, 10, 3),
        (runs.latest.id, 12, 6),
    ]
    assert [round(p.rate, 2) for p in before.trend] == [0.3, 0.5]

    decide(db, runs.waiting, accept=True)
    after = service.sync_report(db, SOURCE)
    assert after is not None
    assert (after.linked, after.backlog, after.unmatched) == (7, 0, 5)
    assert after.by_method["clerical"] == 2
    assert after.trend[-1].linked == 7
    commune_a = next(r for r in after.communes if r.code == COMMUNE_A)
    assert (commune_a.linked, commune_a.backlog) == (5, 0)
    assert after.communes[-1].code == COMMUNE_A  # still the best commune, now 5/6
    # The run's own counters do not move.
    assert after.run.at_run_time == before.run.at_run_time


def test_a_rejection_moves_the_record_from_the_backlog_to_the_unmatched(
    db: Session, runs: Fixture
) -> None:
    decide(db, runs.waiting, accept=False)
    report = service.sync_report(db, SOURCE)
    assert report is not None
    assert (report.linked, report.backlog, report.unmatched) == (6, 0, 6)
    assert report.unmatched_by_reason["rejected_in_review"] == 2
    assert report.backlog_by_reason == {}


def test_runs_limit_and_sources(db: Session, runs: Fixture) -> None:
    other = make_run(db, "health-insurance", finished_at=START, records=1)
    make_result(db, other, "auto_link", method="deterministic", linked=True)
    db.flush()
    assert service.sources(db) == ["health-insurance", SOURCE]
    only_latest = service.sync_report(db, SOURCE, runs=1)
    assert only_latest is not None
    assert [p.run_id for p in only_latest.trend] == [runs.latest.id]
    assert service.sync_report(db, "no-such-source") is None
    health = service.sync_report(db, "health-insurance")
    assert health is not None and health.rate == 1.0


def test_no_run_at_all(db: Session) -> None:
    assert service.sources(db) == []
    assert service.sync_report(db, SOURCE) is None


def test_every_reason_and_method_has_a_label() -> None:
    assert set(REASONS) <= set(REASON_LABELS)
    assert {"deterministic", "model", "clerical"} <= set(METHOD_LABELS)


def test_chart_bars_are_as_high_as_the_rate(db: Session, runs: Fixture) -> None:
    report = service.sync_report(db, SOURCE)
    assert report is not None
    chart = build_chart(report)
    plot = chart.plot_bottom - chart.top
    assert [b.run_id for b in chart.bars] == [runs.older.id, runs.latest.id]
    assert [b.height for b in chart.bars] == [round(0.3 * plot, 2), round(0.5 * plot, 2)]
    assert all(b.y + b.height == pytest.approx(chart.plot_bottom) for b in chart.bars)
    assert chart.bars[0].x < chart.bars[1].x


# --- page ---------------------------------------------------------------------------------------


@pytest.fixture
def vietnamese() -> Iterator[None]:
    i18n.set_locale("vi")
    yield
    i18n.set_locale("vi")


def test_page_in_vietnamese_shows_figures_tables_and_the_chart(
    client: TestClient, runs: Fixture, clerk: OfficerLogin, vietnamese: None
) -> None:
    login(client, clerk)
    response = client.get("/linkage/report")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="vi">' in html
    tr = i18n.gettext
    assert f"<h1>{tr('Sector data sync')}</h1>" in html
    for code in ("no_candidate", "low_probability", "rejected_in_review", "incomplete_record"):
        label = tr(REASON_LABELS[code])
        assert re.search(rf'<tr data-reason="{code}"><td>{re.escape(label)}</td>', html), code
    for code in ("deterministic", "model", "clerical"):
        assert tr(METHOD_LABELS[code]) in html
    assert "Xã/phường" in html and "Lý do" in html  # catalogue words already translated
    assert re.search(r'id="figure-rate">.*?class="figure big">50,0\s?%<', html, re.S)
    assert re.search(r'id="figure-total">.*?class="figure">12<', html, re.S)
    assert re.search(r'<tr data-method="deterministic"><td>[^<]+</td><td class="number">4<', html)
    # The SVG chart, one bar per run, and the same figures in a table.
    assert re.search(r'<svg id="rate-chart"[^>]*role="img"', html)
    assert re.findall(r'<g class="run" data-run="(\d+)" data-rate="([\d.]+)"', html) == [
        (str(runs.older.id), "0.3"),
        (str(runs.latest.id), "0.5"),
    ]
    assert re.findall(r'<tr data-run="(\d+)">', html) == [str(runs.older.id), str(runs.latest.id)]
    # Communes worst first, names from the registry; the unknown commune is its own row.
    table = html[html.index('id="commune-table"') :]
    assert re.findall(r'<tr data-commune="(\w+)"', table) == ["unknown", COMMUNE_B, COMMUNE_A]
    assert "Phường Thục Phán" in table and "Phường Nùng Trí Cao" in table
    assert tr("Commune unknown") in table
    assert "style=" not in html  # the CSP refuses inline styles
    assert 'id="source-form"' not in html  # one source: no picker
    nav = html[html.index("<nav>") : html.index("</nav>")]
    assert 'href="/linkage/report"' in nav
    # Counts only: no personal ID or record key reaches the page.
    assert not re.search(r"\b004085\d{6}\b", html) and "SI0" not in html


def test_page_in_english_after_a_clerical_decision(
    client: TestClient, db: Session, runs: Fixture, clerk: OfficerLogin, english: None
) -> None:
    decide(db, runs.waiting, accept=True)
    login(client, clerk)
    html = client.get("/linkage/report?source=social-insurance").text
    assert re.search(r'id="figure-linked">.*?class="figure">7<', html, re.S)
    assert re.search(r'id="figure-rate">.*?class="figure big">58.3%<', html, re.S)
    assert "Best candidate too unlikely" in html
    assert "Social insurance" in html


def test_source_picker_and_empty_states(
    client: TestClient, db: Session, clerk: OfficerLogin, english: None
) -> None:
    login(client, clerk)
    nothing = client.get("/linkage/report")
    assert nothing.status_code == 200
    assert 'id="report-empty"' in nothing.text
    assert "No sector database has been linked to the registry yet." in nothing.text
    assert 'id="rate-chart"' not in nothing.text

    seed_two_runs(db)
    other = make_run(db, "health-insurance", finished_at=START, records=1)
    make_result(db, other, "no_match", reason="no_candidate", commune_code=None)
    db.flush()
    page = client.get("/linkage/report")
    assert page.status_code == 200
    assert 'id="source-form"' in page.text
    assert '<option value="social-insurance" selected>Social insurance</option>' in page.text
    chosen = client.get("/linkage/report?source=health-insurance")
    assert '<option value="health-insurance" selected>' in chosen.text
    assert re.search(r'id="figure-rate">.*?class="figure big">0.0%<', chosen.text, re.S)
    unknown = client.get("/linkage/report?source=tax")
    assert unknown.status_code == 404
    assert "No linkage run for tax yet." in unknown.text


# --- API ----------------------------------------------------------------------------------------


def test_api_returns_the_report_as_json(
    client: TestClient, runs: Fixture, clerk: OfficerLogin
) -> None:
    csrf = login(client, clerk)
    response = client.get(
        "/api/v1/linkage/report", params={"source": SOURCE}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == SOURCE
    assert body["run"]["id"] == runs.latest.id
    assert body["run"]["at_run_time"]["linked_deterministic"] == 4
    assert (body["total"], body["linked"], body["rate"]) == (12, 6, 0.5)
    assert body["by_method"] == {"deterministic": 4, "model": 1, "clerical": 1}
    assert body["backlog"] == 1 and body["backlog_by_reason"] == {"uncertain": 1}
    assert body["unmatched"] == 5
    assert body["unmatched_by_reason"]["incomplete_record"] == 2
    assert [c["commune_code"] for c in body["communes"]] == [None, COMMUNE_B, COMMUNE_A]
    assert body["communes"][2] == {
        "commune_code": COMMUNE_A,
        "commune_name": "Phường Thục Phán",
        "total": 6,
        "linked": 4,
        "rate": 0.6667,
        "backlog": 1,
    }
    assert [(p["run_id"], p["rate"]) for p in body["trend"]] == [
        (runs.older.id, 0.3),
        (runs.latest.id, 0.5),
    ]
    one = client.get("/api/v1/linkage/report", params={"source": SOURCE, "runs": 1})
    assert len(one.json()["trend"]) == 1


def test_api_404_for_a_source_without_runs(
    client: TestClient, runs: Fixture, clerk: OfficerLogin
) -> None:
    login(client, clerk)
    response = client.get("/api/v1/linkage/report", params={"source": "tax"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and error["field"] == "source"


def test_api_for_a_service_token_with_the_permission(db: Session, client: TestClient) -> None:
    seed_two_runs(db)
    response = client.get("/api/v1/linkage/report", headers=_bearer(db, LINKAGE_REPORT))
    assert response.status_code == 200
    assert response.json()["linked"] == 6


# --- permissions --------------------------------------------------------------------------------


def test_provincial_officer_may_read_the_report(
    client: TestClient, runs: Fixture, provincial_officer: OfficerLogin
) -> None:
    login(client, provincial_officer)
    assert client.get("/linkage/report").status_code == 200


def test_an_officer_without_the_permission_is_refused(
    client: TestClient, db: Session, runs: Fixture, english: None
) -> None:
    login(client, make_officer(db, "soyte.thongke", ("health_statistician", "province", CAO_BANG)))
    page = client.get("/linkage/report")
    assert page.status_code == 403
    assert "You do not have permission for this" in page.text
    api = client.get("/api/v1/linkage/report")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "permission_denied"
    nav = client.get("/").text
    assert 'href="/linkage/report"' not in nav


def test_a_service_token_without_the_permission_is_refused(
    client: TestClient, db: Session, runs: Fixture
) -> None:
    headers = _bearer(db, HEALTH_STATS)
    response = client.get("/api/v1/linkage/report", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    # A bearer token is for the API only: the page sends it to sign in.
    page = client.get("/linkage/report", headers=headers, follow_redirects=False)
    assert page.status_code == 303


def test_anonymous_callers_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/linkage/report").status_code == 401
    page = client.get("/linkage/report", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?")
