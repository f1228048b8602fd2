"""commitments over time: weekly needs' dates, sessions, pauses and weekly limits, expiry days

Revision ID: fad335bc30f6
Revises: 14d274846536
Create Date: 2026-11-30 13:52:24.492773

"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "fad335bc30f6"
down_revision = "14d274846536"
branch_labels = None
depends_on = None

#: The default length of a weekly need, in weeks (the groups' new setting starts here).
DEFAULT_WEEKS = 8


def upgrade():
    # No CHECK constraints on the columns added to existing tables: on SQLite one would rebuild
    # tables that others reference, which foreign keys refuse once rows exist. The services
    # check these values (see mutualaid.services.commitments).
    op.create_table(
        "match_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("hours", sa.Double(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_dt", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('done', 'missed')", name=op.f("ck_match_sessions_status")),
        sa.CheckConstraint("hours IS NULL OR hours > 0", name=op.f("ck_match_sessions_hours")),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_match_sessions_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_match_sessions_recorded_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_sessions")),
        sa.UniqueConstraint("match_id", "on_date", name="uq_match_sessions_match_day"),
    )
    with op.batch_alter_table("match_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_sessions_match_id"), ["match_id"], unique=False)

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "weekly_weeks", sa.Integer(), server_default=str(DEFAULT_WEEKS), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("expire_after_days", sa.Integer(), server_default="21", nullable=False)
        )

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("begins_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ended_on", sa.Date(), nullable=True))

    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))

    # Weekly needs posted before they had dates start on the day they were posted and run for
    # the default length.
    needs = sa.table(
        "needs",
        sa.column("id", sa.Integer()),
        sa.column("on_date", sa.Date()),
        sa.column("created_dt", sa.DateTime()),
        sa.column("starts_on", sa.Date()),
        sa.column("ends_on", sa.Date()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(needs.c.id, needs.c.created_dt).where(needs.c.on_date.is_(None)))
    for need_id, created in rows.all():
        if isinstance(created, str):  # SQLite through a bare table may hand back text
            created = datetime.fromisoformat(created)
        first = created.date()
        bind.execute(
            sa.update(needs)
            .where(needs.c.id == need_id)
            .values(starts_on=first, ends_on=first + timedelta(days=7 * DEFAULT_WEEKS - 1))
        )

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("week_limit_tasks", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("week_limit_hours", sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("week_limit_hours")
        batch_op.drop_column("week_limit_tasks")
        batch_op.drop_column("paused_until")

    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("ended_on")
        batch_op.drop_column("begins_on")

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("expire_after_days")
        batch_op.drop_column("weekly_weeks")

    with op.batch_alter_table("match_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_sessions_match_id"))

    op.drop_table("match_sessions")
