"""党建考核 in 待办: 组织部 finds its 待评定 and 待验收, a unit its 待自评 and 待整改, above the 待办 list,
each linking to the work (the one assessment, or the year's list filtered to it). 回避 holds here as
on the assessment page: a 组织部 user is not counted work they may not do."""
from datetime import timedelta
from decimal import Decimal

import pytest

from dangjian.assessment import access
from dangjian.assessment.grades import AssessmentGrade as G
from dangjian.assessment.models import AssessmentState as S, RectificationTask, TaskState as T
from dangjian.assessment.todo import todo_entries
from dangjian.extensions import db
from dangjian.models import Organization, Role
from dangjian.timeutil import local_today
from tests.factories import make_user
from tests.factories_assessment import assessment, graded

YEAR = 2025


@pytest.fixture
def work(app, org):
    """Submitted: branch a1 and branch b1 (组织部's 刘组织部 is a member of b1: 回避). Pending: sec_a.
    整改中: branch a2 with one open task and one handed in."""
    org.org_dept2 = make_user("orgdept2", None, [(Role.ORG_DEPT, org.org_dept)])
    by = org.org_dept_user
    org.a1 = assessment(org.branch_a1, by, YEAR, state=S.SUBMITTED, self_score=Decimal("90"))
    org.b1 = assessment(org.branch_b1, by, YEAR, state=S.SUBMITTED)
    org.sa = assessment(org.sec_a, by, YEAR)
    org.a2 = graded(org.branch_a2, G.FAIR, by, YEAR)
    for state in (T.OPEN, T.SUBMITTED):
        db.session.add(RectificationTask(assessment_id=org.a2.id, problem="问题", requirement="", state=state,
                                         deadline=local_today() + timedelta(days=10), created_by_id=by.id))
    db.session.commit()
    return org


def _entries(user):
    return {e["label"]: (e["count"], e["url"]) for e in todo_entries(user)}


def test_who_finds_which_work(work, app):
    with app.test_request_context():
        view = lambda a: f"/assessments/view/{a.id}"  # noqa: E731
        assert _entries(work.org_dept2) == {
            "党建考核待评定": (2, f"/assessments/{YEAR}?state=submitted"),
            "整改任务待验收": (1, view(work.a2))}
        # 回避: a member of branch b1 is not counted b1's self-evaluation.
        assert _entries(work.org_dept_user) == {"党建考核待评定": (1, view(work.a1)),
                                                "整改任务待验收": (1, view(work.a2))}
        assert _entries(work.secondary) == {"党建考核待自评": (1, view(work.sa))}
        assert _entries(work.secretary_a2) == {"整改任务待提交整改情况": (1, view(work.a2))}
        for who in ("secretary", "member", "supervisor", "school_user", "secondary_b"):
            assert _entries(getattr(work, who)) == {}, who


def test_the_todo_page_shows_the_work_and_the_link_opens_it(work, auth, client):
    auth.login(work.org_dept2)
    html = client.get("/inbox/todo").get_data(as_text=True)
    assert 'aria-label="其他待办"' in html and "党建考核待评定 <strong>2</strong>" in html
    page = client.get(f"/assessments/{YEAR}?state=submitted").get_data(as_text=True)
    assert work.branch_a1.name in page and work.branch_b1.name in page
    # Other tabs and the rows htmx swaps in carry no such section.
    assert "其他待办" not in client.get("/inbox/done").get_data(as_text=True)
    assert "其他待办" not in client.get("/inbox/todo", headers={"HX-Request": "true"}).get_data(as_text=True)


def test_nothing_waiting_no_section(work, auth, client):
    auth.login(work.member)
    assert "其他待办" not in client.get("/inbox/todo").get_data(as_text=True)


def test_the_recusal_condition_agrees_with_the_assessment_pages_rule(work):
    orgs = db.session.query(Organization).all()
    for user in (work.org_dept_user, work.org_dept2, work.secondary, work.secretary, work.school_user,
                 work.direct_secretary):
        cond = access.recused_condition(user)
        in_sql = set() if cond is None else {o.id for o in db.session.query(Organization).filter(cond)}
        assert in_sql == {o.id for o in orgs if access.conflict(user, o)}, user.username
