"""CSRF on every POST, htmx included: without the token a POST is refused (400) and changes
nothing; with the token in the X-CSRFToken header (htmx sends it from hx-headers on <body>) it works.

These tests run with CSRF on, as users get the app: no `auth` fixture here.
"""
import re

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Request, RequestState
from tests.factories import new_waiver

TOKEN_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                         r'type="hidden" name="csrf_token" value="([^"]+)"|'
                         r'name="csrf_token" value="([^"]+)"')
TOKEN_HEADER = re.compile(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')


def form_token(html: str) -> str:
    m = TOKEN_INPUT.search(html)
    assert m, "no csrf_token input on the page"
    return next(g for g in m.groups() if g)


def body_token(html: str) -> str:
    m = TOKEN_HEADER.search(html)
    assert m, "no X-CSRFToken in hx-headers on <body>"
    return m.group(1)


def login(client, user, password="pw"):
    token = form_token(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return body_token(client.get("/inbox/todo").get_data(as_text=True))


def logged_in(client):
    return client.get("/inbox/todo").status_code == 200


def test_csrf_is_on(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


def test_login_without_token_is_refused(app, org, client):
    resp = client.post("/login", data={"username": "member", "password": "pw"})
    assert resp.status_code == 400
    assert "页面已过期" in resp.get_data(as_text=True)
    assert not logged_in(client)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "auth.login")) == 0


def test_login_with_token_in_the_header_succeeds(app, org, client):
    token = body_token(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": "member", "password": "pw"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 302
    assert logged_in(client)


def test_login_with_a_forged_token_is_refused(app, org, client):
    client.get("/login")
    resp = client.post("/login", data={"username": "member", "password": "pw", "csrf_token": "forged"})
    assert resp.status_code == 400
    assert not logged_in(client)


def test_logout_without_token_is_refused(app, org, client):
    login(client, org.member)
    assert client.post("/logout").status_code == 400
    assert logged_in(client)


def test_logout_with_token_in_the_header_succeeds(app, org, client):
    token = login(client, org.member)
    resp = client.post("/logout", headers={"X-CSRFToken": token})
    assert resp.status_code == 302
    assert not logged_in(client)


def _approve_data(req):
    return {"action": "approve", "version": str(req.version), "context": "inbox", "opinion": "同意",
            "meeting_type": "branch_committee", "meeting_date": "2026-01-05", "votes_for": "5",
            "votes_against": "0", "votes_abstain": "0"}


def _state(req_id):
    db.session.expire_all()
    req = db.session.get(Request, req_id)
    return req.state, req.current_step, req.version, len(req.timeline)


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_act_without_token_is_refused_and_changes_nothing(app, org, client, htmx):
    req = new_waiver(org.member)
    before = _state(req.id)
    login(client, org.secretary)
    headers = {"HX-Request": "true"} if htmx else {}
    resp = client.post(f"/requests/{req.id}/act", data=_approve_data(req), headers=headers)
    assert resp.status_code == 400
    assert _state(req.id) == before == (RequestState.PENDING, "branch", 1, 1)


def test_act_with_a_token_from_another_session_is_refused(app, org, client):
    req = new_waiver(org.member)
    foreign = login(app.test_client(), org.committee)  # another browser, another session
    login(client, org.secretary)
    resp = client.post(f"/requests/{req.id}/act", data=_approve_data(req),
                       headers={"HX-Request": "true", "X-CSRFToken": foreign})
    assert resp.status_code == 400
    assert _state(req.id)[0:2] == (RequestState.PENDING, "branch")


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_act_with_token_in_the_header_succeeds(app, org, client, htmx):
    req = new_waiver(org.member)
    token = login(client, org.secretary)
    headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if htmx else {})}
    resp = client.post(f"/requests/{req.id}/act", data=_approve_data(req), headers=headers)
    assert resp.status_code == 200
    assert _state(req.id)[0:3] == (RequestState.PENDING, "secondary", 2)


def test_act_with_token_in_the_form_succeeds(app, org, client):
    req = new_waiver(org.member)
    login(client, org.secretary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    data = {**_approve_data(req), "csrf_token": form_token(page)}
    assert client.post(f"/requests/{req.id}/act", data=data).status_code == 200
    assert _state(req.id)[1] == "secondary"


def _waiver_form(org):
    import io
    return {"member_id": str(org.member.member_id), "mode": "partial", "monthly_amount": "20.00",
            "start_month": "2026-01", "end_month": "2026-06", "hardship_category": "illness",
            "hardship_description": "本人患病住院，长期治疗，家庭经济困难。",
            "evidence": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "诊断证明.pdf")}


def test_new_dues_waiver_without_token_is_refused(app, org, client):
    login(client, org.member)
    resp = client.post("/dues-waivers/new", data=_waiver_form(org), content_type="multipart/form-data")
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count(Request.id))) == 0


def test_new_dues_waiver_with_token_in_the_header_succeeds(app, org, client):
    token = login(client, org.member)
    resp = client.post("/dues-waivers/new", data=_waiver_form(org), content_type="multipart/form-data",
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert db.session.scalar(select(func.count(Request.id))) == 1


@pytest.mark.parametrize("next_url,expected", [
    ("/inbox/done", "/inbox/done"),
    ("//evil.example/", "/"),
    ("/\\evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),  # still a path here; never a header
    ("javascript:alert(1)", "/"),
])
def test_login_redirects_only_inside_the_site(app, org, client, next_url, expected):
    token = form_token(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", query_string={"next": next_url},
                       data={"username": "member", "password": "pw", "csrf_token": token})
    assert resp.status_code == 302
    assert resp.headers["Location"] == expected
