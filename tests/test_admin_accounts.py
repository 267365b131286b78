"""The 系统管理员's accounts: list with search and filters, create (linked to a member or not) with a
one-time temporary password, disable / enable, reset password, unlock. Every action is audited and
no password ever reaches the database in plain text or the audit detail."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, User
from dangjian.accounts import sessions
from dangjian.timeutil import to_local
from tests.conftest import Auth
from tests.factories import make_member, make_user

PASSWORD_SHOWN = re.compile(r'<code class="dj-password" id="temporary-password">([^<]+)</code>')


@pytest.fixture
def admin(org, auth):
    auth.login(org.sysadmin)
    return auth


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def _listed(client, **args) -> list[str]:
    html = client.get("/admin/accounts", query_string=args).get_data(as_text=True)
    return re.findall(r'<td class="dj-num fw-semibold">([^<]+)<', html)


# --- the list -------------------------------------------------------------------------------------

def test_list_searches_username_name_and_staff_number(app, org, admin, client):
    assert _listed(client, q="secretary_b") == ["secretary_b"]
    assert _listed(client, q="书记") == ["direct_secretary", "secretary", "secretary_a2", "secretary_b"]
    staff_no = org.member_b.member.staff_no
    assert _listed(client, q=staff_no) == ["member_b"]
    assert _listed(client, q="%") == []  # a LIKE wildcard is searched for literally


def test_list_filters_by_state_and_role(app, org, admin, client):
    org.member2.active = False
    org.member_b.locked_until = sessions.now() + timedelta(minutes=15)
    db.session.commit()
    assert _listed(client, status="disabled") == ["member2"]
    assert _listed(client, status="locked") == ["member_b"]
    active = _listed(client, status="active")
    assert "member2" not in active and "member_b" not in active and "member" in active
    assert _listed(client, role="secondary") == ["secondary", "secondary_b"]
    assert _listed(client, role="sysadmin") == ["sysadmin"]
    assert _listed(client, role="none") == ["direct_member", "member", "member2", "member_b"]
    assert _listed(client, q="member", role="branch_secretary") == []


def test_a_locked_account_shows_until_when_in_local_time(app, org, admin, client):
    until = sessions.now() + timedelta(minutes=15)
    org.member_b.locked_until = until
    db.session.commit()
    html = client.get("/admin/accounts").get_data(as_text=True)
    assert f"已锁定至 {to_local(until).strftime('%H:%M')}" in html
    # A lock that has run out is no lock.
    org.member_b.locked_until = sessions.now() - timedelta(minutes=1)
    db.session.commit()
    assert "已锁定至" not in client.get("/admin/accounts").get_data(as_text=True)


def test_list_pages_and_empty_states(app, org, admin, client):
    for i in range(10):
        make_user(f"zz_user{i:02d}")
    db.session.commit()
    first = client.get("/admin/accounts").get_data(as_text=True)
    assert "共 26 个账号" in first and "下一页" in first
    assert len(_listed(client)) == 20
    assert _listed(client, page=2) == [f"zz_user{i:02d}" for i in range(4, 10)]
    empty = client.get("/admin/accounts?q=没有这个人").get_data(as_text=True)
    assert "没有符合条件的账号" in empty
    # The htmx search answers only the rows.
    rows = client.get("/admin/accounts?q=zz_user0", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in rows and "zz_user01" in rows


# --- create ---------------------------------------------------------------------------------------

def test_create_an_account_shows_its_temporary_password_once(app, org, admin, client):
    resp = client.post("/admin/accounts/new", data={"username": "wang_wu", "display_name": "王五",
                                                    "email": "wangwu@example.edu.cn"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "账号已创建" in html and "只显示这一次" in html
    password = PASSWORD_SHOWN.search(html).group(1)
    user = db.session.scalar(select(User).where(User.username == "wang_wu"))
    assert user.display_name == "王五" and user.email == "wangwu@example.edu.cn" and user.member is None
    assert user.must_change_password and user.active and user.check_password(password)
    assert password not in user.password_hash
    assert resp.headers["Cache-Control"] == "no-store"
    (event,) = _events("admin.account_created")
    assert event.user_id == org.sysadmin.id and event.object_type == "users" and event.object_id == user.id
    assert json.loads(event.detail)["username"] == "wang_wu" and password not in event.detail
    # Never again: not on the account page, not in the list.
    assert password not in client.get(f"/admin/accounts/{user.id}").get_data(as_text=True)
    assert password not in client.get("/admin/accounts").get_data(as_text=True)
    assert all(password not in (e.detail or "") for e in db.session.scalars(select(AuditEvent)))


def test_create_an_account_linked_to_a_member(app, org, admin, client):
    m = make_member(org.branch_b1, "欧阳珏")
    db.session.commit()
    found = client.get("/admin/members/search", query_string={"member_q": m.staff_no}).get_data(as_text=True)
    assert "欧阳珏" in found and f'value="{m.id}"' in found
    assert m.id_number_masked not in found and m.phone_masked not in found  # no personal data
    resp = client.post("/admin/accounts/new", data={"username": m.staff_no, "display_name": "", "member_id": m.id})
    assert "账号已创建" in resp.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == m.staff_no))
    assert user.member_id == m.id and user.display_name == "欧阳珏"
    assert json.loads(_events("admin.account_created")[0].detail)["staff_no"] == m.staff_no
    # The picker now says the member has an account, and a second one is refused.
    found = client.get("/admin/members/search", query_string={"member_q": "欧阳"}).get_data(as_text=True)
    assert f"已有账号 {m.staff_no}" in found and "disabled" in found
    resp = client.post("/admin/accounts/new", data={"username": "ouyang2", "member_id": m.id})
    assert f"党员欧阳珏（{m.staff_no}）已有账号「{m.staff_no}」，一名党员只能有一个账号" in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "ouyang2")) is None


@pytest.mark.parametrize("data,message", [
    ({"username": "MEMBER", "display_name": "重名"}, "账号「MEMBER」已存在"),
    ({"username": "", "display_name": "无名"}, "请填写账号"),
    ({"username": "张三", "display_name": "张三"}, "账号为2–50位，由字母、数字及 _ . - @ 组成，以字母或数字开头"),
    ({"username": "zhangsan", "display_name": ""}, "请填写姓名（或关联一名党员）"),
    ({"username": "zhangsan", "display_name": "张三", "email": "not-an-email"}, "电子邮箱格式不正确"),
    ({"username": "zhangsan", "display_name": "张三", "member_id": "999999"}, "所选党员不存在，请重新查找"),
])
def test_create_refusals_are_in_chinese_and_write_nothing(app, org, admin, client, data, message):
    before = db.session.scalar(select(func.count(User.id)))
    resp = client.post("/admin/accounts/new", data=data)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert PASSWORD_SHOWN.search(resp.get_data(as_text=True)) is None
    assert db.session.scalar(select(func.count(User.id))) == before
    assert _events("admin.account_created") == []


def test_the_temporary_password_works_once_and_forces_a_change(app, org, admin, client):
    html = client.post("/admin/accounts/new", data={"username": "li_si", "display_name": "李四"}).get_data(as_text=True)
    temporary = PASSWORD_SHOWN.search(html).group(1)
    newcomer = Auth(app.test_client())
    resp = newcomer.client.post("/login", data={"username": "li_si", "password": temporary})
    assert resp.status_code == 302
    # Held on the password page until the change.
    resp = newcomer.client.get("/inbox/todo")
    assert resp.status_code == 302 and "/account/password" in resp.headers["Location"]
    resp = newcomer.client.post("/account/password", data={"current_password": temporary,
                                                           "new_password": "Dangjian#2026x",
                                                           "confirm_password": "Dangjian#2026x"})
    assert resp.status_code == 302
    assert _reload(db.session.scalar(select(User).where(User.username == "li_si"))).must_change_password is False
    newcomer.client.post("/logout")
    resp = newcomer.client.post("/login", data={"username": "li_si", "password": temporary})
    assert resp.status_code == 200 and "账号或密码不正确" in resp.get_data(as_text=True)
    assert newcomer.client.post("/login", data={"username": "li_si", "password": "Dangjian#2026x"}).status_code == 302


# --- disable, enable, reset, unlock ----------------------------------------------------------------

def _signed_in(user) -> Auth:
    from flask import current_app
    other = Auth(current_app.test_client())
    other.login(user)
    assert other.client.get("/inbox/todo").status_code == 200
    return other


def test_disabling_ends_the_accounts_sessions_and_enabling_lets_it_back(app, org, admin, client):
    elsewhere = _signed_in(org.member2)
    resp = client.post(f"/admin/accounts/{org.member2.id}/disable", follow_redirects=True)
    assert "已停用账号「member2」，其所有登录会话已结束" in resp.get_data(as_text=True)
    assert _reload(org.member2).active is False
    resp = elsewhere.client.get("/inbox/todo")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert elsewhere.client.post("/login", data={"username": "member2", "password": "pw"}).status_code == 200
    (event,) = _events("admin.account_disabled")
    assert event.object_id == org.member2.id and event.user_id == org.sysadmin.id
    resp = client.post(f"/admin/accounts/{org.member2.id}/enable", follow_redirects=True)
    assert "已启用账号「member2」" in resp.get_data(as_text=True)
    assert _reload(org.member2).active is True
    assert len(_events("admin.account_enabled")) == 1
    elsewhere.login(org.member2)


def test_an_administrator_cannot_disable_or_reset_themself(app, org, admin, client):
    resp = client.post(f"/admin/accounts/{org.sysadmin.id}/disable", follow_redirects=True)
    assert "不能停用自己的账号" in resp.get_data(as_text=True)
    resp = client.post(f"/admin/accounts/{org.sysadmin.id}/reset-password", follow_redirects=True)
    assert "不能在此重置自己的密码" in resp.get_data(as_text=True)
    me = _reload(org.sysadmin)
    assert me.active and me.check_password("pw")
    assert _events("admin.account_disabled") == [] and _events("admin.password_reset") == []
    page = client.get(f"/admin/accounts/{org.sysadmin.id}").get_data(as_text=True)
    assert "停用账号" not in page and "这是您自己的账号" in page


def test_disabling_twice_says_so(app, org, admin, client):
    client.post(f"/admin/accounts/{org.member2.id}/disable")
    resp = client.post(f"/admin/accounts/{org.member2.id}/disable", follow_redirects=True)
    assert "该账号已是停用状态" in resp.get_data(as_text=True)
    assert len(_events("admin.account_disabled")) == 1


def test_reset_password_shows_a_new_one_once_and_ends_every_session(app, org, admin, client):
    elsewhere = _signed_in(org.member2)
    resp = client.post(f"/admin/accounts/{org.member2.id}/reset-password")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "密码已重置" in html and "原有的登录会话已全部结束" in html
    temporary = PASSWORD_SHOWN.search(html).group(1)
    user = _reload(org.member2)
    assert user.must_change_password and user.check_password(temporary) and not user.check_password("pw")
    resp = elsewhere.client.get("/inbox/todo")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    (event,) = _events("admin.password_reset")
    assert event.object_id == user.id and temporary not in event.detail and "password" not in event.detail
    assert temporary not in client.get(f"/admin/accounts/{user.id}").get_data(as_text=True)


def test_unlock_a_locked_account(app, org, admin, client):
    until = sessions.now() + timedelta(minutes=15)
    org.member_b.locked_until = until
    db.session.commit()
    page = client.get(f"/admin/accounts/{org.member_b.id}").get_data(as_text=True)
    assert f"已锁定至 {to_local(until).strftime('%H:%M')}" in page and "解锁" in page
    resp = client.post(f"/admin/accounts/{org.member_b.id}/unlock", follow_redirects=True)
    assert "已解锁账号「member_b」" in resp.get_data(as_text=True)
    user = _reload(org.member_b)
    assert user.locked_until is None and user.failed_logins == 0
    assert len(_events("admin.account_unlocked")) == 1
    Auth(app.test_client()).login(user)  # signs in again at once
    resp = client.post(f"/admin/accounts/{org.member_b.id}/unlock", follow_redirects=True)
    assert "该账号未被锁定" in resp.get_data(as_text=True)
    assert len(_events("admin.account_unlocked")) == 1


def test_an_unknown_account_is_404(app, org, admin, client):
    assert client.get("/admin/accounts/999999").status_code == 404
    assert client.post("/admin/accounts/999999/disable").status_code == 404
