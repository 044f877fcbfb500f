"""rep confidence: reps.confidence, reps.confidence_reason, reps.limit_check (issue 26)

How well a rep's reported angle was seen (0-1) and, when it was not measured, why (an id:
"view", "hidden", "jitter"); the range limit's verdict on the rep ("within", "over",
"unchecked": not measured, so not judged; "" when no limit was set).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reps stored before: confidence unknown (NULL), no reason, no verdict beyond over_limit.
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("confidence_reason", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("limit_check", sa.String(length=12), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.drop_column("limit_check")
        batch_op.drop_column("confidence_reason")
        batch_op.drop_column("confidence")
