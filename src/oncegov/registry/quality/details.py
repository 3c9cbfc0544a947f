"""A finding's detail in the reader's language.

The checks store the detail as one English sentence (the API returns it as stored, and old
findings keep theirs); pages translate it here, fragment by fragment: each fragment a check
writes has a pattern and a message id, its values (personal IDs, codes, dates) carried over,
field names shown by their labels and dates as dates are written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from oncegov.registry.quality.rules import FIELD_LABELS
from oncegov.registry.schemas import SEX_LABELS
from oncegov.translatable import N_
from oncegov.web.i18n import _

_PID = r"(?P<pid>\d{12})"
_DATE = r"(?P<date>\d{4}(?:-\d{2}){0,2})"
_BIRTH = r"(?P<birth>\d{4}(?:-\d{2}){0,2})"


def _date(text: str) -> str:
    """``1987-03-02`` → ``02/03/1987`` (a partial date keeps what it has)."""
    return "/".join(reversed(text.split("-")))


def _fields(text: str) -> str:
    return ", ".join(_(FIELD_LABELS.get(name.strip(), name.strip())) for name in text.split(","))


Fragment = tuple[re.Pattern[str], str]
# Most specific first: a later, shorter pattern must not eat part of an earlier one.
FRAGMENTS: tuple[Fragment, ...] = (
    (re.compile(r"Missing: (?P<fields>[a-z_, ]+)"), N_("Missing: %(fields)s")),
    (
        re.compile(r"(?P<a>\d{12}) and (?P<b>\d{12}): "),
        N_("%(a)s and %(b)s: "),
    ),
    (
        re.compile(r"same name and date of birth \(" + _BIRTH + r"\)"),
        N_("same name and date of birth (%(birth)s)"),
    ),
    (re.compile(r"same old ID number (?P<number>\d+)"), N_("same old ID number %(number)s")),
    (re.compile(r"Deceased \(" + _DATE + r"\)"), N_("Deceased (%(date)s)")),
    (re.compile(r"\bDeceased\b"), N_("Deceased")),
    (
        re.compile(r"named head of household (?P<code>[\w-]+)"),
        N_("named head of household %(code)s"),
    ),
    (
        re.compile(r"relationship 'head' in household (?P<code>[\w-]+)"),
        N_("recorded as head of household %(code)s"),
    ),
    (
        re.compile(r"current residence in commune (?P<code>\w+)"),
        N_("current residence in commune %(code)s"),
    ),
    (re.compile(r"member of household (?P<code>[\w-]+)"), N_("member of household %(code)s")),
    (re.compile(r"No head named"), N_("No head named")),
    (
        re.compile(r"Head " + _PID + r" is not in the registry"),
        N_("Head %(pid)s is not in the registry"),
    ),
    (
        re.compile(r"Head " + _PID + r" belongs to no household"),
        N_("Head %(pid)s belongs to no household"),
    ),
    (
        re.compile(
            r"Head " + _PID + r" is a member of household (?P<code>[\w-]+), not of this one"
        ),
        N_("Head %(pid)s is a member of household %(code)s, not of this one"),
    ),
    (
        re.compile(r"Living, aged (?P<age>\d+) \(born " + _BIRTH + r"\)"),
        N_("Living, aged %(age)s (born %(birth)s)"),
    ),
    (
        re.compile(r"Date of death " + _DATE + r" is before birth " + _BIRTH),
        N_("Date of death %(date)s is before birth %(birth)s"),
    ),
    (
        re.compile(
            r"(?P<who>Child|Parent) born (?P<year>\d{4}), head "
            + _PID
            + r" born (?P<head_year>\d{4}): (?P<gap>-?\d+) years apart "
            r"\(at least (?P<least>\d+) expected\)"
        ),
        "",  # two messages, chosen by ``who`` below
    ),
    (re.compile(r"Spouse is the person themself"), N_("Spouse is the person themself")),
    (
        re.compile(r"Personal ID number encodes birth year (?P<a>\d+), the record says (?P<b>\d+)"),
        N_("Personal ID number encodes birth year %(a)s, the record says %(b)s"),
    ),
    (
        re.compile(
            r"Personal ID number encodes sex (?P<sex_a>[MF]), the record says (?P<sex_b>[MF])"
        ),
        N_("Personal ID number encodes sex %(sex_a)s, the record says %(sex_b)s"),
    ),
    (re.compile(r" but "), N_(" but ")),
    (re.compile(r" and "), N_(" and ")),
)
_KINSHIP = {
    "Child": N_("Child born %(year)s, head %(pid)s born %(head_year)s: %(gap)s years apart "
                "(at least %(least)s expected)"),
    "Parent": N_("Parent born %(year)s, head %(pid)s born %(head_year)s: %(gap)s years apart "
                 "(at least %(least)s expected)"),
}  # fmt: skip


def _replacement(message: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        values = match.groupdict()
        if "fields" in values:
            values["fields"] = _fields(values["fields"])
        for name in ("sex_a", "sex_b"):
            if values.get(name):
                values[name] = _(SEX_LABELS[values[name]])
        for name in ("date", "birth"):
            if values.get(name):
                values[name] = _date(values[name])
        chosen = _KINSHIP[values.pop("who")] if "who" in values else message
        # A private-use marker keeps a translated fragment from matching a later pattern.
        return "\ue000" + (_(chosen) % values if values else _(chosen)) + "\ue001"

    return replace


def translated_detail(detail: str) -> str:
    """``Missing: household_code`` → ``Thiếu: Mã hộ gia đình`` (vi); unknown text stays as is,
    and a personal-ID fault (the kit's own message) is looked up whole."""
    whole = _(detail)
    if whole != detail:
        return whole
    text = detail
    for pattern, message in FRAGMENTS:
        parts = re.split("(\ue000[^\ue001]*\ue001)", text)
        text = "".join(
            part if part.startswith("\ue000") else pattern.sub(_replacement(message), part)
            for part in parts
        )
    return text.replace("\ue000", "").replace("\ue001", "")
