"""作废 from either side, one operation (documents.validity.void): voiding a 批复 in the archive voids
its 文号 in the register, and voiding the 文号 in the register voids the 批复 in the archive; either
way every version carrying the number is void with it, and the act is audited once."""
import json

import pytest
from sqlalchemy import select

from dangjian.documents import jobs
from dangjian.extensions import db
from dangjian.models import AuditEvent, DocNumber, Document
from dangjian.request_types.dues_waiver.model import DuesWaiver
from tests.test_document_jobs import approved_request, run_worker


@pytest.fixture
def replies(app, org, redis_conn):
    """An approved 党费减免, rendered: its 审批表 and its 批复 in two versions (a re-render keeps the
    批复's 文号)."""
    req = approved_request(org)
    spec = next(d for d in DuesWaiver.workflow.documents if d.kind == "dues_waiver_reply")
    jobs.create_documents(req, [spec])
    db.session.commit()
    assert run_worker()
    docs = list(db.session.scalars(select(Document).where(Document.request_id == req.id).order_by(Document.id)))
    form = next(d for d in docs if d.kind == "dues_waiver_form")
    v1, v2 = [d for d in docs if d.kind == "dues_waiver_reply"]
    assert [d.status.value for d in docs] == ["done"] * 3, [d.error for d in docs]
    assert v1.doc_number and v1.doc_number == v2.doc_number
    entry = db.session.scalars(select(DocNumber).where(DocNumber.number == v1.doc_number)).one()
    return form, v1, v2, entry


def _audits():
    return [(e.action, e.object_id, json.loads(e.detail)) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(("document.void", "doc_number.void"))).order_by(AuditEvent.id))]


def _row(html: str, doc_id: int) -> str:
    row = html[html.index(f'id="archive-doc-{doc_id}"'):]
    return row[:row.index("</tr>")]


def test_voiding_a_reply_in_the_archive_voids_its_number_in_the_register(app, org, auth, client, replies):
    form, v1, v2, entry = replies
    auth.login(org.org_dept_user)
    # The 作废 page says beforehand that the 文号 goes with the document, and the other version too.
    page = client.get(f"/archive/{v2.id}/void").get_data(as_text=True)
    assert f"文号 {entry.number} 将在文号登记簿中一并作废" in page and "使用该文号的第1版、第2版同时作废" in page
    resp = client.post(f"/archive/{v2.id}/void", data={"reason": "批复内容有误，重新印发"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert f"文号 {entry.number} 已在文号登记簿中一并作废，使用该文号的第1版同时作废" in html
    for doc in (v1, v2):
        assert 'data-validity="voided"' in _row(html, doc.id) and "批复内容有误，重新印发" in _row(html, doc.id)
    assert 'data-validity="valid"' in _row(html, form.id)  # the 审批表 carries no number: it stands
    register = client.get("/documents/numbers/", query_string={"status": "void"}).get_data(as_text=True)
    assert "共 1 个文号" in register and entry.number in register and "批复内容有误，重新印发" in register
    db.session.expire_all()
    entry = db.session.get(DocNumber, entry.id)
    assert (entry.void_reason, entry.voided_by_id) == ("批复内容有误，重新印发", org.org_dept_user.id)
    [(action, object_id, detail)] = _audits()
    assert (action, object_id) == ("document.void", v2.id)
    assert detail["doc_number"] == entry.number and sorted(detail["documents"]) == [v1.id, v2.id]
    # /verify says 已作废 for the version voided along with the number.
    assert "已作废" in app.test_client().get(f"/verify/{v1.verification_code}").get_data(as_text=True)


def test_voiding_the_number_in_the_register_voids_the_reply_in_the_archive(app, org, auth, client, replies):
    form, v1, v2, entry = replies
    auth.login(org.org_dept_user)
    resp = client.post(f"/documents/numbers/{entry.id}/void", data={"reason": "误取号"}, follow_redirects=True)
    assert f"已作废文号 {entry.number}" in resp.get_data(as_text=True)
    html = client.get("/archive/").get_data(as_text=True)
    for doc in (v1, v2):
        row = _row(html, doc.id)
        assert 'data-validity="voided"' in row and "误取号" in row
        assert f'href="/archive/{doc.id}/void' not in row  # nothing left to void there
    assert 'data-validity="valid"' in _row(html, form.id)
    [(action, object_id, detail)] = _audits()
    assert (action, object_id) == ("doc_number.void", entry.id)
    assert detail["number"] == entry.number and detail["documents"] == [v1.id, v2.id]
    # And the archive cannot void them a second time, nor write a second row.
    again = client.post(f"/archive/{v1.id}/void", data={"reason": "再作废"}, follow_redirects=True)
    assert "作废，不能重复作废" in again.get_data(as_text=True)
    assert len(_audits()) == 1


def test_voiding_an_older_version_in_the_archive_takes_the_newer_one_with_it(app, org, auth, client, replies):
    """A 文号 names one 公文: its versions are void together, whichever was voided."""
    _, v1, v2, entry = replies
    auth.login(org.org_dept_user)
    client.post(f"/archive/{v1.id}/void", data={"reason": "旧版误发"})
    db.session.expire_all()
    assert db.session.get(Document, v2.id).void_reason == "旧版误发"
    assert db.session.get(DocNumber, entry.id).void_reason == "旧版误发"
    # The number is never issued again: the next version of the 批复 takes a new one.
    spec = next(d for d in DuesWaiver.workflow.documents if d.kind == "dues_waiver_reply")
    [v3] = jobs.create_documents(db.session.get(Document, v1.id).request, [spec])
    db.session.commit()
    assert v3.doc_number and v3.doc_number != entry.number and v3.voided_at is None
