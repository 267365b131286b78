"""谈心谈话 reminders (kind talk_due): within 30 days of a period's end, the secretaries of a branch
with members still due, and leaders with people still due, are told once per period, in the 消息
centre and by e-mail as their 消息设置 say; the text carries counts and dates, never names."""
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, RoleAssignment
from dangjian.notifications import operations as notification_ops
from dangjian.notifications.models import Message, NotificationEvent
from dangjian.talks import operations, reminders
from dangjian.talks.models import TalkLink, TalkReminder
from tests.smtp_fixtures import mail, smtp_capture  # noqa: F401  (fixtures)
from tests.smtp_support import body_of
from tests.test_document_jobs import run_worker

CONTENT = "交流近期工作和思想情况，了解生活中的困难。"


@pytest.fixture(autouse=True)
def roles_held_since_2020(org):
    for ra in db.session.scalars(select(RoleAssignment)):
        ra.starts_on = date(2020, 1, 1)
    db.session.commit()


def messages_of(user):
    return list(db.session.scalars(select(Message).where(Message.recipient_id == user.id, Message.kind == "talk_due")))


@pytest.mark.parametrize("today, reminded", [
    (date(2026, 6, 30), False),  # 31 days before the spring semester ends
    (date(2026, 7, 1), True),
    (date(2026, 7, 31), True),  # the last day
    (date(2026, 8, 1), False),  # a new semester, far from its end
])
def test_secretaries_are_reminded_in_the_last_30_days_of_a_semester(app, org, today, reminded):
    reminders.send_talk_reminders(today)
    assert bool(messages_of(org.secretary)) is reminded
    assert bool(messages_of(org.committee)) is reminded  # every holder of the branch's role


def test_once_per_period_and_not_when_everyone_is_done(app, org):
    sent = reminders.send_talk_reminders(date(2026, 7, 10))
    again = reminders.send_talk_reminders(date(2026, 7, 11))
    assert sent and again == []
    [msg] = messages_of(org.secretary)
    assert msg.request_id is None and msg.link == f"/talks/compliance?unit_id={org.branch_a1.id}&semester=2026-spring"
    assert msg.text == ("2026年春季学期「会计学院教工第一党支部」还有3名党员尚未谈心谈话，学期于7月31日结束，"
                        "请及时谈心并在系统中记录。")
    # branch_a2's only member is its secretary: nothing due, no reminder
    assert messages_of(org.secretary_a2) == []
    assert db.session.scalar(select(func.count(TalkReminder.id))) == len(sent)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "talk.reminded")) == len(sent)


def test_a_branch_whose_members_have_all_had_a_talk_is_not_reminded(app, org):
    operations.record_talk(org.secretary, org.branch_a1.id, held_on=date(2026, 3, 1), kind="routine", place="",
                           reason="", content=CONTENT, today=date(2026, 7, 10),
                           member_ids=[org.member.member.id, org.member2.member.id, org.secondary.member.id])
    reminders.send_talk_reminders(date(2026, 7, 10))
    assert messages_of(org.secretary) == [] and messages_of(org.secretary_b) != []


def test_leaders_are_reminded_in_december(app, org):
    db.session.add(TalkLink(leader_id=org.school_user.id, branch_id=org.branch_b1.id, starts_on=date(2026, 1, 1)))
    db.session.commit()
    reminders.send_talk_reminders(date(2026, 11, 30))
    assert messages_of(org.school_user) == []
    reminders.send_talk_reminders(date(2026, 12, 1))
    [msg] = messages_of(org.school_user)
    assert msg.text.startswith("2026年度您联系的党员中还有1人尚未谈心谈话")
    reminders.send_talk_reminders(date(2026, 12, 2))
    assert len(messages_of(org.school_user)) == 1


def test_the_ticker_task_looks_once_a_day_from_the_reminder_hour(app, org):
    reminders._last_round.clear()
    early = datetime(2026, 7, 10, 23, 0)  # UTC: 07:00 in Beijing
    assert reminders.remind_talks(early) is None and messages_of(org.secretary) == []
    assert reminders.remind_talks(datetime(2026, 7, 11, 1, 0)).startswith("talk reminders:")  # 09:00
    assert len(messages_of(org.secretary)) == 1
    reminders._last_round.clear()


def test_the_notice_opens_its_page_and_says_no_request(app, org, auth, client):
    reminders.send_talk_reminders(date(2026, 7, 10))
    [msg] = messages_of(org.secretary)
    auth.login(org.secretary)
    html = client.get("/messages").get_data(as_text=True)
    assert "谈心谈话" in html and "还有3名党员尚未谈心谈话" in html and "您已无权查看" not in html
    resp = client.post(f"/messages/{msg.id}/open")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(msg.link)
    db.session.expire_all()
    assert db.session.get(Message, msg.id).read_at is not None


def test_e_mail_follows_each_persons_settings_and_names_nobody(app, org, mail):
    capture, token = mail
    notification_ops.save_settings(org.committee, email_enabled=False, daily_digest=False)
    reminders.send_talk_reminders(date(2026, 7, 10))
    assert run_worker()
    [msg] = [m for m in capture.messages(f"secretary.{token}") if m["To"].startswith("secretary.")]
    body = body_of(msg)
    assert msg["Subject"] == "【党建关怀】谈心谈话：谈心谈话提醒"
    assert "还有3名党员尚未谈心谈话" in body
    assert f"查看：https://dangjian.test.edu.cn/talks/compliance?unit_id={org.branch_a1.id}" in body
    for name in ("王喆", "张堃", "陈组织员"):
        assert name not in body
    assert capture.messages(f"committee.{token}") == []  # e-mail off: the 消息 centre only
    assert messages_of(org.committee)
    db.session.expire_all()
    assert all(e.delivered_at for e in db.session.scalars(select(NotificationEvent)))
