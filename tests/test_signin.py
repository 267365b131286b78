"""Signing in (issue 6 §5): lockout after consecutive failures, a message that never tells whether
an account exists, the per-address rate limit on the real Redis, the client address behind a
trusted proxy, and every sign-in event audited."""
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from dangjian.accounts import lockout
from dangjian.config import Config
from dangjian.extensions import db
from tests.signin_support import WRONG, clock, detail, events, post_login, sibling_app  # noqa: F401

FAILURE = "账号或密码不正确"


def error_of(resp) -> str:
    """The alert the login page shows (the whole alert text)."""
    html = resp.get_data(as_text=True)
    start = html.index('class="alert alert-danger')
    return html[start:html.index("</div>", start)]


@pytest.fixture
def anon(app, org, client):
    app.config["WTF_CSRF_ENABLED"] = False
    return client


# --- lockout ----------------------------------------------------------------------------------------

def test_five_failures_lock_the_account_for_15_minutes(app, org, anon, clock):
    for n in range(1, 5):
        assert post_login(anon, "member", WRONG).status_code == 200
        assert org.member.failed_logins == n and not lockout.is_locked(org.member)
    post_login(anon, "member", WRONG)
    assert lockout.is_locked(org.member)
    assert org.member.locked_until == clock.moment + timedelta(minutes=15)
    [locked] = events("auth.locked")
    assert locked.object_id == org.member.id and detail(locked)["minutes"] == 15

    resp = post_login(anon, "member", "pw")  # the right password, while locked
    assert resp.status_code == 200 and FAILURE in error_of(resp)
    assert detail(events("auth.login_failed")[-1])["reason"] == "locked"
    assert events("auth.login") == []

    clock.advance(minutes=14, seconds=59)
    assert post_login(anon, "member", "pw").status_code == 200
    clock.advance(seconds=1)
    assert post_login(anon, "member", "pw").status_code == 302
    assert org.member.failed_logins == 0 and org.member.locked_until is None


def test_a_success_resets_the_count(app, org, anon, client, clock):
    for _ in range(4):
        post_login(anon, "member", WRONG)
    assert post_login(anon, "member", "pw").status_code == 302
    assert org.member.failed_logins == 0
    client.post("/logout")
    for _ in range(4):
        post_login(anon, "member", WRONG)
    assert not lockout.is_locked(org.member)


def test_lockout_follows_the_settings(app, org, anon, clock):
    app.config.update(LOCKOUT_THRESHOLD=3, LOCKOUT_MINUTES=60)
    for _ in range(3):
        post_login(anon, "member", WRONG)
    assert org.member.locked_until == clock.moment + timedelta(minutes=60)
    assert "连续输错3次，账号将被锁定60分钟" in error_of(post_login(anon, "member", "pw"))


def test_an_unlocked_account_signs_in_again(app, org, anon, clock):
    """The 系统管理员's unlock (accounts.operations) clears these two fields."""
    for _ in range(5):
        post_login(anon, "member", WRONG)
    org.member.failed_logins, org.member.locked_until = 0, None
    db.session.commit()
    assert post_login(anon, "member", "pw").status_code == 302


def test_the_message_never_tells_whether_the_account_exists(app, org, anon, clock):
    org.member2.active = False
    db.session.commit()
    for _ in range(5):
        post_login(anon, "member", WRONG)
    answers = {
        "wrong password": error_of(post_login(anon, "secretary", WRONG)),
        "unknown account": error_of(post_login(anon, "nobody", WRONG)),
        "locked account": error_of(post_login(anon, "member", "pw")),
        "disabled account": error_of(post_login(anon, "member2", "pw")),
    }
    assert len(set(answers.values())) == 1, answers
    assert FAILURE in answers["unknown account"]
    reasons = [(detail(e)["username"], detail(e)["reason"]) for e in events("auth.login_failed")][-4:]
    assert reasons == [("secretary", "bad_password"), ("nobody", "unknown_user"),
                       ("member", "locked"), ("member2", "inactive")]


def test_an_unknown_username_costs_a_hash_check_like_a_real_one():
    """The dummy hash is made like every stored password, so checking it costs the same."""
    method = generate_password_hash("x").split("$")[0]
    assert lockout._dummy_hash().split("$")[0] == method


def test_failures_of_an_unknown_username_lock_nothing_and_are_audited(app, org, anon):
    for _ in range(6):
        post_login(anon, "nobody", WRONG)
    assert events("auth.locked") == []
    assert [detail(e)["username"] for e in events("auth.login_failed")] == ["nobody"] * 6
    assert all(WRONG not in e.detail for e in events())  # never the password


def test_usernames_are_found_whatever_their_letter_case(app, org, anon):
    assert post_login(anon, " Member ", "pw").status_code == 302
    assert events("auth.login")[0].user_id == org.member.id


# --- rate limit (real Redis) ------------------------------------------------------------------------

def test_the_default_rate_limit_is_30_failures_a_minute():
    assert Config.LOGIN_RATE_LIMIT == "30 per minute"


def test_failed_attempts_from_one_address_are_limited_on_redis(app, org, anon, redis_conn):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for n in range(3):
        assert post_login(anon, f"nobody{n}", WRONG).status_code == 200
    resp = post_login(anon, "member", "pw")  # even the right password, from this address
    assert resp.status_code == 429
    assert "登录失败次数过多，请稍后再试" in resp.get_data(as_text=True)
    assert int(resp.headers["Retry-After"]) > 0
    assert anon.get("/login").status_code == 200  # the page itself still opens
    namespace = app.config["LOGIN_RATE_LIMIT_NAMESPACE"]
    assert redis_conn.keys(f"*{namespace}:127.0.0.1*"), "the counter lives in Redis"
    other = app.test_client()
    resp = post_login(other, "member", "pw", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 302  # another address is not affected


def test_successful_sign_ins_are_not_counted(app, org, anon, client, redis_conn):
    """A campus NAT puts a whole school behind one address: only failures count."""
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    for _ in range(6):
        assert post_login(anon, "member", "pw").status_code == 302
        client.post("/logout")
    assert post_login(anon, "member", WRONG).status_code == 200


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(app, org, anon, redis_conn):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    for n in range(2):
        post_login(anon, "nobody", WRONG, headers={"X-Forwarded-For": f"10.9.9.{n}"})
    resp = post_login(anon, "nobody", WRONG, headers={"X-Forwarded-For": "10.9.9.99"})
    assert resp.status_code == 429  # a client cannot pick its own address


def test_behind_a_trusted_proxy_each_client_address_counts_apart(app, org, redis_conn):
    proxied = sibling_app(app, PROXY_COUNT=1, LOGIN_RATE_LIMIT="2 per minute")
    client = proxied.test_client()
    for _ in range(2):
        post_login(client, "nobody", WRONG, headers={"X-Forwarded-For": "10.0.0.1"})
    assert post_login(client, "nobody", WRONG, headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 429
    assert post_login(client, "nobody", WRONG, headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200
    ips = {e.ip for e in events("auth.login_failed")}
    assert ips == {"10.0.0.1", "10.0.0.2"}  # the audit has the client's address, not the proxy's


def test_with_redis_down_sign_in_still_works_and_lockout_still_holds(app, org):
    broken = sibling_app(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")  # nothing listens there
    client = broken.test_client()
    assert post_login(client, "member", WRONG).status_code == 200
    assert post_login(client, "member", "pw").status_code == 302
    for _ in range(5):
        post_login(broken.test_client(), "secretary", WRONG)
    assert post_login(broken.test_client(), "secretary", "pw").status_code == 200


# --- cookies and downloads --------------------------------------------------------------------------

def test_cookies_are_secure_when_the_deployment_says_https(monkeypatch):
    import importlib

    import dangjian.config as config_module
    monkeypatch.setenv("DANGJIAN_HTTPS", "1")
    try:
        assert importlib.reload(config_module).Config.SESSION_COOKIE_SECURE is True
        monkeypatch.delenv("DANGJIAN_HTTPS")
        assert importlib.reload(config_module).Config.SESSION_COOKIE_SECURE is False
    finally:
        importlib.reload(config_module)


def test_the_session_cookie_is_httponly_and_samesite_lax(app, org, anon):
    resp = post_login(anon, "member", "pw")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    anon.post("/logout")
    assert "Secure" in post_login(anon, "member", "pw").headers["Set-Cookie"]


def test_pdfs_and_attachments_are_never_cached(app, org, auth, client):
    from tests.test_scope import add_attachment, approved_waiver, finish_document
    req = approved_waiver(org)
    att = add_attachment(req, org.member)
    doc = finish_document(req)
    auth.login(org.member)
    for url in (f"/documents/{doc.id}/download", f"/attachments/{att.id}"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store", url
