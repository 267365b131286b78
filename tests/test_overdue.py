"""Overdue steps (issue 8 §8): the badge in 待办 (at a constant number of queries), the daily
reminder to the step's holders (once a day, working days only), and 纪委's 超期统计 (by unit and
step, filters, export, who may see it)."""
import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from dangjian.extensions import db
from dangjian.models import AuditEvent, CalendarDay, DayKind, OverdueReminder, Request, StepTimeLimit, User
from dangjian.notifications.models import Message
from dangjian.timeutil import local_today
from dangjian.workflow.reminders import remind_overdue
from tests.factories import approve, new_waiver
from tests.test_queries import _fill, queries_for

BADGE = re.compile(r'class="dj-tag dj-tag-(?:red|amber) dj-deadline"[^>]*>([^<]+)<')


def entered(req, when: datetime):
    db.session.execute(update(Request).where(Request.id == req.id).values(step_entered_at=when))
    db.session.commit()


def local_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0)  # 12:00 in Beijing, as naive UTC


def today_is_a_working_day() -> date:
    """Today, made a working day (a 调休 day) when the test runs on a weekend."""
    today = local_today()
    if today.weekday() >= 5:
        db.session.add(CalendarDay(day=today, kind=DayKind.WORKDAY, name="测试"))
        db.session.commit()
    return today


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


# --- the badge in 待办 -------------------------------------------------------------------------------

def test_overdue_and_due_today_are_marked_in_todo(app, org, auth, client):
    today = today_is_a_working_day()
    db.session.add(StepTimeLimit(request_type="dues_waiver", step="branch", working_days=1))
    db.session.commit()
    late = new_waiver(org.member)
    due = new_waiver(org.member2)
    fresh = new_waiver(org.member_b)  # at another branch: not the secretary's
    fresh_here = new_waiver(org.committee)
    entered(late, local_noon(today - timedelta(days=60)))
    entered(due, local_noon(previous_working_day(today)))

    auth.login(org.secretary)
    page = client.get("/inbox/todo").get_data(as_text=True)
    cards = {m.group(1): m.group(0) for m in re.finditer(r'id="inbox-item-(\d+)".*?</article>', page, re.S)}
    late_badge = BADGE.search(cards[str(late.id)]).group(1)
    assert re.fullmatch(r"已超期 (\d+) 个工作日", late_badge) and int(late_badge.split()[1]) >= 35
    assert BADGE.search(cards[str(due.id)]).group(1) == "今日到期"
    assert BADGE.search(cards[str(fresh_here.id)]) is None
    assert str(fresh.id) not in cards
    assert "期限" in cards[str(late.id)]  # the tooltip says when it was due
    # 已办 and 我发起的 carry no deadline badges.
    approve(late, org.secretary)
    assert not BADGE.search(client.get("/inbox/done").get_data(as_text=True))


def test_the_todo_page_costs_the_same_queries_with_3_and_15_overdue_rows(app, org, auth, client):
    app.config["PER_PAGE"] = 60
    auth.login(org.secretary)
    old = local_noon(local_today() - timedelta(days=40))

    def all_overdue():
        db.session.execute(update(Request).where(Request.state == "pending").values(step_entered_at=old))
        db.session.commit()

    _fill(org, 3, 0)
    all_overdue()
    few, body, _ = queries_for(app, client, "/inbox/todo")
    assert len(BADGE.findall(body)) == 3
    _fill(org, 12, 100)
    all_overdue()
    many, body, statements = queries_for(app, client, "/inbox/todo")
    assert len(BADGE.findall(body)) == 15 and all(b.startswith("已超期") for b in BADGE.findall(body))
    assert many == few, "\n".join(statements)


# --- the daily reminder ----------------------------------------------------------------------------

def reminded() -> list[tuple[str, list[str]]]:
    """The 超时 messages in the 消息 centre, per notification event: (request number, recipients)."""
    rows = db.session.execute(
        select(Message.event_id, Request.number, User.username)
        .join(User, User.id == Message.recipient_id).join(Request, Request.id == Message.request_id)
        .where(Message.kind == "overdue").order_by(Message.event_id, User.username)).all()
    events: dict = {}
    for event_id, number, username in rows:
        events.setdefault(event_id, (number, []))[1].append(username)
    return list(events.values())


def reminder_rows():
    return db.session.execute(select(OverdueReminder.sent_on, OverdueReminder.overdue_days, OverdueReminder.recipients)
                              .order_by(OverdueReminder.id)).all()


MONDAY = date(2026, 6, 1)


def at(day: date, hour: int) -> datetime:
    """`hour` o'clock in Beijing on `day`, as naive UTC."""
    return datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)


def test_holders_are_reminded_once_a_day_on_working_days(app, org):
    req = new_waiver(org.member)  # due Monday 8 June (5 working days)
    entered(req, local_noon(MONDAY))
    assert remind_overdue(at(date(2026, 6, 8), 9)) is None and reminded() == []  # due today: not yet
    wednesday = date(2026, 6, 10)
    assert remind_overdue(at(wednesday, 7)) is None  # before 08:00
    assert req.number in remind_overdue(at(wednesday, 9))
    assert reminded() == [(req.number, ["committee", "secretary"])]
    text = db.session.scalar(select(Message.text).where(Message.kind == "overdue"))
    assert "「党支部讨论」环节已超过办理时限" in text
    assert remind_overdue(at(wednesday, 15)) is None and len(reminded()) == 1  # once a day
    assert remind_overdue(at(date(2026, 6, 13), 9)) is None  # Saturday
    remind_overdue(at(date(2026, 6, 15), 9))
    assert len(reminded()) == 2
    assert reminder_rows() == [(wednesday, 2, 2), (date(2026, 6, 15), 5, 2)]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.overdue_reminded").order_by(AuditEvent.id)).all()
    assert len(events) == 2 and events[0].object_id == req.id and events[0].user_id is None


def test_no_reminder_on_a_holiday_and_none_to_a_recused_holder(app, org):
    db.session.add(CalendarDay(day=date(2026, 6, 10), kind=DayKind.HOLIDAY, name="端午节"))
    db.session.commit()
    req = new_waiver(org.member2, initiator=org.committee)  # the committee member filed it: recused
    entered(req, local_noon(MONDAY))
    assert remind_overdue(at(date(2026, 6, 10), 9)) is None and reminded() == []
    remind_overdue(at(date(2026, 6, 11), 9))
    assert reminded() == [(req.number, ["secretary"])]
    assert reminder_rows() == [(date(2026, 6, 11), 2, 1)]  # the 9th and the 11th (the 10th was a holiday)


def test_a_handled_step_is_not_reminded(app, org):
    req = new_waiver(org.member)
    entered(req, local_noon(MONDAY))
    approve(req, org.secretary)  # now at the secondary step, reached today (long after June)
    assert remind_overdue(at(date(2026, 6, 10), 9)) is None and reminded() == []


def test_the_ticker_sends_the_reminders(app, org, redis_conn):
    today_is_a_working_day()
    app.config["OVERDUE_REMIND_HOUR"] = 0
    req = new_waiver(org.member)
    entered(req, local_noon(local_today() - timedelta(days=30)))
    result = app.test_cli_runner().invoke(args=["ticker", "--once"])
    assert result.exit_code == 0, result.output
    assert reminded() == [(req.number, ["committee", "secretary"])]
    assert db.session.scalar(select(func.count(OverdueReminder.id))) == 1


# --- 纪委's 超期统计 ---------------------------------------------------------------------------------

def _history(org):
    """Three waivers at branch a1, entered Monday 1 June (due Monday 8 June):
    - one decided on the 5th (on time), one on the 10th (2 days late), one still waiting;
    and one at branch b1, decided on time (on the 3rd; it waits at 经济学院党委 since). Today is Friday 12 June."""
    on_time, late, waiting = new_waiver(org.member), new_waiver(org.member2), new_waiver(org.committee)
    b = new_waiver(org.member_b)
    for req, decided in ((on_time, date(2026, 6, 5)), (late, date(2026, 6, 10)), (b, date(2026, 6, 3))):
        approve(req, org.secretary if req is not b else org.secretary_b)
        db.session.execute(update(Request).where(Request.id == req.id).values(step_entered_at=local_noon(decided)))
        last = req.timeline[-1]
        last.created_at = local_noon(decided)
    for req in (on_time, late, waiting, b):
        req.timeline[0].created_at = local_noon(MONDAY)  # the submission
    db.session.execute(update(Request).where(Request.id == waiting.id).values(step_entered_at=local_noon(MONDAY)))
    db.session.commit()
    return on_time, late, waiting, b


def test_the_report_counts_overdue_and_late_steps_by_unit_and_step(app, org, monkeypatch):
    from dangjian.supervision import overdue

    on_time, late, waiting, b = _history(org)
    report = overdue.build(overdue.Filters(), today=date(2026, 6, 12))
    rows = {(r.org_name, r.step_label): r for r in report.rows}
    a1 = rows[("会计学院教工第一党支部", "党支部讨论")]
    assert (a1.handled, a1.handled_late, a1.waiting, a1.overdue) == (2, 1, 1, 1)
    assert a1.delays == [2, 4] and a1.average_delay == 3.0 and a1.longest_delay == 4  # 10 Jun; 9–12 Jun
    b1 = rows[("经济学院教工党支部", "党支部讨论")]
    assert (b1.handled, b1.handled_late, b1.waiting, b1.overdue) == (1, 0, 0, 0)
    # b waits at 经济学院党委 since 3 June: due 10 June, 2 days over; the others' secondary steps are recent.
    sec_b = rows[("经济学院党委", "二级党组织意见")]
    assert (sec_b.handled, sec_b.waiting, sec_b.overdue, sec_b.delays) == (0, 1, 1, [2])
    assert [(i.number, i.overdue_days) for i in report.items] == [(waiting.number, 4), (b.number, 2)]
    assert (report.totals["handled_late"], report.totals["overdue"], report.totals["average_delay"]) == (1, 2, 2.7)


def test_the_report_page_filters_exports_and_is_audited(app, org, auth, client):
    on_time, late, waiting, b = _history(org)
    auth.login(org.supervisor)
    page = client.get("/supervision/overdue/?type=dues_waiver&from=2026-06-01&to=2026-06-01").get_data(as_text=True)
    assert "会计学院教工第一党支部" in page and "经济学院教工党支部" in page
    assert waiting.number in page  # listed among the steps overdue now
    # Visits reached later than the range are left out: the secondary steps reached 3–10 June.
    assert "二级党组织意见" not in page
    assert "没有符合条件" in client.get("/supervision/overdue/?type=condolence").get_data(as_text=True)
    bad = client.get("/supervision/overdue/?from=2026-13-01").get_data(as_text=True)
    assert "日期格式应为 年-月-日" in bad

    resp = client.get("/supervision/overdue/export.xlsx?type=dues_waiver")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["超期统计", "当前超期", "说明"]
    table = list(wb["超期统计"].iter_rows(values_only=True))
    assert table[0][:3] == ("单位", "申请类型", "审批环节")
    a1 = next(r for r in table if r[0] == "会计学院教工第一党支部" and r[2] == "党支部讨论")
    assert a1[4:6] == (2, 1)  # handled, of which late (the counts depend on today's date for the waiting one)
    items = list(wb["当前超期"].iter_rows(values_only=True))
    assert items[1][0] == waiting.number
    assert all(org.member.member.name not in str(c) for row in items for c in row)  # numbers, not names
    about = dict(wb["说明"].iter_rows(values_only=True))
    assert about["申请类型"] == "党费减免申请" and "审计日志" in about["说明"]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("overdue_report.%")).order_by(AuditEvent.id)).all()
    assert actions.count("overdue_report.viewed") == 3 and actions.count("overdue_report.exported") == 1


@pytest.mark.parametrize("who,status", [
    ("supervisor", 200), ("org_dept_user", 200), ("school_user", 404), ("secondary", 404), ("secretary", 404),
    ("member", 404), ("sysadmin", 404),
])
def test_who_sees_the_report(app, org, auth, client, who, status):
    auth.login(getattr(org, who))
    assert client.get("/supervision/overdue/").status_code == status
    assert client.get("/supervision/overdue/export.xlsx").status_code == status
    assert ("超期统计" in client.get("/manage").get_data(as_text=True)) == (status == 200)
