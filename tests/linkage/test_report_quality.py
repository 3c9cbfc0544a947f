"""The held-out measure in the sync report: the estimate each run stored
(``counts["quality"]``) in the service, the page (Vietnamese and English) and the JSON API, and
the ``quality_sample`` reason labelled wherever reasons are."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.linkage.quality import QUALITY_SAMPLE, QualityEstimate, estimate
from oncegov.linkage.report import pages as report_pages
from oncegov.linkage.report import service
from oncegov.linkage.review import pages as review_pages
from oncegov.web import i18n
from tests.fixtures import CAO_BANG, OfficerLogin, login, make_officer
from tests.linkage.quality_factories import labelled
from tests.linkage.report_factories import SOURCE, START, make_result, make_run
from tests.linkage.review_factories import make_review_item, two_namesakes


def _estimate(*groups: tuple[float, int, int]) -> QualityEstimate:
    return estimate(
        labelled(*groups), auto_link=0.99, review=0.5, min_precision=0.999, min_labels=30
    )


# Three wrong pairs just above 0.99 make it unsafe; 300 clean pairs from 0.9995 up.
REFUSED = _estimate((0.992, 17, 3), (0.9995, 300, 0), (0.8, 150, 50))
# 40 clean pairs above the threshold: nothing says it is unsafe.
SAFE = _estimate((0.999, 40, 0), (0.8, 30, 10))


@pytest.fixture
def clerk(db: Session) -> OfficerLogin:
    return make_officer(db, "bhxh.doisoat", ("linkage_clerk", "province", CAO_BANG))


@pytest.fixture
def runs(db: Session) -> tuple[int, int, int]:
    """Three runs, oldest first: one from before the measure, one safe, the latest refused."""
    before = make_run(db, finished_at=START, records=1)
    make_result(db, before, "auto_link", method="deterministic", linked=True)
    safe = make_run(
        db, finished_at=START + dt.timedelta(days=7), records=1, counts={"quality": SAFE.to_json()}
    )
    make_result(db, safe, "auto_link", method="model", linked=True)
    latest = make_run(
        db,
        finished_at=START + dt.timedelta(days=14),
        records=2,
        counts={"quality": REFUSED.to_json(), "reasons": {QUALITY_SAMPLE: 1}},
    )
    make_result(db, latest, "auto_link", method="model", linked=True)
    make_result(db, latest, "review", reason=QUALITY_SAMPLE)
    db.flush()
    return before.id, safe.id, latest.id


@pytest.fixture
def vietnamese() -> Iterator[None]:
    i18n.set_locale("vi")
    yield
    i18n.set_locale("vi")


# --- service ------------------------------------------------------------------------------------


def test_each_run_carries_the_estimate_it_stored(db: Session, runs: tuple[int, int, int]) -> None:
    report = service.sync_report(db, SOURCE)
    assert report is not None
    assert report.run.id == runs[2]
    assert report.run.quality == REFUSED
    assert report.run.quality is not None and report.run.quality.refused
    assert [(p.run_id, p.quality) for p in report.trend] == [
        (runs[0], None),
        (runs[1], SAFE),
        (runs[2], REFUSED),
    ]
    # The sampled record waits in review under its own reason.
    assert report.backlog_by_reason == {QUALITY_SAMPLE: 1}


def test_an_unreadable_stored_estimate_is_left_out(db: Session) -> None:
    broken = {"labelled": 3, "precision": {"low": "x"}}
    make_run(db, records=0, counts={"quality": broken})
    report = service.sync_report(db, SOURCE)
    assert report is not None and report.run.quality is None
    make_run(db, finished_at=START + dt.timedelta(days=1), records=0, counts={"quality": [1]})
    again = service.sync_report(db, SOURCE)
    assert again is not None and again.run.quality is None


# --- page ---------------------------------------------------------------------------------------


def test_page_in_vietnamese_shows_the_estimate_and_the_refusal(
    client: TestClient, runs: tuple[int, int, int], clerk: OfficerLogin, vietnamese: None
) -> None:
    login(client, clerk)
    html = client.get("/linkage/report").text
    tr = i18n.gettext
    assert tr("Precision and recall estimated from officers' decisions") in html
    assert tr("Labelled pairs") != "Labelled pairs"  # translated
    table = html[html.index('id="quality-table"') : html.index('id="quality-thresholds"')]
    # 317 of 320 at or above 0.99: 99.0625 % shown 99.06 %, the interval 0.97280–0.99681
    # rounded outward.
    row = re.search(r'<tr data-measure="precision">(.*?)</tr>', table, re.S)
    assert row is not None
    assert "0,99" in row.group(1)  # the threshold in the label, Vietnamese decimal comma
    cells = re.findall(r'<td class="number">([^<]*)</td>', row.group(1))
    assert cells == ["99,06%", "97,28% – 99,69%", "317 trên 320"]
    recall = re.search(r'<tr data-measure="recall_review">(.*?)</tr>', table, re.S)
    assert recall is not None and "467 trên 467" in recall.group(1)
    thresholds = html[html.index('id="quality-thresholds"') :]
    assert re.search(r'data-threshold="configured"><td>[^<]+</td><td class="number">0,99<', html)
    assert re.search(
        r'data-threshold="effective" class="unsafe"><td>[^<]+</td><td class="number">0,9995<',
        thresholds,
    )
    assert re.search(r'data-threshold="target"><td>[^<]+</td><td class="number">99,90%<', html)
    warning = re.search(r'class="flash error" id="quality-warning" role="alert">([^<]+)<', html)
    assert warning is not None and "0,9995" in warning.group(1) and "0,99" in warning.group(1)
    assert 'id="quality-few-labels"' not in html  # 320 labels >= 30
    # The sampled record's reason, labelled in Vietnamese in the backlog table.
    label = tr(report_pages.REASON_LABELS[QUALITY_SAMPLE])
    assert label != report_pages.REASON_LABELS[QUALITY_SAMPLE]
    assert f'<tr data-reason="{QUALITY_SAMPLE}"><td>{label}</td>' in html
    # Per run: the older runs' figures too, a dash for the run before the measure.
    per_run = html[html.index('id="run-figures"') :]
    rows = dict(re.findall(r'<tr data-run="(\d+)">(.*?)</tr>', per_run, re.S))
    assert rows[str(runs[0])].count('<td class="number">—</td>') == 3
    assert '<td class="number">80</td>' in rows[str(runs[1])]
    assert "100,00% (91,23% – 100,00%)" in rows[str(runs[1])]  # 40 of 40: exactly 1
    assert "unsafe" in rows[str(runs[2])] and "unsafe" not in rows[str(runs[1])]


def test_page_in_english_when_no_threshold_is_safe_and_labels_are_few(
    client: TestClient, db: Session, clerk: OfficerLogin
) -> None:
    client.cookies.set("oncegov_lang", "en")
    none_safe = _estimate((0.995, 3, 2), (0.7, 4, 4))
    assert none_safe.effective_auto_link is None and not none_safe.enough_labels
    make_run(db, records=0, counts={"quality": none_safe.to_json()})
    login(client, clerk)
    html = client.get("/linkage/report").text
    assert "Precision and recall estimated from officers' decisions" in html
    warning = re.search(r'id="quality-warning" role="alert">([^<]+)<', html)
    assert warning is not None
    assert "this run auto-linked nothing by the model" in warning.group(1)
    assert "Only 5 labelled pairs at or above the auto-link threshold: at least 30" in html
    assert re.search(
        r'data-threshold="effective" class="unsafe"><td>[^<]+</td>'
        r'<td class="number">None \(no auto-link by the model\)<',
        html,
    )
    row = re.search(r'<tr data-measure="precision">(.*?)</tr>', html, re.S)
    assert row is not None
    assert re.findall(r'<td class="number">([^<]*)</td>', row.group(1))[0] == "60.00%"


def test_page_without_a_stored_estimate_says_so(
    client: TestClient, db: Session, clerk: OfficerLogin
) -> None:
    client.cookies.set("oncegov_lang", "en")
    run = make_run(db, records=1)
    make_result(db, run, "auto_link", method="deterministic", linked=True)
    login(client, clerk)
    html = client.get("/linkage/report").text
    assert 'id="quality-none"' in html and 'id="quality-table"' not in html
    assert 'id="quality-warning"' not in html


def test_a_safe_estimate_has_no_warning(
    client: TestClient, db: Session, clerk: OfficerLogin
) -> None:
    client.cookies.set("oncegov_lang", "en")
    make_run(db, records=0, counts={"quality": SAFE.to_json()})
    login(client, clerk)
    html = client.get("/linkage/report").text
    assert 'id="quality-table"' in html
    assert 'id="quality-warning"' not in html and 'class="unsafe"' not in html
    assert re.search(r'data-threshold="effective"><td>[^<]+</td><td class="number">0.99<', html)


def test_shares_never_round_to_a_certainty_they_are_not(vietnamese: None) -> None:
    i18n.set_locale("en")
    assert report_pages._share(0.99996) == "99.99%"  # not 100.00 %
    assert report_pages._share(0.99996, up=True) == "100.00%"  # an upper bound may
    assert report_pages._share(0.29) == "29.00%"  # 0.29 x 10^4 is 2899.99...: no 28.99 %
    assert report_pages._share(1.0) == "100.00%" and report_pages._share(0.0) == "0.00%"
    assert report_pages._threshold(0.9995) == "0.9995" and report_pages._threshold(0.99) == "0.99"
    assert report_pages._threshold(None) == "—"


# --- API ----------------------------------------------------------------------------------------


def test_api_carries_the_estimate_per_run(
    client: TestClient, runs: tuple[int, int, int], clerk: OfficerLogin
) -> None:
    login(client, clerk)
    body = client.get("/api/v1/linkage/report", params={"source": SOURCE}).json()
    quality = body["run"]["quality"]
    assert quality["labelled"] == REFUSED.labelled == 520
    assert (quality["auto_link"], quality["effective_auto_link"]) == (0.99, 0.9995)
    assert quality["refused"] is True and quality["enough_labels"] is True
    assert quality["precision"] == {
        "estimate": pytest.approx(317 / 320),
        "low": pytest.approx(REFUSED.precision.low),
        "high": pytest.approx(REFUSED.precision.high),
        "successes": 317,
        "n": 320,
    }
    assert quality["recall_review"]["successes"] == quality["recall_review"]["n"] == 467
    trend = {p["run_id"]: p["quality"] for p in body["trend"]}
    assert trend[runs[0]] is None
    assert trend[runs[1]]["refused"] is False and trend[runs[1]]["effective_auto_link"] == 0.99
    assert body["backlog_by_reason"] == {QUALITY_SAMPLE: 1}


def test_the_schema_documents_the_estimate(client: TestClient) -> None:
    schemas = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    quality = schemas["QualityOut"]["properties"]
    assert {"precision", "recall_auto_link", "recall_review", "effective_auto_link"} <= set(quality)
    assert "null" in str(quality["effective_auto_link"])
    assert "quality" in schemas["oncegov__linkage__report__schemas__RunOut"]["properties"]
    assert "quality" in schemas["RunRateOut"]["properties"]
    assert set(schemas["IntervalOut"]["required"]) == {"estimate", "low", "high", "successes", "n"}


# --- the quality_sample reason, labelled ---------------------------------------------------------


def test_quality_sample_has_a_label_in_the_report_and_the_review_queue() -> None:
    for labels in (report_pages.REASON_LABELS, review_pages.REASON_LABELS):
        assert QUALITY_SAMPLE in labels
        i18n.set_locale("vi")
        try:
            vietnamese = i18n.gettext(labels[QUALITY_SAMPLE])
        finally:
            i18n.set_locale("vi")
        assert vietnamese != labels[QUALITY_SAMPLE] and "Mẫu kiểm tra chất lượng" in vietnamese


def test_the_review_queue_labels_a_sampled_record(client: TestClient, db: Session) -> None:
    client.cookies.set("oncegov_lang", "en")
    a, _ = two_namesakes(db)
    run = make_run(db, records=1)
    make_review_item(db, run, "BHXH-QS", [(a.personal_id, 0.9991)], reason=QUALITY_SAMPLE)
    login(client, make_officer(db, "doisoat.qs", ("linkage_clerk", "province", CAO_BANG)))
    html = client.get("/linkage/review").text
    assert "Quality sample: a random check of the linkage" in html
