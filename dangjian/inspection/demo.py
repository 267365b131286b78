"""Demo data for 巡察/监督检查: this year's special check of two colleges, with findings and 整改任务
in every state (one overdue, one waiting for 纪委's 验收, one signed off, one returned after its
deadline was extended), last year's 巡察 with a task still open, and a check of two years ago closed
(结束) once its task was signed off, so the dashboard's figures and alerts have something to show."""
from __future__ import annotations

from datetime import timedelta

from ..extensions import db
from ..models.base import utcnow
from ..timeutil import local_today
from .models import (InspectionFinding, InspectionPlan, InspectionPlanUnit, PlanKind, InspectionTask, Severity,
                     TaskEvent, TaskState)

STEPS = {  # state → the events after 下达 (action, actor key, note)
    TaskState.OPEN: [],
    TaskState.SUBMITTED: [("submit", "unit", "已召开支委会专题研究，制定慰问金发放台账管理办法，补齐2份缺失的签收单。")],
    TaskState.RETURNED: [("submit", "unit", "已组织学习。"),
                         ("return", "jiwei", "只说明已学习，未附学习记录和参学名单，请补充后重新提交。")],
    TaskState.CLOSED: [("submit", "unit", "已补录全部困难党员的年度复核记录，今后每年十二月集中复核。"),
                       ("sign_off", "jiwei", "经核查台账，复核记录完整，同意销号。")],
}


def _plan(ctx, year, kind, title, start, days, units):
    plan = InspectionPlan(year=year, kind=kind, title=title, starts_on=start, ends_on=start + timedelta(days=days),
                          team="组长：孙立新；成员：纪委办公室、党委组织部各一人", created_by_id=ctx.users["jiwei"].id)
    plan.units = [InspectionPlanUnit(org_id=u.id) for u in units]
    db.session.add(plan)
    db.session.flush()
    return plan


def _finding(plan, org, text, severity, jiwei):
    f = InspectionFinding(plan_id=plan.id, org_id=org.id, text=text, severity=severity, created_by_id=jiwei.id)
    db.session.add(f)
    db.session.flush()
    return f


def _task(ctx, finding, owner, requirement, deadline, state, unit_user):
    jiwei = ctx.users["jiwei"]
    version = 1 + len(STEPS[state])
    t = InspectionTask(finding_id=finding.id, owner_org_id=owner.id, requirement=requirement, deadline=deadline,
                          state=state, version=version, created_by_id=jiwei.id,
                          closed_on=local_today() - timedelta(days=3) if state is TaskState.CLOSED else None,
                          submitted_at=utcnow() - timedelta(days=5) if state is not TaskState.OPEN else None)
    db.session.add(t)
    db.session.flush()
    db.session.add(TaskEvent(task_id=t.id, action="create", actor_id=jiwei.id, to_state="open", note=requirement,
                             at=utcnow() - timedelta(days=20)))
    current = "open"
    for i, (action, who, note) in enumerate(STEPS[state]):
        to = {"submit": "submitted", "return": "returned", "sign_off": "closed"}[action]
        db.session.add(TaskEvent(task_id=t.id, action=action, actor_id=(jiwei if who == "jiwei" else unit_user).id,
                                 from_state=current, to_state=to, note=note, at=utcnow() - timedelta(days=10 - 3 * i)))
        current = to
    return t


def load_demo(ctx) -> None:
    today = local_today()
    acc, eco = ctx.secondaries.get("会计学院党委"), ctx.secondaries.get("经济学院党委")
    if acc is None or eco is None or "jiwei" not in ctx.users:
        return
    erji = ctx.users["erji"]
    eco_user = next((u for u in ctx.users.values() if any(ra.organization_id == eco.id for ra in u.roles)), erji)
    plan = _plan(ctx, today.year, PlanKind.SPECIAL, f"{today.year}年度党内激励关怀帮扶工作专项检查",
                 today - timedelta(days=40), 30, [acc, eco])
    f1 = _finding(plan, acc, "困难党员台账部分记录超过一年未复核，复核情况未形成记录。", Severity.MAJOR, ctx.users["jiwei"])
    f2 = _finding(plan, acc, "慰问金发放签收单不全，2笔慰问金缺少收款人签收。", Severity.SERIOUS, ctx.users["jiwei"])
    f3 = _finding(plan, eco, "部分党支部未按要求组织学习《关于健全党内激励关怀帮扶机制的实施意见》。", Severity.MINOR,
                  ctx.users["jiwei"])
    branch = ctx.branches.get("会计学院教工第一党支部", acc)
    _task(ctx, f1, acc, "对全部在册困难党员逐一复核并补录复核记录，建立年度集中复核制度。", today - timedelta(days=6),
          TaskState.CLOSED, erji)
    _task(ctx, f1, branch, "支部逐户走访在册困难党员，核实困难情况是否仍然存在。", today - timedelta(days=4),
          TaskState.OPEN, erji)
    _task(ctx, f2, acc, "补齐缺失的签收单，建立慰问金发放台账，逐笔登记收款人签收。", today + timedelta(days=15),
          TaskState.SUBMITTED, erji)
    t3 = _task(ctx, f3, eco, "各党支部专题学习实施意见，报送学习记录和参学名单。", today + timedelta(days=20),
               TaskState.RETURNED, eco_user)
    t3.version += 1
    db.session.add(TaskEvent(task_id=t3.id, action="extend", actor_id=ctx.users["jiwei"].id, from_state="returned",
                             to_state="returned", note="正值期末考试周，各党支部集中学习顺延。",
                             old_deadline=today + timedelta(days=5), new_deadline=today + timedelta(days=20),
                             at=utcnow() - timedelta(days=2)))
    last = _plan(ctx, today.year - 1, PlanKind.INSPECTION, f"{today.year - 1}年第二轮校内巡察",
                 today.replace(month=1, day=1) - timedelta(days=90), 45, [eco])
    f4 = _finding(last, eco, "党支部书记补贴发放未经支委会研究，材料不全。", Severity.MAJOR, ctx.users["jiwei"])
    _task(ctx, f4, eco, "补充支委会研究记录，完善补贴发放审批材料。", today - timedelta(days=30), TaskState.OPEN, eco_user)
    old = _plan(ctx, today.year - 2, PlanKind.CHECK, f"{today.year - 2}年度党费收缴使用监督检查",
                today.replace(month=1, day=1) - timedelta(days=400), 20, [acc])
    f5 = _finding(old, acc, "个别党支部党费收缴记录未按月登记。", Severity.MINOR, ctx.users["jiwei"])
    _task(ctx, f5, acc, "按月登记党费收缴记录，补齐缺失月份。", today - timedelta(days=300), TaskState.CLOSED, erji)
    old.closed_at, old.closed_by_id = utcnow() - timedelta(days=280), ctx.users["jiwei"].id
    old.close_note = "整改任务已全部验收销号。"
    db.session.commit()
