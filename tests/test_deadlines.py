"""Step deadlines (issue 8 §8): each step has a time limit in working days, set by 组织部 per request
type and step (default 5); a pending request is due that many working days after the day it
reached its step, and overdue after that."""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update

from dangjian.extensions import db
from dangjian.models import AuditEvent, Request, StepTimeLimit
from dangjian.workdays import WorkCalendar
from dangjian.workflow.deadlines import deadline, statuses
from tests.factories import approve, new_waiver
from tests.test_calendar import AUTUMN

PLAIN = WorkCalendar()


@pytest.mark.parametrize("entered,limit,today,due,badge", [
    (date(2026, 6, 15), 5, date(2026, 6, 19), date(2026, 6, 22), None),  # Monday + 5 → next Monday
    (date(2026, 6, 15), 5, date(2026, 6, 22), date(2026, 6, 22), "今日到期"),
    (date(2026, 6, 15), 5, date(2026, 6, 23), date(2026, 6, 22), "已超期 1 个工作日"),
    (date(2026, 6, 15), 5, date(2026, 6, 29), date(2026, 6, 22), "已超期 5 个工作日"),
    (date(2026, 6, 20), 1, date(2026, 6, 22), date(2026, 6, 22), "今日到期"),  # reached on a Saturday
    (date(2026, 6, 19), 5, date(2026, 6, 27), date(2026, 6, 26), "已超期"),  # Saturday after a Friday due day
    (date(2026, 6, 19), 5, date(2026, 6, 29), date(2026, 6, 26), "已超期 1 个工作日"),
])
def test_the_due_day_and_the_badge(entered, limit, today, due, badge):
    d = deadline(PLAIN, limit, entered, today)
    assert (d.due_on, d.badge) == (due, badge)


def test_holidays_push_the_due_day_and_a_makeup_saturday_counts():
    d = deadline(AUTUMN, 3, date(2026, 9, 29), date(2026, 10, 10))  # Tue: Wed 30, then Fri 9, Sat 10
    assert (d.due_on, d.badge) == (date(2026, 10, 10), "今日到期")
    d = deadline(AUTUMN, 3, date(2026, 9, 29), date(2026, 10, 12))
    assert (d.overdue_days, d.badge) == (1, "已超期 1 个工作日")


def _entered(req, when: datetime):
    db.session.execute(update(Request).where(Request.id == req.id).values(step_entered_at=when))
    db.session.commit()


def test_limits_are_set_per_request_type_and_step(app, org, auth, client):
    at_branch = new_waiver(org.member)
    at_secondary = new_waiver(org.member2)
    approve(at_secondary, org.secretary)
    monday_noon = datetime(2026, 6, 15, 4, 0)  # 12:00 in Beijing
    _entered(at_branch, monday_noon)
    _entered(at_secondary, monday_noon)

    auth.login(org.org_dept_user)
    page = client.get("/calendar/limits").get_data(as_text=True)
    assert 'name="limit-dues_waiver-branch"' in page and 'name="limit-award_nomination-school"' in page
    form = {m: "5" for m in re.findall(r'name="(limit-[^"]+)"', page)}
    form["limit-dues_waiver-branch"] = "3"
    resp = client.post("/calendar/limits", data=form, follow_redirects=True)
    assert "办理时限已保存：党费减免申请·党支部讨论：5→3" in resp.get_data(as_text=True)

    found = statuses(db.session.scalars(select(Request)).all(), today=date(2026, 6, 18))
    assert found[at_branch.id].due_on == date(2026, 6, 18) and found[at_branch.id].badge == "今日到期"
    assert found[at_secondary.id].due_on == date(2026, 6, 22) and found[at_secondary.id].badge is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "time_limits.set")).one()
    assert "党费减免申请·党支部讨论：5→3" in event.detail

    # Saving the same values again changes nothing and writes no audit row.
    form["limit-dues_waiver-branch"] = "3"
    again = client.post("/calendar/limits", data=form, follow_redirects=True).get_data(as_text=True)
    assert "办理时限没有变化" in again
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "time_limits.set")) == 1


@pytest.mark.parametrize("value", ["0", "61", "三", ""])
def test_a_bad_limit_is_refused_and_nothing_is_saved(app, org, auth, client, value):
    auth.login(org.org_dept_user)
    page = client.get("/calendar/limits").get_data(as_text=True)
    form = {m: "4" for m in re.findall(r'name="(limit-[^"]+)"', page)}
    form["limit-condolence-branch"] = value
    resp = client.post("/calendar/limits", data=form)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "请填写1–60的整数" in body
    assert db.session.scalar(select(func.count(StepTimeLimit.id))) == 0


def test_the_supervisor_reads_the_limits_but_cannot_change_them(app, org, auth, client):
    auth.login(org.supervisor)
    page = client.get("/calendar/limits").get_data(as_text=True)
    assert "党支部讨论" in page and "disabled" in page and ">保存</button>" not in page
    assert client.post("/calendar/limits", data={"limit-dues_waiver-branch": "2"}).status_code == 404
    assert db.session.scalar(select(func.count(StepTimeLimit.id))) == 0


def test_only_pending_requests_have_a_deadline(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)
    done = new_waiver(org.member2, submit=False)
    found = statuses(db.session.scalars(select(Request)).all())
    assert set(found) == {req.id} and done.id not in found
