"""The audit trail (read by 纪委/监督): one row for every action a user takes — login, failed
login, logout, each workflow action, and each download of a document or an attachment."""
import json

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent
from tests.factories import new_waiver
from tests.test_scope import add_attachment, approved_waiver, finish_document


def events(action=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalars(query).all()


def test_login_failed_login_and_logout(app, org, auth, client):
    auth.login(org.member)
    client.post("/logout")
    resp = client.post("/login", data={"username": "member", "password": "wrong"})
    assert "账号或密码不正确" in resp.get_data(as_text=True)
    client.post("/login", data={"username": "nobody", "password": "pw"})
    rows = [(e.action, e.user_id, e.ip) for e in events() if e.action.startswith("auth.")]
    # auth.login posts /logout first, as an anonymous visitor: not audited (nobody was logged in).
    assert rows[0] == ("auth.login", org.member.id, "127.0.0.1")
    assert rows[1] == ("auth.logout", org.member.id, "127.0.0.1")
    assert rows[2][:2] == ("auth.login_failed", None) and rows[3][:2] == ("auth.login_failed", None)
    assert [json.loads(e.detail)["username"] for e in events("auth.login_failed")] == ["member", "nobody"]
    assert all("wrong" not in e.detail for e in events())  # never the password
    assert rows[4:] == []


def test_an_inactive_account_cannot_log_in_and_is_audited(app, org, auth, client):
    org.member.active = False
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    resp = client.post("/login", data={"username": "member", "password": "pw"})
    assert resp.status_code == 200 and "账号或密码不正确" in resp.get_data(as_text=True)
    assert [e.action for e in events()] == ["auth.login_failed"]


ACT = {"opinion": "同意", "meeting_type": "branch_committee", "meeting_date": "2026-01-05",
       "votes_for": "5", "votes_against": "0", "votes_abstain": "0"}


@pytest.mark.parametrize("action,user_key,extra", [
    ("approve", "secretary", {}), ("reject", "secretary", {"opinion": "不符合条件", "votes_for": "1", "votes_against": "4"}),
    ("return", "committee", {"opinion": "请补充材料"}), ("withdraw", "member", {}),
])
def test_each_workflow_action_over_the_web_is_audited(app, org, auth, client, action, user_key, extra):
    req = new_waiver(org.member)
    user = getattr(org, user_key)
    auth.login(user)
    resp = client.post(f"/requests/{req.id}/act", data={**ACT, **extra, "action": action, "version": "1"})
    assert resp.status_code == 200
    rows = events(f"request.{action}")
    assert len(rows) == 1
    row = rows[0]
    detail = json.loads(row.detail)
    assert (row.user_id, row.object_id, row.ip) == (user.id, req.id, "127.0.0.1")
    assert (detail["number"], detail["from_state"], detail["step"]) == (req.number, "pending", "branch")


def test_a_refused_action_leaves_no_audit_row(app, org, auth, client):
    req = new_waiver(org.member)
    auth.login(org.committee)
    client.post(f"/requests/{req.id}/act", data={**ACT, "action": "reject", "opinion": "", "version": "1"})
    assert events("request.reject") == []


def test_submit_and_resubmit_are_audited(app, org):
    from dangjian.workflow import Action, apply_action
    req = new_waiver(org.member)
    apply_action(req, org.secretary, Action.RETURN, opinion="请补充")
    apply_action(req, org.member, Action.SUBMIT)
    assert [(e.action, e.user_id) for e in events() if e.object_id == req.id] == [
        ("request.create", org.member.id), ("request.submit", org.member.id),
        ("request.return", org.secretary.id), ("request.submit", org.member.id)]


def test_document_and_attachment_downloads_are_audited(app, org, auth, client):
    req = approved_waiver(org)
    doc = finish_document(req)
    att = add_attachment(req, org.member)
    auth.login(org.supervisor)
    assert client.get(f"/documents/{doc.id}/download").status_code == 200
    assert client.get(f"/attachments/{att.id}").status_code == 200
    (d,) = events("document.download")
    assert (d.user_id, d.object_type, d.object_id) == (org.supervisor.id, "documents", doc.id)
    assert json.loads(d.detail) == {"number": req.number, "sha256": doc.sha256}
    (a,) = events("attachment.download")
    assert (a.user_id, a.object_type, a.object_id) == (org.supervisor.id, "attachments", att.id)
    assert json.loads(a.detail)["filename"] == att.filename


def test_a_refused_download_is_not_audited_as_a_download(app, org, auth, client):
    req = approved_waiver(org)
    doc = finish_document(req)
    auth.login(org.member_b)
    assert client.get(f"/documents/{doc.id}/download").status_code == 404
    assert events("document.download") == []
