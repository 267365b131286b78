"""Delivery (issue 7 §1): e-mail to a real SMTP server (aiosmtpd) and a group robot (a local HTTP
server) from RQ jobs on real Redis, never inside the web request; neither ever carries the
hardship; an SMTP server that is down does not stop the approval, and the job is retried and sends
once it is back; 1,000 recipients cost the approval no more SQL than 10; the daily digest."""
import time
from contextlib import contextmanager
from datetime import date, timedelta

from rq.job import Job
from sqlalchemy import event, select

from dangjian.extensions import db
from dangjian.models import Role, RoleAssignment, User
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.models.base import utcnow
from dangjian.notifications import jobs, operations
from dangjian.notifications.models import Message, NotificationEvent, OrgWebhook
from dangjian.queue import get_queue, redis_connection
from tests.factories import PASSWORD_HASH, approve, new_waiver
from tests.factories_condolence import new_condolence, setup_settings
from tests.smtp_fixtures import mail, robot, smtp_capture  # noqa: F401  (fixtures)
from tests.smtp_support import body_of, start_capture
from tests.test_document_jobs import run_worker

HARDSHIP = "因病住院手术，家庭经济困难。"  # the condolence's 事由, as tests/factories_condolence writes it


def test_e_mail_and_robot_carry_number_type_step_and_link_only(app, org, mail, robot):
    capture, token = mail
    setup_settings(org)
    operations.set_webhook(org.org_dept_user, org.sec_a, provider="wecom", url=robot.url, secret="", enabled=True)
    req = new_condolence(org.member, org.secretary)
    assert req.event_description == HARDSHIP
    # Nothing was sent inside the approval: the job is on the notifications queue.
    assert capture.messages(f"secondary.{token}") == [] and robot.received == []
    assert run_worker()

    [msg] = capture.messages(f"secondary.{token}")
    body = body_of(msg)
    assert msg["Subject"] == f"【党建关怀】待办：慰问金申请 {req.number}"
    assert "编号：" + req.number in body and "类型：慰问金申请" in body and "环节：二级党组织审批" in body
    assert f"查看：https://dangjian.test.edu.cn/requests/{req.id}" in body
    [post] = robot.received
    assert post["path"] == "/cgi-bin/webhook/send?key=test-key"
    assert post["content_type"].startswith("application/json")
    assert post["json"]["msgtype"] == "text"
    content = post["json"]["text"]["content"]
    assert content.startswith("【党建关怀】新的待办") and req.number in content and "二级党组织审批" in content
    assert f"https://dangjian.test.edu.cn/requests/{req.id}" in content

    # The secondary approves, quoting the hardship: the initiator, the member and the branch's robot
    # are told the outcome.
    operations.set_webhook(org.org_dept_user, org.branch_a1, provider="wecom", url=robot.url, secret="", enabled=True)
    approve(req, org.secondary, opinion="同意。该党员" + HARDSHIP)
    run_worker()
    assert len(capture.messages(f"member.{token}")) == len(capture.messages(f"secretary.{token}")) == 1
    assert len(robot.received) == 2 and robot.received[1]["json"]["text"]["content"].startswith("【党建关怀】申请已办结")
    # Every e-mail and robot message of this request: never the hardship, the opinion or the name.
    sent = [body_of(m) + m["Subject"] for m in capture.messages(token)] + [str(p["json"]) for p in robot.received]
    assert len(sent) >= 4
    for text in sent:
        assert HARDSHIP not in text and "住院" not in text and "王喆" not in text
    db.session.expire_all()
    assert all(e.delivered_at for e in db.session.scalars(select(NotificationEvent)))


def test_dingtalk_signs_and_a_refusing_robot_is_retried(app, org, robot):
    operations.set_webhook(org.org_dept_user, org.branch_a1, provider="dingtalk", url=robot.url,
                           secret="SECtest", enabled=True)
    robot.answer = {"errcode": 310000, "errmsg": "sign not match"}
    req = new_waiver(org.member)
    assert run_worker()
    [post] = robot.received
    assert "&timestamp=" in post["path"] and "&sign=" in post["path"]
    ev = db.session.scalar(select(NotificationEvent).where(NotificationEvent.request_id == req.id))
    assert ev.delivered_at is None and "errcode 310000" in ev.error
    assert _scheduled_retries() == 1


def _scheduled_retries() -> int:
    return get_queue("notifications").scheduled_job_registry.count


def _release_retries() -> int:
    """Do what RQ's scheduler does when a retry falls due (without waiting for the clock)."""
    queue = get_queue("notifications")
    registry = queue.scheduled_job_registry
    ids = registry.get_jobs_to_schedule(int(time.time()) + 24 * 3600)
    for job_id in ids:
        queue.enqueue_job(Job.fetch(job_id, connection=redis_connection()))
        registry.remove(job_id)
    return len(ids)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_down_the_approval_stands_and_the_mail_goes_once_it_is_back(app, org, mail, tmp_path):
    _, token = mail
    port = _free_port()
    app.config["SMTP_PORT"] = port  # nothing listens there: the school's mail server is down
    req = new_waiver(org.member)
    approve(req, org.secretary)
    db.session.expire_all()
    assert req.current_step == "secondary"  # the approval succeeded

    run_worker()  # the first attempt fails and is scheduled again
    ev = db.session.scalar(select(NotificationEvent).where(NotificationEvent.kind == "todo",
                                                           NotificationEvent.request_id == req.id,
                                                           NotificationEvent.step_label == "二级党组织意见"))
    assert ev.delivered_at is None and "邮件发送失败" in ev.error
    assert _scheduled_retries() >= 1

    proc, _ = start_capture(tmp_path / "mail", port=port)  # the server is back
    try:
        assert _release_retries() >= 1
        run_worker()
        from tests.smtp_support import SmtpCapture
        capture = SmtpCapture(port, tmp_path / "mail")
        [msg] = capture.messages(f"secondary.{token}")
        assert req.number in msg["Subject"]
        db.session.expire_all()
        ev = db.session.get(NotificationEvent, ev.id)
        assert ev.delivered_at is not None and ev.attempts == 2
        # Run again (a late retry, the sweep): nothing is sent twice.
        jobs.deliver_event(ev.id)
        assert len(capture.messages(f"secondary.{token}")) == 1
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def counting():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _holders(org, n, start):
    """n more accounts holding the secondary role at 会计学院党委."""
    db.session.execute(User.__table__.insert(), [
        {"username": f"holder{start + i}", "display_name": f"组织员{start + i}", "password_hash": PASSWORD_HASH,
         "active": True, "email": f"holder{start + i}@test.edu.cn", "session_version": 1,
         "must_change_password": False, "failed_logins": 0} for i in range(n)])
    ids = db.session.scalars(select(User.id).where(User.username.like("holder%"))).all()
    have = set(db.session.scalars(select(RoleAssignment.user_id).where(RoleAssignment.role == Role.SECONDARY)))
    db.session.execute(RoleAssignment.__table__.insert(), [
        {"user_id": uid, "role": Role.SECONDARY.value, "organization_id": org.sec_a.id,
         "starts_on": utcnow().date() - timedelta(days=1)} for uid in ids if uid not in have])
    db.session.commit()


def _statements_to_approve(org, app):
    year = 2026 + db.session.scalar(select(db.func.count()).select_from(DuesWaiver))  # no overlap
    req = new_waiver(org.member2, start_month=date(year, 1, 1), end_month=date(year, 6, 1))
    db.session.expire_all()
    req = db.session.get(type(req), req.id)
    secretary = db.session.get(User, org.secretary.id)
    _ = secretary.roles, req.beneficiary  # loaded before counting, as the web request has them
    queued = get_queue("notifications").count
    with counting() as statements:
        approve(req, secretary)
    return len(statements), get_queue("notifications").count - queued, req


def test_a_thousand_recipients_cost_the_approval_no_more_sql_than_ten(app, org, mail):
    _holders(org, 10, 0)
    few, queued_few, req_few = _statements_to_approve(org, app)
    _holders(org, 990, 10)
    many, queued_many, req_many = _statements_to_approve(org, app)
    told = db.session.scalar(select(db.func.count(Message.id)).where(
        Message.request_id == req_many.id, Message.kind == "todo",
        Message.event.has(NotificationEvent.step_label == "二级党组织意见")))
    assert told == 1001  # 1,000 new holders and org.secondary
    assert many == few
    # One job per event (the 待办 and the applicant's 通过), however many people it tells.
    assert queued_few == queued_many == 2


def test_daily_digest_sends_one_e_mail_of_what_was_not_sent(app, org, mail):
    capture, token = mail
    operations.save_settings(org.secretary, email_enabled=True, daily_digest=True)
    operations.save_settings(org.committee, email_enabled=False, daily_digest=False)
    first, second = new_waiver(org.member), new_waiver(org.member2)
    run_worker()
    # Digest and e-mail-off users get nothing one by one; the member2's secretary colleague neither.
    assert capture.messages(f"secretary.{token}") == [] and capture.messages(f"committee.{token}") == []

    eight_am = utcnow().replace(hour=0, minute=30)  # 08:30 in Beijing
    assert jobs.digest_tick(eight_am - timedelta(hours=1)) == []  # 07:30: not yet
    assert jobs.digest_tick(eight_am) == [org.secretary.id]
    assert jobs.digest_tick(eight_am + timedelta(minutes=1)) == []  # once a day
    run_worker()
    [digest] = capture.messages(f"secretary.{token}")
    body = body_of(digest)
    assert digest["Subject"] == "【党建关怀】每日汇总：您有2条新消息"
    assert first.number in body and second.number in body and "家庭经济困难" not in body
    assert capture.messages(f"committee.{token}") == []
    # The next day, nothing new: no e-mail.
    assert jobs.digest_tick(eight_am + timedelta(days=1)) == [org.secretary.id]
    run_worker()
    assert len(capture.messages(f"secretary.{token}")) == 1


def test_the_sweep_enqueues_what_redis_never_got(app, org, mail):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # Redis down at commit
    req = new_waiver(org.member)
    db.session.expire_all()
    ev = db.session.scalar(select(NotificationEvent).where(NotificationEvent.request_id == req.id))
    assert ev.enqueued_at is None and ev.delivered_at is None
    from tests.conftest import TEST_REDIS_URL
    app.config["REDIS_URL"] = TEST_REDIS_URL
    assert jobs.sweep_events() == [ev.id]
    assert jobs.sweep_events() == []  # enqueued once
    run_worker()
    capture, token = mail
    assert len(capture.messages(f"secretary.{token}")) == 1
