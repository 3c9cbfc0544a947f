"""All SQL for administrative units."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.units.models import Commune, Province


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def commune(self, code: str) -> Commune | None:
        return self.session.get(Commune, code)

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
