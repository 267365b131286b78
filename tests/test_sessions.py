"""Sessions end when they should (issue 6 §5): 退出 and a password change end every session of the
user at once, a replayed old cookie lands on the login page, idle and absolute timeouts (through the
clock seam, never by sleeping), and an htmx request is sent to the login page as a whole page."""
from flask_login.utils import encode_cookie

from dangjian.config import Config
from dangjian.extensions import db
from tests.signin_support import clock, detail, events  # noqa: F401  (fixture)

PAGES = ["/me", "/inbox/mine", "/inbox/todo"]
HTMX = {"HX-Request": "true"}


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(client, cookie: str) -> None:
    client.set_cookie("session", cookie)


def lands_on_login(resp) -> bool:
    return resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_the_defaults_are_30_minutes_idle_and_12_hours_in_all():
    assert Config.SESSION_IDLE_MINUTES == 30 and Config.SESSION_ABSOLUTE_HOURS == 12
    assert Config.SESSION_COOKIE_HTTPONLY and Config.SESSION_COOKIE_SAMESITE == "Lax"


def test_an_old_cookie_replayed_after_logout_lands_on_the_login_page(app, org, auth, client):
    auth.login(org.member)
    cookie = session_cookie(client)
    assert all(client.get(p).status_code == 200 for p in PAGES)
    resp = client.post("/logout")
    assert lands_on_login(resp)
    assert resp.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    replay(client, cookie)
    for page in PAGES:
        assert lands_on_login(client.get(page)), page


def test_logout_ends_the_sessions_on_every_other_browser_too(app, org, auth, client):
    other = app.test_client()
    auth.login(org.member)
    type(auth)(other).login(org.member)  # a second browser
    assert other.get("/me").status_code == 200
    client.post("/logout")
    assert lands_on_login(other.get("/me"))


def test_the_login_page_says_goodbye_after_logout(app, org, auth, client):
    auth.login(org.member)
    resp = client.post("/logout", follow_redirects=True)
    assert "您已安全退出" in resp.get_data(as_text=True)
    assert [e.action for e in events() if e.action.startswith("auth.")][-1] == "auth.logout"


def test_idle_timeout_ends_the_session_and_says_so(app, org, auth, client, clock):
    auth.login(org.member)
    clock.advance(minutes=29)
    assert client.get("/me").status_code == 200
    clock.advance(minutes=29)  # 58 minutes after sign-in, 29 after the last request: still active
    assert client.get("/me").status_code == 200
    cookie = session_cookie(client)
    clock.advance(minutes=30)
    resp = client.get("/me")
    assert lands_on_login(resp) and "next=/me" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "登录已超时，请重新登录" in page
    assert "登录已超时" not in client.get("/login").get_data(as_text=True)  # said once
    [event] = events("auth.session_timeout")
    assert event.user_id == org.member.id and detail(event)["reason"] == "idle"
    replay(client, cookie)  # the cookie from before the timeout carries its old times
    assert lands_on_login(client.get("/me"))


def test_absolute_timeout_ends_even_a_busy_session(app, org, auth, client, clock):
    auth.login(org.member)
    for _ in range(35):  # a request every 20 minutes: never idle
        clock.advance(minutes=20)
        assert client.get("/me").status_code == 200
    clock.advance(minutes=20)  # 12 hours after sign-in
    assert lands_on_login(client.get("/me"))
    assert detail(events("auth.session_timeout")[0])["reason"] == "absolute"


def test_timeouts_follow_the_settings(app, org, auth, client, clock):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_ABSOLUTE_HOURS=1)
    auth.login(org.member)
    clock.advance(minutes=4)
    assert client.get("/me").status_code == 200
    clock.advance(minutes=5)
    assert lands_on_login(client.get("/me"))


def test_an_htmx_request_after_a_timeout_redirects_the_whole_page(app, org, auth, client, clock):
    auth.login(org.member)
    clock.advance(minutes=31)
    resp = client.get("/inbox/todo", headers=HTMX)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"] == "/login"
    assert resp.get_data(as_text=True) == ""  # never a login form swapped into a card
    assert "登录已超时，请重新登录" in client.get("/login").get_data(as_text=True)


def test_an_htmx_request_with_a_stale_session_redirects_the_whole_page(app, org, auth, client):
    auth.login(org.member)
    other = app.test_client()
    type(auth)(other).login(org.member)
    other.post("/logout")
    resp = client.get("/inbox/todo", headers=HTMX)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"] == "/login"


def test_an_htmx_request_without_a_session_redirects_the_whole_page(app, org, client):
    resp = client.get("/inbox/todo", headers=HTMX)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"] == "/login"


def test_a_session_without_sign_in_time_is_refused(app, org, client):
    """A signed cookie with the current version but no sign-in stamp (an old cookie, or one
    somebody assembled with the key) is ended, not trusted."""
    with client.session_transaction() as s:
        s["_user_id"] = org.member.get_id()
        s["_fresh"] = True
    assert lands_on_login(client.get("/me"))
    assert detail(events("auth.session_timeout")[0])["reason"] == "unstamped"


def test_remember_me_cookies_are_never_issued_nor_accepted(app, org, auth, client):
    auth.login(org.member)
    assert client.get_cookie("remember_token") is None
    fresh = app.test_client()
    fresh.set_cookie("remember_token", encode_cookie(org.member.get_id()))
    resp = fresh.get("/me")
    assert lands_on_login(resp)
    assert "remember_token=;" in resp.headers.get("Set-Cookie", "")  # and the browser drops it


def test_disabling_an_account_ends_its_sessions(app, org, auth, client):
    auth.login(org.member)
    org.member.active = False
    db.session.commit()
    assert lands_on_login(client.get("/me"))


def test_a_new_sign_in_starts_a_fresh_session(app, org, auth, client):
    """Nothing written into the session before sign-in survives it (no session fixation)."""
    with client.session_transaction() as s:
        s["planted"] = "x"
    auth.login(org.member)
    with client.session_transaction() as s:
        assert "planted" not in s and isinstance(s["login_at"], int)
