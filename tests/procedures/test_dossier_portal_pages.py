"""The citizen's dossier pages on the portal: start (with the eID level the procedure names),
the pre-filled form with its sources, save, submit (idempotent), receipt, my dossiers, the
additions asked for, withdrawal, and nobody else's dossiers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.procedures.dossiers import service
from oncegov.procedures.dossiers.models import Dossier
from tests.fixtures import COMMUNE_A, make_citizen, portal_sign_in
from tests.procedures.dossier_helpers import TEMPORARY_RESIDENCE, TYPED, load, officer, roles_in

sign_in = portal_sign_in


def _start(client: TestClient, csrf: str) -> str:
    response = client.post(
        f"/portal/apply/{TEMPORARY_RESIDENCE}",
        data={"csrf_token": csrf, "commune": COMMUNE_A},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_a_level_one_session_is_stepped_up_for_a_level_two_procedure(
    client: TestClient, db: Session
) -> None:
    load(db)
    citizen = make_citizen(db)
    sign_in(client, db, citizen.personal_id, acr=1)
    response = client.get(f"/portal/apply/{TEMPORARY_RESIDENCE}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/portal/login?next=")
    assert "level=2" in response.headers["location"]


def test_without_a_portal_session_the_citizen_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/portal/dossiers", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/portal/login?next=/portal/dossiers")


def test_fill_save_submit_receipt_and_follow_a_dossier(client: TestClient, db: Session) -> None:
    load(db)
    citizen = make_citizen(db, full_name="Nguyễn Thị Hằng", sex="F", phone="0912345678")
    csrf = sign_in(client, db, citizen.personal_id)
    form_url = _start(client, csrf)
    page = client.get(form_url)
    assert page.status_code == 200
    assert 'value="Nguyễn Thị Hằng" readonly' in page.text
    # Shown as people read them: the date as dd/mm/yyyy, the sex by its label, not its code.
    assert 'value="17/05/1985" readonly' in page.text and 'value="Nữ" readonly' in page.text
    assert "Lấy từ Cơ sở dữ liệu quốc gia về dân cư" in page.text
    assert "Không phải nộp" in page.text  # documents the state already holds
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key
    saved = client.post(
        form_url,
        data={"csrf_token": csrf, "action": "save", "temporary_address": "Tổ 9"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert 'value="Tổ 9"' in client.get(form_url).text
    missing = client.post(
        form_url, data={"csrf_token": csrf, "action": "submit", "idempotency_key": key[1]}
    )
    assert missing.status_code == 422 and "Trường này là bắt buộc" in missing.text
    data = {"csrf_token": csrf, "action": "submit", "idempotency_key": key[1], **TYPED}
    submitted = client.post(form_url, data=data, follow_redirects=False)
    assert submitted.status_code == 303
    receipt_url = submitted.headers["location"]
    again = client.post(form_url, data=data, follow_redirects=False)  # a retry, same key
    assert again.headers["location"] == receipt_url
    assert db.scalar(select(func.count()).select_from(Dossier)) == 1
    receipt = client.get(receipt_url)
    code = receipt_url.split("/")[3]
    assert "GIẤY TIẾP NHẬN" in receipt.text.upper() and code in receipt.text
    assert "Nguyễn Thị Hằng" in receipt.text
    mine = client.get("/portal/dossiers")
    assert code in mine.text
    # The officer asks for additions; the citizen sees it and answers; the clock resumes.
    roles = roles_in()
    for state in ("accepted", "assigned", "processing"):
        service.officer_move(db, officer("o"), code, state, roles=roles)
    service.officer_move(
        db, officer("o"), code, "additions_requested", roles=roles, reason="Thiếu hợp đồng thuê"
    )
    page = client.get(f"/portal/dossiers/{code}")
    assert "Thiếu hợp đồng thuê" in page.text and 'id="supply-additions"' in page.text
    answered = client.post(
        f"/portal/dossiers/{code}/additions",
        data={"csrf_token": csrf, "note": "Đã gửi bản sao"},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    dossier = service.dossier_by_code(db, code)
    assert dossier.state == "processing" and dossier.paused_since is None


def test_nobody_else_sees_or_withdraws_a_dossier(client: TestClient, db: Session) -> None:
    load(db)
    owner = make_citizen(db)
    csrf = sign_in(client, db, owner.personal_id)
    form_url = _start(client, csrf)
    data = {"csrf_token": csrf, "action": "submit", "idempotency_key": "key-portal-1", **TYPED}
    code = (
        client.post(form_url, data=data, follow_redirects=False).headers["location"].split("/")[3]
    )
    other = make_citizen(db)
    other_csrf = sign_in(client, db, other.personal_id)
    assert client.get(f"/portal/dossiers/{code}").status_code == 404
    gone = client.get(form_url, follow_redirects=False)
    assert gone.status_code == 404, gone.text[-1500:]  # another's draft (now gone) too
    refused = client.post(f"/portal/dossiers/{code}/withdraw", data={"csrf_token": other_csrf})
    assert refused.status_code == 404
    csrf = sign_in(client, db, owner.personal_id)
    withdrawn = client.post(
        f"/portal/dossiers/{code}/withdraw", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert withdrawn.status_code == 303
    assert service.dossier_by_code(db, code).ended_at is not None


def test_uploads_are_checked_by_content_and_served_only_to_their_owner(
    client: TestClient, db: Session, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from pypdf import PdfReader

    from tests.kit.test_uploads import small_pdf

    monkeypatch.setattr(settings, "file_store_dir", tmp_path)
    load(db)
    owner = make_citizen(db, full_name="Nguyễn Thị Hằng")
    csrf = sign_in(client, db, owner.personal_id)
    form_url = _start(client, csrf)
    proof = 3  # "Papers proving the lawful place of residence": still required
    pdf = small_pdf()
    fake = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    refused = client.post(
        f"{form_url}/documents",
        data={"csrf_token": csrf, "document": str(proof)},
        files={"file": ("hop-dong.pdf", fake, "application/pdf")},
    )
    assert refused.status_code == 422
    stored = client.post(
        f"{form_url}/documents",
        data={"csrf_token": csrf, "document": str(proof)},
        files={"file": ("hop-dong.pdf", pdf, "application/pdf")},
        follow_redirects=False,
    )
    assert stored.status_code == 303, stored.text
    page = client.get(form_url)
    link = re.search(r'href="(/portal/documents/\d+)"', page.text)
    assert link and "hop-dong.pdf" in page.text
    download = client.get(link[1])
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["x-content-type-options"] == "nosniff"
    data = {"csrf_token": csrf, "action": "submit", "idempotency_key": "key-upload-1", **TYPED}
    receipt_url = client.post(form_url, data=data, follow_redirects=False).headers["location"]
    receipt = client.get(receipt_url + ".pdf")
    assert receipt.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.content)).pages)
    assert "Nguyễn Thị Hằng" in text and "Đăng ký tạm trú" in text
    other = make_citizen(db)
    sign_in(client, db, other.personal_id)
    assert client.get(link[1]).status_code == 404
