"""school calendar, step time limits, overdue reminders, award decision date (issue 8 §8)

The per-cycle 公示 holidays (award_cycles.holidays, one ISO date per line) move into the school
calendar as holidays, and the column goes: the school calendar is the one list of 节假日.
Downgrading puts back an empty column (which cycle listed which day is not kept).

Revision ID: 51fc2db34593
Revises: d7960018a853
Create Date: 2026-11-30 01:15:17.483443

"""
from datetime import date, datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '51fc2db34593'
down_revision = 'd7960018a853'
branch_labels = None
depends_on = None

_cycles = sa.table("award_cycles", sa.column("id", sa.Integer), sa.column("holidays", sa.Text))
_days = sa.table("calendar_days", sa.column("day", sa.Date), sa.column("kind", sa.String),
                 sa.column("name", sa.String), sa.column("created_at", sa.DateTime))


def _cycle_holidays(conn) -> set:
    days = set()
    for (text,) in conn.execute(sa.select(_cycles.c.holidays)):
        for token in (text or "").replace("，", ",").replace(",", " ").split():
            try:
                days.add(date.fromisoformat(token))
            except ValueError:  # the form only ever saved valid dates; skip anything else
                pass
    return days


def upgrade():
    op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_calendar_days_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_days_day'))
    )
    op.create_table('step_time_limits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_type', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_step_time_limits_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_time_limits')),
    sa.UniqueConstraint('request_type', 'step', name='uq_step_time_limit')
    )
    op.create_table('overdue_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('overdue_days', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_overdue_reminders_request_id_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overdue_reminders')),
    sa.UniqueConstraint('request_id', 'step', 'sent_on', name='uq_overdue_reminder_day')
    )
    with op.batch_alter_table('overdue_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overdue_reminders_request_id'), ['request_id'], unique=False)

    conn = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [{"day": d, "kind": "holiday", "name": "节假日", "created_at": now} for d in sorted(_cycle_holidays(conn))]
    if rows:
        op.bulk_insert(_days, rows)

    with op.batch_alter_table('award_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_date', sa.Date(), nullable=True))
        batch_op.drop_column('holidays')


def downgrade():
    with op.batch_alter_table('award_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holidays', sa.Text(), nullable=False, server_default=""))
        batch_op.drop_column('decision_date')

    with op.batch_alter_table('overdue_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overdue_reminders_request_id'))

    op.drop_table('overdue_reminders')
    op.drop_table('step_time_limits')
    op.drop_table('calendar_days')
