"""超期提醒 (issue 8 §8): the holders of an overdue step are reminded once a day.

`remind_overdue` is a periodic task of `flask ticker` (every round, about 30 s). It sends on
working days of the school calendar, from OVERDUE_REMIND_HOUR (local, default 8) on. "Once a day"
is a row per (request, step, local day) under a unique key, written in the same transaction as the
notification and the audit row: a second round, or a second ticker at the same moment, finds the
row and sends nothing.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, workdays
from ..extensions import db
from ..models import OverdueReminder, Request, RequestState
from ..models.base import utcnow
from ..notifications import notify
from ..timeutil import to_local
from . import routing
from .deadlines import statuses

log = logging.getLogger(__name__)

DEFAULT_REMIND_HOUR = 8


def remind_overdue(now=None) -> str | None:
    now = now or utcnow()
    local_now = to_local(now)
    today = local_now.date()
    if local_now.hour < current_app.config.get("OVERDUE_REMIND_HOUR", DEFAULT_REMIND_HOUR):
        return None
    if not workdays.is_working_day(today):
        return None
    pending = list(db.session.scalars(select(Request).where(
        Request.state == RequestState.PENDING, Request.current_step.is_not(None),
        Request.step_entered_at.is_not(None))))
    late = {rid: d for rid, d in statuses(pending, today).items() if d.overdue_days >= 1}
    if not late:
        db.session.commit()
        return None
    sent_today = set(db.session.execute(select(OverdueReminder.request_id, OverdueReminder.step).where(
        OverdueReminder.sent_on == today, OverdueReminder.request_id.in_(late))).all())
    ids = [(r.id, r.current_step, r.number) for r in pending
           if r.id in late and (r.id, r.current_step) not in sent_today]
    db.session.commit()
    sent = []
    for request_id, step, number in ids:
        req = db.session.get(Request, request_id)
        if req.state is not RequestState.PENDING or req.current_step != step:
            continue  # handled since the list was read
        d = late[request_id]
        recipients = routing.people_who_can_act(req)  # holders or the 转办 assignee, and deputies
        try:
            db.session.add(OverdueReminder(request_id=request_id, step=step, sent_on=today,
                                           overdue_days=d.overdue_days, recipients=len(recipients)))
            db.session.flush()
        except IntegrityError:  # another ticker sent it a moment ago
            db.session.rollback()
            continue
        notify("overdue", req, recipients=recipients)
        audit.record("request.overdue_reminded", req, user=None, number=number, step=step,
                     due_on=d.due_on, overdue_days=d.overdue_days, recipients=recipients)
        db.session.commit()
        sent.append(number)
    return f"reminded {len(sent)} overdue: {', '.join(sent)}" if sent else None
