"""Single sign-on through a trusted reverse proxy (issue 6 §5): the username header is believed only
from the configured proxy addresses (the direct peer, never X-Forwarded-For), signs the local
account in once per session, switches users when the header changes, and is refused otherwise."""
import pytest

from dangjian.extensions import db
from dangjian.models import Role
from tests.factories import make_user
from tests.signin_support import detail, events, sibling_app

HEADER = "X-Remote-User"
PROXY = "10.0.0.5"


@pytest.fixture
def sso(app, org):
    app.config.update(AUTH_TRUSTED_HEADER=HEADER, AUTH_TRUSTED_PROXIES=[PROXY], WTF_CSRF_ENABLED=False)
    return app


def via(client, path, username, peer=PROXY, **kw):
    headers = {HEADER: username, **kw.pop("headers", {})}
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": peer}, **kw)


def test_the_proxy_signs_the_user_in_once_per_session(sso, org, client):
    assert via(client, "/me", "member").status_code == 200
    assert via(client, "/inbox/mine", "member").status_code == 200
    [login] = events("auth.login")
    assert login.user_id == org.member.id and detail(login)["method"] == "sso"
    assert login.ip == PROXY


def test_the_header_from_any_other_address_is_ignored_and_audited(sso, org, client):
    resp = via(client, "/me", "member", peer="10.0.0.9")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert events("auth.login") == []
    [refused] = events("auth.sso_refused")
    assert detail(refused) == {"username": "member", "peer": "10.0.0.9", "header": HEADER}


def test_x_forwarded_for_never_makes_an_address_trusted(app, org):
    proxied = sibling_app(app, PROXY_COUNT=1, AUTH_TRUSTED_HEADER=HEADER, AUTH_TRUSTED_PROXIES=[PROXY])
    client = proxied.test_client()
    resp = via(client, "/me", "member", peer="10.0.0.9", headers={"X-Forwarded-For": PROXY})
    assert resp.status_code == 302 and events("auth.login") == []
    assert detail(events("auth.sso_refused")[0])["peer"] == "10.0.0.9"
    # The real proxy, passing the client's address on: trusted, and the audit has the client.
    resp = via(client, "/me", "member", headers={"X-Forwarded-For": "172.16.3.4"})
    assert resp.status_code == 200 and events("auth.login")[0].ip == "172.16.3.4"


def test_proxies_may_be_given_as_networks_and_as_an_environment_string(sso, org, client):
    sso.config["AUTH_TRUSTED_PROXIES"] = "10.0.1.7, 10.0.0.0/24"
    assert via(client, "/me", "member", peer="10.0.0.77").status_code == 200
    other = sso.test_client()
    assert via(other, "/me", "member", peer="10.0.2.1").status_code == 302


def test_a_different_header_value_ends_the_session_and_signs_the_new_user_in(sso, org, client):
    via(client, "/me", "member")
    assert via(client, "/me", "member2").status_code == 200
    [logout] = events("auth.logout")
    assert logout.user_id == org.member.id and detail(logout)["reason"] == "sso_user_changed"
    assert [e.user_id for e in events("auth.login")] == [org.member.id, org.member2.id]
    assert "张堃" in via(client, "/me", "member2").get_data(as_text=True)


@pytest.mark.parametrize("username,reason", [("nobody", "unknown_user"), ("member2", "inactive"),
                                              ("sysadmin", "administrator_local_only")])
def test_no_usable_account_means_no_sign_in(sso, org, client, username, reason):
    org.member2.active = False
    db.session.commit()
    resp = via(client, "/me", username, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "在本系统中没有可用的账号" in html and 'name="password"' in html
    assert events("auth.login") == []
    [failed] = events("auth.login_failed")
    assert detail(failed)["reason"] == reason and detail(failed)["method"] == "sso"
    via(client, "/login", username)
    assert len(events("auth.login_failed")) == 1  # told once per session


def test_a_session_opened_with_a_password_is_left_alone(sso, org, client):
    """E.g. the 系统管理员 signs in with the local password on a site behind the SSO proxy."""
    resp = client.post("/login", data={"username": "sysadmin", "password": "pw"},
                       headers={HEADER: "someone.else"}, environ_base={"REMOTE_ADDR": PROXY})
    assert resp.status_code == 302
    via(client, "/admin/accounts", "someone.else")
    assert [detail(e)["method"] for e in events("auth.login")] == ["password"]
    assert events("auth.logout") == []


def test_a_timed_out_sso_session_is_renewed_by_the_proxy(sso, org, client, monkeypatch):
    from tests.signin_support import Clock
    from dangjian.accounts import sessions
    clock = Clock()
    monkeypatch.setattr(sessions, "now", clock)
    via(client, "/me", "member")
    clock.advance(minutes=31)
    assert via(client, "/me", "member").status_code == 200
    assert detail(events("auth.session_timeout")[0])["reason"] == "idle"
    assert len(events("auth.login")) == 2


def test_logout_goes_to_the_sso_logout_page_when_there_is_one(sso, org, client):
    sso.config["AUTH_TRUSTED_LOGOUT_URL"] = "https://cas.example.edu.cn/logout"
    via(client, "/me", "member")
    resp = client.post("/logout", environ_base={"REMOTE_ADDR": PROXY})
    assert resp.headers["Location"] == "https://cas.example.edu.cn/logout"
    assert resp.headers["Clear-Site-Data"]


def test_a_forced_change_does_not_hold_an_sso_sign_in(sso, org, client):
    org.member.must_change_password = True
    db.session.commit()
    assert via(client, "/me", "member").status_code == 200


def test_sso_is_off_unless_configured(app, org, client):
    assert not app.config["AUTH_TRUSTED_HEADER"]
    resp = via(client, "/me", "member")
    assert resp.status_code == 302 and events("auth.login") == [] and events("auth.sso_refused") == []


def test_no_account_is_created_from_the_header(sso, org, client):
    from sqlalchemy import func, select
    from dangjian.models import User
    before = db.session.scalar(select(func.count(User.id)))
    via(client, "/me", "brand.new")
    assert db.session.scalar(select(func.count(User.id))) == before
    make_user("brand.new", None, [(Role.BRANCH_SECRETARY, org.branch_a2)])
    db.session.commit()
    fresh = sso.test_client()
    assert via(fresh, "/me", "brand.new").status_code == 200
