"""Uploads are recognised by content: PDF, JPEG and PNG only, within the limit, not damaged."""

from __future__ import annotations

import hashlib
import io

import pytest
from fpdf import FPDF
from PIL import Image
from pydantic import ValidationError

from oncegov.config import Settings, settings
from oncegov.errors import ValidationFailed
from oncegov.kit.uploads import check_upload, format_bytes

LIMIT = 1024 * 1024


def small_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Application form")
    return bytes(pdf.output())


def small_image(fmt: str, size: tuple[int, int] = (37, 21)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def refusal(data: bytes, filename: str, max_bytes: int = LIMIT) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check_upload(data, filename, max_bytes)
    assert caught.value.field == "file"
    assert caught.value.status == 422
    return caught.value


def test_a_real_pdf_is_accepted() -> None:
    data = small_pdf()
    checked = check_upload(data, "don-de-nghi.PDF", LIMIT)
    assert checked.content_type == "application/pdf"
    assert checked.extension == "pdf"
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)
    assert checked.width is None


@pytest.mark.parametrize("name", ["anh.jpg", "anh.JPEG", "C:\\Users\\an\\anh.jpg", "anh"])
def test_a_real_jpeg_is_accepted(name: str) -> None:
    checked = check_upload(small_image("JPEG"), name, LIMIT)
    assert (checked.content_type, checked.extension) == ("image/jpeg", "jpg")
    assert (checked.width, checked.height) == (37, 21)


def test_a_real_png_is_accepted() -> None:
    checked = check_upload(small_image("PNG", (5, 9)), "scan.png", LIMIT)
    assert (checked.content_type, checked.extension) == ("image/png", "png")
    assert (checked.width, checked.height) == (5, 9)


def test_a_png_named_pdf_is_refused() -> None:
    error = refusal(small_image("PNG"), "giay-to.pdf")
    assert error.code == "file_extension_mismatch"
    assert error.params == {"extension": "pdf", "detected": "png"}


def test_a_pdf_named_jpg_is_refused() -> None:
    assert refusal(small_pdf(), "anh.jpg").code == "file_extension_mismatch"


def test_a_text_file_named_pdf_is_refused() -> None:
    error = refusal("Đơn đề nghị đăng ký tạm trú\n".encode(), "don.pdf")
    assert error.code == "file_type_not_allowed"
    assert error.message == "Only PDF, JPEG and PNG files are accepted"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP"], ids=["gif", "bmp", "tiff", "webp"])
def test_other_images_are_refused_whatever_their_name(fmt: str) -> None:
    assert refusal(small_image(fmt), "anh.png").code == "file_type_not_allowed"


def test_a_zip_is_refused() -> None:
    assert refusal(b"PK\x03\x04" + b"\0" * 100, "hoso.pdf").code == "file_type_not_allowed"


def test_a_truncated_pdf_is_refused() -> None:
    data = small_pdf()
    assert refusal(data[: len(data) // 2], "don.pdf").code == "file_damaged"


def test_a_pdf_header_alone_is_refused() -> None:
    assert refusal(b"%PDF-1.7\n", "don.pdf").code == "file_damaged"


def test_a_truncated_png_is_refused() -> None:
    data = small_image("PNG", (64, 64))
    assert refusal(data[:-20], "scan.png").code == "file_damaged"


def test_a_truncated_jpeg_is_refused() -> None:
    data = small_image("JPEG", (64, 64))
    assert refusal(data[: len(data) - 40], "anh.jpg").code == "file_damaged"


def test_empty_is_refused() -> None:
    assert refusal(b"", "don.pdf").code == "file_empty"


def test_oversize_is_refused_with_the_limit() -> None:
    data = small_pdf()
    error = refusal(data, "don.pdf", max_bytes=len(data) - 1)
    assert error.code == "file_too_large"
    assert error.params["limit"] == len(data) - 1
    exactly = check_upload(data, "don.pdf", len(data))
    assert exactly.size == len(data)


def test_oversize_names_the_configured_limit_formatted() -> None:
    error = refusal(b"%PDF-" + b"0" * (10 * 1024 * 1024) + b"%%EOF", "x.pdf", 10 * 1024 * 1024)
    assert error.params["limit_text"] == "10 MiB"


@pytest.mark.parametrize(
    ("count", "text"),
    [(900, "900 bytes"), (1024, "1 KiB"), (1536 * 1024, "1.5 MiB"), (10 * 1024**2, "10 MiB")],
)
def test_format_bytes(count: int, text: str) -> None:
    assert format_bytes(count) == text


def test_the_body_limit_lets_a_full_size_document_through() -> None:
    assert settings.max_document_bytes == 10 * 1024 * 1024
    assert settings.max_upload_bytes > settings.max_document_bytes
    with pytest.raises(ValidationError, match="MAX_UPLOAD_BYTES"):
        Settings(max_document_bytes=20 * 1024 * 1024, max_upload_bytes=20 * 1024 * 1024)
