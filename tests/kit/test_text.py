from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from oncegov.kit.text import fold, name_key, nfc


def test_fold_removes_vietnamese_diacritics_and_d_stroke() -> None:
    assert fold("Nông Thị Ánh Đào") == "nong thi anh dao"
    assert fold("  HOÀNG   Văn  Thụ ") == "hoang van thu"


def test_name_key_ignores_order_and_accents() -> None:
    assert name_key("Nông Văn Dũng") == name_key("dung van nong")
    assert name_key("Nông Văn Dũng") != name_key("Nông Văn Dung Anh")


def test_nfc_composes_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    assert decomposed != "Nguyễn"
    assert nfc(decomposed) == "Nguyễn"


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese(text: str) -> None:
    assert fold(fold(text)) == fold(text)
