"""Administrative units: the only entry other domains use to read provinces and communes.

Units are reference data, not personal data, so these reads are not audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from oncegov.units.models import Commune, Province
from oncegov.units.repository import UnitRepository


def commune(session: Session, code: str) -> Commune | None:
    return UnitRepository(session).commune(code)


def commune_codes(session: Session) -> frozenset[str]:
    return UnitRepository(session).commune_codes()


def communes_of_province(session: Session, province_code: str) -> Sequence[Commune]:
    """The province's communes, by name."""
    return UnitRepository(session).communes_of_province(province_code)


def commune_codes_of_province(session: Session, province_code: str) -> frozenset[str]:
    """The codes alone (a province-wide unit scope); empty for an unknown province."""
    return UnitRepository(session).commune_codes_of_province(province_code)


def province(session: Session, code: str) -> Province | None:
    return UnitRepository(session).province(code)


def provinces(session: Session) -> Sequence[Province]:
    return UnitRepository(session).provinces()


class CommuneNames:
    """Commune names for one page or report, each looked up once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[str, str | None] = {}

    def preload(self, codes: Iterable[str | None]) -> None:
        """Look up the names of all of ``codes`` not yet known in one query (a page's rows)."""
        wanted = {code for code in codes if code and code not in self.cache}
        if not wanted:
            return
        found = UnitRepository(self.session).commune_names(wanted)
        for code in wanted:
            self.cache[code] = found.get(code)

    def name(self, code: str | None) -> str | None:
        if not code:
            return None
        if code not in self.cache:
            found = commune(self.session, code)
            self.cache[code] = found.name if found else None
        return self.cache[code]

    def label(self, code: str | None) -> str:
        """``Phường Thục Phán (01273)``, the code alone if unknown, ``—`` if none."""
        if not code:
            return "—"
        name = self.name(code)
        return f"{name} ({code})" if name else code
