"""Vietnamese text normalisation: NFC for storage, an accent-free key for matching; and what
may be stored as text at all (``text_problem``, ``name_problem``)."""

from __future__ import annotations

import re
import unicodedata
from functools import partial
from typing import Annotated

from pydantic import AfterValidator

from oncegov.errors import ValidationFailed
from oncegov.translatable import N_

_SPECIAL = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str) -> str:
    """Unicode NFC with collapsed whitespace: how names are stored."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: ``Nông Thị Ánh`` → ``nong thi anh``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


# --- tone-mark placement -------------------------------------------------------------------------
# Two placements of the tone mark are in use in the open syllables oa, oe and uy: on the first
# vowel (hòa, khỏe, thủy, úy) or on the second (hoà, khoẻ, thuỷ, uý), as the 1980s school
# rules and some keyboards write it. Both are correct Vietnamese and name one person, but they
# are different code points. ``tone_marks_on_first_vowel`` writes every such syllable the
# first way. Closed syllables (hoàng, thuyết) and "qu" + y (quý: the u belongs to the
# consonant) have one placement only and are left alone.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # grave, acute, tilde, hook, dot
_OPEN_PAIRS = frozenset({"oa", "oe", "uy"})
# A word of a decomposed text: letters and the combining marks on them.
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")


def _clusters(word: str) -> list[list[str]]:
    """A decomposed word as [base letter, its combining marks…] clusters."""
    clusters: list[list[str]] = []
    for char in word:
        if unicodedata.combining(char) and clusters:
            clusters[-1].append(char)
        else:
            clusters.append([char])
    return clusters


def _placed_tone(word: str, on_first: bool) -> str:
    clusters = _clusters(word)
    if len(clusters) < 2:
        return word
    first, second = clusters[-2], clusters[-1]
    if (first[0] + second[0]).lower() not in _OPEN_PAIRS:
        return word
    if len(clusters) > 2 and clusters[-3][0].lower() == "q":
        return word
    marks = first[1:] + second[1:]
    if len(marks) != 1 or marks[0] not in _TONE_MARKS:
        return word  # no tone, or the vowels carry other marks too (not an oa/oe/uy syllable)
    if on_first:
        clusters[-2], clusters[-1] = [first[0], marks[0]], [second[0]]
    else:
        clusters[-2], clusters[-1] = [first[0]], [second[0], marks[0]]
    return "".join("".join(cluster) for cluster in clusters)


def _with_tones_placed(text: str, on_first: bool) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    placed = _WORD.sub(lambda m: _placed_tone(m[0], on_first), decomposed)
    return unicodedata.normalize("NFC", placed)


def tone_marks_on_first_vowel(text: str) -> str:
    """``text`` (NFC) with the tone mark of open oa/oe/uy syllables on the first vowel:
    ``Hoà`` → ``Hòa``, ``Thuỷ`` → ``Thủy``, ``khoẻ`` → ``khỏe``, ``Uý`` → ``Úy``."""
    return _with_tones_placed(text, on_first=True)


def tone_marks_on_second_vowel(text: str) -> str:
    """The other placement: ``Hòa`` → ``Hoà``, ``Thủy`` → ``Thuỷ`` (test data, mostly)."""
    return _with_tones_placed(text, on_first=False)


def name_key(full_name: str) -> str:
    """Order-insensitive match key: folded name tokens sorted.

    Matches ``Nông Văn Dũng`` with ``Dung Van Nong`` (western order on foreign documents).
    """
    return " ".join(sorted(fold(full_name).split()))


# --- what may be stored as text -----------------------------------------------------------------
# Messages are translatable message ids (extracted from here), shown with the field's name.
SURROGATE = N_("must be valid text: it holds a broken character")
CONTROL = N_("must not contain control characters")
INVISIBLE = N_("must not contain invisible formatting characters")
MARKUP = N_("must not contain markup")
NAME_CHARACTERS = N_("may contain only letters, spaces, apostrophes, hyphens and dots")
NAME_DIGITS = N_("must not contain digits")
NAME_NO_LETTER = N_("must contain letters")

_LINE_BREAKS = frozenset("\t\n\r")
# A tag, a comment or a processing instruction; a lone "<" or "a < b" is still plain text.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_NAME_PUNCTUATION = frozenset(" '’-.")


def text_problem(value: str, *, multiline: bool = False, markup: bool = False) -> str | None:
    """Why ``value`` cannot be stored as text, or None.

    Refused: lone surrogates (category Cs: not encodable, the databases raise), control
    characters (Cc; tabs and line breaks only in multi-line text), invisible formatting
    characters (Cf: zero-width spaces and joiners, bidirectional overrides that make a name
    display as another), line and paragraph separators in single-line text, and unless
    ``markup`` HTML tags. ``str.isprintable`` (C speed) clears almost every value at once."""
    if not value.isprintable():
        for char in value:
            category = unicodedata.category(char)
            if category == "Cs":
                return SURROGATE
            if category == "Cc" and not (multiline and char in _LINE_BREAKS):
                return CONTROL
            if category == "Cf":
                return INVISIBLE
            if category in ("Zl", "Zp") and not multiline:
                return CONTROL
    if not markup and _MARKUP.search(value):
        return MARKUP
    return None


def name_problem(value: str) -> str | None:
    """Why ``value`` is not a person's name, or None: letters of any script (with combining
    marks, after NFC), spaces, apostrophes, hyphens and dots (initials, ``Mlle.``)."""
    problem = text_problem(value)
    if problem:
        return problem
    if value.replace(" ", "").isalpha():  # the fast path: almost every name
        return None
    for char in value:
        if char.isalpha() or char in _NAME_PUNCTUATION:
            continue
        if unicodedata.category(char).startswith("M"):
            continue  # a combining mark NFC could not compose (no precomposed form exists)
        return NAME_DIGITS if char.isdigit() else NAME_CHARACTERS
    if not any(char.isalpha() for char in value):
        return NAME_NO_LETTER
    return None


def clean_text(value: str, *, multiline: bool = False, markup: bool = False) -> str:
    """``value`` as stored: NFC, single-spaced (multi-line text keeps its lines, stripped).
    Raises ``ValueError`` with the reason when it cannot be stored (see ``text_problem``)."""
    cleaned = unicodedata.normalize("NFC", value).strip() if multiline else nfc(value)
    problem = text_problem(cleaned, multiline=multiline, markup=markup)
    if problem:
        raise ValueError(problem)
    return cleaned


def clean_name(value: str) -> str:
    """A person's name as stored (NFC, single-spaced); ``ValueError`` with the reason if it is
    not one (see ``name_problem``)."""
    cleaned = nfc(value)
    problem = name_problem(cleaned)
    if problem:
        raise ValueError(problem)
    return cleaned


def require_text(value: str, *, field: str, multiline: bool = False) -> str:
    """``clean_text`` for services that take free text from pages and the API alike: refused
    with ``ValidationFailed`` naming ``field``."""
    try:
        return clean_text(value, multiline=multiline)
    except ValueError as refused:
        raise ValidationFailed(str(refused), field=field) from None


# Pydantic field types of text input (schemas add their own ``max_length``): NFC, refused with
# the reason (the field is named by the validation error's location).
PlainText = Annotated[str, AfterValidator(clean_text)]
LongText = Annotated[str, AfterValidator(partial(clean_text, multiline=True))]
PersonName = Annotated[str, AfterValidator(clean_name)]


def keying_distance(a: str, b: str, *, swaps: bool = True) -> int:
    """Keying errors between two words: substitutions, insertions, deletions and (with
    ``swaps``) transpositions of neighbours, each one error — the optimal-string-alignment
    distance; without ``swaps``, Levenshtein's."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(
                rows[i - 1][j] + 1,
                row[j - 1] + 1,
                rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]),
            )
            swapped = i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]
            if swaps and swapped:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
