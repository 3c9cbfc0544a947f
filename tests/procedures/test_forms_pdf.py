"""Forms 01-04 of Circular 03/2025/TT-VPCP render as PDFs whose text an independent reader
(pypdf) extracts back exactly, Vietnamese included, with the fonts embedded."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from pypdf import PdfReader

from oncegov.procedures.dossiers.forms_pdf import (
    AdditionsForm,
    ApologyForm,
    Form,
    ReceiptForm,
    ReceivedDocument,
    RefusalForm,
    form_lines,
    form_title,
    place_date,
    render_pdf,
    vn_date,
    vn_moment,
)

UTC = dt.UTC
# 15:00 in Asia/Ho_Chi_Minh (UTC+7) on 2 December 2026
RECEIVED = dt.datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
DUE = dt.datetime(2026, 12, 9, 9, 30, tzinfo=UTC)

AGENCY = "Ủy ban nhân dân xã Hòa An"
OFFICE = "Bộ phận Một cửa xã Hòa An"
NAME = "Nguyễn Thị Hằng"
PROCEDURE = "Đăng ký tạm trú"


def receipt(**changes: object) -> ReceiptForm:
    values: dict[str, object] = {
        "agency_name": AGENCY,
        "office_name": OFFICE,
        "place": "Hòa An",
        "dossier_code": "H04.12-261202-0001",
        "applicant_name": NAME,
        "personal_id": "004186001234",
        "procedure_name": PROCEDURE,
        "documents": (
            ReceivedDocument("Tờ khai thay đổi thông tin cư trú (CT01)", originals=1),
            ReceivedDocument("Hợp đồng thuê nhà ở", copies=1),
        ),
        "received_at": RECEIVED,
        "due_at": DUE,
        "channel": "Trực tiếp",
        "result_delivery": "Bộ phận Một cửa xã Hòa An",
        "receiving_officer": "Trần Văn Đức",
        "processing_time": "03 ngày làm việc",
        "address": "Thôn Đông, xã Hòa An, tỉnh Cao Bằng",
        "phone": "0912345678",
        "verification": "Tra cứu tình trạng hồ sơ tại dichvucong.gov.vn",
    }
    values.update(changes)
    return ReceiptForm(**values)  # type: ignore[arg-type]


ADDITIONS = AdditionsForm(
    agency_name=AGENCY,
    office_name=OFFICE,
    place="Hòa An",
    dossier_code="H04.12-261202-0001",
    applicant_name=NAME,
    procedure_name=PROCEDURE,
    received_at=RECEIVED,
    items=("Bản sao giấy tờ chứng minh chỗ ở hợp pháp", "Ý kiến đồng ý của chủ hộ"),
    reason="Hồ sơ thiếu giấy tờ chứng minh chỗ ở hợp pháp.",
    officer_name="Trần Văn Đức",
    issued_on=dt.date(2026, 12, 3),
    contact="số điện thoại 0206 3852 000",
)
REFUSAL = RefusalForm(
    agency_name=AGENCY,
    office_name=OFFICE,
    place="Hòa An",
    applicant_name=NAME,
    procedure_name=PROCEDURE,
    reason="Chỗ ở đề nghị đăng ký thuộc địa bàn xã khác; đề nghị nộp tại nơi có chỗ ở.",
    officer_name="Trần Văn Đức",
    issued_on=dt.date(2026, 12, 2),
)
APOLOGY = ApologyForm(
    agency_name=AGENCY,
    place="Hòa An",
    dossier_code="H04.12-261202-0001",
    applicant_name=NAME,
    procedure_name=PROCEDURE,
    received_at=RECEIVED,
    due_at=DUE,
    reason="cần xác minh thêm thông tin với cơ quan công an nơi thường trú.",
    new_due_at=dt.datetime(2026, 12, 14, 2, 0, tzinfo=UTC),
    issued_on=dt.date(2026, 12, 9),
    signatory_name="Lê Thị Hòa",
    signatory_title=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
)
FORMS: dict[str, Form] = {
    "01": receipt(),
    "02": ADDITIONS,
    "03": REFUSAL,
    "04": APOLOGY,
}


def squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def extracted(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return squash("\n".join(page.extract_text() for page in reader.pages))


def test_dates_are_written_the_vietnamese_way() -> None:
    assert vn_date(dt.date(2026, 12, 2)) == "Ngày 02 tháng 12 năm 2026"
    assert vn_date(dt.date(2026, 2, 5)) == "Ngày 05 tháng 02 năm 2026"
    assert vn_date(dt.date(2026, 3, 15)) == "Ngày 15 tháng 3 năm 2026"
    assert vn_moment(RECEIVED) == "15 giờ 00 phút, ngày 02 tháng 12 năm 2026"
    assert vn_moment(dt.datetime(2026, 12, 31, 17, 5, tzinfo=UTC)) == (
        "00 giờ 05 phút, ngày 01 tháng 01 năm 2027"  # the local day, not UTC's
    )
    assert place_date("Hòa An", dt.date(2026, 12, 2)) == "Hòa An, ngày 02 tháng 12 năm 2026"


@pytest.mark.parametrize("number", sorted(FORMS))
def test_each_form_renders_and_its_text_is_read_back_exactly(number: str) -> None:
    form = FORMS[number]
    pdf = render_pdf(form)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    text = extracted(pdf)
    lines = form_lines(form)
    # every line, in order, exactly as form_lines gives it (the HTML page shows the same)
    position = 0
    for line in lines:
        wanted = squash(line.text)
        found = text.find(wanted, position if line.column == "full" else 0)
        assert found >= 0, f"{wanted!r} missing from the PDF text"
        if line.column == "full":
            position = found + len(wanted)
    for phrase in (NAME, PROCEDURE, AGENCY.upper(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"):
        assert phrase in text
        assert unicodedata.is_normalized("NFC", phrase)
    assert "Độc lập - Tự do - Hạnh phúc" in text
    raw = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in row for row in raw)  # not wrapped
    assert form_title(form) in text


def test_the_receipt_shows_the_times_and_documents() -> None:
    texts = [line.text for line in form_lines(receipt())]
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in texts
    assert "Mã hồ sơ: H04.12-261202-0001" in texts
    assert "Số định danh cá nhân: 004186001234" in texts  # the citizen's own document
    assert "1) Tờ khai thay đổi thông tin cư trú (CT01) (01 bản chính)" in texts
    assert "2) Hợp đồng thuê nhà ở (01 bản sao)" in texts
    assert "4. Thời gian nhận hồ sơ: 15 giờ 00 phút, ngày 02 tháng 12 năm 2026" in texts
    assert (
        "5. Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 30 phút, ngày 09 tháng 12 năm 2026"
        in texts
    )
    assert texts[-1] == "Trần Văn Đức"
    assert "Hòa An, ngày 02 tháng 12 năm 2026" in texts


def test_an_online_receipt_names_no_officer() -> None:
    form = receipt(receiving_officer=None, channel="Trực tuyến", processing_time=None)
    texts = [line.text for line in form_lines(form)]
    assert texts[-1] == "Tiếp nhận trực tuyến"
    assert "3. Thời gian nhận hồ sơ: 15 giờ 00 phút, ngày 02 tháng 12 năm 2026" in texts
    assert "Tiếp nhận trực tuyến" in extracted(render_pdf(form))


def test_decomposed_input_comes_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    lines = form_lines(receipt(applicant_name=decomposed))
    assert f"{OFFICE} tiếp nhận hồ sơ của: {NAME}" in [line.text for line in lines]
    assert NAME in extracted(render_pdf(receipt(applicant_name=decomposed)))


def test_the_fonts_are_embedded() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(receipt())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # the TrueType program is in the file
        assert "/ToUnicode" in font
        names.append(str(font["/BaseFont"]))
    # subsets of the vendored regular and bold faces ("ABCDEF+DejaVuSansBook", "…Bold")
    assert sorted(name.split("+")[1] for name in names) == ["DejaVuSansBold", "DejaVuSansBook"]


def test_a_long_list_runs_onto_a_second_page() -> None:
    documents = tuple(
        ReceivedDocument(f"Giấy tờ số {i} của hộ gia đình", copies=1) for i in range(60)
    )
    pdf = render_pdf(receipt(documents=documents))
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    assert "60) Giấy tờ số 59 của hộ gia đình (01 bản sao)" in extracted(pdf)


def test_the_same_form_is_the_same_file() -> None:
    assert render_pdf(REFUSAL) == render_pdf(REFUSAL)
