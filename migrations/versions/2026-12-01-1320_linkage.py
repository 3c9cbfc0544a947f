"""Record linkage: runs, per-record results, review candidates, decisions, sector links.

Revision ID: d0470ec00008
Revises: d0460ec00007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0470ec00008"
down_revision: str | Sequence[str] | None = "d0460ec00007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linkage_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("extract_name", sa.String(length=255), nullable=False),
        sa.Column("extract_sha256", sa.String(length=64), nullable=False),
        sa.Column("settings_version", sa.String(length=60), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("linked_deterministic", sa.Integer(), nullable=False),
        sa.Column("linked_model", sa.Integer(), nullable=False),
        sa.Column("linked_clerical", sa.Integer(), nullable=False),
        sa.Column("review", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("linkage_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_linkage_runs_source"), ["source"], unique=False)

    op.create_table(
        "linkage_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("officer_name", sa.String(length=120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("decision IN ('accept', 'reject')", name="decision_known"),
        sa.ForeignKeyConstraint(["run_id"], ["linkage_runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "record_key", "personal_id"),
    )
    op.create_table(
        "linkage_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=15), nullable=True),
        sa.Column("rule", sa.String(length=15), nullable=True),
        sa.Column("personal_id", sa.String(length=12), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("sector_record", sa.JSON(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint("band IN ('auto_link', 'review', 'no_match')", name="band_known"),
        sa.CheckConstraint(
            "method IS NULL OR method IN ('deterministic', 'model', 'clerical')",
            name="method_known",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["linkage_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "record_key"),
    )
    with op.batch_alter_table("linkage_results", schema=None) as batch_op:
        batch_op.create_index("ix_linkage_results_run_band", ["run_id", "band"], unique=False)

    op.create_table(
        "sector_links",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=15), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["linkage_runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("source", "record_key"),
        sa.UniqueConstraint("source", "personal_id"),
    )
    op.create_table(
        "linkage_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("contributions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["result_id"], ["linkage_results.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("result_id", "personal_id"),
    )
    with op.batch_alter_table("linkage_candidates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linkage_candidates_result_id"), ["result_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("linkage_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_candidates_result_id"))

    op.drop_table("linkage_candidates")
    op.drop_table("sector_links")
    with op.batch_alter_table("linkage_results", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_results_run_band")

    op.drop_table("linkage_results")
    op.drop_table("linkage_decisions")
    with op.batch_alter_table("linkage_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_runs_source"))

    op.drop_table("linkage_runs")
