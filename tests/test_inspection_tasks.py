"""整改任务 tracked to closure (§五3, issue 10 §9): 纪委 gives a task to a unit, the unit submits what it
did with evidence files, 纪委 signs it off or returns it as insufficient, or withdraws it. Every rule
as a table row (state × who × action), every refusal changes nothing; recusal; two clicks."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from dangjian.extensions import db
from dangjian.inspection import operations, tasks
from dangjian.inspection.models import InspectionFile, InspectionTask, TaskEvent, TaskState
from dangjian.inspection.operations import InspectionRefused
from dangjian.models import AuditEvent, Role
from dangjian.timeutil import local_today
from tests.factories import make_member, make_user

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" \
      b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"


def png(name="会议记录.png"):
    return FileStorage(stream=io.BytesIO(PNG), filename=name, content_type="image/png")


def new_plan(org, units=None, year=None, user=None):
    today = local_today()
    return operations.create_plan(user or org.supervisor, year=year or today.year, kind="special",
                                  title="党内关怀帮扶工作专项检查", starts_on=today - timedelta(days=30),
                                  ends_on=today - timedelta(days=1), team="组长：纪检干部；成员：两人",
                                  unit_ids=[u.id for u in (units or [org.sec_a])])


def new_task(org, owner=None, plan=None, deadline_days=10):
    plan = plan or new_plan(org)
    finding = operations.add_finding(plan, org.supervisor, org_id=org.sec_a.id, text="慰问金签收单不全。",
                                     severity="major")
    return operations.add_task(finding, org.supervisor, owner_org_id=(owner or org.sec_a).id,
                               requirement="补齐签收单，建立发放台账。",
                               deadline=local_today() + timedelta(days=deadline_days))


@pytest.fixture
def recused(org):
    """A 纪委 holder whose own branch is 会计学院教工第一党支部 (inside 会计学院党委)."""
    user = make_user("jiwei_a", make_member(org.branch_a1, "郑纪检"), [(Role.SUPERVISOR, org.school)])
    db.session.commit()
    return user


@pytest.fixture
def at(org):
    """A task of 会计学院党委 in each state."""
    def make(state):
        t = new_task(org)
        if state is TaskState.OPEN:
            return t
        if state is TaskState.CANCELLED:
            return tasks.act(t, org.supervisor, "cancel", version=t.version, note="任务重复下达")
        t = tasks.act(t, org.secondary, "submit", version=t.version, note="已补齐签收单。", files=[png()])
        if state is TaskState.SUBMITTED:
            return t
        if state is TaskState.RETURNED:
            return tasks.act(t, org.supervisor, "return", version=t.version, note="缺少发放台账")
        return tasks.act(t, org.supervisor, "sign_off", version=t.version)
    return make


O, S, R, C, X = TaskState.OPEN, TaskState.SUBMITTED, TaskState.RETURNED, TaskState.CLOSED, TaskState.CANCELLED
# (state, who, action, expected: the new state or the refusal's words)
TABLE = [
    (O, "secondary", "submit", S),
    (O, "secretary", "submit", "只有整改责任单位（会计学院党委）可以提交整改材料"),  # a branch inside, not the owner
    (O, "secondary_b", "submit", "只有整改责任单位"),
    (O, "supervisor", "submit", "只有整改责任单位"),
    (O, "supervisor", "sign_off", "当前为「待整改」，不能验收销号"),
    (O, "supervisor", "cancel", X),
    (O, "org_dept_user", "cancel", "只有纪委可以撤销任务"),  # 组织部 reads only
    (O, "recused", "cancel", "回避"),
    (S, "supervisor", "sign_off", C),
    (S, "supervisor", "return", R),
    (S, "recused", "sign_off", "回避"),
    (S, "recused", "return", "回避"),
    (S, "secondary", "sign_off", "只有纪委可以验收销号"),
    (S, "org_dept_user", "return", "只有纪委"),
    (S, "secondary", "submit", "当前为「待验收」，不能提交整改材料"),
    (R, "secondary", "submit", S),
    (R, "supervisor", "sign_off", "当前为「已退回」"),
    (C, "supervisor", "cancel", "当前为「已销号」，不能撤销任务"),
    (C, "secondary", "submit", "当前为「已销号」"),
    (X, "secondary", "submit", "当前为「已撤销」"),
]
NOTES = {"submit": "已补充发放台账。", "return": "材料不足", "cancel": "下达有误", "sign_off": ""}


@pytest.mark.parametrize("state,who,action,expected", TABLE, ids=[f"{s.value}-{w}-{a}" for s, w, a, _ in TABLE])
def test_task_table(app, org, at, recused, state, who, action, expected):
    t = at(state)
    user = recused if who == "recused" else getattr(org, who)
    before = (t.state, t.version, len(t.events), db.session.scalar(select(func.count(AuditEvent.id))))
    if isinstance(expected, TaskState):
        assert action in tasks.available_actions(t, user)
        tasks.act(t, user, action, version=t.version, note=NOTES[action], files=[png()] if action == "submit" else [])
        db.session.expire_all()
        t = db.session.get(InspectionTask, t.id)
        assert (t.state, t.version) == (expected, before[1] + 1)
        event = t.events[-1]
        assert (event.action, event.actor_id, event.from_state, event.to_state) == (
            action, user.id, state.value, expected.value)
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == \
            tasks.TRANSITIONS[action].audit_code
        return
    assert action not in tasks.available_actions(t, user)
    with pytest.raises(InspectionRefused) as exc:
        tasks.act(t, user, action, version=t.version, note=NOTES[action])
    assert expected in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    t = db.session.get(InspectionTask, t.id)
    assert (t.state, t.version, len(t.events), db.session.scalar(select(func.count(AuditEvent.id)))) == before


def test_a_submission_needs_evidence_and_an_account_of_what_was_done(app, org):
    t = new_task(org)
    with pytest.raises(InspectionRefused) as exc:
        tasks.act(t, org.secondary, "submit", version=t.version, note="已整改。")
    assert exc.value.field == "files" and "至少一个文件" in exc.value.message
    with pytest.raises(InspectionRefused) as exc:
        tasks.act(t, org.secondary, "submit", version=t.version, note="  ", files=[png()])
    assert (exc.value.field, exc.value.message) == ("note", "请填写整改情况")
    bad = FileStorage(stream=io.BytesIO(b"not a pdf"), filename="a.pdf", content_type="application/pdf")
    with pytest.raises(InspectionRefused) as exc:
        tasks.act(t, org.secondary, "submit", version=t.version, note="已整改。", files=[bad])
    assert "内容与扩展名不符" in exc.value.message
    db.session.expire_all()
    assert db.session.get(InspectionTask, t.id).state is TaskState.OPEN
    assert db.session.scalar(select(func.count(InspectionFile.id))) == 0

    tasks.act(t, org.secondary, "submit", version=t.version, note="已整改。", files=[png("台账.png")])
    t = tasks.act(t, org.supervisor, "return", version=t.version, note="缺少签收单原件扫描件")
    # The files already given stay: a resubmission may add none.
    t = tasks.act(t, org.secondary, "submit", version=t.version, note="补充说明：原件存档于学院党委办公室。")
    assert t.state is TaskState.SUBMITTED
    assert [f.filename for f in t.files] == ["台账.png"]
    assert [e.action for e in t.events] == ["create", "submit", "return", "submit"]


def test_return_needs_a_reason(app, org, at):
    t = at(TaskState.SUBMITTED)
    with pytest.raises(InspectionRefused) as exc:
        tasks.act(t, org.supervisor, "return", version=t.version, note="")
    assert exc.value.message == "请填写退回理由"


def test_two_clicks_on_the_same_page_only_one_wins(app, org, at, monkeypatch):
    t = at(TaskState.SUBMITTED)
    seen = t.version
    other = make_user("jiwei2", None, [(Role.SUPERVISOR, org.school)])
    db.session.commit()
    tasks.act(t, org.supervisor, "sign_off", version=seen)
    events = db.session.scalar(select(func.count(TaskEvent.id)))
    # The second click passed the checks before the first one wrote: the conditional UPDATE decides.
    monkeypatch.setattr(tasks, "refusal", lambda *args: None)
    with pytest.raises(InspectionRefused) as exc:
        tasks.act(t, other, "return", version=seen, note="材料不足")
    assert exc.value.message == "该记录已被他人处理，请刷新页面后查看"
    db.session.expire_all()
    t = db.session.get(InspectionTask, t.id)
    assert (t.state, t.closed_on, t.version) == (TaskState.CLOSED, local_today(), seen + 1)
    assert db.session.scalar(select(func.count(TaskEvent.id))) == events


# --- recording: plans, findings, tasks ----------------------------------------------------------------

def test_only_jiwei_records_inspections_and_nobody_judges_their_own_unit(app, org, recused):
    for user in (org.org_dept_user, org.secondary, org.school_user):
        with pytest.raises(InspectionRefused) as exc:
            new_plan(org, user=user)
        assert exc.value.message == "只有纪委可以办理巡察和监督检查事项"
    plan = new_plan(org, units=[org.sec_a, org.sec_b], user=recused)  # a plan covering many units: no conflict
    with pytest.raises(InspectionRefused) as exc:
        operations.add_finding(plan, recused, org_id=org.sec_a.id, text="问题", severity="minor")
    assert "回避" in exc.value.message
    finding = operations.add_finding(plan, recused, org_id=org.sec_b.id, text="学习记录不全。", severity="minor")
    assert finding.org_id == org.sec_b.id
    a_finding = operations.add_finding(plan, org.supervisor, org_id=org.branch_a1.id, text="复核记录缺失。",
                                       severity="serious")
    with pytest.raises(InspectionRefused) as exc:
        operations.add_task(a_finding, recused, owner_org_id=org.branch_a1.id, requirement="补录",
                            deadline=local_today() + timedelta(days=5))
    assert "回避" in exc.value.message


@pytest.mark.parametrize("field,values,message", [
    ("unit_ids", {"unit_ids": []}, "请至少选择一个被检查单位"),
    ("unit_ids", {"unit_ids": ["org_dept"]}, "被检查单位须为现有的二级党组织或党支部"),
    ("ends_on", {"ends_on": -40}, "结束日期不能早于开始日期"),
    ("title", {"title": ""}, "请填写计划名称"),
    ("team", {"team": "x" * 301}, "检查组成员不能超过300字"),
    ("year", {"year": 1999}, "年度应在2000年"),
])
def test_a_plan_is_checked_field_by_field(app, org, field, values, message):
    today = local_today()
    kw = dict(year=today.year, kind="inspection", title="第一轮巡察", starts_on=today, ends_on=today,
              team="组长：某某", unit_ids=[org.sec_a.id])
    for key, value in values.items():
        if key == "unit_ids":
            value = [getattr(org, v).id for v in value]
        elif key == "ends_on":
            value = today + timedelta(days=value)
        kw[key] = value
    with pytest.raises(InspectionRefused) as exc:
        operations.create_plan(org.supervisor, **kw)
    assert exc.value.field == field and message in exc.value.message


def test_findings_and_tasks_stay_inside_the_covered_units(app, org):
    plan = new_plan(org, units=[org.sec_a])
    with pytest.raises(InspectionRefused) as exc:
        operations.add_finding(plan, org.supervisor, org_id=org.sec_b.id, text="问题", severity="minor")
    assert exc.value.message == "请选择本计划覆盖的单位"
    finding = operations.add_finding(plan, org.supervisor, org_id=org.branch_a1.id, text="问题", severity="minor")
    for owner, deadline, message in [(org.branch_a2, 5, "整改责任单位须为「会计学院教工第一党支部」或其下属党支部"),
                                     (org.branch_a1, -1, "整改期限不能早于今天")]:
        with pytest.raises(InspectionRefused) as exc:
            operations.add_task(finding, org.supervisor, owner_org_id=owner.id, requirement="整改",
                                deadline=local_today() + timedelta(days=deadline))
        assert exc.value.message == message
    with pytest.raises(InspectionRefused) as exc:
        operations.update_plan(plan, org.supervisor, year=plan.year, kind="special", title=plan.title,
                               starts_on=plan.starts_on, ends_on=plan.ends_on, team=plan.team, unit_ids=[org.sec_b.id])
    assert "已有发现问题，不能从被检查单位中移除" in exc.value.message
    db.session.rollback()
    operations.update_plan(plan, org.supervisor, year=plan.year, kind="special", title="专项检查（调整）",
                           starts_on=plan.starts_on, ends_on=plan.ends_on, team=plan.team,
                           unit_ids=[org.sec_a.id, org.sec_b.id])
    db.session.expire_all()
    assert sorted(u.org_id for u in plan.units) == sorted([org.sec_a.id, org.sec_b.id])
    codes = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert codes == ["inspection.plan.created", "inspection.finding.created", "inspection.plan.updated"]


def test_a_task_is_overdue_while_the_unit_owes_it(app, org, at):
    t = at(TaskState.OPEN)
    today = local_today()
    assert t.overdue_days(today) == 0
    assert t.overdue_days(t.deadline + timedelta(days=3)) == 3
    submitted = at(TaskState.SUBMITTED)
    assert submitted.overdue_days(submitted.deadline + timedelta(days=3)) == 0  # 纪委's turn now
    returned = at(TaskState.RETURNED)
    assert returned.overdue_days(returned.deadline + timedelta(days=1)) == 1
    assert db.session.scalar(select(func.count(TaskEvent.id))) > 0
