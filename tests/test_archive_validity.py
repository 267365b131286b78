"""The archive shows each document's validity (有效 / 已作废 / 已被新版本替代) on the page and in the
ZIP's manifest, and 组织部 voids a document there with a reason — which /verify then reports as
已作废. 纪委 reads and cannot void; everyone else gets 404."""
import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Document
from tests.test_archive import archived  # noqa: F401  (the fixture: two rendered 党费减免 forms)
from tests.test_verify import public  # noqa: F401


def _state_cell(html: str, doc_id: int) -> str:
    row = html[html.index(f'id="archive-doc-{doc_id}"'):]
    row = row[:row.index("</tr>")]
    return row[row.index("data-validity="):][:300]


def _newer_version_of(doc: Document) -> Document:
    newer = Document(request_id=doc.request_id, kind=doc.kind, part=doc.part, title=doc.title,
                     template=doc.template, version=doc.version + 1, status=doc.status,
                     storage_path=doc.storage_path, sha256=doc.sha256, size=doc.size, created_at=doc.created_at)
    db.session.add(newer)
    db.session.commit()
    return newer


def _void(client, doc, reason="文号登记有误，重新发文", **args):
    return client.post(f"/archive/{doc.id}/void", data={"reason": reason, **args})


def test_the_page_and_the_manifest_show_each_versions_validity(app, org, auth, client, archived):  # noqa: F811
    _, _, docs = archived
    newer = _newer_version_of(docs[0])
    auth.login(org.supervisor)
    html = client.get("/archive/").get_data(as_text=True)
    assert '"superseded"' in _state_cell(html, docs[0].id) and "已被新版本替代" in _state_cell(html, docs[0].id)
    assert '"valid"' in _state_cell(html, newer.id) and '"valid"' in _state_cell(html, docs[1].id)
    assert "作废原因" not in html  # 纪委 reads: no 作废 form
    with zipfile.ZipFile(io.BytesIO(client.get("/archive/export.zip").data)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    by_version = {(r["申请编号"], r["版本"]): r["状态"] for r in rows}
    number = docs[0].request.number
    assert by_version[(number, "1")] == "已被新版本替代" and by_version[(number, "2")] == "有效"
    assert by_version[(docs[1].request.number, "1")] == "有效"


def test_org_dept_voids_a_document_and_verify_reports_it(app, public, org, auth, client, archived):  # noqa: F811
    _, _, docs = archived
    doc = docs[1]
    auth.login(org.org_dept_user)
    page = client.get("/archive/").get_data(as_text=True)
    assert f'href="/archive/{doc.id}/void?year=' in page
    form = client.get(f"/archive/{doc.id}/void?year={doc.created_at.year}").get_data(as_text=True)
    assert f'action="/archive/{doc.id}/void"' in form and "hx-confirm=\"确定作废《党费减免审批表》（第1版）吗" in form
    assert "文号登记簿中一并作废" not in form  # a 审批表 carries no 文号
    resp = _void(client, doc, year=str(doc.created_at.year))
    assert resp.status_code == 302 and "/archive/" in resp.headers["Location"]
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已作废《" in html
    assert '"voided"' in _state_cell(html, doc.id) and "文号登记有误，重新发文" in _state_cell(html, doc.id)
    assert f'href="/archive/{doc.id}/void' not in html  # no second 作废
    db.session.expire_all()
    assert db.session.get(Document, doc.id).void_reason == "文号登记有误，重新发文"
    events = [json.loads(e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "document.void"))]
    assert [e["reason"] for e in events] == ["文号登记有误，重新发文"]
    reader = app.test_client()  # a campus reader of a forwarded copy: no account
    text = reader.get(f"/verify/{doc.verification_code}").get_data(as_text=True)
    assert "已作废" in text
    # The other document still stands.
    assert "已作废" not in reader.get(f"/verify/{docs[0].verification_code}").get_data(as_text=True)


@pytest.mark.parametrize("reason,message", [("", "请填写作废原因"), ("理" * 201, "作废原因不能超过200字")])
def test_a_void_without_a_good_reason_changes_nothing(app, org, auth, client, archived, reason, message):  # noqa: F811
    _, _, docs = archived
    auth.login(org.org_dept_user)
    resp = _void(client, docs[0], reason=reason)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and message in html  # the form again, the message at its field
    db.session.expire_all()
    assert db.session.get(Document, docs[0].id).voided_at is None
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "document.void")) == 0


def test_voiding_twice_is_refused_with_the_reason_kept(app, org, auth, client, archived):  # noqa: F811
    _, _, docs = archived
    auth.login(org.org_dept_user)
    _void(client, docs[0], reason="第一次")
    html = client.get(_void(client, docs[0], reason="第二次").headers["Location"]).get_data(as_text=True)
    assert "作废，不能重复作废" in html
    db.session.expire_all()
    assert db.session.get(Document, docs[0].id).void_reason == "第一次"


@pytest.mark.parametrize("who", ["supervisor", "secretary", "secondary", "school_user", "sysadmin"])
def test_only_org_dept_voids(app, org, auth, client, archived, who):  # noqa: F811
    _, _, docs = archived
    auth.login(getattr(org, who))
    assert _void(client, docs[0]).status_code == 404
    assert client.get(f"/archive/{docs[0].id}/void").status_code == 404
    db.session.expire_all()
    assert db.session.get(Document, docs[0].id).voided_at is None


def test_an_unknown_document_is_404(app, org, auth, client, archived):  # noqa: F811
    auth.login(org.org_dept_user)
    assert client.post("/archive/999999/void", data={"reason": "x"}).status_code == 404
