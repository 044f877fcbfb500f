"""second factor: therapists' TOTP secrets and recovery codes, and the stage of a sign-in
(a password checked, its second factor still to come)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "second_factors",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"], unique=False)
    # ALTER TABLE ... ADD COLUMN, never a copy (login_sessions is small, but keep to the rule).
    with op.batch_alter_table("login_sessions", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("stage", sa.String(length=10), server_default="", nullable=False)
        )
    # Admins must now sign in with a second factor: their open sign-ins end here.
    op.execute("DELETE FROM login_sessions WHERE user_id IN (SELECT id FROM users WHERE is_admin)")


def downgrade() -> None:
    with op.batch_alter_table("login_sessions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("stage")
    op.drop_index("ix_recovery_codes_user_id", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("second_factors")
