"""The public catalogue pages and JSON API: no sign-in, accent-insensitive search, filters, a
page per procedure with what the citizen no longer has to provide, in Vietnamese and English."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.procedures.catalogue import service


@pytest.fixture
def loaded(db: Session) -> None:
    report = service.load_catalogue(db)
    assert report.ok
    db.flush()


def _result_count(html: str) -> int:
    match = re.search(r'id="result-count">(\d+)<', html)
    assert match, html
    return int(match[1])


def test_catalogue_page_is_public_and_vietnamese(client: TestClient, loaded: None) -> None:
    page = client.get("/procedures")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Dịch vụ công" in page.text and "Đăng ký tạm trú" in page.text
    assert _result_count(page.text) == 6


def test_search_without_accents_finds_the_accented_name(client: TestClient, loaded: None) -> None:
    page = client.get("/procedures", params={"q": "dang ky tam tru"})
    assert _result_count(page.text) == 1
    assert 'href="/procedures/1.004194"' in page.text
    assert "Đăng ký tạm trú" in page.text and "Cấp Phiếu lý lịch tư pháp" not in page.text
    nothing = client.get("/procedures", params={"q": "giay phep lai xe"})
    assert _result_count(nothing.text) == 0 and 'id="no-results"' in nothing.text


def test_filters_by_field_and_level(client: TestClient, loaded: None) -> None:
    judicial = client.get("/procedures", params={"field": "judicial_records"})
    assert _result_count(judicial.text) == 1 and "Cấp Phiếu lý lịch tư pháp" in judicial.text
    assert '<option value="judicial_records" selected>' in judicial.text
    province = client.get("/procedures", params={"level": "province"})
    assert _result_count(province.text) == 1
    commune_civil = client.get("/procedures", params={"level": "commune", "field": "civil_status"})
    assert _result_count(commune_civil.text) == 3
    assert client.get("/procedures", params={"field": "taxes"}).status_code == 422


def test_procedure_page_in_vietnamese(client: TestClient, loaded: None) -> None:
    page = client.get("/procedures/1.004194")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Đăng ký tạm trú</h1>" in text
    assert "3 ngày làm việc" in text
    assert "15.000 đồng" in text and "7.000 đồng" in text
    not_required = text[text.index('id="not-required"') : text.index('id="bring"')]
    assert "Không phải nộp: lấy từ Cơ sở dữ liệu quốc gia về dân cư" in not_required
    assert "Căn cước hoặc giấy tờ tùy thân của người đăng ký" in not_required
    bring = text[text.index('id="bring"') : text.index('id="form"')]
    assert "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp" in bring
    assert "Căn cước" not in bring
    assert "Lấy từ Cơ sở dữ liệu quốc gia về dân cư" in text  # the form's pre-filled fields
    assert "Công an cấp xã" in text and "Cấp xã" in text
    assert "68/2020/QH14" in text and "1/7/2021" in text


def test_procedure_page_in_english(client: TestClient, loaded: None) -> None:
    page = client.get("/procedures/1.004194", params={"lang": "en"})
    text = page.text
    assert '<html lang="en">' in text
    assert "<h1>Temporary residence registration</h1>" in text
    assert "3 working days" in text
    assert "15,000 VND" in text
    assert "Not required: taken from the national population database" in text
    assert "What you no longer have to provide" in text
    assert "Đăng ký tạm trú" not in text


def test_same_day_procedure_with_its_cutoff(client: TestClient, loaded: None) -> None:
    page = client.get("/procedures/1.000656")
    assert "Trong ngày làm việc" in page.text
    assert "Tiếp nhận sau 15:00: trả kết quả trong ngày làm việc tiếp theo" in page.text
    assert "Miễn phí" in page.text  # no fee items: registered on time is free
    english = client.get("/procedures/1.000656", params={"lang": "en"})
    assert "The same working day" in english.text and "Free of charge" in english.text


def test_working_days_with_an_extension(client: TestClient, loaded: None) -> None:
    page = client.get("/procedures/LT.KS-TT-BHYT")
    assert "3 ngày làm việc" in page.text
    assert "Khi phải xác minh: không quá 5 ngày làm việc" in page.text
    assert "Tiếp nhận sau 15:00: thời hạn tính từ ngày làm việc tiếp theo" in page.text


def test_unknown_procedure_is_not_found(client: TestClient, loaded: None) -> None:
    page = client.get("/procedures/0.000000")
    assert page.status_code == 404


def test_home_page_leads_to_the_catalogue(client: TestClient) -> None:
    home = client.get("/")
    assert 'href="/procedures"' in home.text


def test_api_lists_and_reads_procedures(client: TestClient, loaded: None) -> None:
    listed = client.get("/api/v1/procedures", params={"q": "dang ky tam tru"})
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()] == ["1.004194"]
    assert listed.json()[0]["name"] == {
        "vi": "Đăng ký tạm trú",
        "en": "Temporary residence registration",
    }
    by_field = client.get("/api/v1/procedures", params={"field": "judicial_records"})
    assert [p["code"] for p in by_field.json()] == ["2.000488"]
    assert client.get("/api/v1/procedures", params={"field": "taxes"}).status_code == 422

    one = client.get("/api/v1/procedures/1.004194")
    assert one.status_code == 200
    body = one.json()
    assert body["version"] == 1 and body["effective_from"] == "2025-09-15"
    definition = body["definition"]
    time = definition["statutory_time"]
    assert (time["unit"], time["amount"], time["cutoff"]) == ("working_days", 3, None)
    first = definition["workflow"]["transitions"][0]
    assert (first["from"], first["to"], first["role"]) == ("received", "accepted", "receiver")
    sources = {f["key"]: f["source"] for f in definition["form"]}
    assert sources["permanent_address"] == "registry:permanent_address"
    assert body["loaded_at"].endswith("Z") or "+" in body["loaded_at"]


def test_api_reads_the_version_in_force_on_a_day(client: TestClient, loaded: None) -> None:
    before = client.get("/api/v1/procedures/1.004194", params={"on": "2025-01-01"})
    assert before.status_code == 404
    assert before.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/procedures", params={"on": "2025-01-01"}).json() == []
