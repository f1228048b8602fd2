"""runs: queued and abandoned, one live run per group, no run_locks

A group has at most one live (queued or running) run: a partial unique index holds it, and
takes the place of the SQLite ``run_locks`` table. ``alive_dt`` is a run's last sign of life.
Runs left ``running`` by a crashed process before this revision are marked ``abandoned``
first, or the index could not be built.

Revision ID: 14d274846536
Revises: 8804373bb533
Create Date: 2026-11-30 11:43:18.348795

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '14d274846536'
down_revision = '8804373bb533'
branch_labels = None
depends_on = None

_LIVE = sa.text("status IN ('queued', 'running')")


def upgrade():
    op.execute(
        "UPDATE matching_runs SET status = 'abandoned', finished_dt = CURRENT_TIMESTAMP, "
        "error = 'The process running it stopped before the run finished.' "
        "WHERE status = 'running'"
    )
    op.drop_table('run_locks')
    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alive_dt', sa.DateTime(), nullable=True))
        batch_op.create_index(
            'ix_matching_runs_one_live_per_group',
            ['group_id'],
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        )


def downgrade():
    with op.batch_alter_table('matching_runs', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_matching_runs_one_live_per_group', sqlite_where=_LIVE, postgresql_where=_LIVE
        )
        batch_op.drop_column('alive_dt')

    op.execute(
        "UPDATE matching_runs SET status = 'failed' WHERE status IN ('queued', 'abandoned')"
    )
    op.create_table('run_locks',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('acquired_dt', sa.DateTime(), nullable=True),
    sa.Column('expires_dt', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_run_locks_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_run_locks'))
    )
