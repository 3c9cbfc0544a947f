"""Vietnamese text normalisation: NFC for storage, an accent-free key for matching."""

from __future__ import annotations

import unicodedata

_SPECIAL = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str) -> str:
    """Unicode NFC with collapsed whitespace: how names are stored."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: ``Nông Thị Ánh`` → ``nong thi anh``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def name_key(full_name: str) -> str:
    """Order-insensitive match key: folded name tokens sorted.

    Matches ``Nông Văn Dũng`` with ``Dung Van Nong`` (western order on foreign documents).
    """
    return " ".join(sorted(fold(full_name).split()))
