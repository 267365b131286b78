"""The first 系统管理员 from the command line, the forced password change at the first sign-in, and
users changing their own password (issue 6 §1 and §5)."""
import re

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Organization, OrgKind, Role, User
from dangjian.models.people import check_role_organization
from tests.signin_support import detail, events, post_login  # noqa: F401

NEW = "Dangjian#2026x"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def anon(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    return client


def create_admin(app, *args):
    return app.test_cli_runner().invoke(args=["users", "create-admin", *args])


def one_time_password(output: str) -> str:
    return re.search(r"一次性密码：(\S+)", output).group(1)


def change(client, current, new, confirm=None, **kw):
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                  "confirm_password": new if confirm is None else confirm}, **kw)


# --- flask users create-admin -----------------------------------------------------------------------

def test_on_an_empty_database_the_school_name_is_required(app):
    result = create_admin(app, "admin")
    assert result.exit_code == 1 and "--school-name" in result.output
    assert db.session.scalar(select(User)) is None and db.session.scalar(select(Organization)) is None


def test_create_admin_on_an_empty_database_then_the_first_sign_in_forces_a_change(app, anon):
    result = create_admin(app, "admin", "--school-name", "中共某某大学委员会")
    assert result.exit_code == 0, result.output
    password = one_time_password(result.output)
    db.session.expire_all()
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    school, dept = db.session.scalars(select(Organization).order_by(Organization.id)).all()
    assert school.kind is OrgKind.SCHOOL and school.name == "中共某某大学委员会" and school.parent is None
    # The 党委组织部 node too: the 组织部 role can be held nowhere else, and no page creates it.
    assert dept.kind is OrgKind.ORG_DEPT and dept.name == "党委组织部" and dept.parent == school
    assert dept.path == f"{school.path}{dept.id}/"
    assert "已在「中共某某大学委员会」下建立「党委组织部」" in result.output
    assert admin.must_change_password and admin.holds(Role.SYSADMIN, school.id)
    assert admin.check_password(password) and password not in "".join(e.detail for e in events())
    assert [e.action for e in events()] == ["org.created", "org.created", "account.admin_created"]

    resp = post_login(anon, "admin", password)
    assert resp.status_code == 302
    resp = anon.get(resp.headers["Location"])
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"
    page = anon.get("/account/password").get_data(as_text=True)
    assert "请先修改密码" in page
    resp = change(anon, password, NEW)
    assert resp.status_code == 302
    db.session.refresh(admin)
    assert not admin.must_change_password and admin.check_password(NEW)
    assert anon.get("/admin/accounts").status_code == 200  # the administrator's own pages open


def test_create_admin_uses_the_existing_school_node(app, org):
    result = create_admin(app, "admin2")
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.username == "admin2"))
    assert admin.holds(Role.SYSADMIN, org.school.id)
    assert len(db.session.scalars(select(Organization).where(Organization.kind == OrgKind.SCHOOL)).all()) == 1


def test_create_admin_reuses_the_existing_org_dept_node(app, org):
    result = create_admin(app, "admin2", "--org-dept-name", "党委组织部")
    assert result.exit_code == 0, result.output
    assert "建立" not in result.output
    assert db.session.scalars(select(Organization).where(Organization.kind == OrgKind.ORG_DEPT)).all() == [org.org_dept]


def test_an_org_dept_name_that_does_not_match_the_tree_is_refused(app, org):
    result = create_admin(app, "admin2", "--org-dept-name", "组织部")
    assert result.exit_code == 1 and "「党委组织部」" in result.output and "未做任何修改" in result.output
    assert db.session.scalar(select(User).where(User.username == "admin2")) is None


def test_a_school_without_an_org_dept_gets_one_named_by_the_option(app):
    assert create_admin(app, "admin", "--school-name", "中共某某大学委员会",
                        "--org-dept-name", "中共某某大学委员会组织部").exit_code == 0
    assert create_admin(app, "admin2").exit_code == 0  # the second administrator: no second node
    depts = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.ORG_DEPT)).all()
    assert [d.name for d in depts] == ["中共某某大学委员会组织部"]


def test_an_existing_school_without_an_org_dept_node_gets_one(app):
    school = Organization(name="中共某某大学委员会", kind=OrgKind.SCHOOL, path="")
    db.session.add(school)
    db.session.flush()
    school.set_parent(None)
    db.session.commit()
    result = create_admin(app, "admin")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    [dept] = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.ORG_DEPT)).all()
    assert dept.parent_id == school.id and dept.name == "党委组织部"
    assert check_role_organization(Role.ORG_DEPT, dept) is None  # the 组织部 role can now be given
    assert "已在「中共某某大学委员会」下建立「党委组织部」" in result.output


def test_a_school_name_that_does_not_match_the_tree_is_refused(app, org):
    result = create_admin(app, "admin2", "--school-name", "中共另一所大学委员会")
    assert result.exit_code == 1 and "中共测试大学委员会" in result.output
    assert db.session.scalar(select(User).where(User.username == "admin2")) is None


@pytest.mark.parametrize("username", ["sysadmin", "SysAdmin"])
def test_a_duplicate_username_is_refused_in_chinese(app, org, username):
    result = create_admin(app, username)
    assert result.exit_code == 1
    assert f"账号「{username}」已存在" in result.output
    assert len(events("account.admin_created")) == 0


@pytest.mark.parametrize("username", ["a", "有 空格", "_admin", "x" * 51])
def test_a_malformed_username_is_refused(app, org, username):
    result = create_admin(app, username)
    assert result.exit_code == 1 and "账号须为2–50位" in result.output


# --- the forced change ------------------------------------------------------------------------------

def forced(org):
    org.member.must_change_password = True
    db.session.commit()
    return org.member


def test_a_forced_user_reaches_only_the_change_page_and_logout(app, org, anon):
    forced(org)
    assert post_login(anon, "member", "pw").status_code == 302
    for page in ("/inbox/todo", "/me", "/inbox/mine", "/dues-waivers/new"):
        resp = anon.get(page)
        assert resp.status_code == 302 and resp.headers["Location"] == "/account/password", page
    resp = anon.get("/inbox/todo", headers=HTMX)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"] == "/account/password"
    assert anon.get("/account/password").status_code == 200
    assert anon.post("/logout").status_code == 302
    assert events("auth.logout")


def test_demo_accounts_are_not_forced(app, anon):
    from dangjian.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
    assert load_demo()
    users = db.session.scalars(select(User)).all()
    assert users and not any(u.must_change_password for u in users)
    username = DEMO_ACCOUNTS[0][0]
    assert post_login(anon, username, DEMO_PASSWORD).status_code == 302
    assert anon.get("/me").status_code == 200


# --- changing one's own password --------------------------------------------------------------------

def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, org, auth, client):
    other = app.test_client()
    type(auth)(other).login(org.member)
    auth.login(org.member)
    resp = change(client, "pw", NEW, follow_redirects=True)
    assert "密码已修改" in resp.get_data(as_text=True)
    assert client.get("/me").status_code == 200  # still signed in here
    resp = other.get("/me")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    [event] = events("auth.password_changed")
    assert event.user_id == org.member.id and detail(event)["forced"] is False
    assert NEW not in event.detail
    client.post("/logout")
    assert post_login(client, "member", "pw").status_code == 200
    assert post_login(client, "member", NEW).status_code == 302


@pytest.mark.parametrize("current,new,confirm,field,message", [
    ("wrong", NEW, NEW, "current_password", "当前密码不正确"),
    ("pw", "short1A", "short1A", "new_password", "密码至少8位"),
    ("pw", "alllowercase", "alllowercase", "new_password", "至少3类"),
    ("pw", "Member#2026", "Member#2026", "new_password", "不能包含账号"),
    ("pw", "P@ssw0rd", "P@ssw0rd", "new_password", "过于常见"),
    ("pw", NEW, NEW + "x", "confirm_password", "两次输入的新密码不一致"),
])
def test_a_refused_change_says_why_and_changes_nothing(app, org, auth, client, current, new, confirm, field,
                                                       message):
    auth.login(org.member)
    resp = change(client, current, new, confirm)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and message in html
    assert f'id="{field}"' in html and "is-invalid" in html
    db.session.refresh(org.member)
    assert org.member.check_password("pw") and events("auth.password_changed") == []
    assert client.get("/me").status_code == 200


def test_the_new_password_must_differ_from_the_current_one(app, org, auth, client):
    org.member.set_password(NEW)
    db.session.commit()
    auth.login(org.member, NEW)
    assert "新密码不能与当前密码相同" in change(client, NEW, NEW).get_data(as_text=True)


def test_guessing_the_current_password_locks_the_account_and_ends_the_session(app, org, auth, client):
    auth.login(org.member)
    for _ in range(4):
        assert change(client, "wrong", NEW).status_code == 200
    resp = change(client, "wrong", NEW)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert events("auth.locked")
    assert client.get("/me").status_code == 302
    assert post_login(client, "member", "pw").status_code == 200  # locked


def test_the_user_menu_links_to_the_change_page(app, org, auth, client):
    auth.login(org.member)
    assert 'href="/account/password"' in client.get("/me").get_data(as_text=True)


def test_the_change_page_needs_a_signed_in_user(app, org, client):
    resp = client.get("/account/password")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
