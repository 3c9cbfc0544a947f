"""Partial indexes over the open dossiers for the officers' queues and the deadline scan, and
one over the ended ones for the statistics; they replace the full ``(commune_code, role,
state, due_at)``, ``(assigned_to, state)`` and ``(ended_at, due_at)`` indexes (SQLite's statistics of the latter count
about one row per ``ended_at`` value, NULL included, so every queue page walked all open
dossiers: 20-60 ms at 1,000,000 dossiers; see docs/procedures.md).

Revision ID: 8a2c4e6f1b30
Revises: 7d3f1a9c5b20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8a2c4e6f1b30"
down_revision: str | Sequence[str] | None = "7d3f1a9c5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "ended_at IS NULL"
ENDED = "ended_at IS NOT NULL"
ASSIGNED_OPEN = "ended_at IS NULL AND assigned_to IS NOT NULL"


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        "dossiers",
        columns,
        unique=False,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("ix_dossiers_queue", table_name="dossiers")
    op.drop_index("ix_dossiers_open_due", table_name="dossiers")
    op.drop_index("ix_dossiers_assignee", table_name="dossiers")
    _partial("ix_dossiers_open_queue", ["commune_code", "role", "id"], OPEN)
    _partial(
        "ix_dossiers_open_order",
        ["id", "role", "commune_code", "assigned_to", "paused_since", "due_at", "procedure_code"],
        OPEN,
    )
    _partial("ix_dossiers_assignee", ["assigned_to", "id"], ASSIGNED_OPEN)
    _partial("ix_dossiers_open_due", ["due_at"], OPEN)
    _partial("ix_dossiers_ended", ["ended_at"], ENDED)


def downgrade() -> None:
    op.drop_index("ix_dossiers_ended", table_name="dossiers")
    op.drop_index("ix_dossiers_open_due", table_name="dossiers")
    op.drop_index("ix_dossiers_assignee", table_name="dossiers")
    op.create_index("ix_dossiers_assignee", "dossiers", ["assigned_to", "state"], unique=False)
    op.drop_index("ix_dossiers_open_order", table_name="dossiers")
    op.drop_index("ix_dossiers_open_queue", table_name="dossiers")
    op.create_index("ix_dossiers_open_due", "dossiers", ["ended_at", "due_at"], unique=False)
    op.create_index(
        "ix_dossiers_queue", "dossiers", ["commune_code", "role", "state", "due_at"], unique=False
    )
