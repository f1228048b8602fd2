"""claims and public needs: matches.is_claim, needs.is_description_public, groups.is_needs_public

A volunteer's "I can help with this" is a proposal marked ``is_claim`` (a matching run never
removes it). A group may publish a page of its open needs (``is_needs_public``); a resident
may let that page show their title and description (``is_description_public``). Every existing
row gets ``false``.

Revision ID: c1a105e0b7d2
Revises: b7e3c1d94a25
Create Date: 2026-11-30 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a105e0b7d2'
down_revision = 'b7e3c1d94a25'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_claim', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'is_description_public', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_needs_public', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('is_needs_public')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_column('is_description_public')
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_column('is_claim')
