"""The school calendar (校历, issue 8 §8): working days are Monday–Friday minus the holidays 组织部
lists plus the 调休 Saturdays and Sundays it lists as working days. The arithmetic, the 组织部 page
(add a range, paste a year's list, delete; audited, CSRF), and the 公示 period counted on it."""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from dangjian import workdays
from dangjian.extensions import db
from dangjian.models import AuditEvent, CalendarDay, DayKind
from dangjian.request_types.award_nomination.publicity import publish_cycle
from dangjian.schedule.parsing import CalendarInputError, parse_paste
from dangjian.workdays import WorkCalendar
from tests.factories_award import aorg, decided, make_cycle  # noqa: F401
from tests.test_csrf import form_token, login

# 2026 国庆节、中秋节 as a notice would put it: 10月1日至8日放假, 9月27日（星期日）、10月10日（星期六）上班.
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 9))
MAKEUP = frozenset({date(2026, 9, 27), date(2026, 10, 10)})
AUTUMN = WorkCalendar(holidays=NATIONAL_DAY, workdays=MAKEUP)


def add_days(*entries):
    for day, kind, name in entries:
        db.session.add(CalendarDay(day=day, kind=kind, name=name))
    db.session.commit()


# --- arithmetic ----------------------------------------------------------------------------------

def test_a_makeup_saturday_is_a_working_day_and_a_holiday_is_not():
    assert AUTUMN.is_working_day(date(2026, 10, 10))  # Saturday, 调休上班
    assert AUTUMN.is_working_day(date(2026, 9, 27))  # Sunday, 调休上班
    assert not AUTUMN.is_working_day(date(2026, 10, 5))  # Monday, 国庆
    assert not AUTUMN.is_working_day(date(2026, 10, 17))  # an ordinary Saturday
    assert AUTUMN.is_working_day(date(2026, 10, 9))  # Friday after the holiday


@pytest.mark.parametrize("start,n,expected", [
    (date(2026, 9, 25), 1, date(2026, 9, 27)),  # Friday → the 调休 Sunday
    (date(2026, 9, 29), 2, date(2026, 10, 9)),  # Tuesday: Wed 30, then the holiday spans two weekends
    (date(2026, 9, 30), 1, date(2026, 10, 9)),  # the whole 国庆 week is skipped
    (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Friday → the 调休 Saturday
    (date(2026, 10, 9), 2, date(2026, 10, 12)),  # then Sunday off, Monday
    (date(2026, 10, 3), 0, date(2026, 10, 3)),  # zero days: the day itself
])
def test_add_working_days_across_holidays_and_makeup_days(start, n, expected):
    assert AUTUMN.add_working_days(start, n) == expected
    assert AUTUMN.working_days_between(start, expected) == n


def test_working_days_between_counts_after_the_first_day_up_to_the_last():
    assert AUTUMN.working_days_between(date(2026, 9, 28), date(2026, 10, 12)) == 5  # 29, 30, 9, 10, 12
    assert AUTUMN.working_days_between(date(2026, 10, 12), date(2026, 9, 28)) == -5
    assert AUTUMN.working_days_between(date(2026, 10, 2), date(2026, 10, 2)) == 0
    assert WorkCalendar().working_days_between(date(2026, 6, 19), date(2026, 6, 22)) == 1  # Fri → Mon
    with pytest.raises(ValueError):
        AUTUMN.add_working_days(date(2026, 10, 1), -1)


def test_the_module_functions_read_the_school_calendar(app):
    assert workdays.is_working_day(date(2026, 10, 5))  # nothing listed yet: an ordinary Monday
    add_days(*[(d, DayKind.HOLIDAY, "国庆节") for d in NATIONAL_DAY],
              *[(d, DayKind.WORKDAY, "国庆调休") for d in MAKEUP])
    assert not workdays.is_working_day(date(2026, 10, 5))
    assert workdays.is_working_day(date(2026, 10, 10))
    assert workdays.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 10)
    # Sun 27 (调休), 28, 29, 30; the holiday; Fri 9, Sat 10 (调休), Mon 12.
    assert workdays.working_days_between(date(2026, 9, 25), date(2026, 10, 12)) == 7


# --- the 公示 period -------------------------------------------------------------------------------

def test_the_publicity_period_is_counted_on_the_school_calendar(app, aorg):
    """Published on Wednesday 30 September: 30 Sep, then the holiday, then 9 Oct (Fri), 10 Oct (the
    调休 Saturday) and 12 Oct (Mon) make 4 working days."""
    add_days(*[(d, DayKind.HOLIDAY, "国庆节") for d in NATIONAL_DAY],
              *[(d, DayKind.WORKDAY, "国庆调休") for d in MAKEUP])
    cycle = make_cycle(aorg, days=4)
    decided(aorg, cycle, member_user=aorg.member)
    publish_cycle(cycle.id, aorg.org_dept_user, now=datetime(2026, 9, 30, 2, 0))  # 10:00 in Beijing
    db.session.expire_all()
    assert (cycle.publicity_starts_on, cycle.publicity_ends_on) == (date(2026, 9, 30), date(2026, 10, 12))


def test_a_publication_on_a_holiday_starts_on_the_next_working_day(app, aorg):
    add_days(*[(d, DayKind.HOLIDAY, "国庆节") for d in NATIONAL_DAY],
              *[(d, DayKind.WORKDAY, "国庆调休") for d in MAKEUP])
    cycle = make_cycle(aorg, days=2)
    decided(aorg, cycle, member_user=aorg.member)
    publish_cycle(cycle.id, aorg.org_dept_user, now=datetime(2026, 10, 2, 2, 0))
    db.session.expire_all()
    assert (cycle.publicity_starts_on, cycle.publicity_ends_on) == (date(2026, 10, 9), date(2026, 10, 10))


# --- reading a pasted list -------------------------------------------------------------------------

def test_a_pasted_list_reads_ranges_makeup_days_and_month_day_dates():
    entries = parse_paste("2026-10-01 至 2026-10-08 国庆节、中秋节\n\n2026/9/27 调休上班\n"
                          "2026年10月10日 补班\n1月1日 元旦\n# 注释行\n", 2026)
    by_day = {e.day: e for e in entries}
    assert len(entries) == 11
    assert by_day[date(2026, 10, 4)].kind is DayKind.HOLIDAY and by_day[date(2026, 10, 4)].name == "国庆节、中秋节"
    assert by_day[date(2026, 9, 27)].kind is DayKind.WORKDAY and by_day[date(2026, 10, 10)].kind is DayKind.WORKDAY
    assert by_day[date(2026, 1, 1)].name == "元旦"


@pytest.mark.parametrize("text,message", [
    ("国庆节 10月1日", "第1行「国庆节 10月1日」开头不是日期"),
    ("2026-10-01 国庆节\n2026-02-30 春节", "第2行「2026-02-30 春节」中的日期不存在"),
    ("2026-09-28 调休上班", "第1行：2026年9月28日是星期一，本来就是工作日"),
    ("2026-10-08 至 2026-10-01 国庆", "结束日期不能早于开始日期"),
    ("", "没有读到任何日期"),
])
def test_a_bad_line_is_named_in_chinese(text, message):
    with pytest.raises(CalendarInputError) as exc:
        parse_paste(text, 2026)
    assert message in str(exc.value)


# --- the 组织部 page --------------------------------------------------------------------------------

def test_the_org_dept_adds_a_holiday_range_and_a_makeup_day(app, org, auth, client):
    auth.login(org.org_dept_user)
    resp = client.post("/calendar/add?year=2026", data={"first": "2026-10-01", "last": "2026-10-08", "kind": "holiday",
                                                        "name": "国庆节"})
    assert resp.status_code == 302
    client.post("/calendar/add?year=2026", data={"first": "2026-10-10", "kind": "workday", "name": "国庆调休"})
    page = client.get("/calendar/?year=2026").get_data(as_text=True)
    assert "放假 8 天（其中周一至周五 6 天），调休上班 1 天" in page
    assert 'data-day="2026-10-10"' in page and "星期六" in page
    days = {d.day: d.kind for d in db.session.scalars(select(CalendarDay))}
    assert len(days) == 9 and days[date(2026, 10, 10)] is DayKind.WORKDAY
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.days_set")
                                .order_by(AuditEvent.id)).all()
    assert len(events) == 2 and all(e.user_id == org.org_dept_user.id for e in events)
    assert '"holidays": 8' in events[0].detail


def test_a_weekday_cannot_be_a_makeup_day_and_nothing_is_written(app, org, auth, client):
    auth.login(org.org_dept_user)
    resp = client.post("/calendar/add?year=2026", data={"first": "2026-10-09", "last": "2026-10-10",
                                                        "kind": "workday", "name": ""})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "2026年10月9日是星期五，本来就是工作日" in page
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0


def test_pasting_a_year_writes_it_all_or_nothing(app, org, auth, client):
    auth.login(org.org_dept_user)
    bad = client.post("/calendar/import?year=2026", data={"text": "2026-10-01 国庆节\n2026-13-01 错误"})
    assert "第2行" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0
    resp = client.post("/calendar/import?year=2026",
                       data={"text": "1月1日 元旦\n2026-10-01 至 2026-10-08 国庆节\n2026-10-10 上班"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "校历已保存：放假 9 天、调休上班 1 天（新增 10 天，修改 0 天）" in page
    # Again, with one day changed: it is updated, not duplicated.
    client.post("/calendar/import?year=2026", data={"text": "2026-10-08 中秋节\n2026-10-10 上班"})
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 10
    assert db.session.scalar(select(CalendarDay.name).where(CalendarDay.day == date(2026, 10, 8))) == "中秋节"


def test_deleting_a_day_makes_it_ordinary_again_and_is_audited(app, org, auth, client):
    add_days((date(2026, 10, 5), DayKind.HOLIDAY, "国庆节"))
    day_id = db.session.scalar(select(CalendarDay.id))
    auth.login(org.org_dept_user)
    page = client.get("/calendar/?year=2026").get_data(as_text=True)
    assert re.search(r'hx-confirm="确定从校历中删除 2026年10月5日（放假·国庆节）吗？删除后该日恢复为工作日。"', page)
    resp = client.post(f"/calendar/days/{day_id}/delete")
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0
    assert workdays.is_working_day(date(2026, 10, 5))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.day_removed")).one()
    assert "2026-10-05" in event.detail
    again = client.post(f"/calendar/days/{day_id}/delete", follow_redirects=True)
    assert "该日期已被删除" in again.get_data(as_text=True)


@pytest.mark.parametrize("who,read,write", [
    ("org_dept_user", 200, 302), ("supervisor", 200, 404), ("secretary", 404, 404), ("school_user", 404, 404),
    ("member", 404, 404), ("sysadmin", 404, 404),
])
def test_who_reads_and_who_changes_the_calendar(app, org, auth, client, who, read, write):
    auth.login(getattr(org, who))
    assert client.get("/calendar/").status_code == read
    assert client.get("/calendar/limits").status_code == read
    resp = client.post("/calendar/add", data={"first": "2026-10-01", "kind": "holiday", "name": "国庆节"})
    assert resp.status_code == write
    assert db.session.scalar(select(func.count(CalendarDay.id))) == (1 if write == 302 else 0)


def test_changes_need_the_csrf_token(csrf_app, org, client):
    login(client, org.org_dept_user)
    assert client.post("/calendar/add", data={"first": "2026-10-01", "kind": "holiday"}).status_code == 400
    token = form_token(client.get("/calendar/").get_data(as_text=True))
    resp = client.post("/calendar/add", data={"first": "2026-10-01", "kind": "holiday", "name": "国庆节",
                                              "csrf_token": token})
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 1


# --- the 表彰决定 carries a date a person confirmed -------------------------------------------------

def test_the_decision_is_dated_the_last_day_of_its_publicity_and_names_the_meeting(app, aorg, client, auth):
    """The 公示 ends on the 调休 Saturday 10 October (a working day) and the timer completes the
    cycle at the following midnight: the 表彰决定, which cites the 公示, is dated 10 October, never
    before it; the 党委会 that decided (the later of two meetings, 24 June) is named in its text."""
    from dangjian.models import Document
    from dangjian.request_types.award_nomination.documents import decision_context
    from dangjian.request_types.award_nomination.publicity import close_publicity_periods
    from dangjian.workflow import Action, MeetingRecord, apply_action
    from tests.factories_award import forward, nominate

    add_days(*[(d, DayKind.HOLIDAY, "国庆节") for d in NATIONAL_DAY],
              *[(d, DayKind.WORKDAY, "国庆调休") for d in MAKEUP])
    cycle = make_cycle(aorg, days=2)
    decided(aorg, cycle, member_user=aorg.member)  # 党委会 of 10 June
    later = nominate(cycle, aorg.secretary_b, member_user=aorg.member_b)
    forward(later, aorg.secondary_b)
    apply_action(later, aorg.org_dept2, Action.APPROVE, opinion="经审核，同意。")
    apply_action(later, aorg.school_user2, Action.APPROVE, opinion="同意表彰。",
                 meeting=MeetingRecord("party_committee", date(2026, 6, 24), 20, 1, 0))
    publish_cycle(cycle.id, aorg.org_dept_user, now=datetime(2026, 10, 9, 2, 0))  # Friday
    db.session.expire_all()
    assert cycle.publicity_ends_on == date(2026, 10, 10) and cycle.publicity_ends_on.weekday() == 5

    assert "completed" in close_publicity_periods(now=cycle.publicity_ends_at)
    db.session.expire_all()
    assert cycle.decision_date == date(2026, 10, 10)
    assert cycle.decision_number.endswith("〔2026〕1号")
    doc = db.session.scalars(select(Document).where(Document.award_cycle_id == cycle.id,
                                                     Document.kind == "award_decision")).one()
    context = decision_context(doc)
    assert context["issued_on"] == date(2026, 10, 10) and context["meeting_on"] == date(2026, 6, 24)
    # 印发日期: the day the timer made it, never before the 成文日期.
    assert context["official"]["printed_on"] >= context["issued_on"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "award_cycle.complete")).one()
    assert '"decision_date": "2026-10-10"' in event.detail
    auth.login(aorg.org_dept_user)
    page = client.get(f"/awards/cycles/{cycle.id}").get_data(as_text=True)
    assert "成文日期 2026年10月10日，即公示期满之日" in page
