"""volunteers' daily digest of new needs: the opt-in and when the last one went

Revision ID: 3e5d9a7c21b4
Revises: f836bf79c3d4
Create Date: 2026-11-30 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e5d9a7c21b4'
down_revision = 'f836bf79c3d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_needs_digest', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('needs_digest_dt', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('needs_digest_dt')
        batch_op.drop_column('is_needs_digest')
