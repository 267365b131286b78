"""The pages of 党建考核, as users meet them: 组织部 opens a year, a secretary submits with a file,
grading errors sit next to their fields, every page and file answers 404 outside the user's scope
(and changes nothing), 纪委 reads and cannot act, and a 消息 about a task opens its page."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dangjian.assessment import operations
from dangjian.assessment.grades import AssessmentGrade as G
from dangjian.assessment.models import Assessment, AssessmentFile, AssessmentState as S, RectificationTask
from dangjian.extensions import db
from dangjian.models import AuditEvent, Role
from dangjian.notifications.models import Message
from dangjian.timeutil import local_today
from tests.factories import make_user
from tests.factories_assessment import assessment

YEAR = 2025
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(app, org):
    org.org_dept2 = make_user("orgdept2", None, [(Role.ORG_DEPT, org.org_dept)])
    a = assessment(org.branch_a1, org.org_dept_user, YEAR)
    db.session.commit()
    operations.submit(org.secretary, a, "本支部全年按期开展“三会一课”。", Decimal("86"),
                      [_upload("自评报告.pdf")])
    operations.grade(org.org_dept2, a, Decimal("70"), G.FAIR)
    task = operations.add_task(org.org_dept2, a, "组织生活会质量不高", "重开组织生活会", local_today() + timedelta(days=9))
    org.a, org.task = a, task
    org.file = db.session.scalars(select(AssessmentFile)).one()
    return org


def _upload(name, data=PDF):
    from werkzeug.datastructures import FileStorage
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/pdf")


def _urls(w):
    return [
        ("GET", f"/assessments/view/{w.a.id}"),
        ("POST", f"/assessments/view/{w.a.id}/submit"),
        ("POST", f"/assessments/view/{w.a.id}/return"),
        ("POST", f"/assessments/view/{w.a.id}/grade"),
        ("POST", f"/assessments/view/{w.a.id}/interviews"),
        ("POST", f"/assessments/view/{w.a.id}/tasks"),
        ("POST", f"/assessments/tasks/{w.task.id}/submit"),
        ("POST", f"/assessments/tasks/{w.task.id}/sign-off"),
        ("POST", f"/assessments/tasks/{w.task.id}/reject"),
        ("GET", f"/assessments/files/{w.file.id}"),
        ("GET", f"/assessments/files/{w.file.id}/preview"),
    ]


FORM = {"report": "改", "score": "95", "grade": "excellent", "reason": "理由", "held_on": "2026-01-05",
        "interviewers": "甲", "interviewees": "乙", "notes": "丙", "problem": "问题", "deadline": "2099-01-01",
        "evidence": "已整改", f"task1-evidence": "已整改"}


def _snapshot():
    db.session.expire_all()
    return (db.session.scalar(select(func.count(AuditEvent.id))),
            db.session.scalar(select(func.count(RectificationTask.id))),
            [(a.state, a.grade) for a in db.session.scalars(select(Assessment))])


@pytest.mark.parametrize("user_key", ["member", "secretary_b", "secondary_b", "sysadmin", "direct_secretary"])
def test_outside_the_scope_every_page_and_file_is_404(world, auth, client, user_key):
    auth.login(getattr(world, user_key))
    before = _snapshot()
    for method, url in _urls(world):
        resp = client.post(url, data=FORM) if method == "POST" else client.get(url)
        assert resp.status_code == 404, f"{method} {url}: {resp.status_code}"
    after = _snapshot()
    assert after == before
    if user_key in ("member", "sysadmin"):
        assert client.get(f"/assessments/{YEAR}").status_code == 404
        assert client.get("/assessments/overdue").status_code == 404


def test_the_year_page_lists_only_what_the_user_may_see(world, auth, client):
    assessment(world.branch_b1, world.org_dept_user, YEAR)
    assessment(world.sec_a, world.org_dept_user, YEAR)
    db.session.commit()
    auth.login(world.secondary)  # 会计学院党委: itself and its branches
    page = client.get(f"/assessments/{YEAR}").get_data(as_text=True)
    assert "会计学院教工第一党支部" in page and "会计学院党委" in page and "经济学院教工党支部" not in page
    auth.login(world.secretary_b)
    page = client.get(f"/assessments/{YEAR}").get_data(as_text=True)
    assert "经济学院教工党支部" in page and "会计学院教工第一党支部" not in page
    auth.login(world.supervisor)
    page = client.get(f"/assessments/{YEAR}?grade=fair").get_data(as_text=True)
    assert "会计学院教工第一党支部" in page and "经济学院教工党支部" not in page


def test_supervision_reads_everything_and_changes_nothing(world, auth, client):
    auth.login(world.supervisor)
    before = _snapshot()
    assert client.get(f"/assessments/view/{world.a.id}").status_code == 200
    assert client.get(f"/assessments/files/{world.file.id}").data == PDF
    for method, url in _urls(world):
        if method == "POST":
            client.post(url, data=FORM)
    after = _snapshot()
    assert after[1:] == before[1:]
    assert after[0] == before[0] + 1  # the download is audited, nothing else happened


def test_org_dept_opens_a_year_once(app, org, auth, client):
    auth.login(org.org_dept_user)
    deadline = (local_today() + timedelta(days=20)).isoformat()
    resp = client.post("/assessments/new", data={"year": "2026", "name": "2026年度基层党组织党建工作考核",
                                                  "deadline": deadline}, follow_redirects=True)
    assert "已发起「2026年度基层党组织党建工作考核」：6 个党组织待自评" in resp.get_data(as_text=True)
    again = client.post("/assessments/new", data={"year": "2026", "name": "重复", "deadline": deadline})
    assert again.status_code == 200 and "2026年度党建考核已经发起" in again.get_data(as_text=True)
    told = db.session.scalars(select(Message.recipient_id).where(Message.kind == "assessment")).all()
    assert org.secretary.id in told and org.secondary.id in told
    auth.login(org.secondary)
    assert client.get("/assessments/new").status_code == 404


def test_grading_errors_sit_next_to_their_fields(app, org, auth, client):
    org.org_dept2 = make_user("orgdept2", None, [(Role.ORG_DEPT, org.org_dept)])
    a = assessment(org.branch_a1, org.org_dept_user, YEAR, state=S.SUBMITTED)
    db.session.commit()
    auth.login(org.org_dept2)
    resp = client.post(f"/assessments/view/{a.id}/grade", data={"score": "85", "grade": "excellent"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "85分不能评为「优秀」：该分数最高可评「良好」" in html
    assert "invalid-feedback" in html
    resp = client.post(f"/assessments/view/{a.id}/grade", data={"score": "abc", "grade": "good"})
    assert "考核得分应为数字" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assessment, a.id).state is S.SUBMITTED
    ok = client.post(f"/assessments/view/{a.id}/grade", data={"score": "85", "grade": "good"}, follow_redirects=True)
    assert "已评定会计学院教工第一党支部2025年度党建考核：85分，「良好」" in ok.get_data(as_text=True)


def test_a_secretary_submits_the_self_evaluation_with_a_file(app, org, auth, client):
    a = assessment(org.branch_a1, org.org_dept_user, YEAR)
    db.session.commit()
    auth.login(org.secretary)
    assert "党建考核" in client.get("/new").get_data(as_text=True)
    empty = client.post(f"/assessments/view/{a.id}/submit", data={"report": " "})
    assert "请填写自评报告" in empty.get_data(as_text=True)
    resp = client.post(f"/assessments/view/{a.id}/submit", data={
        "report": "全年开展主题党日12次。", "self_score": "91.5",
        "files": [(io.BytesIO(PDF), "总结.pdf")]}, content_type="multipart/form-data", follow_redirects=True)
    assert "已提交会计学院教工第一党支部2025年度党建考核自评" in resp.get_data(as_text=True)
    db.session.expire_all()
    a = db.session.get(Assessment, a.id)
    assert a.state is S.SUBMITTED and a.self_score == Decimal("91.5") and [f.filename for f in a.files] == ["总结.pdf"]
    bad = client.post(f"/assessments/view/{a.id}/submit", data={"report": "x"})
    assert bad.status_code == 302  # already submitted: refused with a message, nothing changes


def test_a_message_about_a_task_opens_its_page(world, auth, client):
    operations.remind_overdue_tasks(local_today() + timedelta(days=30))
    message = db.session.scalars(select(Message).where(Message.kind == "rectify_overdue",
                                                       Message.recipient_id == world.secretary.id)).one()
    auth.login(world.secretary)
    assert "整改任务已超过整改期限" in client.get("/messages").get_data(as_text=True)
    resp = client.post(f"/messages/{message.id}/open")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/assessments/view/{world.a.id}")
