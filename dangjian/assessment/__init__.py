"""党建考核 (§三(一)1): the annual assessment of secondary units and branches, its grades, and the
约谈 and 限期整改 that a grade of 一般 or 差 brings. A module (dangjian/plugins.py): it joins the app
through the attributes below. Its branch grades are the allowance's eligibility (§三(一)3)."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from . import models  # noqa: F401  (register the tables)
from .access import acts_for_unit, can_read_any, is_org_dept, led_orgs, reads_all
from .demo import load_demo  # noqa: F401
from .operations import remind_overdue_tasks
from .todo import todo_entries  # noqa: F401
from .views import bp

blueprints = [bp]
periodic_tasks = [remind_overdue_tasks]


def start_entries(user) -> list[dict]:
    """For a unit's people: their self-evaluation to submit, or 整改 evidence to hand in."""
    from ..extensions import db
    from .models import Assessment, AssessmentState, RectificationTask, TaskState

    orgs = [o for o in led_orgs(user) if acts_for_unit(user, o)]
    if not orgs:
        return []
    ids = [o.id for o in orgs]
    pending = db.session.scalars(select(Assessment).where(
        Assessment.organization_id.in_(ids),
        Assessment.state.in_((AssessmentState.PENDING, AssessmentState.RETURNED)))
        .order_by(Assessment.year.desc())).all()
    tasks = db.session.scalars(select(RectificationTask).join(Assessment).where(
        Assessment.organization_id.in_(ids), RectificationTask.state == TaskState.OPEN)
        .order_by(RectificationTask.deadline)).all()
    if not pending and not tasks:
        return []
    if pending:
        a = pending[0]
        hint = (f"{a.organization.name}{a.year}年度自评{'被退回，请修改后重新提交' if a.state is AssessmentState.RETURNED else '待提交'}，"
                f"截止 {a.cycle.deadline:%Y-%m-%d}")
        url = url_for("assessment.view", assessment_id=a.id)
    else:
        t = tasks[0]
        hint = f"{len(tasks)} 项整改任务待提交整改情况，最近期限 {t.deadline:%Y-%m-%d}"
        url = url_for("assessment.view", assessment_id=t.assessment_id)
    if pending and tasks:
        hint += f"；另有 {len(tasks)} 项整改任务"
    return [{"label": "党建考核", "hint": hint, "url": url}]


def admin_entries(user) -> list[dict]:
    if not can_read_any(user) or not (reads_all(user) or any(not o.is_branch for o in led_orgs(user))):
        return []
    hint = ("发起年度考核、评定等次、约谈与整改销号" if is_org_dept(user)
            else "各党组织年度考核自评、等次、约谈与整改情况")
    return [{"label": "党建考核", "hint": hint, "url": url_for("assessment.index")}]


def supervision_figures(org, year: int, viewer) -> list[dict]:
    """纪委's dashboard (§五3): open and overdue 整改任务, and the grades, for `org`'s subtree and `year`."""
    from ..extensions import db
    from .models import AssessmentCycle
    from .queries import grade_counts, task_counts

    if not can_read_any(viewer):
        return []
    open_, overdue = task_counts(org, year)
    # A year without a 考核 has no cycle page to drill into: its figures (all 0) carry no link.
    has_cycle = db.session.scalar(select(AssessmentCycle.id).where(AssessmentCycle.year == year)) is not None
    cycle_url = url_for("assessment.cycle", year=year) if has_cycle else None
    figures = [
        {"key": "assessment.tasks_open", "label": "整改任务未销号", "value": open_, "url": cycle_url,
         "alert": open_ > 0},
        {"key": "assessment.tasks_overdue", "label": "整改任务超期", "value": overdue,
         "url": url_for("assessment.overdue"), "alert": overdue > 0},
    ]
    for grade, n in grade_counts(org, year).items():
        figures.append({"key": f"assessment.grade.{grade.value}", "label": f"党建考核「{grade.label}」", "value": n,
                        "url": url_for("assessment.cycle", year=year, grade=grade.value) if has_cycle else None,
                        "alert": False})
    return figures
