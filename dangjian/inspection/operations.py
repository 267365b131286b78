"""Recording an inspection (§五3 督促检查): plans, findings and the 整改任务 they lead to.

纪委 records these; each call checks its input, writes the rows and one audit row in one
transaction, or raises InspectionRefused with a Chinese message and writes nothing. The life of a
task after it is given is in tasks.py. Nothing here touches `request` or `flash`.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select, update

from .. import audit
from ..extensions import db
from ..models import Organization, OrgKind
from ..models.base import utcnow
from ..text_input import cleaned
from ..timeutil import local_today
from . import access
from .models import (UNFINISHED, InspectionFinding, InspectionPlan, InspectionPlanUnit, PlanKind, InspectionTask,
                     Severity, TaskEvent, TaskState)

TITLE_MAX, TEAM_MAX, FINDING_MAX, REQUIREMENT_MAX, CLOSE_NOTE_MAX = 100, 300, 1000, 500, 500
MAX_UNITS = 50


class InspectionRefused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


HANDLED = "该记录已被他人处理，请刷新页面后查看"


def clean_text(label: str, value: str | None, limit: int, field: str, *, required: bool = True,
               multiline: bool = True) -> str:
    value, problem = cleaned(label, value, limit, required=required, multiline=multiline)
    if problem:
        raise InspectionRefused(problem, field)
    return value


def _inspector(user) -> None:
    if not access.is_inspector(user):
        raise InspectionRefused("只有纪委可以办理巡察和监督检查事项")


def _open_plan(plan: InspectionPlan) -> None:
    if plan.closed_at is not None:
        raise InspectionRefused("该检查计划已结束，不能再修改、记录问题或下达整改任务")


def _plan_values(year, kind, title, starts_on, ends_on, team, unit_ids) -> dict:
    today = local_today()
    if not isinstance(year, int) or not 2000 <= year <= today.year + 1:
        raise InspectionRefused(f"年度应在2000年至{today.year + 1}年之间", "year")
    try:
        kind = PlanKind(kind)
    except ValueError:
        raise InspectionRefused("请选择检查类型", "kind") from None
    title = clean_text("计划名称", title, TITLE_MAX, "title", multiline=False)
    if not isinstance(starts_on, date):
        raise InspectionRefused("请填写开始日期（年-月-日）", "starts_on")
    if not isinstance(ends_on, date):
        raise InspectionRefused("请填写结束日期（年-月-日）", "ends_on")
    if ends_on < starts_on:
        raise InspectionRefused("结束日期不能早于开始日期", "ends_on")
    team = clean_text("检查组成员", team, TEAM_MAX, "team", multiline=False)
    ids = sorted({int(i) for i in unit_ids or () if str(i).isdigit()})
    if not ids:
        raise InspectionRefused("请至少选择一个被检查单位", "unit_ids")
    if len(ids) > MAX_UNITS:
        raise InspectionRefused(f"一个计划最多覆盖{MAX_UNITS}个单位", "unit_ids")
    orgs = db.session.scalars(select(Organization).where(
        Organization.id.in_(ids), Organization.kind.in_((OrgKind.SECONDARY, OrgKind.BRANCH)),
        Organization.dissolved_on.is_(None))).all()
    if len(orgs) != len(ids):
        raise InspectionRefused("被检查单位须为现有的二级党组织或党支部", "unit_ids")
    return dict(year=year, kind=kind, title=title, starts_on=starts_on, ends_on=ends_on, team=team, orgs=orgs)


def create_plan(user, *, year, kind, title, starts_on, ends_on, team, unit_ids) -> InspectionPlan:
    """新建巡察/监督检查计划."""
    _inspector(user)
    v = _plan_values(year, kind, title, starts_on, ends_on, team, unit_ids)
    orgs = v.pop("orgs")
    plan = InspectionPlan(created_by_id=user.id, **v)
    plan.units = [InspectionPlanUnit(org_id=o.id) for o in orgs]
    db.session.add(plan)
    db.session.flush()
    audit.record("inspection.plan.created", plan, user=user, year=plan.year, title=plan.title,
                 units=[o.name for o in orgs])
    db.session.commit()
    return plan


def update_plan(plan: InspectionPlan, user, *, year, kind, title, starts_on, ends_on, team, unit_ids) -> InspectionPlan:
    """修改计划. A unit with findings stays covered (its findings would lose their plan)."""
    _inspector(user)
    _open_plan(plan)
    v = _plan_values(year, kind, title, starts_on, ends_on, team, unit_ids)
    orgs = v.pop("orgs")
    keep = {o.id for o in orgs}
    for finding in plan.findings:
        if not any(finding.organization.path.startswith(o.path) for o in orgs):
            raise InspectionRefused(f"「{finding.organization.name}」已有发现问题，不能从被检查单位中移除", "unit_ids")
    before = {"title": plan.title, "units": [o.name for o in plan.unit_orgs]}
    for key, value in v.items():
        setattr(plan, key, value)
    current = {u.org_id: u for u in plan.units}
    plan.units = [current.get(oid) or InspectionPlanUnit(org_id=oid) for oid in sorted(keep)]
    audit.record("inspection.plan.updated", plan, user=user, before=before, title=plan.title,
                 units=[o.name for o in orgs])
    db.session.commit()
    return plan


def _covered(plan: InspectionPlan, org: Organization) -> bool:
    return any(org.path.startswith(o.path) for o in plan.unit_orgs)


def add_finding(plan: InspectionPlan, user, *, org_id, text, severity) -> InspectionFinding:
    """记录发现问题 about one covered unit (or a branch inside it)."""
    _inspector(user)
    _open_plan(plan)
    org = db.session.get(Organization, org_id) if org_id else None
    if org is None or not _covered(plan, org):
        raise InspectionRefused("请选择本计划覆盖的单位", "org_id")
    if access.involved(user, org):
        raise InspectionRefused(access.RECUSAL, "org_id")
    text = clean_text("问题描述", text, FINDING_MAX, "text")
    try:
        severity = Severity(severity)
    except ValueError:
        raise InspectionRefused("请选择问题性质", "severity") from None
    finding = InspectionFinding(plan_id=plan.id, org_id=org.id, text=text, severity=severity, created_by_id=user.id)
    db.session.add(finding)
    db.session.flush()
    audit.record("inspection.finding.created", finding, user=user, plan_id=plan.id, org=org.name,
                 severity=severity.value)
    db.session.commit()
    return finding


def add_task(finding: InspectionFinding, user, *, owner_org_id, requirement, deadline) -> InspectionTask:
    """下达整改任务: the unit of the finding (or one of its branches) rectifies by `deadline`."""
    _inspector(user)
    _open_plan(finding.plan)
    owner = db.session.get(Organization, owner_org_id) if owner_org_id else None
    if owner is None or not owner.path.startswith(finding.organization.path) or owner.kind not in (
            OrgKind.SECONDARY, OrgKind.BRANCH):
        raise InspectionRefused(f"整改责任单位须为「{finding.organization.name}」或其下属党支部", "owner_org_id")
    if access.involved(user, finding.organization) or access.involved(user, owner):
        raise InspectionRefused(access.RECUSAL, "owner_org_id")
    requirement = clean_text("整改要求", requirement, REQUIREMENT_MAX, "requirement")
    if not isinstance(deadline, date):
        raise InspectionRefused("请填写整改期限（年-月-日）", "deadline")
    if deadline < local_today():
        raise InspectionRefused("整改期限不能早于今天", "deadline")
    task = InspectionTask(finding_id=finding.id, owner_org_id=owner.id, requirement=requirement,
                             deadline=deadline, state=TaskState.OPEN, version=1, created_by_id=user.id)
    db.session.add(task)
    db.session.flush()
    db.session.add(TaskEvent(task_id=task.id, action="create", actor_id=user.id, from_state=None,
                             to_state=TaskState.OPEN.value, note=requirement))
    audit.record("inspection.task.created", task, user=user, finding_id=finding.id, owner=owner.name,
                 deadline=deadline.isoformat())
    db.session.commit()
    return task


def _unfinished_tasks(plan_id: int):
    """A condition: the plan still has a task that is neither signed off nor withdrawn."""
    return exists().where(InspectionTask.finding_id == InspectionFinding.id, InspectionFinding.plan_id == plan_id,
                          InspectionTask.state.in_(UNFINISHED))


def close_refusal(plan: InspectionPlan, user) -> str | None:
    """Why `user` may not close `plan` now, or None."""
    if not access.is_inspector(user):
        return "只有纪委可以结束检查计划"
    if plan.closed_at is not None:
        return "该检查计划已结束"
    left = db.session.scalar(select(db.func.count(InspectionTask.id)).join(
        InspectionFinding, InspectionFinding.id == InspectionTask.finding_id).where(
        InspectionFinding.plan_id == plan.id, InspectionTask.state.in_(UNFINISHED))) or 0
    if left:
        return f"还有{left}项整改任务未销号或撤销，全部办结后才能结束检查"
    return None


def close_plan(plan: InspectionPlan, user, *, note: str = "") -> InspectionPlan:
    """结束检查: every task of the plan is signed off or withdrawn. One conditional UPDATE (still
    open, and still no unfinished task: a task given meanwhile refuses it), and an audit row."""
    reason = close_refusal(plan, user)
    if reason:
        raise InspectionRefused(reason)
    note = clean_text("结束说明", note, CLOSE_NOTE_MAX, "note", required=False)
    done = db.session.execute(
        update(InspectionPlan).where(InspectionPlan.id == plan.id, InspectionPlan.closed_at.is_(None),
                                     ~_unfinished_tasks(plan.id))
        .values(closed_at=utcnow(), closed_by_id=user.id, close_note=note)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise InspectionRefused(HANDLED)
    counts = dict(db.session.execute(select(InspectionTask.state, db.func.count(InspectionTask.id)).join(
        InspectionFinding, InspectionFinding.id == InspectionTask.finding_id).where(
        InspectionFinding.plan_id == plan.id).group_by(InspectionTask.state)).all())
    audit.record("inspection.plan.closed", plan, user=user, title=plan.title, year=plan.year,
                 findings=len(plan.findings), closed=counts.get(TaskState.CLOSED, 0),
                 cancelled=counts.get(TaskState.CANCELLED, 0))
    db.session.commit()
    db.session.expire(plan)
    return plan
