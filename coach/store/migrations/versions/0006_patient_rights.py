"""patient rights: the consent screen's answers, and the retention marks of sessions whose
per-frame poses or kept video were deleted after N days

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=False),
        sa.Column("text_version", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_answers_patient_id"), ["patient_id"], unique=False
        )
    # Sessions stored before keep their frames and video: NULL, nothing removed yet.
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frames_removed_after_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("video_removed_after_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a copy of the table: other tables
    # point at `sessions`, and SQLite, with foreign keys on, refuses to drop it for a copy.
    with op.batch_alter_table("sessions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("video_removed_after_days")
        batch_op.drop_column("frames_removed_after_days")
    with op.batch_alter_table("consent_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_answers_patient_id"))
    op.drop_table("consent_answers")
