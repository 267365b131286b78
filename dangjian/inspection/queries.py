"""The lists of 巡察/监督检查: plans by year, and 整改任务 by unit, year and state (also what the
dashboard's figures count, so a figure and its drill-down list always agree)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from ..models import Organization
from . import access
from .models import UNFINISHED, WITH_UNIT, InspectionFinding, InspectionPlan, InspectionTask, TaskState

UNFINISHED_FILTER, OVERDUE_FILTER, EARLIER_FILTER = "unfinished", "overdue", "earlier"
STATE_FILTERS = {UNFINISHED_FILTER: "未完成（待整改、待验收、已退回）", OVERDUE_FILTER: "逾期未整改",
                 **{s.value: s.label for s in TaskState}, "all": "全部"}


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass
class TaskFilter:
    unit_id: int | None = None  # the owner lies in this organization's subtree
    year: int | None = None  # the plan's year
    state: str = UNFINISHED_FILTER
    plan_id: int | None = None
    before_year: bool = False  # plans before `year` (往年未完成)

    @classmethod
    def from_args(cls, args) -> "TaskFilter":
        state = args.get("state", UNFINISHED_FILTER)
        return cls(unit_id=_int(args.get("unit_id")), year=_int(args.get("year")),
                   state=state if state in STATE_FILTERS else UNFINISHED_FILTER, plan_id=_int(args.get("plan_id")),
                   before_year=args.get("before") == "1")

    def args(self) -> dict:
        out = {"unit_id": self.unit_id, "year": self.year, "state": self.state, "plan_id": self.plan_id,
               "before": "1" if self.before_year else None}
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.unit_id or self.year or self.plan_id or self.state != UNFINISHED_FILTER)


def task_query(user, f: TaskFilter, today: date):
    # An alias: the scope's and the filter's sub-selects on organizations must not correlate with it.
    owner = aliased(Organization)
    q = (select(InspectionTask)
         .join(InspectionFinding, InspectionFinding.id == InspectionTask.finding_id)
         .join(InspectionPlan, InspectionPlan.id == InspectionFinding.plan_id)
         .join(owner, owner.id == InspectionTask.owner_org_id)
         .where(access.task_scope(user))
         .options(selectinload(InspectionTask.owner), selectinload(InspectionTask.finding)
                  .selectinload(InspectionFinding.plan)))
    if f.unit_id:
        under = select(Organization.path).where(Organization.id == f.unit_id).scalar_subquery()
        q = q.where(owner.path.startswith(under))
    if f.year:
        q = q.where(InspectionPlan.year < f.year if f.before_year else InspectionPlan.year == f.year)
    if f.plan_id:
        q = q.where(InspectionPlan.id == f.plan_id)
    if f.state == UNFINISHED_FILTER:
        q = q.where(InspectionTask.state.in_(UNFINISHED))
    elif f.state == OVERDUE_FILTER:
        q = q.where(InspectionTask.state.in_(WITH_UNIT), InspectionTask.deadline < today)
    elif f.state != "all":
        q = q.where(InspectionTask.state == TaskState(f.state))
    return q.order_by(InspectionTask.deadline, InspectionTask.id)


def plan_query(user, year: int | None):
    q = select(InspectionPlan).where(access.plan_scope(user)).options(
        selectinload(InspectionPlan.units), selectinload(InspectionPlan.findings))
    if year:
        q = q.where(InspectionPlan.year == year)
    return q.order_by(InspectionPlan.starts_on.desc(), InspectionPlan.id.desc())
