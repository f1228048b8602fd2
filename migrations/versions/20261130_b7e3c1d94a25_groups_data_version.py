"""groups: data_version, for pages cached per version of a group's data

Every committed write to a group's needs, offers, matches, members or details adds one to it
(mutualaid/freshness.py); the coordinator's page is cached under it.

Revision ID: b7e3c1d94a25
Revises: fad335bc30f6
Create Date: 2026-11-30 14:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3c1d94a25'
down_revision = 'fad335bc30f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('data_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('data_version')
