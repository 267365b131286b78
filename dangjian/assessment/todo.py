"""党建考核 in 待办 (plugins `todo_entries`): the work waiting for the user, counted in ONE query.

* 组织部: 待评定 (self-evaluations submitted) and 待验收 (整改情况 handed in), without the
  organizations they must step aside from (回避, access.recused_condition);
* a unit's own people (支部书记/支委 of a branch, 书记/组织员 of a secondary unit): 待自评 (to submit,
  or returned for revision) and 待整改 (tasks still open).

Each entry links to the one assessment when there is one, else to the year's list filtered to it.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import and_, func, literal, or_, select, true, union_all

from ..extensions import db
from ..models import Organization, OrgKind, Role
from . import access
from .models import Assessment, AssessmentState as S, RectificationTask, TaskState as T

# key → (label, the list's state filter)
ENTRIES = {
    "grade": ("党建考核待评定", S.SUBMITTED),
    "sign_off": ("整改任务待验收", S.RECTIFYING),
    "submit": ("党建考核待自评", S.PENDING),
    "rectify": ("整改任务待提交整改情况", S.RECTIFYING),
}


def _own_orgs_condition(user):
    """The organizations the user acts for as the unit (lifecycle Who.UNIT)."""
    conds = [and_(Organization.id == ra.organization_id,
                  Organization.kind == (OrgKind.BRANCH if ra.role is Role.BRANCH_SECRETARY else OrgKind.SECONDARY))
             for ra in user.roles if ra.role in access.LEADING_ROLES]
    return or_(*conds) if conds else None


def _assessments(key, *where):
    return (select(literal(key).label("key"), func.count(Assessment.id).label("n"),
                   func.min(Assessment.id).label("one"), func.max(Assessment.year).label("year"))
            .select_from(Assessment).join(Organization, Organization.id == Assessment.organization_id).where(*where))


def _tasks(key, *where):
    return (select(literal(key).label("key"), func.count(RectificationTask.id).label("n"),
                   func.min(RectificationTask.assessment_id).label("one"), func.max(Assessment.year).label("year"))
            .select_from(RectificationTask).join(Assessment, Assessment.id == RectificationTask.assessment_id)
            .join(Organization, Organization.id == Assessment.organization_id).where(*where))


def counts(user) -> list[tuple[str, int, int, int]]:
    """(key, count, an assessment id, the latest year) for each kind of work with a count."""
    parts = []
    if access.is_org_dept(user):
        recused = access.recused_condition(user)
        judged = ~recused if recused is not None else true()
        parts += [_assessments("grade", Assessment.state == S.SUBMITTED, judged),
                  _tasks("sign_off", RectificationTask.state == T.SUBMITTED, Assessment.state == S.RECTIFYING,
                         judged)]
    own = _own_orgs_condition(user)
    if own is not None:
        parts += [_assessments("submit", Assessment.state.in_((S.PENDING, S.RETURNED)), own),
                  _tasks("rectify", RectificationTask.state == T.OPEN, Assessment.state == S.RECTIFYING, own)]
    if not parts:
        return []
    rows = db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    return [(key, n, one, year) for key, n, one, year in rows if n]


def todo_entries(user) -> list[dict]:
    out = []
    for key, n, one, year in counts(user):
        label, state = ENTRIES[key]
        url = (url_for("assessment.view", assessment_id=one) if n == 1
               else url_for("assessment.cycle", year=year, state=state.value))
        out.append({"label": label, "count": n, "url": url})
    return out
