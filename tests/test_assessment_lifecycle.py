"""党建考核 (§三(一)1) as a table: state × role × action → outcome, for an assessment and for a
整改任务; the grading rules (score bands, a lower grade only with a reason); 回避 (a 组织部 user
never judges an organization they belong to or lead); conditional moves (a stale page loses);
一般 → 约谈 and 整改, closed by the last sign-off; overdue reminders once a day; the allowance's
grade comes from here; the figures for 纪委."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from dangjian.assessment import operations, supervision_figures
from dangjian.assessment.grades import AssessmentGrade as G, band_of
from dangjian.assessment.models import Assessment, AssessmentEvent, AssessmentState as S, RectificationTask, TaskState as T
from dangjian.assessment.queries import grades_for
from dangjian.extensions import db
from dangjian.models import AuditEvent, Role
from dangjian.notifications.models import Message
from dangjian.timeutil import local_today
from dangjian.workflow.errors import ActionRefused, AlreadyHandled
from tests.factories import make_user
from tests.factories_assessment import assessment, graded

YEAR = 2025
INTERVIEW = {"held_on": None, "place": "312会议室", "interviewers": "刘组织部（组织部副部长）",
             "interviewees": "会计学院教工第一党支部书记 李书记", "notes": "指出“三会一课”记录不全，书记表态限期整改。"}


@pytest.fixture
def o(app, org):
    org.org_dept2 = make_user("orgdept2", None, [(Role.ORG_DEPT, org.org_dept)])  # belongs to no unit
    db.session.commit()
    return org


def submitted(o, org=None):
    a = assessment(org or o.branch_a1, o.org_dept_user, YEAR)
    db.session.commit()
    operations.submit(o.secretary if (org or o.branch_a1) is o.branch_a1 else o.secondary, a,
                      "本年度按期开展“三会一课”。", Decimal("88"))
    return a


def rectifying(o):
    a = submitted(o)
    operations.grade(o.org_dept2, a, Decimal("72"), G.FAIR)
    return a


def interview(o, a, user=None):
    return operations.record_interview(user or o.org_dept2, a, dict(INTERVIEW, held_on=local_today()))


# --- the assessment table -----------------------------------------------------------------------------

def _do(o, a, user, action):
    if action == "submit":
        operations.submit(user, a, "自评报告", None)
    elif action == "return":
        operations.return_for_revision(user, a, "请补充党费收缴情况")
    elif action == "grade":
        operations.grade(user, a, Decimal("91"), G.EXCELLENT)
    elif action == "interview":
        interview(o, a, user)


CASES = [
    # (state, user, action, outcome: a state, or a piece of the refusal)
    ("pending", "secretary", "submit", S.SUBMITTED),
    ("pending", "committee", "submit", S.SUBMITTED),  # any 支部书记/支委 of the branch
    ("pending", "secondary", "submit", "只有会计学院教工第一党支部的支部书记/支委可以提交自评"),
    ("pending", "member", "submit", "只有会计学院教工第一党支部的支部书记/支委可以提交自评"),
    ("pending", "org_dept2", "submit", "只有会计学院教工第一党支部的支部书记/支委可以提交自评"),
    ("pending", "org_dept2", "grade", "尚未提交自评；自评截止"),
    ("returned", "secretary", "submit", S.SUBMITTED),
    ("submitted", "secretary", "submit", "该考核当前为「已提交自评」，不能提交自评"),
    ("submitted", "org_dept2", "return", S.RETURNED),
    ("submitted", "org_dept2", "grade", S.GRADED),
    ("submitted", "secretary", "grade", "只有组织部可以评定"),
    ("submitted", "secondary", "grade", "只有组织部可以评定"),
    ("submitted", "supervisor", "grade", "只有组织部可以评定"),
    ("submitted", "school_user2", "return", "只有组织部可以退回修改"),
    ("submitted", "org_dept2", "interview", "该考核当前为「已提交自评」，不能记录约谈"),
    ("graded", "org_dept2", "grade", "该考核当前为「已评定」，不能评定"),
    ("graded", "org_dept2", "interview", "该考核当前为「已评定」，不能记录约谈"),
    ("rectifying", "org_dept2", "interview", S.RECTIFYING),
    ("rectifying", "secretary", "interview", "只有组织部可以记录约谈"),
]


def _in_state(o, state):
    a = assessment(o.branch_a1, o.org_dept_user, YEAR)
    db.session.commit()
    if state == "pending":
        return a
    operations.submit(o.secretary, a, "自评", None)
    if state == "returned":
        operations.return_for_revision(o.org_dept2, a, "补充材料")
    elif state == "graded":
        operations.grade(o.org_dept2, a, Decimal("85"), G.GOOD)
    elif state == "rectifying":
        operations.grade(o.org_dept2, a, Decimal("70"), G.FAIR)
    return a


@pytest.mark.parametrize("state,user_key,action,expected", CASES,
                         ids=[f"{s}-{u}-{a}" for s, u, a, _ in CASES])
def test_assessment_table(o, state, user_key, action, expected):
    a = _in_state(o, state)
    user = getattr(o, user_key)
    before = (a.state, db.session.scalar(select(func.count(AuditEvent.id))))
    if isinstance(expected, S):
        _do(o, a, user, action)
        db.session.expire_all()
        assert db.session.get(Assessment, a.id).state is expected
        return
    with pytest.raises(ActionRefused) as exc:
        _do(o, a, user, action)
    assert expected in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    assert (db.session.get(Assessment, a.id).state, db.session.scalar(select(func.count(AuditEvent.id)))) == before


def test_a_unit_that_never_submitted_is_graded_once_the_deadline_has_passed(o):
    a = assessment(o.branch_a1, o.org_dept_user, YEAR)
    a.cycle.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    operations.grade(o.org_dept2, a, Decimal("40"), G.POOR)
    assert a.state is S.RECTIFYING
    note = db.session.scalars(select(AssessmentEvent.note).where(AssessmentEvent.action == "grade")).one()
    assert "未提交自评" in note


def test_a_secondary_unit_submits_for_itself(o):
    a = assessment(o.sec_a, o.org_dept_user, YEAR)
    db.session.commit()
    with pytest.raises(ActionRefused, match="只有会计学院党委的二级党组织书记/组织员可以提交自评"):
        operations.submit(o.secretary, a, "自评", None)
    db.session.rollback()
    operations.submit(o.secondary, a, "学院党委自评", Decimal("90.5"))
    assert a.state is S.SUBMITTED and a.self_score == Decimal("90.5")


# --- grading rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize("score,band", [("100", G.EXCELLENT), ("90", G.EXCELLENT), ("89.9", G.GOOD), ("80", G.GOOD),
                                        ("79.9", G.FAIR), ("60", G.FAIR), ("59.9", G.POOR), ("0", G.POOR)])
def test_score_bands(score, band):
    assert band_of(Decimal(score)) is band


@pytest.mark.parametrize("score,grade,opinion,field,message", [
    (None, G.GOOD, "", "score", "请填写考核得分"),
    ("100.5", G.EXCELLENT, "", "score", "考核得分应在0–100分之间"),
    ("-1", G.POOR, "", "score", "考核得分应在0–100分之间"),
    ("85.25", G.GOOD, "", "score", "最多保留一位小数"),
    ("85", None, "", "grade", "请选择考核等次"),
    ("85", G.EXCELLENT, "", "grade", "85分不能评为「优秀」：该分数最高可评「良好」"),
    ("85", G.EXCELLENT, "优秀比例内", "grade", "85分不能评为「优秀」"),  # never above the band
    ("93", G.GOOD, "", "opinion", "93分可评「优秀」，评为「良好」须在评定意见中写明理由"),
])
def test_grading_rules_refuse_with_the_field(o, score, grade, opinion, field, message):
    a = submitted(o)
    with pytest.raises(ActionRefused) as exc:
        operations.grade(o.org_dept2, a, Decimal(score) if score else None, grade, opinion)
    assert exc.value.field == field and message in exc.value.message
    db.session.rollback()
    assert db.session.get(Assessment, a.id).state is S.SUBMITTED


def test_a_lower_grade_than_the_band_stands_with_its_reason(o):
    a = submitted(o)
    operations.grade(o.org_dept2, a, Decimal("93"), G.GOOD, "优秀比例已满，按排名评为良好")
    assert (a.state, a.grade, a.grade_opinion) == (S.GRADED, G.GOOD, "优秀比例已满，按排名评为良好")


# --- 回避 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("org_key,user_key,reason", [
    ("branch_b1", "org_dept_user", "您是经济学院教工党支部的党员"),  # a member of the branch
    ("sec_b", "org_dept_user", "您是经济学院党委的党员"),  # a member of one of the unit's branches
    ("branch_a1", "lead_a1", "您是会计学院教工第一党支部的负责人"),  # its secretary
    ("branch_a1", "lead_sec_a", "您是会计学院党委的负责人"),  # leads the unit above the branch
])
def test_org_dept_never_judges_an_organization_it_belongs_to_or_leads(o, org_key, user_key, reason):
    if user_key == "lead_a1":
        o.lead_a1 = make_user("lead_a1", None, [(Role.ORG_DEPT, o.org_dept), (Role.BRANCH_SECRETARY, o.branch_a1)])
    if user_key == "lead_sec_a":
        o.lead_sec_a = make_user("lead_sec_a", None, [(Role.ORG_DEPT, o.org_dept), (Role.SECONDARY, o.sec_a)])
    db.session.commit()
    org = getattr(o, org_key)
    a = assessment(org, o.org_dept_user, YEAR, state=S.SUBMITTED)
    db.session.commit()
    user = getattr(o, user_key)
    with pytest.raises(ActionRefused, match=reason):
        operations.grade(user, a, Decimal("95"), G.EXCELLENT)
    db.session.rollback()
    operations.grade(o.org_dept2, a, Decimal("95"), G.EXCELLENT)  # another 组织部 user does it
    assert a.state is S.GRADED


def test_only_the_org_dept_users_who_may_judge_are_told_of_a_submission(o):
    a = assessment(o.branch_b1, o.org_dept_user, YEAR)
    db.session.commit()
    operations.submit(o.secretary_b, a, "自评", None)
    told = set(db.session.scalars(select(Message.recipient_id)))
    assert o.org_dept2.id in told and o.org_dept_user.id not in told  # 刘组织部 is a member of branch_b1


# --- 一般 → 约谈 and 整改 -------------------------------------------------------------------------------

def test_fair_leads_to_an_interview_and_tasks_closed_by_the_last_sign_off(o):
    a = rectifying(o)
    assert a.state is S.RECTIFYING
    t1 = operations.add_task(o.org_dept2, a, "“三会一课”记录不全", "补齐记录", local_today() + timedelta(days=20))
    t2 = operations.add_task(o.org_dept2, a, "党费收缴不及时", "", local_today() + timedelta(days=30))
    operations.submit_task(o.secretary, t1, "已补齐全年记录。")
    operations.sign_off_task(o.org_dept2, t1)
    operations.submit_task(o.secretary, t2, "已补收并公示。")
    operations.reject_task(o.org_dept2, t2, "未附收缴凭证")
    assert t2.state is T.OPEN
    operations.submit_task(o.committee, t2, "已补收并附凭证。")
    operations.sign_off_task(o.org_dept2, t2)
    db.session.refresh(a)
    assert a.state is S.RECTIFYING  # no 约谈 on record yet
    interview(o, a)
    db.session.refresh(a)
    assert a.state is S.RECTIFIED and a.rectified_at is not None
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["assessment.interview", "assessment.rectified"]
    with pytest.raises(ActionRefused, match="该考核当前为「已整改」"):
        operations.add_task(o.org_dept2, a, "又一项", "", local_today())


def test_the_last_sign_off_after_the_interview_completes_the_rectification(o):
    a = rectifying(o)
    interview(o, a)
    task = operations.add_task(o.org_dept2, a, "问题", "", local_today() + timedelta(days=5))
    operations.submit_task(o.secretary, task, "已整改")
    operations.sign_off_task(o.org_dept2, task)
    db.session.expire_all()
    assert db.session.get(Assessment, a.id).state is S.RECTIFIED


@pytest.mark.parametrize("task_state,user_key,action,expected", [
    ("open", "secretary", "submit", T.SUBMITTED),
    ("open", "org_dept2", "submit", "只有会计学院教工第一党支部的支部书记/支委可以提交整改情况"),
    ("open", "org_dept2", "sign_off", "该整改任务当前为「整改中」，不能验收销号"),
    ("submitted", "org_dept2", "sign_off", T.CLOSED),
    ("submitted", "org_dept2", "reject", T.OPEN),
    ("submitted", "secretary", "sign_off", "只有组织部可以验收销号"),
    ("submitted", "org_dept_user", "sign_off", T.CLOSED),  # branch_a1 is not 刘组织部's
    ("closed", "org_dept2", "reject", "该整改任务当前为「已销号」，不能退回重新整改"),
])
def test_task_table(o, task_state, user_key, action, expected):
    a = rectifying(o)
    task = operations.add_task(o.org_dept2, a, "问题", "", local_today() + timedelta(days=5))
    if task_state in ("submitted", "closed"):
        operations.submit_task(o.secretary, task, "整改情况")
    if task_state == "closed":
        operations.sign_off_task(o.org_dept2, task)
    user = getattr(o, user_key)
    run = {"submit": lambda: operations.submit_task(user, task, "整改情况"),
           "sign_off": lambda: operations.sign_off_task(user, task),
           "reject": lambda: operations.reject_task(user, task, "不到位")}[action]
    if isinstance(expected, T):
        run()
        assert task.state is expected
        return
    with pytest.raises(ActionRefused) as exc:
        run()
    assert expected in exc.value.message


@pytest.mark.parametrize("field,values,message", [
    ("held_on", {"held_on": date(2999, 1, 1)}, "约谈日期不能晚于今天"),
    ("held_on", {"held_on": date(YEAR - 1, 12, 31)}, f"约谈日期不能早于{YEAR}年"),
])
def test_an_interview_date_is_checked(o, field, values, message):
    a = rectifying(o)
    with pytest.raises(ActionRefused) as exc:
        operations.record_interview(o.org_dept2, a, dict(INTERVIEW, **values))
    assert exc.value.field == field and message in exc.value.message


def test_a_task_deadline_is_not_in_the_past(o):
    a = rectifying(o)
    with pytest.raises(ActionRefused, match="整改期限不能早于今天"):
        operations.add_task(o.org_dept2, a, "问题", "", local_today() - timedelta(days=1))


def test_a_stale_page_loses_to_the_first_decision(o):
    """Two 组织部 users grade at once: the conditional UPDATE lets one win."""
    a = submitted(o)
    stale = a.state
    operations.grade(o.org_dept2, a, Decimal("85"), G.GOOD)
    set_committed_value(a, "state", stale)  # what the second user's page was loaded with
    with pytest.raises(AlreadyHandled, match="已被他人处理"):
        operations.grade(o.org_dept_user, a, Decimal("95"), G.EXCELLENT)
    db.session.rollback()
    db.session.expire_all()
    fresh = db.session.get(Assessment, a.id)
    assert (fresh.grade, fresh.score) == (G.GOOD, Decimal("85.0"))


# --- reminders, the allowance, the figures -----------------------------------------------------------

def test_overdue_tasks_are_reminded_once_a_day(o):
    a = rectifying(o)
    late = operations.add_task(o.org_dept2, a, "逾期的任务", "", local_today())
    operations.add_task(o.org_dept2, a, "未到期的任务", "", local_today() + timedelta(days=9))
    handed_in = operations.add_task(o.org_dept2, a, "已提交的任务", "", local_today())
    operations.submit_task(o.secretary, handed_in, "已整改")
    tomorrow = local_today() + timedelta(days=1)
    before = db.session.scalar(select(func.count(Message.id)).where(Message.kind == "rectify_overdue"))
    assert operations.remind_overdue_tasks(tomorrow) == 1
    assert operations.remind_overdue_tasks(tomorrow) == 0  # once a day
    assert operations.remind_overdue_tasks(tomorrow + timedelta(days=1)) == 1
    messages = db.session.scalars(select(Message).where(Message.kind == "rectify_overdue")).all()
    assert len(messages) - before == 4  # 2 days × the branch's 2 secretaries
    assert {m.recipient_id for m in messages} == {o.secretary.id, o.committee.id}
    assert all(m.request_id is None and m.link == f"/assessments/view/{a.id}" for m in messages)
    assert "已超过整改期限" in messages[0].text
    assert late.reminded_on == tomorrow + timedelta(days=1)


def test_the_allowance_reads_only_graded_assessments(o):
    graded(o.branch_a1, G.FAIR, o.org_dept_user, YEAR)
    assessment(o.branch_b1, o.org_dept_user, YEAR, state=S.SUBMITTED, grade=None)
    db.session.commit()
    found = grades_for([o.branch_a1.id, o.branch_b1.id], YEAR)
    assert set(found) == {o.branch_a1.id} and found[o.branch_a1.id].grade.eligible
    assert grades_for([o.branch_a1.id], YEAR + 1) == {}


def test_supervision_figures_count_tasks_and_grades_in_the_subtree(o):
    a = rectifying(o)
    operations.add_task(o.org_dept2, a, "逾期的任务", "", local_today())
    operations.add_task(o.org_dept2, a, "未到期的任务", "", local_today() + timedelta(days=9))
    graded(o.branch_b1, G.EXCELLENT, o.org_dept_user, YEAR)
    db.session.execute(RectificationTask.__table__.update().where(RectificationTask.problem == "逾期的任务")
                       .values(deadline=local_today() - timedelta(days=3)))
    db.session.commit()
    with o_request_context(o):
        school = {f["key"]: f for f in supervision_figures(o.school, YEAR, o.supervisor)}
        unit_b = {f["key"]: f["value"] for f in supervision_figures(o.sec_b, YEAR, o.supervisor)}
        assert supervision_figures(o.school, YEAR, o.member) == []
    assert school["assessment.tasks_open"]["value"] == 2
    assert school["assessment.tasks_overdue"]["value"] == 1 and school["assessment.tasks_overdue"]["alert"]
    assert school["assessment.grade.fair"]["value"] == 1 and school["assessment.grade.excellent"]["value"] == 1
    assert unit_b["assessment.tasks_open"] == 0 and unit_b["assessment.grade.excellent"] == 1


def o_request_context(o):
    from flask import current_app
    return current_app.test_request_context()
