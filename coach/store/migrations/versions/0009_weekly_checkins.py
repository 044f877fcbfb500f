"""weekly check-ins: the patient's sleep, stress, headaches and energy each week (0-10, each
skippable), and the Patient-Specific Functional Scale's activities and scores

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_RANGES = (
    "(sleep IS NULL OR (sleep >= 0 AND sleep <= 10))"
    " AND (stress IS NULL OR (stress >= 0 AND stress <= 10))"
    " AND (headaches IS NULL OR (headaches >= 0 AND headaches <= 10))"
    " AND (energy IS NULL OR (energy >= 0 AND energy <= 10))"
)


def upgrade() -> None:
    op.create_table(
        "weekly_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("sleep", sa.Integer(), nullable=True),
        sa.Column("stress", sa.Integer(), nullable=True),
        sa.Column("headaches", sa.Integer(), nullable=True),
        sa.Column("energy", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_RANGES, name="ck_weekly_checkins_0_10"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "week_start"),
    )
    with op.batch_alter_table("weekly_checkins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weekly_checkins_patient_id"), ["patient_id"], unique=False
        )
    op.create_table(
        "psfs_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=80), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.CheckConstraint("score >= 0 AND score <= 10", name="ck_psfs_ratings_score_0_10"),
        sa.ForeignKeyConstraint(["checkin_id"], ["weekly_checkins.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkin_id", "position"),
    )
    with op.batch_alter_table("psfs_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_psfs_ratings_checkin_id"), ["checkin_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("psfs_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_psfs_ratings_checkin_id"))
    op.drop_table("psfs_ratings")
    with op.batch_alter_table("weekly_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weekly_checkins_patient_id"))
    op.drop_table("weekly_checkins")
