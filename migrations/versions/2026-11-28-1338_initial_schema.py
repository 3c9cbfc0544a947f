"""Initial schema: registry, auth, audit log, data quality, import runs.

The audit table gets triggers that refuse UPDATE and DELETE: the application can only append.

Revision ID: 9b29b9761e14
Revises:
Create Date: 2026-11-28 13:38:53.846887

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "9b29b9761e14"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.String(length=60), nullable=False),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("actor_agency", sa.String(length=120), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject_personal_id", sa.String(length=12), nullable=True),
        sa.Column("purpose", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entries_subject_personal_id"),
            ["subject_personal_id"],
            unique=False,
        )

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_created", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_totp_step", sa.Integer(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "personal_id_sequences",
        sa.Column("prefix", sa.String(length=6), nullable=False),
        sa.Column("next_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix"),
    )
    op.create_table(
        "provinces",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("division_type", sa.String(length=40), nullable=False),
        sa.Column("codename", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "quality_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("findings_seen", sa.Integer(), nullable=False),
        sa.Column("findings_new", sa.Integer(), nullable=False),
        sa.Column("findings_reopened", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "registry_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=10), nullable=False),
        sa.Column("entity_key", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("legal_reference", sa.String(length=200), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.CheckConstraint("entity IN ('citizen', 'household')", name="entity_known"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity", "entity_key", "version", name="uq_registry_change_version"),
    )
    op.create_table(
        "service_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("scope_kind", sa.String(length=10), nullable=False),
        sa.Column("scope_code", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_sessions_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "communes",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("division_type", sa.String(length=40), nullable=False),
        sa.Column("codename", sa.String(length=80), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_communes_province_code"), ["province_code"], unique=False
        )

    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("scope_kind", sa.String(length=10), nullable=False),
        sa.Column("scope_code", sa.String(length=20), nullable=False),
        sa.CheckConstraint("scope_kind IN ('province', 'commune', 'agency')", name="scope_known"),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("officer_id", "role", "scope_kind", "scope_code"),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("head_personal_id", sa.String(length=12), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["communes.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_households_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_households_head_personal_id"), ["head_personal_id"], unique=False
        )

    op.create_table(
        "quality_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_key", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'corrected', 'confirmed_correct', 'false_positive')",
            name="finding_status_known",
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["communes.code"],
        ),
        sa.ForeignKeyConstraint(
            ["first_run_id"],
            ["quality_runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["quality_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule", "subject_key", name="uq_quality_finding_subject"),
    )
    with op.batch_alter_table("quality_findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_findings_commune_rule", ["commune_code", "rule", "status"], unique=False
        )

    op.create_table(
        "citizens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("old_id_number", sa.String(length=9), nullable=True),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("folded_name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("birth_month", sa.Integer(), nullable=True),
        sa.Column("birth_day", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("ethnicity_code", sa.String(length=2), nullable=False),
        sa.Column("religion", sa.String(length=20), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("birth_registration_commune_code", sa.String(length=5), nullable=True),
        sa.Column("hometown", sa.String(length=200), nullable=True),
        sa.Column("permanent_commune_code", sa.String(length=5), nullable=True),
        sa.Column("permanent_address", sa.String(length=200), nullable=True),
        sa.Column("temporary_commune_code", sa.String(length=5), nullable=True),
        sa.Column("temporary_address", sa.String(length=200), nullable=True),
        sa.Column("current_commune_code", sa.String(length=5), nullable=True),
        sa.Column("current_address", sa.String(length=200), nullable=True),
        sa.Column("household_code", sa.String(length=20), nullable=True),
        sa.Column("relationship_to_head", sa.String(length=20), nullable=True),
        sa.Column("father_personal_id", sa.String(length=12), nullable=True),
        sa.Column("mother_personal_id", sa.String(length=12), nullable=True),
        sa.Column("spouse_personal_id", sa.String(length=12), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("date_of_death", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sex IN ('M', 'F')", name="sex_known"),
        sa.CheckConstraint("status IN ('living', 'deceased', 'missing')", name="status_known"),
        sa.CheckConstraint("birth_day IS NULL OR birth_month IS NOT NULL", name="day_needs_month"),
        sa.CheckConstraint(
            "birth_month IS NULL OR birth_month BETWEEN 1 AND 12", name="month_range"
        ),
        sa.ForeignKeyConstraint(
            ["birth_registration_commune_code"],
            ["communes.code"],
        ),
        sa.ForeignKeyConstraint(
            ["current_commune_code"],
            ["communes.code"],
        ),
        sa.ForeignKeyConstraint(
            ["household_code"],
            ["households.code"],
        ),
        sa.ForeignKeyConstraint(
            ["permanent_commune_code"],
            ["communes.code"],
        ),
        sa.ForeignKeyConstraint(
            ["temporary_commune_code"],
            ["communes.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("personal_id"),
    )
    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.create_index("ix_citizens_folded_name", ["folded_name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_citizens_household_code"), ["household_code"], unique=False
        )
        batch_op.create_index("ix_citizens_name_birth", ["name_key", "birth_year"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_citizens_old_id_number"), ["old_id_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_citizens_permanent_commune_code"),
            ["permanent_commune_code"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_citizens_temporary_commune_code"),
            ["temporary_commune_code"],
            unique=False,
        )
    _protect_audit_log()


APPEND_ONLY_MESSAGE = "audit_entries is append-only"


def _protect_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_entries_no_{event.lower()} BEFORE {event} ON audit_entries "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")
    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizens_temporary_commune_code"))
        batch_op.drop_index(batch_op.f("ix_citizens_permanent_commune_code"))
        batch_op.drop_index(batch_op.f("ix_citizens_old_id_number"))
        batch_op.drop_index("ix_citizens_name_birth")
        batch_op.drop_index(batch_op.f("ix_citizens_household_code"))
        batch_op.drop_index("ix_citizens_folded_name")

    op.drop_table("citizens")
    with op.batch_alter_table("quality_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_findings_commune_rule")

    op.drop_table("quality_findings")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_head_personal_id"))
        batch_op.drop_index(batch_op.f("ix_households_commune_code"))

    op.drop_table("households")
    op.drop_table("role_assignments")
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_communes_province_code"))

    op.drop_table("communes")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_subject_id"))

    op.drop_table("web_sessions")
    op.drop_table("throttles")
    op.drop_table("service_tokens")
    op.drop_table("registry_changes")
    op.drop_table("quality_runs")
    op.drop_table("provinces")
    op.drop_table("personal_id_sequences")
    op.drop_table("officers")
    op.drop_table("import_runs")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_subject_personal_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_action"))

    op.drop_table("audit_entries")
