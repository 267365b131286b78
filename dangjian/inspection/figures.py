"""Figures for 纪委's supervision dashboard (§五3): one organization's subtree and one year. Each
counts the rows its drill-down list shows (queries.task_query), so the two always agree."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Organization
from ..timeutil import local_today
from . import access
from .models import InspectionFinding, InspectionPlan
from .queries import OVERDUE_FILTER, UNFINISHED_FILTER, TaskFilter, task_query


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def supervision_figures(org, year: int, viewer) -> list[dict]:
    if not access.can_use(viewer):
        return []
    today = local_today()

    def tasks(**kw) -> int:
        return _count(task_query(viewer, TaskFilter(unit_id=org.id, year=year, **kw), today))

    def link(**kw) -> str:
        return url_for("inspection.tasks", **TaskFilter(unit_id=org.id, year=year, **kw).args())

    unit = aliased(Organization)  # not correlated with the scope's sub-selects on organizations
    findings = _count(select(InspectionFinding.id)
                      .join(InspectionPlan, InspectionPlan.id == InspectionFinding.plan_id)
                      .join(unit, unit.id == InspectionFinding.org_id)
                      .where(InspectionPlan.year == year, unit.path.startswith(org.path),
                             access.finding_scope(viewer)))
    total, closed = tasks(state="all"), tasks(state="closed")
    overdue, submitted = tasks(state=OVERDUE_FILTER), tasks(state="submitted")
    earlier = tasks(state=UNFINISHED_FILTER, before_year=True)
    return [
        {"key": "inspection.findings", "label": f"{year}年巡察/监督检查发现问题", "value": findings,
         "url": url_for("inspection.plans", year=year), "alert": False},
        {"key": "inspection.tasks_closed", "label": f"{year}年整改任务：已销号/总数", "value": f"{closed}/{total}",
         "done": closed, "due": total, "url": link(state="all"), "alert": False},
        {"key": "inspection.tasks_overdue", "label": "整改任务逾期未完成", "value": overdue,
         "url": link(state=OVERDUE_FILTER), "alert": overdue > 0},
        {"key": "inspection.tasks_submitted", "label": "整改材料待纪委验收", "value": submitted,
         "url": link(state="submitted"), "alert": False},
        {"key": "inspection.tasks_earlier", "label": f"{year}年以前的整改任务尚未完成", "value": earlier,
         "url": link(state=UNFINISHED_FILTER, before_year=True), "alert": earlier > 0},
    ]
