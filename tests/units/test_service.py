"""Administrative units: the reads other domains use, and the unit scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from oncegov.units import service as units
from oncegov.units.schemas import EVERYWHERE, UnitScope
from tests.fixtures import CAO_BANG, COMMUNE_A, COMMUNE_B


def test_a_province_and_its_communes(db: Session) -> None:
    province = units.province(db, CAO_BANG)
    assert province is not None and province.name == "Cao Bằng"
    communes = units.communes_of_province(db, CAO_BANG)
    assert [c.name for c in communes] == sorted(c.name for c in communes)
    assert units.commune_codes_of_province(db, CAO_BANG) == {c.code for c in communes}
    assert COMMUNE_A in units.commune_codes(db)
    assert units.commune_codes_of_province(db, "99") == frozenset()
    assert len(units.provinces(db)) == 34


def test_commune_names_label_known_unknown_and_missing_codes(db: Session) -> None:
    names = units.CommuneNames(db)
    assert names.label(COMMUNE_A) == f"Phường Thục Phán ({COMMUNE_A})"
    assert names.label("99999") == "99999"
    assert names.label(None) == "—"


def test_commune_names_preloaded_in_one_query_then_read_from_memory(db: Session) -> None:
    names = units.CommuneNames(db)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        names.preload([COMMUNE_A, COMMUNE_B, "99999", None, COMMUNE_A])
        assert len(statements) == 1
        labels = [names.label(code) for code in (COMMUNE_A, COMMUNE_B, "99999", None)]
        names.preload([COMMUNE_B, "99999"])  # all known: no query
        assert len(statements) == 1
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert labels == [
        f"Phường Thục Phán ({COMMUNE_A})",
        f"Phường Nùng Trí Cao ({COMMUNE_B})",
        "99999",
        "—",
    ]


def test_a_unit_scope_allows_its_communes_only() -> None:
    scope = UnitScope(frozenset({COMMUNE_A}))
    assert scope.allows(None, COMMUNE_A) and not scope.allows("99999")
    assert not scope.unrestricted
    assert EVERYWHERE.unrestricted and EVERYWHERE.allows("99999")
