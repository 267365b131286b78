"""Reminders about 巡察/监督检查 整改任务 (notice kind inspection_task), sent by `flask ticker`: the owner
unit a few days before the deadline, the owner unit (and, for a branch, its 二级党组织) once the
deadline has passed and then weekly, and 纪委's task giver when a submission waits long for 验收.
Each is told once per key; the text names the unit, the plan and dates, never the finding."""
import json
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from dangjian import plugins
from dangjian.extensions import db
from dangjian.inspection import reminders, tasks
from dangjian.inspection.models import InspectionReminder, InspectionTask
from dangjian.models import AuditEvent, Role
from dangjian.models.base import utcnow
from dangjian.notifications.models import Message
from dangjian.timeutil import local_today, local_zone
from tests.factories import make_member, make_user
from tests.test_inspection_tasks import new_task, png

TODAY = local_today()
FINDING = "慰问金签收单不全。"  # the finding's text (new_task): never in a reminder
REQUIREMENT = "补齐签收单，建立发放台账。"


def told(user) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.recipient_id == user.id,
                                                         Message.kind == "inspection_task").order_by(Message.id)))


def set_deadline(task, days_from_today):
    db.session.execute(update(InspectionTask).where(InspectionTask.id == task.id)
                       .values(deadline=TODAY + timedelta(days=days_from_today)))
    db.session.commit()
    db.session.expire_all()


def submitted(org, task, days_ago):
    task = tasks.act(task, org.secondary, "submit", version=task.version, note="已整改。", files=[png()])
    db.session.execute(update(InspectionTask).where(InspectionTask.id == task.id)
                       .values(submitted_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()
    db.session.expire_all()
    return task


@pytest.fixture
def branch_task(org):
    """A task of 会计学院教工第一党支部 (secretaries 李书记 and 赵支委; 二级党组织: 陈组织员)."""
    return new_task(org, owner=org.branch_a1)


# (days to the deadline, state, who is told, what the message says)
B, S = "branch", "secondary"
TABLE = [
    (5, "open", set(), None),
    (4, "open", set(), None),
    (3, "open", {"secretary", "committee"}, "将于"),
    (0, "open", {"secretary", "committee"}, "将于"),  # the deadline day is still in time
    (-1, "open", {"secretary", "committee", "secondary"}, "已超过整改期限"),  # overdue: the unit above hears too
    (-20, "open", {"secretary", "committee", "secondary"}, "已超过整改期限"),
    (-2, "returned", {"secretary", "committee", "secondary"}, "已超过整改期限"),
    (-2, "submitted", set(), None),  # waiting for 纪委, not for the unit
    (-2, "closed", set(), None),
    (-2, "cancelled", set(), None),
]
PEOPLE = ("secretary", "committee", "secondary", "secretary_a2", "secondary_b", "supervisor", "org_dept_user")


@pytest.mark.parametrize("days,state,expected,words", TABLE, ids=[f"{d}-{s}" for d, s, *_ in TABLE])
def test_who_is_told_about_a_branch_task(app, org, branch_task, days, state, expected, words):
    t = branch_task
    if state in ("submitted", "returned", "closed"):
        t = tasks.act(t, org.secretary, "submit", version=t.version, note="已整改。", files=[png()])
    if state == "returned":
        t = tasks.act(t, org.supervisor, "return", version=t.version, note="材料不足")
    if state == "closed":
        t = tasks.act(t, org.supervisor, "sign_off", version=t.version)
    if state == "cancelled":
        t = tasks.act(t, org.supervisor, "cancel", version=t.version, note="重复下达")
    set_deadline(t, days)
    reminders.send_reminders(TODAY)
    assert {who for who in PEOPLE if told(getattr(org, who))} == expected
    for who in expected:
        [msg] = told(getattr(org, who))
        assert words in msg.text and "会计学院教工第一党支部" in msg.text and "党内关怀帮扶工作专项检查" in msg.text
        assert FINDING not in msg.text and REQUIREMENT not in msg.text
        assert msg.request_id is None and msg.link == f"/inspection/tasks/{t.id}"
    if days < 0 and expected:
        assert f"{-days}天" in told(org.secretary)[0].text


def test_once_per_key_then_weekly_and_again_after_an_extension(app, org, branch_task):
    t = branch_task
    set_deadline(t, -1)
    assert len(reminders.send_reminders(TODAY)) == 1
    assert reminders.send_reminders(TODAY) == []  # a second round, or a second ticker: nothing
    assert reminders.send_reminders(TODAY + timedelta(days=6)) == []  # the same week
    assert len(reminders.send_reminders(TODAY + timedelta(days=7))) == 1  # a week later
    assert len(told(org.secretary)) == 2
    # 纪委 extends the deadline: a new deadline, a new reminder before it.
    db.session.expire_all()
    t = db.session.get(InspectionTask, t.id)
    tasks.extend_deadline(t, org.supervisor, version=t.version, deadline=TODAY + timedelta(days=2), reason="汛期顺延")
    assert reminders.send_reminders(TODAY) != []
    due = TODAY + timedelta(days=2)
    assert f"将于{due.year}年{due.month}月{due.day}日到期" in told(org.secretary)[-1].text  # no leading zeros
    assert db.session.scalar(select(func.count(InspectionReminder.id))) == 3
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "inspection.task.reminded")
                               .order_by(AuditEvent.id)).all()
    assert [json.loads(a.detail)["reminder"] for a in audit] == ["overdue", "overdue", "due"]
    assert all(a.user_id is None for a in audit)


@pytest.mark.parametrize("days_waiting,reminded", [(9, False), (10, True), (30, True)])
def test_a_submission_waiting_long_reminds_the_task_giver(app, org, days_waiting, reminded):
    t = new_task(org)  # 会计学院党委's own task
    submitted(org, t, days_waiting)
    reminders.send_reminders(TODAY)
    msgs = told(org.supervisor)
    assert bool(msgs) is reminded
    assert told(org.secondary) == []  # the unit has done its part
    if reminded:
        assert "等待验收" in msgs[0].text and f"{days_waiting}天" in msgs[0].text and FINDING not in msgs[0].text


def test_when_the_giver_may_no_longer_sign_off_the_other_jiwei_holders_are_told(app, org):
    t = new_task(org)
    other = make_user("jiwei2", None, [(Role.SUPERVISOR, org.school)])
    recused = make_user("jiwei_a", make_member(org.branch_a1, "郑纪检"), [(Role.SUPERVISOR, org.school)])
    db.session.commit()
    submitted(org, t, 12)
    org.supervisor.active = False  # the giver has left
    db.session.commit()
    reminders.send_reminders(TODAY)
    assert told(other) and told(recused) == [] and told(org.supervisor) == []


def test_nothing_to_tell_when_nobody_holds_the_role(app, org, branch_task):
    t = branch_task
    for user in (org.secretary, org.committee, org.secondary):
        user.active = False
    db.session.commit()
    set_deadline(t, 2)
    assert reminders.send_reminders(TODAY) == []
    assert db.session.scalar(select(func.count(InspectionReminder.id))) == 0  # not claimed: told once someone holds it


def at_local(hour: int) -> datetime:
    """Today at `hour` o'clock local time, as the naive UTC the app stores."""
    return datetime.combine(TODAY, time(hour), tzinfo=local_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def test_the_ticker_looks_once_a_day_from_eight(app, org, branch_task):
    set_deadline(branch_task, 1)
    reminders._last_round.clear()
    assert reminders.remind_inspection_tasks(at_local(7)) is None and told(org.secretary) == []
    assert reminders.remind_inspection_tasks(at_local(9)) == "inspection reminders: 1"
    assert reminders.remind_inspection_tasks(at_local(10)) is None  # looked today already
    assert len(told(org.secretary)) == 1
    assert reminders.remind_inspection_tasks in plugins.periodic_tasks()
