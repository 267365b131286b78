"""每年复核 reminders (kind care_review_due): an entry in the registry past its review date is reminded
once per review period — to the secretaries of the member's branch and to the level that reviews it
(the secondary unit; 组织部 for a 直属党支部) — in the 消息 centre and by e-mail as each person's 消息设置
say; the text carries a count and a date, never a name or the hardship."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from dangjian import plugins
from dangjian.care import registry, reminders
from dangjian.care.models import RegistryEntry
from dangjian.extensions import db
from dangjian.models import AuditEvent
from dangjian.notifications.models import Message, NotificationEvent
from dangjian.timeutil import local_today
from tests.factories_care import registered
from tests.smtp_fixtures import mail, smtp_capture  # noqa: F401  (fixtures)
from tests.smtp_support import body_of
from tests.test_document_jobs import run_worker

TODAY = local_today()
SITUATION = "爱人长期患病，家庭月收入低于当地最低生活保障标准。"


def messages_of(user):
    return list(db.session.scalars(select(Message).where(Message.recipient_id == user.id,
                                                         Message.kind == "care_review_due").order_by(Message.id)))


def _due(entry, day):
    db.session.execute(update(RegistryEntry).where(RegistryEntry.id == entry.id).values(review_due_on=day))
    db.session.commit()


def _entry(member, due_on, **kw):
    e = registered(member, situation=SITUATION, **kw)
    db.session.commit()
    _due(e, due_on)
    return e


# (days from today to the review date, whether the entry is reminded)
@pytest.mark.parametrize("days, reminded", [(1, False), (0, False), (-1, True), (-400, True)])
def test_an_entry_is_reminded_once_its_review_date_has_passed(org, days, reminded):
    _entry(org.member.member, TODAY + timedelta(days=days))
    assert reminders.send_review_reminders(TODAY) == int(reminded)
    for user in (org.secretary, org.committee, org.secondary):
        assert bool(messages_of(user)) is reminded
    # Nobody outside the branch and the unit above it.
    for user in (org.secretary_a2, org.secretary_b, org.secondary_b, org.org_dept_user, org.supervisor):
        assert messages_of(user) == []


def test_once_per_entry_and_review_period(org):
    e = _entry(org.member.member, TODAY - timedelta(days=3))
    assert reminders.send_review_reminders(TODAY) == 1
    assert reminders.send_review_reminders(TODAY) == 0  # a second round (or a second ticker)
    assert reminders.send_review_reminders(TODAY + timedelta(days=30)) == 0  # still the same period
    assert len(messages_of(org.secondary)) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "care.entry.review_reminded", AuditEvent.object_id == e.id)) == 1
    # The review moves the date a year on; when that one passes, the next reminder goes out.
    fresh = db.session.get(RegistryEntry, e.id)
    registry.act(fresh, org.secondary, "review", version=fresh.version, note="仍需帮扶")
    assert reminders.send_review_reminders(TODAY) == 0
    next_due = db.session.get(RegistryEntry, e.id).review_due_on
    assert reminders.send_review_reminders(next_due + timedelta(days=1)) == 1
    assert len(messages_of(org.secondary)) == 2


def test_closed_and_unconfirmed_entries_are_not_reminded(org):
    e = _entry(org.member.member, TODAY - timedelta(days=3))
    fresh = db.session.get(RegistryEntry, e.id)
    registry.act(fresh, org.secretary, "close", version=fresh.version, note="困难已消除")
    registry.propose(org.secretary, org.member2.member, categories=["living"], situation=SITUATION)
    assert reminders.send_review_reminders(TODAY) == 0
    assert messages_of(org.secretary) == [] and messages_of(org.secondary) == []


def test_one_message_per_person_per_round_with_a_count_and_the_earliest_date(org):
    first = TODAY - timedelta(days=40)
    _entry(org.member.member, first)
    _entry(org.member2.member, TODAY - timedelta(days=2))
    _entry(org.member_b.member, TODAY - timedelta(days=5))
    assert reminders.send_review_reminders(TODAY) == 3
    [msg] = messages_of(org.secondary)
    ymd = f"{first.year}年{first.month}月{first.day}日"
    assert msg.text == (f"困难党员台账中有2名党员已超过每年复核日期（最早应于{ymd}复核），"
                        "请核实情况：仍需帮扶的由上级党组织复核，困难已解除的办理销号。")
    assert msg.request_id is None and msg.link == "/care/registry?state=overdue"
    for name in ("王喆", "张堃", "爱人长期患病"):
        assert name not in msg.text
    [msg_b] = messages_of(org.secondary_b)
    assert "有1名党员" in msg_b.text
    assert len(messages_of(org.secretary_b)) == 1 and messages_of(org.secretary_a2) == []


def test_a_direct_branch_is_reviewed_by_the_org_dept_and_nobody_hears_of_their_own_entry(org):
    _entry(org.direct_member.member, TODAY - timedelta(days=1))
    _entry(org.secretary.member, TODAY - timedelta(days=1))  # 李书记 is in the registry himself
    reminders.send_review_reminders(TODAY)
    assert len(messages_of(org.direct_secretary)) == 1 and len(messages_of(org.org_dept_user)) == 1
    assert messages_of(org.secretary) == []  # his own entry: told to his fellow secretary and the unit
    assert len(messages_of(org.committee)) == 1 and len(messages_of(org.secondary)) == 1


def test_the_notice_opens_the_overdue_registry(org, auth, client):
    _entry(org.member.member, TODAY - timedelta(days=3))
    reminders.send_review_reminders(TODAY)
    [msg] = messages_of(org.secretary)
    auth.login(org.secretary)
    html = client.get("/messages").get_data(as_text=True)
    assert "台账复核" in html and "已超过每年复核日期" in html
    resp = client.post(f"/messages/{msg.id}/open")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/care/registry?state=overdue")
    page = client.get("/care/registry?state=overdue").get_data(as_text=True)
    assert "王喆" in page


def test_e_mail_names_nobody_and_says_nothing_of_the_hardship(org, mail):
    capture, token = mail
    _entry(org.member.member, TODAY - timedelta(days=3))
    reminders.send_review_reminders(TODAY)
    assert run_worker()
    [msg] = [m for m in capture.messages(f"secondary.{token}") if m["To"].startswith("secondary.")]
    body = body_of(msg)
    assert msg["Subject"] == "【党建关怀】台账复核：困难党员台账年度复核提醒"
    assert "已超过每年复核日期" in body and "/care/registry?state=overdue" in body
    for secret in ("王喆", "爱人长期患病", "生活困难"):
        assert secret not in body
    db.session.expire_all()
    assert all(e.delivered_at for e in db.session.scalars(select(NotificationEvent)))


def test_the_ticker_task_runs_from_the_reminder_hour(app, org):
    assert reminders.remind_reviews in plugins.periodic_tasks()
    day = TODAY
    _entry(org.member.member, day - timedelta(days=2))
    early = datetime(day.year, day.month, day.day) - timedelta(hours=1)  # UTC 23:00 the day before: 07:00 local
    assert reminders.remind_reviews(early) is None and messages_of(org.secondary) == []
    assert reminders.remind_reviews(early + timedelta(hours=2)) == "care review reminders: 1"  # 09:00
    assert len(messages_of(org.secondary)) == 1
