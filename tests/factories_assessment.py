"""党建考核 records for tests: a year's cycle and graded (or pending) assessments, written directly
(the operations are tested on their own in tests/test_assessment_*.py)."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from dangjian.assessment.grades import AssessmentGrade
from dangjian.assessment.models import Assessment, AssessmentCycle, AssessmentState
from dangjian.extensions import db
from dangjian.models.base import utcnow
from dangjian.timeutil import local_today

SCORES = {AssessmentGrade.EXCELLENT: "92.0", AssessmentGrade.GOOD: "85.0", AssessmentGrade.FAIR: "70.0",
          AssessmentGrade.POOR: "50.0"}


def cycle_for(year: int, by, deadline: date | None = None) -> AssessmentCycle:
    cycle = db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.year == year))
    if cycle is None:
        cycle = AssessmentCycle(year=year, name=f"{year}年度基层党组织党建工作考核",
                                deadline=deadline or local_today() + timedelta(days=30), created_by_id=by.id)
        db.session.add(cycle)
        db.session.flush()
    return cycle


def assessment(org, by, year: int, state=AssessmentState.PENDING, **values) -> Assessment:
    a = Assessment(cycle_id=cycle_for(year, by).id, organization_id=org.id, year=year, state=state, **values)
    db.session.add(a)
    db.session.flush()
    return a


def graded(org, grade: AssessmentGrade, by, year: int) -> Assessment:
    """A graded assessment: 已评定, or 整改中 for 一般 and 差 (as grading leaves it)."""
    state = AssessmentState.RECTIFYING if grade.needs_rectification else AssessmentState.GRADED
    return assessment(org, by, year, state=state, grade=grade, score=Decimal(SCORES[grade]),
                      graded_by_id=by.id, graded_at=utcnow())
