"""A sector record to vary in tests: ``sector_record(full_name=…, birth_day=None, …)``."""

from __future__ import annotations

from dataclasses import replace

from oncegov.linkage.extract import SectorRecord

BASE = SectorRecord(
    record_key="r1",
    full_name="Nông Văn Dũng",
    date_of_birth_text="17/05/1985",
    birth_year=1985,
    birth_month=5,
    birth_day=17,
    sex="M",
    address=None,
    old_id_number=None,
    personal_id=None,
    phone=None,
)


def sector_record(**changes: object) -> SectorRecord:
    return replace(BASE, **changes)  # type: ignore[arg-type]
