"""The 消息 centre (issue 7 §1): who is told what when a request moves or is commented on, the
bell's unread count, the list with its paging and empty state, read marks (CSRF on), and scope:
a message opens its request only while the recipient may still see it."""
import re
from datetime import date

from sqlalchemy import select, text

from dangjian.extensions import db
from dangjian.models import AuditEvent, Role, RoleAssignment
from dangjian.models.base import utcnow
from dangjian.notifications import notify
from dangjian.notifications.models import Message, OrgWebhook
from dangjian.workflow import Action, apply_action
from dangjian.workflow.comments import add_comment
from tests.factories import MEETING_AGAINST, approve, new_waiver
from tests.test_csrf import form_token, login


def inbox_of(user):
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.recipient_id == user.id).order_by(Message.id)))


def kinds(user):
    return [m.kind for m in inbox_of(user)]


def test_submit_and_approve_tell_the_step_holders_and_the_applicant(app, org):
    req = new_waiver(org.member)
    # Submitted: both holders of the branch step get a 待办; the member who submitted is not told.
    assert kinds(org.secretary) == kinds(org.committee) == ["todo"]
    assert inbox_of(org.secretary)[0].text == f"党费减免申请 {req.number} 待您处理（党支部讨论）"
    assert kinds(org.member) == []
    assert kinds(org.secondary) == []

    approve(req, org.secretary)
    # The approver is not told of their own decision; the next step's holder and the member are.
    assert kinds(org.secretary) == ["todo"]
    assert kinds(org.secondary) == ["todo"]
    assert inbox_of(org.secondary)[0].text == f"党费减免申请 {req.number} 待您处理（二级党组织意见）"
    assert [m.text for m in inbox_of(org.member)] == [
        f"您的党费减免申请 {req.number} 已通过「党支部讨论」，进入「二级党组织意见」"]
    # Nobody outside the step hears of it.
    assert kinds(org.secretary_b) == kinds(org.school_user) == kinds(org.supervisor) == []


def test_return_reject_and_final_approval_tell_the_initiator_and_the_beneficiary(app, org):
    # The secretary files on the member's behalf: both the initiator and the member's account hear.
    req = new_waiver(org.member, initiator=org.committee)
    apply_action(req, org.secretary, Action.RETURN, opinion="请补充诊断证明。")
    assert kinds(org.committee)[-1] == kinds(org.member)[-1] == "returned"
    assert inbox_of(org.member)[-1].text == f"您的党费减免申请 {req.number} 被李书记退回修改，请修改后重新提交"
    # The opinion (which may speak of the hardship) is never copied into a message.
    assert all("诊断" not in m.text for m in inbox_of(org.member))

    apply_action(req, org.committee, Action.SUBMIT)
    approve(req, org.secretary)
    approve(req, org.secondary)
    approve(req, org.school_user)
    assert inbox_of(org.member)[-1].kind == "completed"
    assert inbox_of(org.member)[-1].text == f"您的党费减免申请 {req.number} 已通过"

    other = new_waiver(org.member2)
    apply_action(other, org.secretary, Action.REJECT, opinion="不符合条件。", meeting=MEETING_AGAINST)
    assert inbox_of(org.member2)[-1].kind == "rejected"
    assert inbox_of(org.member2)[-1].text == f"您的党费减免申请 {other.number} 未通过"


def test_a_recused_holder_gets_no_todo(app, org):
    """The secondary unit's 组织员 is a member of branch A1: their own waiver is not their 待办."""
    req = new_waiver(org.secondary)
    approve(req, org.secretary)
    assert "todo" not in kinds(org.secondary)
    assert kinds(org.secondary) == ["approved"]


def test_a_comment_tells_the_people_taking_part(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    before = {u.username: len(inbox_of(u)) for u in (org.member, org.secretary, org.committee, org.secondary)}
    add_comment(req, org.supervisor, "请核对减免月份。")
    got = {u.username: [m.kind for m in inbox_of(u)][before[u.username]:]
           for u in (org.member, org.secretary, org.committee, org.secondary)}
    # The applicant and the secretary who decided hear of it; the other branch holder, who never
    # acted, does not; nor does the secondary holder who has only a 待办 so far.
    assert got == {"member": ["comment"], "secretary": ["comment"], "committee": [], "secondary": []}
    assert inbox_of(org.member)[-1].text == f"supervisor评论了党费减免申请 {req.number}"
    assert "核对" not in inbox_of(org.member)[-1].text
    # The commenter, who now takes part, hears of the next comment.
    add_comment(req, org.member, "已补充材料。")
    assert kinds(org.supervisor) == ["comment"]


def test_other_features_kinds_render_in_chinese(app, org):
    req = new_waiver(org.member)
    notify("urge", req, recipients=[org.secretary], actor=org.member, opinion="请尽快")
    notify("cc", req, recipients=[org.secondary], actor=org.secretary)
    notify("overdue", req, recipients=[org.secretary, org.committee])
    texts = [m.text for m in inbox_of(org.secretary)]
    assert texts[-2:] == [f"王喆催办党费减免申请 {req.number}（党支部讨论），请尽快处理",
                          f"党费减免申请 {req.number} 在「党支部讨论」环节已超过办理时限，请尽快处理"]
    assert inbox_of(org.secondary)[-1].text == f"李书记将党费减免申请 {req.number} 抄送给您"


def _page(client, url="/messages"):
    return client.get(url).get_data(as_text=True)


def test_the_bell_the_list_and_read_marks(app, org, client):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    token = login(client, org.member)
    html = _page(client, "/inbox/todo")
    assert 'aria-label="消息，1条未读"' in html

    html = _page(client)
    assert "消息" in html and f"您的党费减免申请 {req.number} 已通过「党支部讨论」" in html
    message = inbox_of(org.member)[0]
    # Without the CSRF token nothing changes.
    assert client.post(f"/messages/{message.id}/read").status_code == 400
    assert inbox_of(org.member)[0].read_at is None
    # htmx: the item comes back read, and the bell out of band with the new count.
    resp = client.post(f"/messages/{message.id}/read", headers={"X-CSRFToken": token, "HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已读" in body and 'id="message-bell"' in body and "hx-swap-oob" in body
    assert 'aria-label="消息，没有未读"' in body
    assert inbox_of(org.member)[0].read_at is not None
    # Someone else's message is 404 to read and to open.
    other = inbox_of(org.secondary)[0]
    assert client.post(f"/messages/{other.id}/read", headers={"X-CSRFToken": token}).status_code == 404
    assert client.post(f"/messages/{other.id}/open", headers={"X-CSRFToken": token}).status_code == 404
    assert inbox_of(org.secondary)[0].read_at is None

    # Opening a message marks it read and goes to the request.
    notify("comment", req, recipients=[org.member], actor=org.secretary)
    fresh = inbox_of(org.member)[-1]
    resp = client.post(f"/messages/{fresh.id}/open", headers={"X-CSRFToken": token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/requests/{req.id}")
    assert inbox_of(org.member)[-1].read_at is not None


def test_mark_all_read_and_the_unread_tab(app, org, client):
    for year in (2026, 2027, 2028):  # one member's waivers may not overlap
        new_waiver(org.member, start_month=date(year, 1, 1), end_month=date(year, 6, 1))
    token = login(client, org.secretary)
    assert 'aria-label="消息，3条未读"' in _page(client)
    assert client.post("/messages/read-all").status_code == 400
    resp = client.post("/messages/read-all", data={"csrf_token": token}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已将3条消息标为已读。" in html and 'aria-label="消息，没有未读"' in html
    assert all(m.read_at for m in inbox_of(org.secretary))
    assert "没有未读消息" in _page(client, "/messages?show=unread")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notifications.read_all",
                                                      AuditEvent.user_id == org.secretary.id)) is not None


def test_empty_state_and_paging(app, org, client):
    login(client, org.member)
    html = _page(client)
    assert "暂无消息" in html
    req = new_waiver(org.member)
    rows = [{"recipient_id": org.member.id, "event_id": None, "kind": "comment", "request_id": req.id,
             "text": f"第{i:02d}条", "created_at": utcnow()} for i in range(25)]
    notify("comment", req, recipients=[org.member], actor=org.secretary)
    event_id = inbox_of(org.member)[0].event_id
    db.session.execute(Message.__table__.insert(), [dict(r, event_id=event_id) for r in rows])
    db.session.commit()
    first = _page(client)
    assert "共 26 条，第 1 / 2 页" in first and "第24条" in first and "第04条" not in first
    second = _page(client, "/messages?page=2")
    assert "第04条" in second and "第00条" in second and "第24条" not in second


def test_a_message_opens_its_request_only_while_the_recipient_may_see_it(app, org, client):
    req = new_waiver(org.member)
    token = login(client, org.committee)
    message = inbox_of(org.committee)[0]
    assert f'/messages/{message.id}/open' in _page(client)
    # The committee member's role ends: the message stays, without a way into the request.
    ra = db.session.scalar(select(RoleAssignment).where(RoleAssignment.user_id == org.committee.id,
                                                         RoleAssignment.role == Role.BRANCH_SECRETARY))
    ra.revoked_at = utcnow()
    db.session.commit()
    html = _page(client)
    assert f"党费减免申请 {req.number} 待您处理" in html
    assert f'/messages/{message.id}/open' not in html and "您已无权查看该申请" in html
    assert client.post(f"/messages/{message.id}/open", headers={"X-CSRFToken": token}).status_code == 404
    assert client.get(f"/requests/{req.id}").status_code == 404


def test_settings_default_and_change(app, org, client):
    token = login(client, org.member)
    html = _page(client, "/messages/settings")
    assert re.search(r'value="each"[^>]*checked|checked[^>]*value="each"', html)
    assert "您的账号尚未登记电子邮箱" in html and "系统尚未配置邮件服务器" in html
    assert client.post("/messages/settings", data={"email_mode": "digest"}).status_code == 400
    resp = client.post("/messages/settings", data={"email_mode": "digest", "csrf_token": token}, follow_redirects=True)
    assert "消息设置已保存。" in resp.get_data(as_text=True)
    from dangjian.notifications.models import NotificationSettings
    s = db.session.get(NotificationSettings, org.member.id)
    assert (s.email_enabled, s.daily_digest) == (True, True) and s.digest_since is not None
    resp = client.post("/messages/settings", data={"email_mode": "nonsense", "csrf_token": token})
    assert resp.status_code == 200 and "Not a valid choice" not in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(NotificationSettings, org.member.id).daily_digest is True


def test_the_system_administrator_has_no_messages(app, org, client):
    token = form_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "sysadmin", "password": "pw", "csrf_token": token})
    assert client.get("/messages").status_code == 404
    assert 'id="message-bell"' not in _page(client, "/admin/accounts")


def test_org_dept_sets_a_group_robot_and_nobody_else_may(app, org, client):
    token = login(client, org.secretary)
    assert client.get("/messages/robots").status_code == 404
    assert client.post(f"/messages/robots/{org.sec_a.id}/delete", data={"csrf_token": token}).status_code == 404
    client.post("/logout", data={"csrf_token": token})

    token = login(client, org.org_dept_user)
    html = _page(client, "/messages/robots")
    assert "尚未设置任何群机器人" in html
    resp = client.post("/messages/robots", data={"csrf_token": token, "organization_id": org.sec_a.id,
                                                 "provider": "wecom", "url": "ftp://x", "enabled": "y"})
    assert "Webhook 地址须以 https:// 或 http:// 开头" in resp.get_data(as_text=True)
    assert db.session.scalar(select(OrgWebhook)) is None
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-SECRETKEY"
    resp = client.post("/messages/robots", data={"csrf_token": token, "organization_id": org.sec_a.id,
                                                 "provider": "wecom", "url": url, "enabled": "y"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已为「会计学院党委」设置群机器人。" in html and "qyapi.weixin.qq.com/…TKEY" in html
    assert "SECRETKEY" not in html  # the key is not shown back in the list
    hook = db.session.scalar(select(OrgWebhook))
    assert hook.url == url and hook.enabled
    # Encrypted at rest: the raw column holds no part of the key.
    raw = db.session.execute(text("SELECT url FROM org_webhooks")).scalar()
    assert "SECRETKEY" not in raw
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notifications.webhook_set"))
    assert "SECRETKEY" not in audit.detail and "会计学院党委" in audit.detail

    # A second robot for the same organization is refused; 钉钉 with 加签 keeps its secret on edit.
    resp = client.post("/messages/robots", data={"csrf_token": token, "organization_id": org.sec_a.id,
                                                 "provider": "wecom", "url": url})
    assert "已设置群机器人" in resp.get_data(as_text=True)
    client.post(f"/messages/robots/{org.sec_a.id}", data={"csrf_token": token, "provider": "dingtalk",
                                                         "url": url, "secret": "SEC123", "enabled": "y"})
    client.post(f"/messages/robots/{org.sec_a.id}", data={"csrf_token": token, "provider": "dingtalk",
                                                         "url": url, "secret": ""})
    db.session.expire_all()
    hook = db.session.scalar(select(OrgWebhook))
    assert (hook.provider.value, hook.secret, hook.enabled) == ("dingtalk", "SEC123", False)

    resp = client.post(f"/messages/robots/{org.sec_a.id}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "已删除「会计学院党委」的群机器人。" in resp.get_data(as_text=True)
    assert db.session.scalar(select(OrgWebhook)) is None
