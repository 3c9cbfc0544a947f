"""The dossier forms of Circular 03/2025/TT-VPCP (guiding Decree 118/2025/ND-CP on the one-stop
shop), Appendix I, as PDF and as structured lines:

- form 01 ``ReceiptForm``: receipt of the dossier and appointment for the result
  ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả");
- form 02 ``AdditionsForm``: request to add to and complete the dossier
  ("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ");
- form 03 ``RefusalForm``: refusal to accept the dossier, with the reason
  ("Phiếu từ chối tiếp nhận giải quyết hồ sơ");
- form 04 ``ApologyForm``: apology for the delay with the new date of the result.

``form_lines(form)`` is the content once, as ``FormLine``s (text, style, column); the HTML page
of a receipt shows those lines and ``render_pdf(form)`` lays the same lines out on an A4 page
with the vendored DejaVu Sans (``kit/fonts``), embedded in the file, so the PDF needs no font on
the reader's machine and Vietnamese text is extracted back exactly.

The forms' titles are those of the Circular's Appendix I as listed by a secondary source
(thuviennhadat.vn, "Tải file word biểu mẫu Thông tư 03/2025/TT-VPCP"); we could not read the
forms themselves. assumption: the body wording below follows the same forms of the earlier
Circular 01/2018/TT-VPCP (forms 01-04 of its appendix), which the 2025 forms replace; where
the 2025 text differs, the constants and ``form_lines`` are the one place to change.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from oncegov.kit import clock

FONT_DIR = Path(__file__).resolve().parents[2] / "kit" / "fonts"
FONT = "DejaVuSans"

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
TITLE_RECEIPT = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
TITLE_ADDITIONS = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"
TITLE_REFUSAL = "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"
# assumption: the secondary listing names form 04 "Văn bản xin lỗi và đề nghị gia hạn thời
# gian giải quyết"; we use that name as the heading.
TITLE_APOLOGY = "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"
SIGN_NOTE = "(Ký và ghi rõ họ tên)"
ONLINE_RECEIPT = "Tiếp nhận trực tuyến"

Style = Literal[
    "agency",  # the issuing body's name, top left
    "office",  # the one-stop office under it, bold
    "motto",  # national motto lines, top right, bold
    "place_date",  # "Hòa An, ngày 02 tháng 12 năm 2026"
    "title",
    "subtitle",  # "Mã hồ sơ: …"
    "text",
    "item",  # an entry of a numbered list, indented
    "signature_role",
    "signature_note",
    "signature_name",
]
Column = Literal["full", "left", "right"]


@dataclass(frozen=True, slots=True)
class FormLine:
    text: str
    style: Style = "text"
    column: Column = "full"  # consecutive left/right lines form a band of two columns


@dataclass(frozen=True, slots=True)
class ReceivedDocument:
    name: str
    originals: int = 0
    copies: int = 0


@dataclass(frozen=True, slots=True)
class ReceiptForm:
    """Form 01. The receipt is the applicant's own document: the personal ID is shown whole."""

    agency_name: str  # "Ủy ban nhân dân xã Hòa An"
    office_name: str  # "Bộ phận Một cửa xã Hòa An"
    place: str  # for the date line: "Hòa An"
    dossier_code: str
    applicant_name: str
    personal_id: str
    procedure_name: str
    documents: tuple[ReceivedDocument, ...]
    received_at: dt.datetime  # aware; shown in settings.timezone
    due_at: dt.datetime
    channel: str  # how it was filed, as shown: "Trực tiếp", "Trực tuyến", "Bưu chính"
    result_delivery: str  # where/how the result is returned: "Tại Bộ phận Một cửa", …
    receiving_officer: str | None = None  # None: received online
    processing_time: str | None = None  # "05 ngày làm việc"
    dossier_sets: int = 1
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    verification: str | None = None  # a line on where to look the dossier up


@dataclass(frozen=True, slots=True)
class AdditionsForm:
    """Form 02: what the applicant must add and why, who guides them."""

    agency_name: str
    office_name: str
    place: str
    dossier_code: str
    applicant_name: str
    procedure_name: str
    received_at: dt.datetime
    items: tuple[str, ...]  # each thing to add or complete
    reason: str
    officer_name: str
    issued_on: dt.date
    contact: str | None = None  # "số điện thoại 0207 3800 000"


@dataclass(frozen=True, slots=True)
class RefusalForm:
    """Form 03: the dossier is not accepted, with the reason."""

    agency_name: str
    office_name: str
    place: str
    applicant_name: str
    procedure_name: str
    reason: str
    officer_name: str
    issued_on: dt.date
    dossier_code: str | None = None


@dataclass(frozen=True, slots=True)
class ApologyForm:
    """Form 04: the agency apologises for the delay and names the new date of the result."""

    agency_name: str
    place: str
    dossier_code: str
    applicant_name: str
    procedure_name: str
    received_at: dt.datetime
    due_at: dt.datetime  # the date first appointed
    reason: str  # why it is late
    new_due_at: dt.datetime
    issued_on: dt.date
    signatory_name: str
    signatory_title: tuple[str, ...] = field(default=())  # ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    office_name: str | None = None


Form = ReceiptForm | AdditionsForm | RefusalForm | ApologyForm


# Dates and times -------------------------------------------------------------------------


def _day_number(value: int) -> str:
    return f"{value:02d}"


def _month_number(value: int) -> str:
    # Decree 30/2020/ND-CP, Appendix I (II.4): days below 10 and the months 1 and 2 are
    # written with a leading zero ("ngày 05 tháng 02"), other months without ("tháng 3").
    return f"{value:02d}" if value <= 2 else str(value)


def vn_date(day: dt.date) -> str:
    """``Ngày 02 tháng 12 năm 2026`` (capitalised, as at the start of a line)."""
    return f"Ngày {_day_number(day.day)} tháng {_month_number(day.month)} năm {day.year}"


def vn_moment(moment: dt.datetime) -> str:
    """``15 giờ 00 phút, ngày 02 tháng 12 năm 2026`` in the deployment's zone.
    assumption: hours and minutes with two digits, as the receipts we have seen print them."""
    local = clock.local(moment)
    day = vn_date(local.date())
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {day[0].lower()}{day[1:]}"


def place_date(place: str, day: dt.date) -> str:
    text = vn_date(day)
    return f"{place}, {text[0].lower()}{text[1:]}"


def _count(value: int) -> str:
    return f"{value:02d}"


# Lines -----------------------------------------------------------------------------------


def _header(agency: str, office: str | None, place: str, day: dt.date) -> list[FormLine]:
    lines = [FormLine(agency.upper(), "agency", "left")]
    if office:
        lines.append(FormLine(office.upper(), "office", "left"))
    lines += [
        FormLine(MOTTO_1, "motto", "right"),
        FormLine(MOTTO_2, "motto", "right"),
        FormLine(place_date(place, day), "place_date"),
    ]
    return lines


def _signature(role: str, name: str, column: Column = "right") -> list[FormLine]:
    return [
        FormLine(role, "signature_role", column),
        FormLine(SIGN_NOTE, "signature_note", column),
        FormLine(name, "signature_name", column),
    ]


def _document_line(number: int, document: ReceivedDocument) -> str:
    parts = []
    if document.originals:
        parts.append(f"{_count(document.originals)} bản chính")
    if document.copies:
        parts.append(f"{_count(document.copies)} bản sao")
    suffix = f" ({', '.join(parts)})" if parts else ""
    return f"{number}) {document.name}{suffix}"


def _receipt_lines(form: ReceiptForm) -> list[FormLine]:
    received_day = clock.local_day(form.received_at)
    lines = _header(form.agency_name, form.office_name, form.place, received_day)
    lines += [
        FormLine(TITLE_RECEIPT, "title"),
        FormLine(f"Mã hồ sơ: {form.dossier_code}", "subtitle"),
        FormLine(f"{form.office_name} tiếp nhận hồ sơ của: {form.applicant_name}"),
        FormLine(f"Số định danh cá nhân: {form.personal_id}"),
    ]
    if form.address:
        lines.append(FormLine(f"Địa chỉ: {form.address}"))
    if form.phone:
        lines.append(FormLine(f"Số điện thoại: {form.phone}"))
    if form.email:
        lines.append(FormLine(f"Thư điện tử: {form.email}"))
    lines.append(FormLine(f"Nội dung yêu cầu giải quyết: {form.procedure_name}"))
    numbered: list[tuple[str, list[FormLine]]] = [
        (
            "Thành phần hồ sơ nộp gồm:",
            [FormLine(_document_line(i, d), "item") for i, d in enumerate(form.documents, start=1)],
        ),
        (f"Số lượng hồ sơ: {_count(form.dossier_sets)} bộ", []),
    ]
    if form.processing_time:
        numbered.append((f"Thời gian giải quyết hồ sơ theo quy định: {form.processing_time}", []))
    numbered += [
        (f"Thời gian nhận hồ sơ: {vn_moment(form.received_at)}", []),
        (f"Thời gian trả kết quả giải quyết hồ sơ: {vn_moment(form.due_at)}", []),
        # assumption: the channel is our addition (Decree 118/2025 lets a dossier be filed in
        # person, by post or online; the 2018 form did not print it).
        (f"Hình thức nộp hồ sơ: {form.channel}", []),
        (f"Đăng ký nhận kết quả tại: {form.result_delivery}", []),
    ]
    for number, (text, items) in enumerate(numbered, start=1):
        lines.append(FormLine(f"{number}. {text}"))
        lines += items
    if form.verification:
        lines.append(FormLine(form.verification))
    officer = form.receiving_officer or ONLINE_RECEIPT
    lines += _signature("NGƯỜI NỘP HỒ SƠ", form.applicant_name, "left")
    lines += _signature("NGƯỜI TIẾP NHẬN HỒ SƠ", officer, "right")
    return lines


def _additions_lines(form: AdditionsForm) -> list[FormLine]:
    lines = _header(form.agency_name, form.office_name, form.place, form.issued_on)
    lines += [
        FormLine(TITLE_ADDITIONS, "title"),
        FormLine(f"Mã hồ sơ: {form.dossier_code}", "subtitle"),
        FormLine(f"Hồ sơ của: {form.applicant_name}"),
        FormLine(f"Nội dung yêu cầu giải quyết: {form.procedure_name}"),
        FormLine(f"Thời gian nhận hồ sơ: {vn_moment(form.received_at)}"),
        FormLine("Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:"),
    ]
    lines += [FormLine(f"{i}. {item}", "item") for i, item in enumerate(form.items, start=1)]
    contact = f" ({form.contact})" if form.contact else ""
    lines += [
        FormLine(f"Lý do: {form.reason}"),
        FormLine(
            "Trong quá trình bổ sung, hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với "
            f"{form.officer_name}{contact} để được hướng dẫn./."
        ),
    ]
    lines += _signature("NGƯỜI HƯỚNG DẪN", form.officer_name)
    return lines


def _refusal_lines(form: RefusalForm) -> list[FormLine]:
    lines = _header(form.agency_name, form.office_name, form.place, form.issued_on)
    lines.append(FormLine(TITLE_REFUSAL, "title"))
    if form.dossier_code:
        lines.append(FormLine(f"Mã hồ sơ: {form.dossier_code}", "subtitle"))
    lines += [
        FormLine(f"{form.office_name} tiếp nhận hồ sơ của: {form.applicant_name}"),
        FormLine(f"Nội dung yêu cầu giải quyết: {form.procedure_name}"),
        FormLine(
            f"Qua xem xét, {form.office_name} thông báo không tiếp nhận, giải quyết hồ sơ "
            "này với lý do cụ thể như sau:"
        ),
        FormLine(form.reason, "item"),
        FormLine("Xin thông báo để Ông/Bà được biết và thực hiện./."),
    ]
    lines += _signature("NGƯỜI TIẾP NHẬN HỒ SƠ", form.officer_name)
    return lines


def _apology_lines(form: ApologyForm) -> list[FormLine]:
    lines = _header(form.agency_name, form.office_name, form.place, form.issued_on)
    received = vn_date(clock.local_day(form.received_at))
    lines += [
        FormLine(TITLE_APOLOGY, "title"),
        FormLine(f"Mã hồ sơ: {form.dossier_code}", "subtitle"),
        FormLine(
            f"{received}, {form.agency_name} tiếp nhận hồ sơ đề nghị giải quyết thủ tục hành "
            f"chính của Ông/Bà {form.applicant_name}."
        ),
        FormLine(f"Nội dung yêu cầu giải quyết: {form.procedure_name}."),
        FormLine(f"Thời hạn trả kết quả giải quyết hồ sơ: {vn_moment(form.due_at)}."),
        FormLine(
            f"Tuy nhiên, đến nay {form.agency_name} chưa trả kết quả giải quyết hồ sơ của "
            f"Ông/Bà. Lý do: {form.reason}"
        ),
        FormLine(
            f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {form.agency_name} xin lỗi Ông/Bà "
            f"và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào {vn_moment(form.new_due_at)}."
        ),
        FormLine("Trân trọng./."),
    ]
    lines += [FormLine(title, "signature_role", "right") for title in form.signatory_title]
    lines.append(FormLine(form.signatory_name, "signature_name", "right"))
    return lines


def form_lines(form: Form) -> list[FormLine]:
    """The form's content, in reading order, every text in NFC."""
    if isinstance(form, ReceiptForm):
        lines = _receipt_lines(form)
    elif isinstance(form, AdditionsForm):
        lines = _additions_lines(form)
    elif isinstance(form, RefusalForm):
        lines = _refusal_lines(form)
    else:
        lines = _apology_lines(form)
    return [
        FormLine(unicodedata.normalize("NFC", line.text), line.style, line.column) for line in lines
    ]


def form_title(form: Form) -> str:
    return next(line.text for line in form_lines(form) if line.style == "title")


# PDF -------------------------------------------------------------------------------------

_SIZE: dict[str, tuple[float, str, Align]] = {
    # style: (font size in pt, font style, alignment)
    "agency": (11, "", Align.C),
    "office": (11, "B", Align.C),
    "motto": (12, "B", Align.C),
    "place_date": (11, "", Align.R),
    "title": (14, "B", Align.C),
    "subtitle": (11, "", Align.C),
    "text": (11, "", Align.J),
    "item": (11, "", Align.L),
    "signature_role": (11, "B", Align.C),
    "signature_note": (9, "", Align.C),
    "signature_name": (11, "B", Align.C),
}
_LINE_HEIGHT = 1.45  # line height as a multiple of the font size
_PT = 25.4 / 72  # mm per point
_GAP_BEFORE = {"title": 6.0, "place_date": 2.0, "signature_role": 6.0}
_SIGNATURE_SPACE = 18.0  # mm left free above a signer's name


def _runs(lines: Iterable[FormLine]) -> Iterator[list[FormLine]]:
    """Consecutive lines grouped: a run of two-column lines, or one full-width line."""
    band: list[FormLine] = []
    for line in lines:
        if line.column == "full":
            if band:
                yield band
                band = []
            yield [line]
        else:
            band.append(line)
    if band:
        yield band


def _write(pdf: FPDF, line: FormLine, width: float, x: float) -> None:
    size, style, align = _SIZE[line.style]
    pdf.set_font(FONT, style, size)
    if line.style == "signature_name":
        pdf.set_y(pdf.get_y() + _SIGNATURE_SPACE)
    pdf.set_x(x)
    indent = 6.0 if line.style == "item" else 0.0
    pdf.set_x(x + indent)
    pdf.multi_cell(
        width - indent,
        size * _PT * _LINE_HEIGHT,
        line.text,
        align=align,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )


def render_pdf(form: Form) -> bytes:
    """The form as a one- or more-page A4 PDF with DejaVu Sans embedded (subset)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    lines = form_lines(form)
    title = next(line.text for line in lines if line.style == "title")
    pdf.set_title(title)
    pdf.set_lang("vi")
    pdf.set_creator("OnceGov")
    # A fixed creation date makes the same form the same file (no clock read here).
    pdf.set_creation_date(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    pdf.add_page()
    full = pdf.epw
    for run in _runs(lines):
        first = run[0]
        pdf.set_y(pdf.get_y() + _GAP_BEFORE.get(first.style, 1.0))
        if first.column == "full":
            _write(pdf, first, full, pdf.l_margin)
            continue
        # The heading band gives the motto the wider right column (it fits on one line at
        # 12 pt); signatures share the width equally.
        left = full * (0.4 if any(line.style == "motto" for line in run) else 0.5)
        top, page = pdf.get_y(), pdf.page
        bottoms = []
        for column, x, width in (
            ("left", pdf.l_margin, left - 2),
            ("right", pdf.l_margin + left, full - left),
        ):
            pdf.page = page
            pdf.set_y(top)
            for line in (line for line in run if line.column == column):
                _write(pdf, line, width, x)
            bottoms.append((pdf.page, pdf.get_y()))
        pdf.page, bottom = max(bottoms)
        pdf.set_y(bottom)
    return bytes(pdf.output())
