"""The 系统管理员's pages are for the 系统管理员 only: 404 for every other user of the org tree (GET
and POST, and nothing changes), the login page for nobody, and CSRF on every state-changing POST.
"""
import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, RoleAssignment, User
from tests.test_csrf import TOKEN_HEADER, body_token, form_token

OTHER_USERS = ["member", "member2", "secretary", "committee", "secretary_a2", "secondary", "member_b", "secretary_b",
               "secondary_b", "org_dept_user", "school_user", "school_user2", "supervisor", "direct_member",
               "direct_secretary"]

GET_URLS = [
    "/admin/", "/admin/accounts", "/admin/accounts?q=member&status=active", "/admin/accounts/new",
    "/admin/accounts/{target}", "/admin/accounts/{target}/edit", "/admin/members/search?member_q=王", "/admin/accounts/search?account_q=sec",
    "/admin/orgs", "/admin/orgs/{branch}", "/admin/roles/history?org={branch}&role=branch_secretary&on=2026-01-01",
]
POST_URLS = [
    ("/admin/accounts/new", {"username": "intruder", "display_name": "闯入者"}),
    ("/admin/accounts/{target}/edit", {"display_name": "改名者", "email": "x@example.edu.cn", "member_id": ""}),
    ("/admin/accounts/{target}/disable", {}),
    ("/admin/accounts/{target}/enable", {}),
    ("/admin/accounts/{target}/unlock", {}),
    ("/admin/accounts/{target}/reset-password", {}),
    ("/admin/accounts/{target}/roles", {"role": "secondary", "organization_id": "{sec}", "starts_on": "2026-01-01"}),
    ("/admin/orgs/{sec}/roles", {"role": "secondary", "user_id": "{target}", "starts_on": "2026-01-01"}),
    ("/admin/roles/{assignment}/revoke", {"back": "org"}),
]


@pytest.fixture
def ids(org):
    return {"target": org.member2.id, "branch": org.branch_a1.id, "sec": org.sec_a.id,
            "assignment": org.secretary.role_assignments[0].id}


def _fill(value: str, ids: dict) -> str:
    return value.format(**ids)


def _state(org):
    db.session.expire_all()
    target = db.session.get(User, org.member2.id)
    return (target.active, target.password_hash, target.session_version, len(target.role_assignments),
            target.display_name, target.email, target.member_id,
            db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(RoleAssignment.id))),
            db.session.get(RoleAssignment, org.secretary.role_assignments[0].id).revoked_at)


@pytest.mark.parametrize("user_key", OTHER_USERS)
def test_every_admin_page_and_post_is_404_for_everyone_else(app, org, auth, client, ids, user_key):
    """One test per user (the org tree is built once), every admin URL inside it."""
    before = _state(org)
    auth.login(getattr(org, user_key))
    for url in GET_URLS:
        resp = client.get(_fill(url, ids))
        assert resp.status_code == 404, ("GET", url)
        assert "页面不存在" in resp.get_data(as_text=True)
    for url, data in POST_URLS:
        resp = client.post(_fill(url, ids), data={k: _fill(v, ids) for k, v in data.items()})
        assert resp.status_code == 404, ("POST", url)
    assert _state(org) == before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("admin.%"))) == 0


@pytest.mark.parametrize("url", ["/admin/accounts", "/admin/orgs", "/admin/roles/history"])
def test_signed_out_goes_to_the_login_page(app, org, client, url):
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_sysadmin_opens_every_admin_page(app, org, auth, client, ids):
    auth.login(org.sysadmin)
    for url in GET_URLS:
        assert client.get(_fill(url, ids), follow_redirects=True).status_code == 200, url


# --- CSRF: as users get the app (no `auth` fixture) -------------------------------------------------

def login(client, user, password="pw"):
    token = form_token(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert TOKEN_HEADER.search(page)


def test_admin_posts_without_a_token_are_refused(csrf_app, org, client, ids):
    before = _state(org)
    login(client, org.sysadmin)
    for url, data in POST_URLS:
        resp = client.post(_fill(url, ids), data={k: _fill(v, ids) for k, v in data.items()})
        assert resp.status_code == 400, url
        assert "页面已过期" in resp.get_data(as_text=True)
        resp = client.post(_fill(url, ids), data={"csrf_token": "forged", **{k: _fill(v, ids) for k, v in data.items()}})
        assert resp.status_code == 400, url
    assert _state(org) == before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("admin.%"))) == 0


def test_admin_posts_with_the_token_from_the_page_work(csrf_app, org, client):
    login(client, org.sysadmin)
    page = client.get(f"/admin/accounts/{org.member2.id}").get_data(as_text=True)
    token = form_token(page)
    resp = client.post(f"/admin/accounts/{org.member2.id}/disable", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, org.member2.id).active is False
    # htmx sends the token in a header, from hx-headers on <body>.
    header_token = body_token(page)
    resp = client.post(f"/admin/accounts/{org.member2.id}/enable", headers={"X-CSRFToken": header_token})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, org.member2.id).active is True
    new_page = client.get("/admin/accounts/new").get_data(as_text=True)
    resp = client.post("/admin/accounts/new", data={"csrf_token": form_token(new_page), "username": "zhang_san",
                                                    "display_name": "张三"})
    assert resp.status_code == 200 and "临时密码" in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "zhang_san")) is not None
