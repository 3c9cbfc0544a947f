"""The check every uploaded document passes before it is stored: PDF, JPEG or PNG only,
recognised by its content (never by the name the client sent), within a size limit, hashed.

``check_upload(data, filename, max_bytes)`` answers a ``CheckedUpload`` (the content type and
extension the content proves, its SHA-256 and size, an image's dimensions) or refuses with a
``ValidationFailed`` on the field ``file`` whose code says why: ``file_empty``,
``file_too_large`` (params ``limit`` in bytes and ``limit_text`` such as "10 MiB"),
``file_type_not_allowed`` (not PDF/JPEG/PNG, whatever the extension says),
``file_extension_mismatch`` (a PNG named ``.pdf``), ``file_damaged`` (a truncated PDF, an image
that does not decode far enough to read its size). The content is recognised with the
``filetype`` package (magic numbers), then checked further per type: a PDF must begin with
``%PDF-`` and end with ``%%EOF`` (ISO 32000-1 §7.5.2 header, §7.5.5 trailer), an image must open
in Pillow as the same format and give its dimensions (a PNG's chunk checksums are verified).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from PIL import Image, UnidentifiedImageError

from oncegov.errors import ValidationFailed
from oncegov.translatable import N_

FIELD = "file"

EMPTY = N_("The file is empty")
TOO_LARGE = N_("The file is larger than the allowed size")
NOT_ALLOWED = N_("Only PDF, JPEG and PNG files are accepted")
EXTENSION_MISMATCH = N_("The file's name does not match its content")
DAMAGED = N_("The file is damaged or incomplete")


@dataclass(frozen=True, slots=True)
class _Kind:
    content_type: str
    extension: str  # the one we store and serve it under
    names: frozenset[str]  # extensions a client may have given it
    pillow_format: str | None


_KINDS = {
    "application/pdf": _Kind("application/pdf", "pdf", frozenset({"pdf"}), None),
    "image/jpeg": _Kind("image/jpeg", "jpg", frozenset({"jpg", "jpeg", "jpe", "jfif"}), "JPEG"),
    "image/png": _Kind("image/png", "png", frozenset({"png"}), "PNG"),
}
# ISO 32000-1 §7.5.5: the last line of the file holds "%%EOF". assumption: like common readers,
# we look for it in the last 1024 bytes, so trailing whitespace or padding does not refuse it.
_TRAILER_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    content_type: str
    extension: str
    sha256: str
    size: int
    width: int | None = None  # images only
    height: int | None = None


def format_bytes(count: int) -> str:
    """A size for people: "10 MiB", "512 KiB", "1.5 MiB", "900 bytes"."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= factor:
            value = count / factor
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{count} bytes"


def _extension(filename: str) -> str:
    # Only the last component, whichever separator the client's system uses.
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    suffix = PurePosixPath(name).suffix
    return suffix[1:].lower() if suffix else ""


def check_upload(data: bytes, filename: str, max_bytes: int) -> CheckedUpload:
    if not data:
        raise ValidationFailed(EMPTY, field=FIELD, code="file_empty")
    if len(data) > max_bytes:
        raise ValidationFailed(
            TOO_LARGE,
            field=FIELD,
            code="file_too_large",
            limit=max_bytes,
            limit_text=format_bytes(max_bytes),
        )
    guessed = filetype.guess(data)
    kind = _KINDS.get(guessed.mime) if guessed is not None else None
    if kind is None:
        raise ValidationFailed(NOT_ALLOWED, field=FIELD, code="file_type_not_allowed")
    given = _extension(filename)
    if given and given not in kind.names:
        raise ValidationFailed(
            EXTENSION_MISMATCH,
            field=FIELD,
            code="file_extension_mismatch",
            extension=given,
            detected=kind.extension,
        )
    width = height = None
    if kind.pillow_format is None:
        _check_pdf(data)
    else:
        width, height = _image_size(data, kind.pillow_format)
    return CheckedUpload(
        content_type=kind.content_type,
        extension=kind.extension,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        width=width,
        height=height,
    )


def _check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-_TRAILER_WINDOW:]:
        raise ValidationFailed(DAMAGED, field=FIELD, code="file_damaged")


def _image_size(data: bytes, pillow_format: str) -> tuple[int, int]:
    """Open the image far enough to read its header (Pillow decodes no pixels here), and for
    a PNG walk its chunks' checksums to the end (``verify``), so a cut-off PNG is refused. An
    image past Pillow's decompression-bomb limit is refused like a damaged one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
                size = image.size
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationFailed(DAMAGED, field=FIELD, code="file_damaged") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed(DAMAGED, field=FIELD, code="file_damaged") from exc
    if pillow_format == "JPEG" and b"\xff\xd9" not in data[-_TRAILER_WINDOW:]:
        # The end-of-image marker (ITU-T T.81 B.2.1); a cut-off JPEG lacks it. assumption:
        # within the last 1024 bytes, so a phone's "motion photo" (a video appended after
        # the image) is refused; none of our procedures asks for one.
        raise ValidationFailed(DAMAGED, field=FIELD, code="file_damaged")
    width, height = size
    if width <= 0 or height <= 0:
        raise ValidationFailed(DAMAGED, field=FIELD, code="file_damaged")
    return width, height
