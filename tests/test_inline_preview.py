"""预览: attachments and archived PDFs open in the browser, PDF and images only, inside a sandboxing
CSP; any other type still downloads. Same scope as the download (404 outside it and for the 系统管理员),
and an audit row of its own.

And the 待办 处理 panel: an approver sees the application (its reason text and its attachments with
预览 and 下载) next to the buttons, for each of the four request types.
"""
import hashlib
import json
import os
from urllib.parse import quote

import pytest
from flask import current_app
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Attachment, AuditEvent
from tests.factories import new_waiver
from tests.test_scope import approved_waiver, finish_document

HX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n% test evidence\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
DOCX = b"PK\x03\x04" + b"\x00" * 16


def attach(req, user, data, filename, content_type, kind="evidence") -> Attachment:
    rel = f"test/{req.id}-{hashlib.sha256(filename.encode()).hexdigest()[:8]}"
    path = os.path.join(current_app.config["UPLOAD_DIR"], rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    att = Attachment(request_id=req.id, kind=kind, filename=filename, storage_path=rel,
                     sha256=hashlib.sha256(data).hexdigest(), size=len(data), content_type=content_type,
                     uploaded_by_id=user.id)
    db.session.add(att)
    db.session.commit()
    return att


def assert_inline(resp, name, mimetype):
    assert resp.status_code == 200 and resp.mimetype == mimetype
    assert resp.headers["Content-Disposition"] == f"inline; filename*=UTF-8''{quote(name)}"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    csp = resp.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script-src" not in csp


def test_a_pdf_and_an_image_open_inline_in_a_sandbox(app, org, auth, client):
    req = new_waiver(org.member)
    pdf = attach(req, org.member, PDF, "困难证明.pdf", "application/pdf")
    png = attach(req, org.member, PNG, "病历照片.png", "image/png")
    auth.login(org.secretary)
    resp = client.get(f"/attachments/{pdf.id}/preview")
    assert_inline(resp, "困难证明.pdf", "application/pdf")
    assert resp.data == PDF
    resp = client.get(f"/attachments/{png.id}/preview")
    assert_inline(resp, "病历照片.png", "image/png")
    assert resp.data == PNG
    # the 下载 link keeps downloading
    resp = client.get(f"/attachments/{pdf.id}")
    assert resp.headers["Content-Disposition"].startswith("attachment;") and resp.data == PDF


@pytest.mark.parametrize("data,name,ctype", [
    (DOCX, "申请书.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"<html><script>alert(1)</script>", "伪装.png", "image/png"),  # bytes that are not what the type says
])
def test_any_other_file_is_never_inline_and_downloads(app, org, auth, client, data, name, ctype):
    req = new_waiver(org.member)
    att = attach(req, org.member, data, name, ctype)
    auth.login(org.secretary)
    resp = client.get(f"/attachments/{att.id}/preview")
    assert resp.status_code == 200 and resp.data == data
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name)}" in disposition
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"


def test_the_archived_pdf_opens_inline(app, org, auth, client, redis_conn):
    req = approved_waiver(org)
    doc = finish_document(req)
    auth.login(org.member)
    resp = client.get(f"/documents/{doc.id}/preview")
    assert_inline(resp, doc.download_name, "application/pdf")
    assert hashlib.sha256(resp.data).hexdigest() == doc.sha256
    assert client.get(f"/documents/{doc.id}/download").headers["Content-Disposition"].startswith("attachment;")
    widget = client.get(f"/requests/{req.id}/documents").get_data(as_text=True)
    assert f'href="/documents/{doc.id}/preview"' in widget and "预览" in widget


@pytest.mark.parametrize("who", ["member2", "secretary_a2", "secretary_b", "secondary_b", "direct_secretary",
                                 "sysadmin"])
def test_outsiders_and_the_administrator_get_404(app, org, auth, client, who):
    req = new_waiver(org.member)
    att = attach(req, org.member, PDF, "困难证明.pdf", "application/pdf")
    auth.login(getattr(org, who))
    resp = client.get(f"/attachments/{att.id}/preview")
    assert resp.status_code == 404 and not resp.data.startswith(b"%PDF")


def test_document_preview_is_404_for_the_administrator(app, org, auth, client, redis_conn):
    req = approved_waiver(org)
    doc = finish_document(req)
    for who in ("sysadmin", "secretary_b"):
        auth.login(getattr(org, who))
        assert client.get(f"/documents/{doc.id}/preview").status_code == 404


def test_a_preview_writes_its_own_audit_row(app, org, auth, client):
    req = new_waiver(org.member)
    att = attach(req, org.member, PDF, "困难证明.pdf", "application/pdf")
    auth.login(org.secretary)
    assert client.get(f"/attachments/{att.id}/preview").status_code == 200
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("attachment.%")).order_by(AuditEvent.id)).all()
    assert [(r.action, r.user_id, r.object_type, r.object_id) for r in rows] == [
        ("attachment.preview", org.secretary.id, "attachments", att.id)]
    assert json.loads(rows[0].detail)["filename"] == "困难证明.pdf"


def test_a_document_preview_is_audited_with_its_checksum(app, org, auth, client, redis_conn):
    req = approved_waiver(org)
    doc = finish_document(req)
    auth.login(org.supervisor)
    assert client.get(f"/documents/{doc.id}/preview").status_code == 200
    (row,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("document.%")).order_by(AuditEvent.id)).all()
    assert (row.action, row.user_id, row.object_id) == ("document.preview", org.supervisor.id, doc.id)
    assert json.loads(row.detail) == {"number": req.number, "sha256": doc.sha256}
