"""patient language: patients.language, the language the therapist chose for the patient
(issue 23)

A BCP 47 code of coach.i18n.locales ("es", "ar"); NULL (every patient stored before) means
none chosen: the patient's pages follow their browser's Accept-Language.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy: SQLite would drop and rebuild `patients`, which the
    # other tables' foreign keys refer to).
    op.add_column("patients", sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # DROP COLUMN (SQLite 3.35+), for the same reason.
    op.drop_column("patients", "language")
