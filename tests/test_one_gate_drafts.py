"""删除草稿 through the engine (issue 8 §9): a transition like any other (the initiator, a draft only,
the version the page showed), recorded in the audit log with the request's number; the draft and its
attachments are removed. Who may and who may not: the table in test_condolence_workflow.py."""
import os

from sqlalchemy import select

from dangjian import uploads
from dangjian.extensions import db
from dangjian.models import Attachment, AuditEvent, Request
from dangjian.workflow import Action, AlreadyHandled, apply_action
from tests.factories_condolence import new_condolence, setup_settings

import pytest


@pytest.fixture
def o(app, org):
    setup_settings(org)
    return org


def _with_evidence(req, app):
    """A draft with an uploaded file, as if the initiator had attached one."""
    path = os.path.join(app.config["UPLOAD_DIR"], "2026", "01", "evidence.pdf")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"%PDF-1.4 evidence")
    req.attachments.append(Attachment(kind="evidence", filename="住院证明.pdf", storage_path="2026/01/evidence.pdf",
                                      sha256="0" * 64, size=17, content_type="application/pdf",
                                      uploaded_by_id=req.initiator_id))
    db.session.commit()
    return path


def test_the_initiator_deletes_a_draft_through_the_engine(o, app):
    draft = new_condolence(o.member, o.secretary, submit=False)
    draft_id, number = draft.id, draft.number
    path = _with_evidence(draft, app)
    assert apply_action(draft, o.secretary, Action.DELETE_DRAFT) is None
    db.session.expire_all()
    assert db.session.get(Request, draft_id) is None
    assert db.session.scalars(select(Attachment).where(Attachment.request_id == draft_id)).all() == []
    assert not os.path.exists(path)  # the member's hardship evidence does not outlive the draft
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.delete_draft")).one()
    assert (event.user_id, event.object_id) == (o.secretary.id, draft_id)
    assert number in event.detail and "王喆" in event.detail


def test_a_page_that_showed_an_older_version_deletes_nothing(o, app):
    draft = new_condolence(o.member, o.secretary, submit=False)
    seen = draft.version
    apply_action(draft, o.secretary, Action.SUBMIT)  # submitted from another tab
    with pytest.raises(AlreadyHandled):
        apply_action(draft, o.secretary, Action.DELETE_DRAFT, seen_version=seen)
    db.session.rollback()
    assert db.session.get(Request, draft.id) is not None


def test_the_draft_page_offers_deletion_with_a_confirmation(o, auth, client):
    draft = new_condolence(o.member, o.secretary, submit=False)
    auth.login(o.secretary)
    page = client.get(f"/requests/{draft.id}").get_data(as_text=True)
    assert f'action="/condolence/{draft.id}/delete"' in page
    assert f"确定删除草稿 {draft.number}（王喆）吗？删除后不能恢复。" in page
    assert f'name="version" value="{draft.version}"' in page
    auth.login(o.committee)  # another holder of the branch: not their draft, not even visible
    assert client.get(f"/requests/{draft.id}").status_code == 404


def test_a_stale_delete_from_the_draft_page_is_refused_in_chinese(o, auth, client):
    draft = new_condolence(o.member, o.secretary, submit=False)
    auth.login(o.secretary)
    seen = draft.version
    apply_action(draft, o.secretary, Action.SUBMIT)
    resp = client.post(f"/condolence/{draft.id}/delete", data={"version": seen}, follow_redirects=True)
    assert f"{draft.number} 已不是草稿，不能删除" in resp.get_data(as_text=True)
    assert db.session.get(Request, draft.id) is not None


def test_the_generic_action_endpoint_deletes_too_and_goes_back_to_my_requests(o, auth, client):
    draft = new_condolence(o.member, o.secretary, submit=False)
    number = draft.number
    auth.login(o.secretary)
    resp = client.post(f"/requests/{draft.id}/act", data={"action": "delete_draft", "version": draft.version})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox/mine")
    assert f"已删除草稿：{number}" in client.get("/inbox/mine").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, draft.id) is None
