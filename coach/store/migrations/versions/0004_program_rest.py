"""program rest: program_items.rest_s (the prescribed rest between sets, seconds)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows prescribed before a rest could be set keep the exercise definition's rest (NULL).
    with op.batch_alter_table("program_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rest_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("program_items", schema=None) as batch_op:
        batch_op.drop_column("rest_s")
