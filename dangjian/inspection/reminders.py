"""Reminders about 整改任务 through the notifications (notice kind "inspection_task"), sent by
`flask ticker` (the module's `periodic_tasks`):

- to the owner unit's people, DUE_SOON_DAYS before the deadline (once per deadline);
- when the deadline has passed and the unit has not submitted: to the owner unit's people and, for
  a branch, its 二级党组织 (the day after the deadline, then once a week);
- when a submission has waited SIGN_OFF_DAYS for 验收: to the 纪委 holder who gave the task (or, if they
  no longer may, every 纪委 holder who may), then once a week.

Each is claimed once by an `InspectionReminder` row under a unique key (task, what, deadline or
submission, week), written in the transaction of the message: a second round or a second ticker
sends nothing. A new deadline (延长整改期限) or a new submission is a new key. The text names the
unit, the plan and the dates only: never the finding or the requirement (it may go out by e-mail).
"""
from __future__ import annotations

import logging
from datetime import date

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..dates import cn_day
from ..extensions import db
from ..models import OrgKind
from ..models.base import utcnow
from ..notifications import notify_people
from ..timeutil import to_local
from . import access
from .models import WITH_UNIT, InspectionFinding, InspectionReminder, InspectionTask, TaskState

log = logging.getLogger(__name__)

KIND = "inspection_task"
DUE_SOON_DAYS = 3  # the unit hears this many days before the deadline
SIGN_OFF_DAYS = 10  # a submission waiting this long reminds 纪委
REPEAT_DAYS = 7  # then once a week
DEFAULT_REMIND_HOUR = 8
_last_round: dict = {}  # the local day the ticker last looked (one look a day per process)


def _claim(task: InspectionTask, key: str, recipients: int) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(InspectionReminder(task_id=task.id, key=key, recipients=recipients))
            db.session.flush()
    except IntegrityError:
        return False  # already told
    return True


def _send(task: InspectionTask, what: str, key: str, users, subject: str, text: str) -> bool:
    users = [u for u in users if u.active]
    if not users or not _claim(task, key, len(users)):
        return False
    notify_people(KIND, users, subject=subject, text=text, link=url_for("inspection.task", task_id=task.id))
    audit.record("inspection.task.reminded", task, user=None, reminder=what, owner=task.owner.name,
                 deadline=task.deadline.isoformat(), recipients=len(users))
    return True


def _owner_people(task: InspectionTask, today: date, escalate: bool) -> list:
    orgs = [task.owner]
    if escalate and task.owner.kind is OrgKind.BRANCH and task.owner.secondary_unit is not None:
        orgs.append(task.owner.secondary_unit)
    return access.unit_people(orgs, today)


def due(today: date) -> list[tuple[InspectionTask, str, str]]:
    """(task, what, key) for every reminder due today, sent or not (the keys tell)."""
    tasks = db.session.scalars(
        select(InspectionTask).where(InspectionTask.state.in_((*WITH_UNIT, TaskState.SUBMITTED)))
        .options(selectinload(InspectionTask.owner),
                 selectinload(InspectionTask.finding).selectinload(InspectionFinding.plan))
        .order_by(InspectionTask.id)).all()
    out = []
    for t in tasks:
        if t.state in WITH_UNIT:
            left = (t.deadline - today).days
            if 0 <= left <= DUE_SOON_DAYS:
                out.append((t, "due", f"due:{t.deadline.isoformat()}"))
            elif left < 0:
                out.append((t, "overdue", f"overdue:{t.deadline.isoformat()}:{(-left - 1) // REPEAT_DAYS}"))
        elif t.submitted_at is not None:
            submitted = to_local(t.submitted_at).date()
            waited = (today - submitted).days
            if waited >= SIGN_OFF_DAYS:
                out.append((t, "sign_off", f"sign_off:{submitted.isoformat()}:{(waited - SIGN_OFF_DAYS) // REPEAT_DAYS}"))
    return out


def send_reminders(today: date) -> list[str]:
    """One round: returns the keys sent (for the log)."""
    sent = []
    with current_app.test_request_context():
        for t, what, key in due(today):
            plan = t.finding.plan
            if what == "due":
                ok = _send(t, what, key, _owner_people(t, today, escalate=False), "整改任务即将到期",
                           f"{t.owner.name}的整改任务（{plan.title}）将于{cn_day(t.deadline)}到期，"
                           "请按期完成整改并提交整改材料。")
            elif what == "overdue":
                late = (today - t.deadline).days
                ok = _send(t, what, key, _owner_people(t, today, escalate=True), "整改任务已逾期",
                           f"{t.owner.name}的整改任务（{plan.title}）已超过整改期限（{cn_day(t.deadline)}）"
                           f"{late}天，请尽快完成整改并提交整改材料。")
            else:
                submitted = to_local(t.submitted_at).date()
                ok = _send(t, what, key, access.inspectors_for(t, today), "整改材料待验收",
                           f"{t.owner.name}于{cn_day(submitted)}提交的整改材料（{plan.title}）已等待验收"
                           f"{(today - submitted).days}天，请及时验收销号或退回。")
            if ok:
                sent.append(f"{t.id}:{key}")
    db.session.commit()
    return sent


def remind_inspection_tasks(now=None) -> str | None:
    """The ticker's task: from REMIND_HOUR on, one look a day per process (the database keys keep
    each reminder to once, even with several tickers)."""
    local_now = to_local(now or utcnow())
    if local_now.hour < current_app.config.get("INSPECTION_REMIND_HOUR", DEFAULT_REMIND_HOUR):
        return None
    if _last_round.get(current_app.name) == local_now.date():
        return None
    sent = send_reminders(local_now.date())
    _last_round[current_app.name] = local_now.date()
    return f"inspection reminders: {len(sent)}" if sent else None
