"""Scope: every request URL answers 404 outside the user's organization subtree, and 200 inside.

A secretary of branch A cannot see branch B's requests, even by typing the URL; the system
administrator reads no request contents (三员分立).
"""
import hashlib
import os
import re
from datetime import date

import pytest
from flask import current_app
from sqlalchemy import select

from dangjian.documents import storage
from dangjian.extensions import db
from dangjian.models import Attachment, Document, DocumentStatus, Request, RequestState
from dangjian.scope import visible_requests
from tests.factories import approve, new_waiver

PDF_BYTES = b"%PDF-1.4\n% test evidence\n%%EOF\n"


def add_attachment(req, user, kind="evidence", data=PDF_BYTES, filename="困难证明.pdf") -> Attachment:
    rel = f"test/{req.id}-{kind}.pdf"
    path = os.path.join(current_app.config["UPLOAD_DIR"], rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    att = Attachment(request_id=req.id, kind=kind, filename=filename, storage_path=rel,
                     sha256=hashlib.sha256(data).hexdigest(), size=len(data), content_type="application/pdf",
                     uploaded_by_id=user.id)
    db.session.add(att)
    db.session.commit()
    return att


def finish_document(req, data=b"%PDF-1.4\n% rendered\n%%EOF\n") -> Document:
    """Mark the request's pending document DONE, as the worker would, with a real archived file."""
    doc = db.session.scalars(select(Document).where(Document.request_id == req.id)
                             .order_by(Document.id)).first()  # its form (an approved waiver has a 批复 too)
    relpath = f"{req.created_at.year}/{req.number}/{doc.kind}-v{doc.version}.pdf"
    sha256, size = storage.store(current_app.config["ARCHIVE_DIR"], relpath, data)
    doc.status, doc.storage_path, doc.sha256, doc.size = DocumentStatus.DONE, relpath, sha256, size
    db.session.commit()
    return doc


def approved_waiver(o):
    req = new_waiver(o.member)
    approve(req, o.secretary)
    approve(req, o.secondary)
    approve(req, o.school_user)
    return req


@pytest.fixture
def world(app, org):
    """A pending request (with an attachment) and an approved one (with its document done)."""
    # Two waivers of one member: for different months (the workflow refuses overlapping ones).
    pending = new_waiver(org.member, start_month=date(2026, 7, 1), end_month=date(2026, 12, 1))
    att = add_attachment(pending, org.member)
    done = approved_waiver(org)
    doc = finish_document(done)
    return {"pending": pending.id, "approved": done.id, "doc": doc.id, "att": att.id}


URLS = [
    ("GET", "/requests/{pending}"),
    ("GET", "/requests/{approved}"),
    ("GET", "/requests/{pending}/panel"),
    ("GET", "/requests/{pending}/panel?context=inbox"),
    ("GET", "/requests/{approved}/documents"),
    ("POST", "/requests/{pending}/act"),
    ("GET", "/dues-waivers/{pending}/edit"),
    ("POST", "/dues-waivers/{pending}/edit"),
    ("GET", "/documents/{doc}/download"),
    ("GET", "/attachments/{att}"),
]
OUTSIDERS = [
    "member_b",  # a member of another branch
    "member2",  # a member of the same branch who is neither initiator nor beneficiary
    "secretary_a2",  # the secretary of a sibling branch
    "secretary_b",  # the secretary of a branch of another unit
    "secondary_b",  # the secondary unit of another unit
    "direct_secretary",  # a 直属党支部's secretary
    "sysadmin",  # 三员分立: accounts only, no request contents
]


@pytest.mark.parametrize("method,url", URLS, ids=[f"{m} {u}" for m, u in URLS])
@pytest.mark.parametrize("user_key", OUTSIDERS)
def test_outside_the_scope_every_request_url_is_404(app, org, world, auth, client, user_key, method, url):
    auth.login(getattr(org, user_key))
    target = url.format(**world)
    if method == "POST":
        data = {"action": "approve", "version": "1", "opinion": "同意", "meeting_type": "branch_committee",
                "meeting_date": "2026-01-05", "votes_for": "5", "votes_against": "0", "votes_abstain": "0",
                "mode": "partial", "monthly_amount": "10.00", "start_month": "2026-01", "end_month": "2026-02",
                "hardship_category": "living", "hardship_description": "家庭经济困难，需要长期治疗。"}
        resp = client.post(target, data=data)
    else:
        resp = client.get(target)
    assert resp.status_code == 404, resp.get_data(as_text=True)[:300]
    body = resp.get_data(as_text=True)
    assert "王喆" not in body and "DF-" not in body
    db.session.expire_all()
    pending = db.session.get(Request, world["pending"])
    assert (pending.state, pending.current_step, pending.version) == (RequestState.PENDING, "branch", 1)


INSIDERS = ["member", "secretary", "committee", "secondary", "org_dept_user", "school_user", "supervisor"]
VIEW_URLS = ["/requests/{pending}", "/requests/{approved}", "/requests/{pending}/panel",
             "/requests/{approved}/documents", "/documents/{doc}/download", "/attachments/{att}"]


@pytest.mark.parametrize("user_key", INSIDERS)
def test_inside_the_scope_the_request_urls_answer(app, org, world, auth, client, user_key):
    auth.login(getattr(org, user_key))
    for url in VIEW_URLS:
        resp = client.get(url.format(**world))
        assert resp.status_code == 200, url
    page = client.get(f"/requests/{world['pending']}").get_data(as_text=True)
    assert "王喆" in page and "610***********" in page
    download = client.get(f"/documents/{world['doc']}/download")
    assert download.data.startswith(b"%PDF") and "attachment" in download.headers["Content-Disposition"]


def test_the_beneficiary_sees_a_request_filed_on_their_behalf(app, org, auth, client):
    req = new_waiver(org.member, initiator=org.committee)
    auth.login(org.member)
    assert client.get(f"/requests/{req.id}").status_code == 200
    # …but only the initiator edits it.
    assert client.get(f"/dues-waivers/{req.id}/edit").status_code in (403, 404)


def test_a_direct_branch_request_is_seen_by_its_secretary_and_the_school_only(app, org, auth, client):
    req = new_waiver(org.direct_member)
    for user_key, status in [("direct_secretary", 200), ("school_user", 200), ("secondary", 404),
                             ("secondary_b", 404), ("secretary", 404)]:
        auth.login(getattr(org, user_key))
        assert client.get(f"/requests/{req.id}").status_code == status, user_key


ITEM = re.compile(r'id="inbox-item-(\d+)"')


def test_inbox_lists_never_show_out_of_scope_requests(app, org, auth, client):
    app.config["PER_PAGE"] = 100
    reqs = {
        "a1": new_waiver(org.member),
        "a1_other": new_waiver(org.member2),
        "b1": new_waiver(org.member_b),
        "direct": new_waiver(org.direct_member),
    }
    approve(reqs["a1_other"], org.secretary)  # now at sec_a
    approve(reqs["b1"], org.secretary_b)
    approve(reqs["b1"], org.secondary_b)  # now at the school
    users = ["member", "member2", "member_b", "secretary", "committee", "secretary_a2", "secretary_b",
             "secondary", "secondary_b", "direct_secretary", "school_user", "org_dept_user", "supervisor",
             "sysadmin"]
    seen = {}
    for key in users:
        user = getattr(org, key)
        visible = set(db.session.scalars(select(Request.id).where(visible_requests(user))))
        auth.login(user)
        for tab in ("todo", "done", "mine"):
            ids = {int(i) for i in ITEM.findall(client.get(f"/inbox/{tab}").get_data(as_text=True))}
            assert ids <= visible, (key, tab)
            seen[key, tab] = ids
    assert seen["secretary", "todo"] == {reqs["a1"].id}
    assert seen["secretary", "done"] == {reqs["a1_other"].id}
    assert seen["secretary_a2", "todo"] == set()
    assert seen["secretary_b", "todo"] == set() and seen["secretary_b", "done"] == {reqs["b1"].id}
    assert seen["secondary", "todo"] == {reqs["a1_other"].id}
    assert seen["secondary_b", "todo"] == set()
    assert seen["direct_secretary", "todo"] == {reqs["direct"].id}
    assert seen["school_user", "todo"] == {reqs["b1"].id}
    assert seen["member", "mine"] == {reqs["a1"].id}
    assert seen["member_b", "mine"] == {reqs["b1"].id}
    assert all(not seen["sysadmin", tab] for tab in ("todo", "done", "mine"))
    assert all(not seen["supervisor", tab] for tab in ("todo", "done", "mine"))
