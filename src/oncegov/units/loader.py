"""Administrative units from the ``vietnam-provinces`` package (2025 reform: two levels); the
migration ``2026-11-28-1340_administrative_units`` loads them as reference data."""

from __future__ import annotations

from typing import Any

from vietnam_provinces import Province, Ward


def province_code(code: int) -> str:
    return f"{code:02d}"


def commune_code(code: int) -> str:
    return f"{code:05d}"


def load_units() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    provinces = [
        {
            "code": province_code(int(p.code)),
            "name": p.name,
            "division_type": p.division_type.value,
            "codename": p.codename,
        }
        for p in Province.iter_all()
    ]
    communes = [
        {
            "code": commune_code(int(w.code)),
            "name": w.name,
            "division_type": w.division_type.value,
            "codename": w.codename,
            "province_code": province_code(int(w.province_code)),
        }
        for w in Ward.iter_all()
    ]
    return provinces, communes
