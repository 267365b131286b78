"""Demo data for 党建考核.

Last year's assessment, graded for every secondary unit and branch (the allowance's demo batch reads
the branch grades, so `ensure_last_year` runs from there first): 会计学院本科生党支部 一般 (约谈 held,
one task signed off, one waiting for 验收), 党政办公室党支部 差 (约谈 held, a task overdue), 机关党委
一般 (tasks set, 约谈 still to record, by `zuzhibu2`: `zuzhibu` belongs to 机关党委 and steps aside).
This year's assessment is open: 会计学院党委 has submitted (for `zuzhibu` to grade), and
会计学院教工第一党支部 (`zhibu`) has its self-evaluation to write.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..models import Organization, OrgKind, User
from ..models.base import utcnow
from ..timeutil import local_today
from . import access
from .grades import AssessmentGrade as G
from .models import (Assessment, AssessmentCycle, AssessmentEvent, AssessmentState, Interview, RectificationTask,
                     TaskState)

#: Last year's grades and scores.
LAST_YEAR = {
    "会计学院党委": (G.EXCELLENT, "94.0"), "经济学院党委": (G.GOOD, "85.5"), "机关党委": (G.FAIR, "68.0"),
    "会计学院教工第一党支部": (G.EXCELLENT, "95.0"), "会计学院教工第二党支部": (G.GOOD, "86.0"),
    "会计学院本科生党支部": (G.FAIR, "72.0"), "会计学院研究生党支部": (G.GOOD, "84.0"),
    "经济学院教工党支部": (G.GOOD, "82.0"), "经济学院学生第一党支部": (G.GOOD, "88.0"),
    "经济学院离退休党支部": (G.GOOD, "81.0"), "党政办公室党支部": (G.POOR, "55.0"),
    "组织部宣传部联合党支部": (G.GOOD, "85.0"), "机关离退休党支部": (G.GOOD, "87.0"),
    "图书馆直属党支部": (G.EXCELLENT, "93.0"),
}


def _orgs() -> dict[str, Organization]:
    return {o.name: o for o in db.session.scalars(select(Organization).where(
        Organization.kind.in_((OrgKind.SECONDARY, OrgKind.BRANCH))))}


def ensure_last_year(ctx) -> AssessmentCycle:
    """Last year's graded assessment (once)."""
    year = local_today().year - 1
    cycle = db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.year == year))
    if cycle is not None:
        return cycle
    grader = ctx.users["zuzhibu"]
    cycle = AssessmentCycle(year=year, name=f"{year}年度基层党组织党建工作考核", deadline=date(year + 1, 1, 15),
                            created_by_id=grader.id)
    db.session.add(cycle)
    db.session.flush()
    submitted_at = utcnow() - timedelta(days=120)
    for name, org in _orgs().items():
        grade, score = LAST_YEAR.get(name, (G.GOOD, "80.0"))
        a = Assessment(cycle_id=cycle.id, organization_id=org.id, year=year,
                       state=AssessmentState.RECTIFYING if grade.needs_rectification else AssessmentState.GRADED,
                       self_report=f"{year}年，{name}认真落实党建工作责任制，按期完成“三会一课”、组织生活会和民主评议党员，"
                                   "党员教育管理、发展党员和党费收缴工作规范。不足：理论学习的深度不够，支部活动形式较单一。",
                       submitted_at=submitted_at, score=Decimal(score), grade=grade, graded_by_id=grader.id,
                       graded_at=submitted_at + timedelta(days=20),
                       grade_opinion="" if grade is not G.POOR else "“三会一课”记录缺失较多，党费收缴不及时。")
        db.session.add(a)
        db.session.flush()
        # Its 办理记录 says what the page shows: who graded it, when (as operations.grade writes it).
        db.session.add(AssessmentEvent(assessment_id=a.id, action="grade", actor_id=grader.id, created_at=a.graded_at,
                                       note=f"{a.score}分，{grade.label}" + (f"。{a.grade_opinion}" if a.grade_opinion else "")))
    db.session.flush()
    return cycle


def load_demo(ctx) -> None:
    cycle = ensure_last_year(ctx)
    by_name = {a.organization.name: a for a in db.session.scalars(
        select(Assessment).where(Assessment.cycle_id == cycle.id))}
    zuzhibu, other = ctx.users["zuzhibu"], ctx.users.get("zuzhibu2") or ctx.users["zuzhibu"]
    today = local_today()
    now = utcnow()

    def event(a, action, user, note="", task=None, days_ago=0):
        db.session.add(AssessmentEvent(assessment_id=a.id, task_id=task.id if task else None, action=action,
                                       actor_id=user.id if user else None, note=note,
                                       created_at=now - timedelta(days=days_ago)))

    later = []  # (days ago, assessment, action, user, task): the tasks' 提交 and 销号, written after in time order

    def task(a, problem, requirement, deadline, state, evidence="", by=zuzhibu):
        t = RectificationTask(assessment_id=a.id, problem=problem, requirement=requirement, deadline=deadline,
                              state=state, created_by_id=by.id, evidence=evidence,
                              submitted_at=now - timedelta(days=3) if evidence else None,
                              closed_at=now - timedelta(days=1) if state is TaskState.CLOSED else None,
                              closed_by_id=by.id if state is TaskState.CLOSED else None)
        db.session.add(t)
        db.session.flush()
        event(a, "add_task", by, f"整改期限 {deadline:%Y-%m-%d}", t, days_ago=60)
        submitter = next(iter(access.unit_people(a.organization)), None)  # demo branches may have none
        if evidence and submitter is not None:
            later.append((3, a, "task_submit", db.session.get(User, submitter), t))
        if state is TaskState.CLOSED:
            later.append((1, a, "task_sign_off", by, t))
        return t

    students = by_name["会计学院本科生党支部"]
    db.session.add(Interview(assessment_id=students.id, held_on=today - timedelta(days=70), place="行政楼 312 会议室",
                             interviewers="刘晓燕（组织部副部长）", interviewees="会计学院本科生党支部书记、会计学院党委组织员 陈建国",
                             notes="指出支部“三会一课”记录不全、发展党员材料归档不及时；支部书记表态一个月内补齐记录，"
                                   "建立材料归档台账。要求按整改任务按期提交整改情况。",
                             recorded_by_id=zuzhibu.id, recorded_at=now - timedelta(days=70)))
    event(students, "interview", zuzhibu, f"{today - timedelta(days=70):%Y-%m-%d} 约谈会计学院本科生党支部书记", days_ago=70)
    task(students, "“三会一课”记录不全，部分月份缺少支委会记录。", "补齐全年记录，建立月度检查制度。",
         today - timedelta(days=30), TaskState.CLOSED, evidence="已补齐全年支委会和党小组会记录，支部建立月度自查表。")
    task(students, "发展党员材料归档不及时。", "建立发展党员材料归档台账，逐人核对。", today + timedelta(days=10),
         TaskState.SUBMITTED, evidence="已建立归档台账，对近三年发展的18名党员材料逐一核对并补齐。")

    office = by_name["党政办公室党支部"]
    db.session.add(Interview(assessment_id=office.id, held_on=today - timedelta(days=65), place="行政楼 312 会议室",
                             interviewers="郑文静（组织部组织科科长）", interviewees="党政办公室党支部书记",
                             notes="通报考核结果为“差”，指出组织生活不经常、党费收缴不及时；支部书记作了检讨，表示限期整改。",
                             recorded_by_id=other.id, recorded_at=now - timedelta(days=65)))
    event(office, "interview", other, f"{today - timedelta(days=65):%Y-%m-%d} 约谈党政办公室党支部书记", days_ago=65)
    task(office, "党费收缴不及时，存在连续三个月未收缴的情况。", "补收党费，建立按月收缴和公示制度。",
         today - timedelta(days=12), TaskState.OPEN, by=other)

    organs = by_name["机关党委"]
    task(organs, "所属支部组织生活会质量不高，批评与自我批评流于形式。", "制定整改方案，指导各支部重开组织生活会。",
         today + timedelta(days=25), TaskState.OPEN, by=other)
    for days_ago, a, action, user, t in sorted(later, key=lambda e: -e[0]):
        event(a, action, user, task=t, days_ago=days_ago)

    # This year: open, one secondary unit has submitted.
    this_year = today.year
    current = AssessmentCycle(year=this_year, name=f"{this_year}年度基层党组织党建工作考核",
                              deadline=today + timedelta(days=30), created_by_id=zuzhibu.id)
    db.session.add(current)
    db.session.flush()
    for name, org in _orgs().items():
        a = Assessment(cycle_id=current.id, organization_id=org.id, year=this_year, state=AssessmentState.PENDING)
        if name == "会计学院党委":
            a.state, a.self_score = AssessmentState.SUBMITTED, Decimal("92.0")
            a.self_report = ("本年度学院党委落实全面从严治党主体责任，召开党委会研究党建工作12次；所属4个支部均完成"
                             "“三会一课”和组织生活会；教工第一党支部获评校级样板支部；发展党员23名，程序规范。")
            a.submitted_by_id, a.submitted_at = ctx.users["erji"].id, now - timedelta(days=2)
        db.session.add(a)
        if a.state is AssessmentState.SUBMITTED:
            db.session.flush()
            event(a, "submit", ctx.users["erji"], days_ago=2)
    db.session.commit()
