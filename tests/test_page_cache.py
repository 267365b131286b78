"""The rendered-page cache of the inbox lists (dangjian.web.page_cache, issue 7 §6).

A page comes back from the cache only while nothing in the database changed, only to the session it
was built for, and never past the sign-in guard; the global data version (dangjian.data_version)
counts every committed write, however it was made and in whichever process. Each test first gets a
page served from the cache (`cached`), changes something as users do, and looks at the next page.
"""
import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, select, text, update

from dangjian import data_version
from dangjian.extensions import db
from dangjian.models import Request
from dangjian.web import page_cache
from dangjian.workflow.comments import add_comment
from tests.factories import approve, new_waiver
from tests.signin_support import clock, detail, events  # noqa: F401  (fixture)
from tests.test_sso import HEADER, PROXY
from tests.factories_condolence import new_condolence, setup_settings
from tests.test_csrf import body_token, form_token
from tests.test_csrf import login as csrf_login
from tests.test_document_jobs import CLOSED_REDIS_URL, approved_request, run_worker

ROOT = Path(__file__).resolve().parents[1]


def get(client, url="/inbox/todo", **kw):
    resp = client.get(url, **kw)
    assert resp.status_code == 200, resp.status_code
    return resp


def cached(client, url="/inbox/todo", **kw):
    """The page as the cache serves it. After sign-in the first page creates the session's CSRF
    secret (its cookie changes: not stored), the second is built and stored, the third is a hit."""
    for _ in range(3):
        resp = get(client, url, **kw)
        if resp.headers.get("X-Page-Cache") == "hit":
            return resp
    pytest.fail(f"{url} never came from the cache")


def html(resp) -> str:
    return resp.get_data(as_text=True)


def served_from_cache(resp) -> bool:
    return resp.headers.get("X-Page-Cache") == "hit"


def bell(page: str) -> str:
    return re.search(r'id="message-bell"[^>]*aria-label="([^"]+)"', page).group(1)


@pytest.fixture(autouse=True)
def one_minute(monkeypatch):
    """The tests run within one minute of the cache's clock: a minute turning mid-test would make
    a page that should come from the cache be built again."""
    monkeypatch.setattr(page_cache, "_minute", lambda: 29_000_000)


@pytest.fixture
def waiting(app, org):
    """A 党费减免 waiting at the branch secretary."""
    return new_waiver(org.member)


# --- what a hit is ------------------------------------------------------------------------------

def test_a_repeated_page_is_the_same_page_and_reads_nothing_from_the_database(app, org, auth, client, waiting):
    auth.login(org.secretary)
    built = get(client)
    built = get(client)
    assert built.headers["X-Page-Cache"] == "miss"
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        again = get(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert served_from_cache(again)
    assert again.data == built.data
    assert f'id="inbox-item-{waiting.id}"' in html(again)
    # Not even the signed-in user: nothing was written since the page was stored, so the session's
    # version and the account's state are what they were then.
    assert statements == []
    # The security headers are still there.
    assert again.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert again.headers["Cache-Control"] == "no-store"


def test_the_htmx_rows_and_the_whole_page_are_kept_apart(app, org, auth, client, waiting):
    auth.login(org.secretary)
    rows = cached(client, "/inbox/todo?q=王喆", headers={"HX-Request": "true", "HX-Target": "inbox-list"})
    page = cached(client, "/inbox/todo?q=王喆")
    assert "<html" not in html(rows) and f'id="inbox-item-{waiting.id}"' in html(rows)
    assert rows.headers["HX-Push-Url"].startswith("/inbox/todo?q=")
    assert "<html" in html(page) and "HX-Push-Url" not in page.headers
    assert "<html" in html(cached(client, "/inbox/todo?q=王喆", headers={"HX-Request": "true", "HX-Boosted": "true"}))


def test_a_compressed_page_is_compressed_once_and_decodes_to_the_page(app, org, auth, client, waiting):
    auth.login(org.secretary)
    plain = cached(client)
    packed = cached(client, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    # The same page, but for the CSRF token: signed with the time it was rendered at.
    same = re.compile(rb'(X-CSRFToken": "|name="csrf_token" value=")[^"]+')
    assert same.sub(rb"\1", gzip.decompress(packed.data)) == same.sub(rb"\1", plain.data)


def test_a_new_minute_builds_the_page_again(app, org, auth, client, waiting, monkeypatch):
    """Labels derived from the clock (超期, 今天) lag a minute at most."""
    auth.login(org.secretary)
    cached(client)
    monkeypatch.setattr(page_cache, "_minute", lambda: 29_000_001)
    assert not served_from_cache(get(client))


# --- a change anywhere is on the next page --------------------------------------------------------

def test_an_approval_by_another_approver_is_on_the_next_page(app, org, auth, client, waiting):
    auth.login(org.secretary)
    assert f'id="inbox-item-{waiting.id}"' in html(cached(client))
    approve(waiting, org.committee)  # the branch's other secretary, in another browser
    page = get(client)
    assert not served_from_cache(page)
    assert f'id="inbox-item-{waiting.id}"' not in html(page)


def test_a_new_request_is_on_the_next_page(app, org, auth, client, waiting):
    auth.login(org.secretary)
    cached(client)
    other = new_waiver(org.member2)
    page = html(get(client))
    assert f'id="inbox-item-{other.id}"' in page and f'id="inbox-item-{waiting.id}"' in page


def test_a_comment_by_someone_else_lights_the_bell_on_the_next_page(app, org, auth, client, waiting):
    auth.login(org.member)
    assert bell(html(cached(client, "/inbox/mine"))) == "消息，没有未读"
    add_comment(waiting, org.secretary, "请补充住院证明。")
    assert bell(html(get(client, "/inbox/mine"))) == "消息，1条未读"


def test_a_document_finished_by_the_worker_builds_the_page_again(app, org, auth, client):
    req = approved_request(org)
    auth.login(org.member)
    before = cached(client, "/inbox/mine")
    assert f'id="inbox-item-{req.id}"' in html(before)
    assert run_worker()
    after = get(client, "/inbox/mine")
    assert not served_from_cache(after)
    assert f'id="inbox-item-{req.id}"' in html(after)


def test_raw_updates_are_on_the_next_page(app, org, auth, client, waiting):
    """The engine's conditional UPDATE and the jobs' own connections write without the ORM's unit
    of work: they count all the same."""
    auth.login(org.secretary)
    cached(client)
    db.session.execute(text("UPDATE requests SET number = :n WHERE id = :id"), {"n": "DF-RAW-0001", "id": waiting.id})
    db.session.commit()
    assert "DF-RAW-0001" in html(get(client))
    cached(client)
    with db.engine.begin() as conn:
        conn.execute(update(Request).where(Request.id == waiting.id).values(number="DF-RAW-0002"))
    db.session.expire_all()  # the test's session, which the client shares, forgets it, as a new request would
    page = get(client)
    assert "DF-RAW-0002" in html(page) and not served_from_cache(page)


def test_a_write_by_another_process_is_on_the_next_page(app, org, auth, client, waiting):
    """Another process (an RQ worker, `flask ticker`, a CLI command) counts its writes into the
    same version: here a separate Python process that builds the app from the environment."""
    auth.login(org.secretary)
    cached(client)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANGJIAN_", "FLASK_"))}
    env.update({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
                "DANGJIAN_CACHE_NAMESPACE": app.config["CACHE_NAMESPACE"], "SECRET_KEY": app.config["SECRET_KEY"],
                "DANGJIAN_DATA_KEY": ",".join(app.config["DATA_KEYS"])})
    script = ("from sqlalchemy import text\nfrom dangjian import create_app\nfrom dangjian.extensions import db\n"
              "with create_app().app_context():\n"
              f"    db.session.execute(text(\"UPDATE requests SET number = 'DF-OTHER-0001' WHERE id = {waiting.id}\"))\n"
              "    db.session.commit()\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=120)
    db.session.expire_all()  # the test's session, which the client shares, forgets it, as a new request would
    page = get(client)
    assert "DF-OTHER-0001" in html(page) and not served_from_cache(page)


# --- only for the session it was built for, never past the guard ------------------------------------

def test_a_session_ended_elsewhere_gets_no_cached_page(app, org, auth, client, waiting):
    auth.login(org.secretary)
    cached(client)
    elsewhere = app.test_client()
    Auth = type(auth)
    Auth(elsewhere).login(org.secretary)
    elsewhere.post("/logout")  # 退出 on the other device ends every session of the user
    resp = client.get("/inbox/todo")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_password_change_ends_the_other_sessions_pages_and_its_own_flash_shows_once(app, org, auth, client,
                                                                                       waiting):
    auth.login(org.secretary)
    other = app.test_client()
    type(auth)(other).login(org.secretary)
    cached(client)
    cached(other)
    resp = client.post("/account/password", data={"current_password": "pw", "new_password": "Hongqi-2026-Lianxin",
                                                  "confirm_password": "Hongqi-2026-Lianxin"})
    assert resp.status_code == 302
    gone = other.get("/inbox/todo")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    page = html(client.get("/inbox/todo"))
    assert "密码已修改" in page
    assert "密码已修改" not in html(get(client))
    assert "密码已修改" not in html(cached(client))


def test_an_idle_session_gets_no_cached_page_but_the_timeout(app, org, auth, client, waiting, clock):
    auth.login(org.secretary)
    cached(client)
    clock.advance(minutes=29)
    assert served_from_cache(get(client))  # still within the idle timeout
    clock.advance(minutes=30)
    resp = client.get("/inbox/todo")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    [ended] = events("auth.session_timeout")
    assert ended.user_id == org.secretary.id and detail(ended)["reason"] == "idle"
    assert "登录已超时，请重新登录" in html(client.get(resp.headers["Location"]))


def test_an_account_disabled_meanwhile_gets_no_cached_page(app, org, auth, client, waiting):
    auth.login(org.secretary)
    cached(client)
    org.secretary.active = False
    db.session.commit()
    resp = client.get("/inbox/todo")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_under_single_sign_on_the_proxy_header_decides_before_a_cached_page(app, org, client, waiting):
    """The guard may switch users from the proxy's header: the lookup waits for it."""
    app.config.update(AUTH_TRUSTED_HEADER=HEADER, AUTH_TRUSTED_PROXIES=[PROXY], WTF_CSRF_ENABLED=False)
    as_secretary = {"headers": {HEADER: "secretary"}, "environ_base": {"REMOTE_ADDR": PROXY}}
    page = cached(client, **as_secretary)
    assert f'id="inbox-item-{waiting.id}"' in html(page)
    switched = get(client, headers={HEADER: "member"}, environ_base={"REMOTE_ADDR": PROXY})
    assert not served_from_cache(switched)
    assert f'id="inbox-item-{waiting.id}"' not in html(switched)
    assert events("auth.login")[-1].user_id == org.member.id


def test_two_sessions_of_one_user_never_share_a_page_or_a_csrf_token(app, org, client, waiting):
    def secret(token):  # a token is "<the session's secret>.<time>.<signature>"
        return token.split(".")[0]

    first, second = client, app.test_client()
    first_token, second_token = csrf_login(first, org.secretary), csrf_login(second, org.secretary)
    first_page, second_page = html(cached(first)), html(cached(second))
    assert secret(first_token) != secret(second_token)
    assert secret(body_token(first_page)) == secret(first_token)
    assert secret(body_token(second_page)) == secret(second_token)
    assert secret(first_token) not in second_page
    # Each page's token is the one its own session accepts.
    comment = f"/requests/{waiting.id}/comment"
    assert second.post(comment, data={"text": "请补充材料", "csrf_token": form_token(first_page)}).status_code == 400
    assert second.post(comment, data={"text": "请补充材料", "csrf_token": form_token(second_page)}).status_code == 302


def test_a_flash_message_shows_once_and_is_never_cached_away(app, org, auth, client):
    setup_settings(org)
    draft = new_condolence(org.member, org.secretary, submit=False)
    auth.login(org.secretary)
    assert f'id="inbox-item-{draft.id}"' in html(cached(client, "/inbox/mine"))
    resp = client.post(f"/requests/{draft.id}/act", data={"action": "delete_draft", "version": draft.version})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox/mine")
    shown = html(get(client, "/inbox/mine"))
    assert "已删除草稿" in shown and f'id="inbox-item-{draft.id}"' not in shown
    again = html(get(client, "/inbox/mine"))
    assert "已删除草稿" not in again and f'id="inbox-item-{draft.id}"' not in again


def test_with_redis_down_pages_are_built_and_a_write_made_meanwhile_is_never_hidden(app, org, auth, client, waiting):
    auth.login(org.secretary)
    cached(client)
    redis_url = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = CLOSED_REDIS_URL
    try:
        page = get(client)
        assert "X-Page-Cache" not in page.headers and f'id="inbox-item-{waiting.id}"' in html(page)
        db.session.execute(update(Request).where(Request.id == waiting.id).values(number="DF-DOWN-0001"))
        db.session.commit()  # the increment fails: this process owes it
        assert "DF-DOWN-0001" in html(get(client))
    finally:
        app.config["REDIS_URL"] = redis_url
    # Redis is back, and with it the page cached before: the owed increment is paid first.
    page = get(client)
    assert "DF-DOWN-0001" in html(page) and not served_from_cache(page)


# --- the data version -------------------------------------------------------------------------------

@pytest.mark.parametrize("statement, writes", [
    ("SELECT requests.id FROM requests WHERE requests.id = ?", False),
    ("select id from requests for update", False),
    ("  \n SELECT 1", False),
    ("WITH RECURSIVE sub(id) AS (SELECT id FROM organizations) SELECT * FROM sub", False),
    ("PRAGMA table_info(requests)", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("INSERT INTO audit_events (action) VALUES (?)", True),
    ("UPDATE requests SET version=? WHERE requests.id = ? AND requests.version = ?", True),
    ("update requests set title = 'x'", True),
    ("DELETE FROM attachments WHERE id = ?", True),
    ("/* a comment */ DELETE FROM attachments", True),
    ("-- why\nINSERT INTO t VALUES (1)", True),
    ("WITH moved AS (UPDATE requests SET title = 'x' RETURNING id) SELECT count(*) FROM moved", True),
    ("TRUNCATE requests", True),
    ("CREATE TABLE t (id integer)", True),
])
def test_the_detector_tells_writes_from_reads(statement, writes):
    assert data_version.is_write(statement) is writes


def test_only_a_committed_write_moves_the_version_and_only_after_its_commit(app, org, monkeypatch):
    versions = data_version.of(app)

    def version():
        return int(versions.redis().get(versions.key))

    start = version()
    db.session.scalars(select(Request)).all()
    db.session.commit()
    assert version() == start  # reads only
    db.session.execute(update(Request).values(number="不会保存"))
    db.session.rollback()
    assert version() == start  # rolled back
    waiver = new_waiver(org.member)
    assert version() > start
    # When the version moves, another connection already sees the row: a page built from the new
    # version can never miss it.
    seen = []
    real_bump = data_version.DataVersion.bump

    def bump(self):
        with db.engine.connect() as other:
            seen.append(other.scalar(select(Request.number).where(Request.id == waiver.id)))
        real_bump(self)

    monkeypatch.setattr(data_version.DataVersion, "bump", bump)
    before = version()
    db.session.execute(update(Request).where(Request.id == waiver.id).values(number="DF-SEEN-0001"))
    db.session.commit()
    assert seen == ["DF-SEEN-0001"] and version() == before + 1
