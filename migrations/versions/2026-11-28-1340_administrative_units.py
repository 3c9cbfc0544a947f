"""Administrative units after the 2025 reform: 34 provinces and 3,321 communes.

Data from the ``vietnam-provinces`` package, loaded as reference data so every database,
production and test alike, has the same units.

Revision ID: a1d2m3u4n5i6
Revises: 9b29b9761e14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d2m3u4n5i6"
down_revision: str | Sequence[str] | None = "9b29b9761e14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from oncegov.units.loader import load_units

    provinces, communes = load_units()
    provinces_table = sa.table(
        "provinces",
        sa.column("code"),
        sa.column("name"),
        sa.column("division_type"),
        sa.column("codename"),
    )
    communes_table = sa.table(
        "communes",
        sa.column("code"),
        sa.column("name"),
        sa.column("division_type"),
        sa.column("codename"),
        sa.column("province_code"),
    )
    op.bulk_insert(provinces_table, provinces)
    op.bulk_insert(communes_table, communes)


def downgrade() -> None:
    op.execute("DELETE FROM communes")
    op.execute("DELETE FROM provinces")
