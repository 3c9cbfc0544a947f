"""All SQL for administrative units."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.units.models import Commune, Province


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def commune(self, code: str) -> Commune | None:
        return self.session.get(Commune, code)

    def commune_names(self, codes: Collection[str]) -> dict[str, str]:
        """{code: name} of those of ``codes`` that exist, in one query."""
        if not codes:
            return {}
        rows = self.session.execute(
            select(Commune.code, Commune.name).where(Commune.code.in_(sorted(codes)))
        )
        return {row.code: row.name for row in rows}

    def commune_codes(self) -> frozenset[str]:
        return frozenset(self.session.scalars(select(Commune.code)))

    def communes_of_province(self, province_code: str) -> Sequence[Commune]:
        return self.session.scalars(
            select(Commune).where(Commune.province_code == province_code).order_by(Commune.name)
        ).all()

    def commune_codes_of_province(self, province_code: str) -> frozenset[str]:
        return frozenset(
            self.session.scalars(select(Commune.code).where(Commune.province_code == province_code))
        )

    def province(self, code: str) -> Province | None:
        return self.session.get(Province, code)

    def provinces(self) -> Sequence[Province]:
        return self.session.scalars(select(Province).order_by(Province.code)).all()
