"""coordinator alerts: each coordinator's choice (immediate, daily digest, off) and the digest's items

Revision ID: f836bf79c3d4
Revises: 8f1a6d519f60
Create Date: 2026-11-30 14:28:53.220736

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f836bf79c3d4'
down_revision = '8f1a6d519f60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coordinator_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.Column('sent_dt', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_coordinator_alerts_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_coordinator_alerts_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coordinator_alerts'))
    )
    with op.batch_alter_table('coordinator_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_coordinator_alerts_person_sent', ['person_id', 'sent_dt'], unique=False)

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_mode', sa.String(length=20), server_default='immediate', nullable=False))



def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('alert_mode')

    with op.batch_alter_table('coordinator_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_coordinator_alerts_person_sent')

    op.drop_table('coordinator_alerts')
