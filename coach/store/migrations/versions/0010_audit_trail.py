"""audit trail: the append-only, hash-chained audit_log with its head, and each patient's
random audit reference (patients.audit_ref)

Revision ID: 0010
Revises: 0009
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # the "hash" before the first entry (coach.store.audit.GENESIS)
REFUSE = "the audit log is append-only"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END",
    f"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION coach_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{REFUSE}'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION coach_audit_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION coach_audit_append_only()",
]


def upgrade() -> None:
    # Added, filled, indexed: never a copy of `patients` (other tables point at it, and SQLite
    # with foreign keys on refuses to drop it for a copy), so the column stays nullable.
    with op.batch_alter_table("patients", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("audit_ref", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    for (patient_id,) in conn.execute(sa.text("SELECT id FROM patients")).all():
        conn.execute(
            sa.text("UPDATE patients SET audit_ref = :ref WHERE id = :id"),
            {"ref": secrets.token_hex(16), "id": patient_id},
        )
    op.create_index("ix_patients_audit_ref", "patients", ["audit_ref"], unique=True)
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("patient_ref", sa.String(length=32), nullable=True),
        sa.Column("session_ref", sa.String(length=32), nullable=True),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_patient_ref", "audit_log", ["patient_ref"], unique=False)
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    # Defence in depth: the database itself refuses to change or delete an entry. Whoever owns
    # the database can drop these triggers; the hash chain then shows what they changed.
    dialect = conn.dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS coach_audit_append_only()")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_log_patient_ref", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")  # its SQLite triggers go with it
    op.drop_index("ix_patients_audit_ref", table_name="patients")
    with op.batch_alter_table("patients", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("audit_ref")
