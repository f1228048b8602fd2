"""group archive: when an admin archived a group (hidden from lists, skipped by matching)

Revision ID: a7c3e9d2b104
Revises: 3e5d9a7c21b4
Create Date: 2026-11-30 15:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d2b104'
down_revision = '3e5d9a7c21b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_dt', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('archived_dt')
