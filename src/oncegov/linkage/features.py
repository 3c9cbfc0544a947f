"""Comparison columns for probabilistic linkage: registry people and sector records as Arrow tables.

Both sides get the same columns, so the Splink settings compare like with like:

========================  =====================================================================
``unique_id``             personal ID (registry) or record key (extract)
``name_exact``            NFC, lower case, with diacritics (``nông văn dũng``), the tone mark of
                          oa/oe/uy on the first vowel (``hoà`` and ``hòa`` are both ``hòa``)
``name_key``              folded, family-first, spelling-keyed (``nong van dung``)
``name_core``             ``name_key`` without the middle tokens ``thi`` and ``van`` (Thị, Văn),
                          which sector data drops or adds: ``Nông Thị Mai`` and ``Nông Mai``
                          are both ``nong mai``. Family and given name are never dropped
``name_sorted``           the tokens of ``name_key`` sorted (any order, ``dung nong van``)
``name_folded``           folded as written, no reordering or spelling key (for typo distances:
                          a typo can defeat the family-name detection of ``canonical_order``)
``family_key``            first token of ``name_key``
``given_key``             last token of ``name_key``
``birth_year/month/day``  ints; month and day are null for year-only dates
``birth_date``            ``YYYY-MM-DD`` when the date is complete, else null
``sex``                   ``M`` / ``F`` / null
``commune_code``          registry: the person's commune; extract: the commune named in the address
``phone``                 digits only, ``+84``/``84`` written as ``0``
``old_id``                9- or 12-digit old ID number
========================  =====================================================================

Names repeat a lot (a province has a few thousand distinct names for a million people), so the
name keys are computed once per distinct name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pyarrow as pa

from oncegov.kit.text import fold, nfc, tone_marks_on_first_vowel
from oncegov.kit.vn_normalise import canonical_order, name_core, normalise_old_id, spelling_key
from oncegov.linkage.extract import SectorRecord
from oncegov.linkage.rules import RegistryPerson

SCHEMA = pa.schema(
    [
        ("unique_id", pa.string()),
        ("name_exact", pa.string()),
        ("name_key", pa.string()),
        ("name_core", pa.string()),
        ("name_sorted", pa.string()),
        ("name_folded", pa.string()),
        ("family_key", pa.string()),
        ("given_key", pa.string()),
        ("birth_year", pa.int32()),
        ("birth_month", pa.int32()),
        ("birth_day", pa.int32()),
        ("birth_date", pa.string()),
        ("sex", pa.string()),
        ("commune_code", pa.string()),
        ("phone", pa.string()),
        ("old_id", pa.string()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)

# --- communes ---------------------------------------------------------------------------------

# Folded prefixes of a commune-level unit as addresses write them (full and abbreviated).
_COMMUNE_PREFIXES = ("thi tran", "phuong", "xa", "tt", "p", "x")
_FULL_PREFIX = {"tt": "thi tran", "p": "phuong", "x": "xa"}
# Prefixes of other levels: a name after them is never a commune.
_OTHER_PREFIXES = ("thanh pho", "thi xa", "huyen", "tinh", "quan", "tp", "tx", "h", "q", "t")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LEADING_PREFIX = re.compile(
    r"^(?:(" + "|".join(_COMMUNE_PREFIXES) + r")|(" + "|".join(_OTHER_PREFIXES) + r"))\s+(.+)$"
)


def _folded_words(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


@dataclass(frozen=True)
class CommuneIndex:
    """Folded commune names of a province → codes (a name held by two communes is ambiguous)."""

    by_full_name: dict[str, frozenset[str]]  # "xa hoa an" → codes
    by_bare_name: dict[str, frozenset[str]]  # "hoa an" → codes
    # Addresses already read (``of``): a run reads each distinct address once, for the
    # model's features, the safety checks and the stored results alike.
    _read: dict[str | None, str | None] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len({code for codes in self.by_full_name.values() for code in codes})

    def of(self, address: str | None) -> str | None:
        """``commune_of(address, self)``, remembered."""
        if address not in self._read:
            self._read[address] = commune_of(address, self)
        return self._read[address]


def _bare(folded_name: str) -> tuple[str | None, str]:
    """(commune prefix or None, the name without it) of a folded unit name."""
    match = _LEADING_PREFIX.match(folded_name)
    if match is None:
        return None, folded_name
    if match[1] is not None:
        return match[1], match[3]
    return match[2], match[3]


def commune_index(communes: Iterable[tuple[str, str]]) -> CommuneIndex:
    """An index of ``(commune_code, commune_name)`` pairs, e.g. ``("01273", "Xã Hòa An")``."""
    full: dict[str, set[str]] = {}
    bare: dict[str, set[str]] = {}
    for code, name in communes:
        folded = _folded_words(name)
        if not folded:
            continue
        full.setdefault(folded, set()).add(code)
        prefix, rest = _bare(folded)
        if prefix is not None and prefix not in _COMMUNE_PREFIXES:
            continue  # not a commune-level name
        bare.setdefault(rest, set()).add(code)
    return CommuneIndex(
        by_full_name={k: frozenset(v) for k, v in full.items()},
        by_bare_name={k: frozenset(v) for k, v in bare.items()},
    )


def commune_of(address: str | None, index: CommuneIndex) -> str | None:
    """The code of the commune a free-text address names, or None (none found or ambiguous).

    The address is split at commas and semicolons; a part naming a commune with its prefix
    (``Xã Hòa An``, ``X. Hòa An``, ``P. Thục Phán``, ``TT Hòa Thuận``) is taken first. Without
    any, a part that is only a commune's bare name (``Hòa An``) counts, unless it is the last part
    (the province) or written after a district/province prefix (``Huyện Hòa An``).
    """
    if not address:
        return None
    parts = [_folded_words(p) for p in re.split(r"[,;\n]", address)]
    parts = [p for p in parts if p]
    prefixed: set[str] = set()
    bare_found: set[str] = set()
    for position, part in enumerate(parts):
        if part in index.by_full_name:
            prefixed |= index.by_full_name[part]
            continue
        prefix, rest = _bare(part)
        if prefix is None:
            if position < len(parts) - 1 and part in index.by_bare_name:
                bare_found |= index.by_bare_name[part]
        elif prefix in _COMMUNE_PREFIXES:
            full = f"{_FULL_PREFIX.get(prefix, prefix)} {rest}"
            if full in index.by_full_name:
                prefixed |= index.by_full_name[full]
            elif rest in index.by_bare_name:
                prefixed |= index.by_bare_name[rest]
    found = prefixed or bare_found
    return next(iter(found)) if len(found) == 1 else None


# --- names ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameFeatures:
    exact: str | None
    key: str | None
    core: str | None
    sorted_key: str | None
    folded: str | None
    family: str | None
    given: str | None


@lru_cache(maxsize=262_144)
def name_features(full_name: str) -> NameFeatures:
    """The name columns of one full name (cached: names repeat)."""
    exact = tone_marks_on_first_vowel(nfc(full_name).lower())
    if not exact:
        return NameFeatures(None, None, None, None, None, None, None)
    key = spelling_key(canonical_order(exact))
    tokens = key.split()
    return NameFeatures(
        exact=exact,
        key=key,
        core=name_core(tokens),
        sorted_key=" ".join(sorted(tokens)),
        folded=fold(exact),
        family=tokens[0] if len(tokens) > 1 else None,
        given=tokens[-1],
    )


# --- other fields -----------------------------------------------------------------------------

_DIGITS = re.compile(r"\D+")


def normalise_phone(text: str | None) -> str | None:
    """Digits only, the country code written as a leading 0; None unless 9–11 digits remain."""
    if not text:
        return None
    digits = _DIGITS.sub("", text)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits if 9 <= len(digits) <= 11 else None


def _birth_date(year: int | None, month: int | None, day: int | None) -> str | None:
    if year is None or month is None or day is None:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _sex(value: str | None) -> str | None:
    return value if value in ("M", "F") else None


def _old_id(value: str | None) -> str | None:
    return normalise_old_id(value) if value else None


def _table(
    rows: Iterable[
        tuple[
            str,
            str,
            int | None,
            int | None,
            int | None,
            str | None,
            str | None,
            str | None,
            str | None,
        ]
    ],
) -> pa.Table:
    """Columns from (unique_id, full_name, year, month, day, sex, commune, phone, old_id) rows."""
    columns: dict[str, list[object]] = {name: [] for name in COLUMNS}
    add = {name: columns[name].append for name in COLUMNS}
    for uid, full_name, year, month, day, sex, commune, phone, old_id in rows:
        names = name_features(full_name or "")
        day_known = day if month is not None else None
        add["unique_id"](uid)
        add["name_exact"](names.exact)
        add["name_key"](names.key)
        add["name_core"](names.core)
        add["name_sorted"](names.sorted_key)
        add["name_folded"](names.folded)
        add["family_key"](names.family)
        add["given_key"](names.given)
        add["birth_year"](year)
        add["birth_month"](month)
        add["birth_day"](day_known)
        add["birth_date"](_birth_date(year, month, day_known))
        add["sex"](_sex(sex))
        add["commune_code"](commune or None)
        add["phone"](normalise_phone(phone))
        add["old_id"](_old_id(old_id))
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def registry_frame(people: Sequence[RegistryPerson]) -> pa.Table:
    """One row per registry person; ``unique_id`` is the personal ID."""
    return _table(
        (
            p.personal_id,
            p.full_name,
            p.birth_year,
            p.birth_month,
            p.birth_day,
            p.sex,
            p.commune_code,
            p.phone,
            p.old_id_number,
        )
        for p in people
    )


def extract_frame(records: Sequence[SectorRecord], index: CommuneIndex) -> pa.Table:
    """One row per sector record; ``unique_id`` is the record key, the commune read from the
    address (once per distinct address)."""
    return _table(
        (
            r.record_key,
            r.full_name,
            r.birth_year,
            r.birth_month,
            r.birth_day,
            r.sex,
            index.of(r.address),
            r.phone,
            r.old_id_number,
        )
        for r in records
    )
