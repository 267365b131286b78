"""What other parts of the app read from 党建考核: a branch's grade for a year (the allowance's
eligibility, §三(一)3), the 优秀 organizations (表彰, §三(一)2), and 纪委's figures (§五3)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Organization
from ..timeutil import local_today
from .grades import AssessmentGrade
from .models import GRADED_STATES, Assessment, AssessmentState, RectificationTask, TaskState


def grades_for(org_ids, year: int) -> dict[int, Assessment]:
    """{organization id: its graded assessment of `year`}, for those that have one. The one place
    the allowance reads "经考核合格" from."""
    ids = list(org_ids)
    if not ids:
        return {}
    return {a.organization_id: a for a in db.session.scalars(select(Assessment).where(
        Assessment.organization_id.in_(ids), Assessment.year == year, Assessment.state.in_(GRADED_STATES)))}


def graded_history(org_id: int, limit: int = 10) -> list[Assessment]:
    """An organization's graded assessments, the latest year first."""
    return list(db.session.scalars(select(Assessment).where(
        Assessment.organization_id == org_id, Assessment.state.in_(GRADED_STATES))
        .order_by(Assessment.year.desc()).limit(limit)))


def excellent(year: int) -> list[Assessment]:
    """The organizations graded 优秀 in `year` ("对年度综合考核获“优秀”等级的，给予一定物质奖励")."""
    return list(db.session.scalars(select(Assessment).join(Organization).where(
        Assessment.year == year, Assessment.state.in_(GRADED_STATES), Assessment.grade == AssessmentGrade.EXCELLENT)
        .order_by(Organization.path)))


def _in_subtree(org: Organization):
    return Assessment.organization_id.in_(select(Organization.id).where(Organization.path.startswith(org.path)))


def grade_counts(org: Organization, year: int) -> dict[AssessmentGrade, int]:
    rows = db.session.execute(select(Assessment.grade, func.count(Assessment.id)).where(
        _in_subtree(org), Assessment.year == year, Assessment.state.in_(GRADED_STATES))
        .group_by(Assessment.grade)).all()
    counts = {g: 0 for g in AssessmentGrade}
    counts.update({g: n for g, n in rows if g is not None})
    return counts


def task_counts(org: Organization, year: int) -> tuple[int, int]:
    """(open 整改任务, of which overdue) of the organizations in `org`'s subtree, for `year`'s assessments."""
    base = (select(func.count(RectificationTask.id)).join(Assessment)
            .where(_in_subtree(org), Assessment.year == year, RectificationTask.state != TaskState.CLOSED))
    open_ = db.session.scalar(base) or 0
    overdue = db.session.scalar(base.where(RectificationTask.state == TaskState.OPEN,
                                           RectificationTask.deadline < local_today(),
                                           Assessment.state == AssessmentState.RECTIFYING)) or 0
    return open_, overdue
