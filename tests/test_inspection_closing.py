"""Closing a 巡察/监督检查 plan (纪委, once every task is signed off or withdrawn) and extending a task's
deadline (纪委, with a reason): the rules as tables, the pages as their users meet them (scope, the
confirm dialog, the history), and the one definition of "overdue" both 整改 modules show."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from dangjian import deadlines
from dangjian.extensions import db
from dangjian.inspection import operations, tasks
from dangjian.inspection.models import InspectionPlan, InspectionTask, TaskEvent, TaskState
from dangjian.inspection.operations import InspectionRefused
from dangjian.models import AuditEvent, Role
from dangjian.timeutil import local_today
from tests.factories import make_member, make_user
from tests.test_inspection_tasks import new_plan, new_task, png

TODAY = local_today()


def audit_codes() -> list[str]:
    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def finish(org, t, how):
    """Bring task `t` to `how`: open, submitted, returned, closed or cancelled."""
    if how == "cancelled":
        return tasks.act(t, org.supervisor, "cancel", version=t.version, note="下达有误")
    if how == "open":
        return t
    t = tasks.act(t, org.secondary, "submit", version=t.version, note="已整改。", files=[png()])
    if how == "returned":
        return tasks.act(t, org.supervisor, "return", version=t.version, note="材料不足")
    if how == "closed":
        return tasks.act(t, org.supervisor, "sign_off", version=t.version)
    return t


@pytest.fixture
def recused(org):
    """A 纪委 holder whose own branch lies in 会计学院党委."""
    user = make_user("jiwei_a", make_member(org.branch_a1, "郑纪检"), [(Role.SUPERVISOR, org.school)])
    db.session.commit()
    return user


# --- closing a plan ---------------------------------------------------------------------------------

# (the plan's tasks, who, expected: True closed, or the refusal's words)
CLOSE = [
    (("closed", "cancelled"), "supervisor", True),
    (("closed",), "supervisor", True),
    ((), "supervisor", True),  # an inspection that found nothing to rectify
    (("closed", "open"), "supervisor", "还有1项整改任务未销号或撤销"),
    (("submitted", "returned"), "supervisor", "还有2项整改任务"),
    (("closed",), "org_dept_user", "只有纪委可以结束检查计划"),
    (("closed",), "secondary", "只有纪委"),
]


@pytest.mark.parametrize("states,who,expected", CLOSE, ids=[f"{'+'.join(s) or 'none'}-{w}" for s, w, _ in CLOSE])
def test_close_table(app, org, states, who, expected):
    plan = new_plan(org)
    if states:
        finding = operations.add_finding(plan, org.supervisor, org_id=org.sec_a.id, text="问题。", severity="minor")
        for how in states:
            t = operations.add_task(finding, org.supervisor, owner_org_id=org.sec_a.id, requirement="整改",
                                    deadline=TODAY + timedelta(days=5))
            finish(org, t, how)
    before = len(audit_codes())
    user = getattr(org, who)
    if expected is True:
        assert operations.close_refusal(plan, user) is None
        operations.close_plan(plan, user, note="整改全部完成。")
        db.session.expire_all()
        plan = db.session.get(InspectionPlan, plan.id)
        assert plan.closed_at is not None and plan.closed_by_id == user.id and plan.close_note == "整改全部完成。"
        assert audit_codes()[before:] == ["inspection.plan.closed"]
        return
    with pytest.raises(InspectionRefused) as exc:
        operations.close_plan(plan, user)
    assert expected in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(InspectionPlan, plan.id).closed_at is None and len(audit_codes()) == before


def test_a_closed_plan_takes_nothing_more(app, org):
    plan = new_plan(org)
    finding = operations.add_finding(plan, org.supervisor, org_id=org.sec_a.id, text="问题。", severity="minor")
    operations.close_plan(plan, org.supervisor)
    with pytest.raises(InspectionRefused, match="该检查计划已结束"):
        operations.close_plan(plan, org.supervisor)
    for attempt in (
        lambda: operations.add_finding(plan, org.supervisor, org_id=org.sec_a.id, text="又一个问题。", severity="minor"),
        lambda: operations.add_task(finding, org.supervisor, owner_org_id=org.sec_a.id, requirement="整改",
                                    deadline=TODAY + timedelta(days=5)),
        lambda: operations.update_plan(plan, org.supervisor, year=plan.year, kind="check", title="改名",
                                       starts_on=plan.starts_on, ends_on=plan.ends_on, team=plan.team,
                                       unit_ids=[org.sec_a.id]),
    ):
        with pytest.raises(InspectionRefused, match="该检查计划已结束"):
            attempt()
        db.session.rollback()


def test_a_task_given_meanwhile_keeps_the_plan_open(app, org, monkeypatch):
    """The close is one conditional UPDATE: a task given after the page was shown refuses it."""
    plan = new_plan(org)
    new_task(org, plan=plan)
    monkeypatch.setattr(operations, "close_refusal", lambda plan, user: None)  # the check as the page saw it
    with pytest.raises(InspectionRefused, match="已被他人处理"):
        operations.close_plan(plan, org.supervisor)
    db.session.expire_all()
    assert db.session.get(InspectionPlan, plan.id).closed_at is None
    assert "inspection.plan.closed" not in audit_codes()


def test_jiwei_closes_a_plan_from_its_page(app, org, auth, client):
    t = new_task(org)
    plan_id = t.finding.plan_id
    auth.login(org.supervisor)
    page = client.get(f"/inspection/plans/{plan_id}").get_data(as_text=True)
    assert "还有1项整改任务未销号或撤销，全部办结后才能结束检查" in page and 'id="plan-close-form"' not in page
    finish(org, t, "closed")
    page = client.get(f"/inspection/plans/{plan_id}").get_data(as_text=True)
    form = page.split('id="plan-close-form"')[1].split(">")[0]
    assert 'hx-confirm="确定结束检查计划「党内关怀帮扶工作专项检查」吗？' in form
    assert client.post(f"/inspection/plans/{plan_id}/close", data={"note": "x" * 501}).status_code == 200
    resp = client.post(f"/inspection/plans/{plan_id}/close", data={"note": "整改已全部验收。"})
    assert resp.status_code == 302
    page = client.get(resp.location).get_data(as_text=True)
    assert "已结束检查计划「党内关怀帮扶工作专项检查」" in page and 'id="plan-closed"' in page and "整改已全部验收。" in page
    assert "记录发现的问题" not in page and "下达整改任务</summary>" not in page and "修改计划" not in page
    assert "已结束" in client.get("/inspection/plans").get_data(as_text=True)
    assert client.get(f"/inspection/plans/{plan_id}/edit").status_code == 302  # back to the plan, with why
    # The unit reads the closed plan; 组织部 too; neither may close; another unit: 404.
    for who, status in (("secondary", 404), ("org_dept_user", 404), ("secondary_b", 404)):
        auth.login(getattr(org, who))
        assert client.post(f"/inspection/plans/{plan_id}/close", data={}).status_code == status
    auth.login(org.secondary)
    page = client.get(f"/inspection/plans/{plan_id}").get_data(as_text=True)
    assert "已结束" in page and "结束检查</h2>" not in page


# --- extending a deadline ---------------------------------------------------------------------------

# (state, who, new deadline in days from today, expected: True extended, or the refusal's words)
EXTEND = [
    ("open", "supervisor", 30, True),
    ("returned", "supervisor", 30, True),
    ("submitted", "supervisor", 30, True),
    ("open", "supervisor", 10, "须晚于原期限"),  # the current deadline is today + 10
    ("open", "supervisor", 5, "须晚于原期限"),
    ("open", "supervisor", None, "请填写新的整改期限"),
    ("closed", "supervisor", 30, "当前为「已销号」，不能延长整改期限"),
    ("cancelled", "supervisor", 30, "当前为「已撤销」"),
    ("open", "org_dept_user", 30, "只有纪委可以延长整改期限"),
    ("open", "secondary", 30, "只有纪委"),
    ("open", "recused", 30, "回避"),
]


@pytest.mark.parametrize("state,who,days,expected", EXTEND, ids=[f"{s}-{w}-{d}" for s, w, d, _ in EXTEND])
def test_extend_table(app, org, recused, state, who, days, expected):
    t = finish(org, new_task(org), state)
    user = recused if who == "recused" else getattr(org, who)
    old = t.deadline
    before = (t.version, len(t.events), len(audit_codes()))
    new = TODAY + timedelta(days=days) if days is not None else None
    if expected is True:
        tasks.extend_deadline(t, user, version=t.version, deadline=new, reason="涉及资金清退，需财务处配合。")
        db.session.expire_all()
        t = db.session.get(InspectionTask, t.id)
        assert (t.deadline, t.version, t.state.value) == (new, before[0] + 1, state)
        ev = t.events[-1]
        assert (ev.action, ev.actor_id, ev.old_deadline, ev.new_deadline, ev.note) == (
            "extend", user.id, old, new, "涉及资金清退，需财务处配合。")
        assert audit_codes()[before[2]:] == ["inspection.task.extended"]
        detail = json.loads(db.session.scalar(select(AuditEvent.detail).order_by(AuditEvent.id.desc()).limit(1)))
        assert (detail["old_deadline"], detail["new_deadline"]) == (old.isoformat(), new.isoformat())
        return
    with pytest.raises(InspectionRefused) as exc:
        tasks.extend_deadline(t, user, version=t.version, deadline=new, reason="理由")
    assert expected in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    t = db.session.get(InspectionTask, t.id)
    assert (t.deadline, t.version, len(t.events), len(audit_codes())) == (old, *before)


def test_a_reason_is_required_and_a_stale_page_loses(app, org):
    t = new_task(org)
    with pytest.raises(InspectionRefused, match="请填写延期理由"):
        tasks.extend_deadline(t, org.supervisor, version=t.version, deadline=TODAY + timedelta(days=30), reason=" ")
    db.session.rollback()
    stale = t.version
    tasks.extend_deadline(t, org.supervisor, version=t.version, deadline=TODAY + timedelta(days=30), reason="顺延")
    with pytest.raises(InspectionRefused, match="已被他人处理"):
        tasks.extend_deadline(t, org.supervisor, version=stale, deadline=TODAY + timedelta(days=40), reason="再顺延")
    db.session.expire_all()
    assert db.session.get(InspectionTask, t.id).deadline == TODAY + timedelta(days=30)


def test_the_overdue_status_follows_the_new_deadline(app, org, auth, client):
    t = new_task(org)
    db.session.execute(update(InspectionTask).where(InspectionTask.id == t.id).values(deadline=TODAY - timedelta(days=4)))
    db.session.commit()
    auth.login(org.supervisor)
    assert "已逾期 4 天" in client.get(f"/inspection/tasks/{t.id}").get_data(as_text=True)
    assert f"/inspection/tasks/{t.id}" in client.get("/inspection/tasks?state=overdue").get_data(as_text=True)
    db.session.expire_all()
    t = db.session.get(InspectionTask, t.id)
    page = client.get(f"/inspection/tasks/{t.id}").get_data(as_text=True)
    form = page.split('id="form-extend"')[1].split(">")[0]
    assert 'hx-confirm="确定延长会计学院党委的整改期限吗？"' in form
    resp = client.post(f"/inspection/tasks/{t.id}/extend", data={"version": str(t.version), "deadline": "",
                                                                 "reason": "顺延"})
    assert "请填写新的整改期限" in resp.get_data(as_text=True)
    new = TODAY + timedelta(days=14)
    resp = client.post(f"/inspection/tasks/{t.id}/extend", data={"version": str(t.version), "deadline": new.isoformat(),
                                                                 "reason": "涉及资金清退，需财务处配合。"})
    assert resp.status_code == 302
    page = client.get(resp.location).get_data(as_text=True)
    assert f"已将整改期限延长至{new.year}年{new.month}月{new.day}日" in page and "已逾期" not in page
    history = page.split('id="task-history"')[1]
    assert "延长整改期限" in history and "涉及资金清退，需财务处配合。" in history
    old = TODAY - timedelta(days=4)
    assert f"整改期限 {old.isoformat()} → {new.isoformat()}" in history
    assert f"/inspection/tasks/{t.id}" not in client.get("/inspection/tasks?state=overdue").get_data(as_text=True)
    # The unit sees the new deadline and the reason, and has no such form.
    auth.login(org.secondary)
    page = client.get(f"/inspection/tasks/{t.id}").get_data(as_text=True)
    assert "涉及资金清退，需财务处配合。" in page and 'id="form-extend"' not in page
    resp = client.post(f"/inspection/tasks/{t.id}/extend", data={"version": str(t.version + 1),
                                                                 "deadline": (new + timedelta(days=1)).isoformat(),
                                                                 "reason": "再延"})
    assert resp.status_code == 200 and "只有纪委可以延长整改期限" in resp.get_data(as_text=True)
    auth.login(org.secondary_b)
    assert client.post(f"/inspection/tasks/{t.id}/extend", data={}).status_code == 404
    db.session.expire_all()
    assert db.session.get(InspectionTask, t.id).deadline == new
    assert db.session.scalar(select(func.count(TaskEvent.id)).where(TaskEvent.action == "extend")) == 1


# --- one definition of overdue ----------------------------------------------------------------------

@pytest.mark.parametrize("deadline,today,days", [
    (date(2026, 9, 30), date(2026, 9, 30), 0),  # the deadline day is in time
    (date(2026, 9, 30), date(2026, 10, 1), 1),  # 国庆: holidays count
    (date(2026, 9, 30), date(2026, 10, 8), 8),
    (date(2026, 9, 30), date(2026, 9, 1), 0),
])
def test_both_modules_count_overdue_the_same_way(app, org, deadline, today, days):
    from dangjian.assessment.models import RectificationTask, TaskState as AT
    inspection = InspectionTask(deadline=deadline, state=TaskState.OPEN)
    assessment = RectificationTask(deadline=deadline, state=AT.OPEN)
    assert inspection.overdue_days(today) == assessment.days_overdue(today) == deadlines.days_past(deadline, today) == days


def test_both_modules_show_the_rule(app, org, auth, client):
    from tests.factories_assessment import graded
    from dangjian.assessment.grades import AssessmentGrade
    from dangjian.assessment import operations as assessment_ops
    t = new_task(org)
    auth.login(org.supervisor)
    for url in ("/inspection/tasks", f"/inspection/tasks/{t.id}"):
        assert deadlines.RULE in client.get(url).get_data(as_text=True)
    a = graded(org.branch_a1, AssessmentGrade.FAIR, org.org_dept_user, TODAY.year - 1)
    db.session.commit()
    org2 = make_user("orgdept2", None, [(Role.ORG_DEPT, org.org_dept)])
    db.session.commit()
    assessment_ops.add_task(org2, a, "记录不全", "", TODAY)
    auth.login(org2)
    assert deadlines.RULE in client.get("/assessments/overdue").get_data(as_text=True)
    assert deadlines.RULE in client.get(f"/assessments/view/{a.id}").get_data(as_text=True)
