"""coordinators' notes: a log of notes and contacts on each need and match

Seen by the group's coordinators only; exactly one of need_id and match_id is set.

Revision ID: 8f1a6d519f60
Revises: c1a105e0b7d2
Create Date: 2026-11-30 13:56:36.300925

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f1a6d519f60'
down_revision = 'c1a105e0b7d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('match_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('created_dt', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(need_id IS NULL) <> (match_id IS NULL)', name=op.f('ck_notes_one_subject')),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_notes_author_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_notes_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_notes_match_id_matches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_notes_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notes_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notes_match_id'), ['match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notes_need_id'), ['need_id'], unique=False)



def downgrade():
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notes_need_id'))
        batch_op.drop_index(batch_op.f('ix_notes_match_id'))
        batch_op.drop_index(batch_op.f('ix_notes_group_id'))

    op.drop_table('notes')
