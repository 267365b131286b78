"""The demo's 党建考核 reads as if it had been done on the pages: every graded assessment's 办理记录 says
who graded it, a 约谈 is recorded on the day it was held, and a task shown as 已销号 has its 验收销号 in the
history after its 下达 — 组织部 walking the demo sees one story, not a page that contradicts itself."""
from sqlalchemy import select

from dangjian.assessment.models import Assessment, Interview, RectificationTask, TaskState
from dangjian.extensions import db
from dangjian.models import User


def test_demo_assessments_have_the_history_their_pages_show(app, auth, client):
    from dangjian.demo import DEMO_PASSWORD, load_demo

    assert load_demo()
    graded = list(db.session.scalars(select(Assessment).where(Assessment.graded_at.is_not(None))))
    assert graded
    for a in graded:
        grades = [e for e in a.events if e.action == "grade"]
        assert len(grades) == 1 and grades[0].actor_id == a.graded_by_id, a.organization.name
        assert f"{a.score}分，{a.grade.label}" in grades[0].note
    for interview in db.session.scalars(select(Interview)):
        event = next(e for e in interview.assessment.events if e.action == "interview")
        assert event.created_at.date() == interview.recorded_at.date()
        assert abs((interview.recorded_at.date() - interview.held_on).days) <= 1
    closed = list(db.session.scalars(select(RectificationTask).where(RectificationTask.state == TaskState.CLOSED)))
    assert closed
    for t in closed:
        actions = [e.action for e in t.assessment.events if e.task_id == t.id]
        assert actions[0] == "add_task" and actions[-1] == "task_sign_off"
    # In the order they happened.
    for a in db.session.scalars(select(Assessment)):
        times = [e.created_at for e in a.events]
        assert times == sorted(times), a.organization.name

    # The page of the 一般 branch, as 组织部 sees it: the grade and the 销号 in its 办理记录.
    t = closed[0]
    auth.login(db.session.scalar(select(User).where(User.username == "zuzhibu")), password=DEMO_PASSWORD)
    page = client.get(f"/assessments/view/{t.assessment_id}").get_data(as_text=True)
    history = page.split("办理记录")[1]
    assert "评定" in history and "验收销号" in history
