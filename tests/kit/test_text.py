from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from oncegov.kit.text import (
    CONTROL,
    INVISIBLE,
    MARKUP,
    SURROGATE,
    clean_name,
    clean_text,
    fold,
    name_key,
    name_problem,
    nfc,
    text_problem,
    tone_marks_on_first_vowel,
)


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


# --- what may be stored as text ---------------------------------------------------------------

_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs"}


@given(st.text())
def test_text_problem_refuses_exactly_the_control_invisible_and_broken_characters(
    text: str,
) -> None:
    unstorable = any(
        unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in "\u2028\u2029" for ch in text
    )
    problem = text_problem(text, markup=True)
    assert (problem is not None) == unstorable


@given(st.text())
def test_multiline_text_allows_only_tabs_and_line_breaks_among_controls(text: str) -> None:
    unstorable = any(
        unicodedata.category(ch) in _REFUSED_CATEGORIES and ch not in "\t\n\r" for ch in text
    )
    assert (text_problem(text, multiline=True, markup=True) is not None) == unstorable


@given(st.text())
def test_clean_text_is_nfc_idempotent_and_never_returns_unstorable_text(text: str) -> None:
    try:
        cleaned = clean_text(text)
    except ValueError as refused:
        assert str(refused) in {SURROGATE, CONTROL, INVISIBLE, MARKUP}
        return
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_text(cleaned) == cleaned
    assert text_problem(cleaned) is None
    cleaned.encode("utf-8")  # storable: no lone surrogate


_NAME_ALPHABET = st.characters(categories=("L", "M", "Zs"), include_characters=" '’-.")


@given(st.text(_NAME_ALPHABET, min_size=1))
def test_names_of_letters_marks_and_name_punctuation_are_accepted_if_they_hold_a_letter(
    text: str,
) -> None:
    cleaned = nfc(text)
    problem = name_problem(cleaned)
    if any(ch.isalpha() for ch in cleaned):
        assert problem is None, (cleaned, problem)
    else:
        assert problem is not None


@given(st.text(min_size=1), st.sampled_from(["\x00", "\u200b", "\u202e", "\ufeff", "<b>", "7"]))
def test_a_name_holding_a_refused_character_is_never_accepted(text: str, bad: str) -> None:
    assert name_problem(nfc(text + bad + text)) is not None


def test_names_in_many_scripts_are_accepted() -> None:
    for name in ("Nông Văn Dũng", "H'Hen Niê", "Trần-Lê Thị Ánh", "Ksor H. Bi", "Ма Ли", "김민준"):
        assert name_problem(nfc(name)) is None, name
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert clean_name(decomposed) == "Nguyễn Thị Ánh"


def test_markup_is_refused_but_a_lone_angle_bracket_is_text() -> None:
    assert text_problem("<script>alert(1)</script>") == MARKUP
    assert text_problem("<!-- x -->") == MARKUP
    assert text_problem("a < b và c > d") is None
    assert text_problem("<b>ok</b>", markup=True) is None


# Old and new placement of the tone mark in open oa/oe/uy syllables name the same person.
TONE_PAIRS = [
    ("Hoà", "Hòa"),
    ("Thuỷ", "Thủy"),
    ("khoẻ", "khỏe"),
    ("Uý", "Úy"),
    ("Thuý", "Thúy"),
    ("Thuỵ", "Thụy"),
    ("Xoã", "Xõa"),
    ("HOÀ", "HÒA"),
    ("Nguyễn Thị Thuý Hoà", "Nguyễn Thị Thúy Hòa"),
]


def test_tone_marks_go_on_the_first_vowel_of_open_oa_oe_uy() -> None:
    for old, new in TONE_PAIRS:
        assert tone_marks_on_first_vowel(old) == new
        assert tone_marks_on_first_vowel(new) == new
        assert fold(old) == fold(new)  # folding never depended on it


def test_syllables_with_one_placement_are_left_alone() -> None:
    for word in ("Hoàng", "Thuyết", "Quý", "Quỳnh", "ngoài", "Hoa", "Toản", "Khuê", "Của", "Tuấn"):
        assert tone_marks_on_first_vowel(word) == word


@given(st.text())
def test_tone_placement_changes_nothing_but_the_mark_position(text: str) -> None:
    placed = tone_marks_on_first_vowel(text)
    assert fold(placed) == fold(text)
    assert tone_marks_on_first_vowel(placed) == placed
    assert placed == unicodedata.normalize("NFC", placed)
