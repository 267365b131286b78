"""Downloads and inline previews of archived documents and uploaded attachments, only inside the
user's scope (not to people who see a request only because it was copied to them: workflow.cc).
A preview shows PDF and images in the browser tab, inside a sandboxing CSP; any other type is
never served inline and downloads instead."""
import hashlib
import io
import os
from urllib.parse import quote

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..accounts.permissions import is_sysadmin
from ..documents import storage
from ..extensions import db
from ..models import Attachment, Document, DocumentStatus, Request
from ..scope import visible_requests
from ..uploads import INLINE_TYPES, stored_path

bp = Blueprint("documents", __name__)

# A preview runs no script and loads nothing: the sandbox gives the file an opaque origin, so even a
# crafted PDF or image reaches no cookie and no page of ours. Chromium's PDF viewer (a
# chrome-extension frame) still starts under this policy: tests/test_browser_preview.py shows it.
PREVIEW_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"


def inline_ok(content_type: str, data: bytes) -> bool:
    """Shown in the browser only if the type is one it displays and the bytes really are that type."""
    magic = INLINE_TYPES.get(content_type)
    return bool(magic) and data.startswith(magic) and (
        content_type != "image/webp" or data[8:12] == b"WEBP")


def _send(data: bytes, content_type: str, name: str, preview: bool):
    """The file as a download, or (preview, for an inline-safe type only) shown in the browser."""
    inline = preview and inline_ok(content_type, data)
    resp = send_file(io.BytesIO(data), mimetype=content_type or "application/octet-stream",
                     as_attachment=not inline, download_name=name, max_age=0)
    if inline:
        resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
        resp.headers["Content-Security-Policy"] = PREVIEW_CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"  # never kept by the browser or a proxy
    return resp


def send_upload(f, audit_prefix: str, preview: bool, user=None):
    """An uploaded file (a row with storage_path, filename, content_type), already loaded through
    the user's scope: 404 when its file is gone from disk, an audit row (`<audit_prefix>.preview`
    or `.download`), and the bytes, inline only when safe. Every module's file links end here."""
    path = stored_path(f)
    if not os.path.isfile(path):
        abort(404)
    with open(path, "rb") as fh:
        data = fh.read()
    audit.record(f"{audit_prefix}.{'preview' if preview else 'download'}", f, user=user, filename=f.filename)
    db.session.commit()
    return _send(data, f.content_type, f.filename, preview)


@bp.route("/documents/<int:document_id>/download")
@login_required
def download(document_id: int):
    """An archived PDF, for people who may see its request; 404 for anyone else and until done.

    The bytes sent are the bytes checked: read once, hashed, compared with the stored SHA-256.
    A file changed or lost on disk is refused (500) and logged, never served.
    """
    return _document(document_id, preview=False)


@bp.route("/documents/<int:document_id>/preview")
@login_required
def preview(document_id: int):
    """The same archived PDF, shown in the browser (预览); same scope, same check, its own audit row."""
    return _document(document_id, preview=True)


def _document(document_id: int, preview: bool):
    if is_sysadmin(current_user):
        abort(404)  # 三员分立: the 系统管理员 downloads no document, not even a published one
    doc = db.session.scalar(select(Document).join(Request, Request.id == Document.request_id)
                            .where(Document.id == document_id, visible_requests(current_user, copies=False)))
    if doc is None:
        # A cycle document (公示 notice, 表彰决定) exists only once published: every logged-in user.
        doc = db.session.scalar(select(Document).where(Document.id == document_id,
                                                       Document.award_cycle_id.is_not(None)))
    if doc is None or doc.status is not DocumentStatus.DONE:
        abort(404)
    try:
        data = storage.open_archived(current_app.config["ARCHIVE_DIR"], doc.storage_path).read_bytes()
    except (OSError, storage.UnsafeArchivePath) as exc:
        current_app.logger.error("document %s: archived file unreadable: %s", doc.id, exc)
        return _archive_error(doc)
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        current_app.logger.error("document %s: archive integrity check failed (%s)", doc.id, doc.storage_path)
        return _archive_error(doc)
    owner = {"number": doc.request.number} if doc.request is not None else {"award_cycle_id": doc.award_cycle_id}
    audit.record("document.preview" if preview else "document.download", doc, **owner, sha256=doc.sha256)
    db.session.commit()
    return _send(data, "application/pdf", doc.download_name, preview)


def _archive_error(doc: Document):
    message = f"归档文件《{doc.download_name}》校验失败，为保证文件真实，已拒绝下载。请联系组织部处理。"
    return render_template("errors/error.html", code=500, message=message), 500


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    return _attachment(attachment_id, preview=False)


@bp.route("/attachments/<int:attachment_id>/preview")
@login_required
def attachment_preview(attachment_id: int):
    """预览: PDF and images in the browser; any other type downloads. Same scope and audit."""
    return _attachment(attachment_id, preview=True)


def _attachment(attachment_id: int, preview: bool):
    if is_sysadmin(current_user):
        abort(404)  # 三员分立
    att = db.session.scalar(select(Attachment).join(Request, Request.id == Attachment.request_id)
                            .where(Attachment.id == attachment_id, visible_requests(current_user, copies=False)))
    if att is None:
        abort(404)
    return send_upload(att, "attachment", preview)
