"""One way to write a date (dangjian/dates.py): lists, tables, field values and timestamps read
2026-08-16 / 2026-08-16 14:05; prose, messages and documents read 2026年8月16日; months 2026年8月.
The filters, then one page of each kind a user meets: a request's page, 委托代理, a member's record
and the school calendar."""
import re
from datetime import date, datetime

from flask import render_template_string

from dangjian.extensions import db
from dangjian.models import CalendarDay, DayKind
from tests.delegation_support import delegate
from tests.factories import approve, new_waiver


def _render(source, **values):
    return render_template_string(source, **values)


def test_the_filters_write_each_kind_of_date_one_way(app):
    with app.test_request_context():
        # 2026-08-15 17:30 UTC is already the 16th in Beijing: every filter writes the local date.
        late = datetime(2026, 8, 15, 17, 30)
        assert _render("{{ d|date }}", d=date(2026, 8, 6)) == "2026-08-06"
        assert _render("{{ d|date }}", d=late) == "2026-08-16"
        assert _render("{{ d|dt }}", d=late) == "2026-08-16 01:30"
        assert _render("{{ d|dt_short }} {{ d|hm }}", d=late) == "08-16 01:30 01:30"
        assert _render("{{ d|ymd }}", d=date(2026, 8, 6)) == "2026年8月6日"
        assert _render("{{ d|ymd }}", d=late) == "2026年8月16日"
        assert _render("{{ d|ym }}", d=date(2026, 1, 1)) == "2026年1月"
        assert _render("[{{ d|date }}{{ d|dt }}{{ d|dt_short }}{{ d|hm }}{{ d|ymd }}{{ d|ym }}]", d=None) == "[]"


def test_a_request_page_writes_the_meeting_date_as_a_list_and_the_months_as_periods(app, org, auth, client):
    req = new_waiver(org.member)
    approve(req, org.secretary)  # the 支委会 of 2026-01-05, 5 votes for
    auth.login(org.secondary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "支委会 · 2026-01-05 · 同意 5 票" in page
    assert "2026年1月5日" not in page
    assert "2026年1月 至 2026年6月" in page  # 起止年月: months stay in words
    # The step bar's narrow columns drop the year; the timeline gives the full stamp.
    assert len(re.findall(r'class="dj-step-time">\d{2}-\d{2} \d{2}:\d{2}</span>', page)) == 2


def test_the_delegations_table_writes_numeric_dates(app, org, auth, client):
    row = delegate(org.secretary, org.committee, starts=1, ends=3)
    auth.login(org.secretary)
    page = client.get("/me/delegations").get_data(as_text=True)
    assert f"{row.starts_on.isoformat()} 至 {row.ends_on.isoformat()}" in page
    assert f"{row.starts_on.year}年{row.starts_on.month}月" not in page


def test_a_member_record_writes_numeric_dates(app, org, auth, client):
    m = org.member.member
    auth.login(org.org_dept_user)
    page = client.get(f"/org/members/{m.id}").get_data(as_text=True)
    assert "<dt>出生日期</dt><dd>1980-01-01</dd>" in page.replace("\n", "")
    assert "<dt>入党日期</dt><dd>2005-07-01</dd>" in page.replace("\n", "")


def test_the_calendar_lists_numeric_dates_and_asks_in_words(app, org, auth, client):
    db.session.add(CalendarDay(day=date(2026, 10, 5), kind=DayKind.HOLIDAY, name="国庆节"))
    db.session.commit()
    auth.login(org.org_dept_user)
    page = client.get("/calendar/?year=2026").get_data(as_text=True)
    assert '<td class="dj-num text-nowrap">2026-10-05</td>' in page
    assert "确定从校历中删除 2026年10月5日（放假·国庆节）吗？" in page
