"""Downloads of archived documents and uploaded attachments, only inside the user's scope."""
import hashlib
import io
import os

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..accounts.permissions import is_sysadmin
from ..documents import storage
from ..extensions import db
from ..models import Attachment, Document, DocumentStatus, Request
from ..scope import visible_requests

bp = Blueprint("documents", __name__)


@bp.route("/documents/<int:document_id>/download")
@login_required
def download(document_id: int):
    """An archived PDF, for people who may see its request; 404 for anyone else and until done.

    The bytes sent are the bytes checked: read once, hashed, compared with the stored SHA-256.
    A file changed or lost on disk is refused (500) and logged, never served.
    """
    if is_sysadmin(current_user):
        abort(404)  # 三员分立: the 系统管理员 downloads no document, not even a published one
    doc = db.session.scalar(select(Document).join(Request, Request.id == Document.request_id)
                            .where(Document.id == document_id, visible_requests(current_user)))
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
    audit.record("document.download", doc, **owner, sha256=doc.sha256)
    db.session.commit()
    resp = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=doc.download_name, max_age=0)
    resp.headers["Cache-Control"] = "no-store"  # never kept by the browser or a proxy
    return resp


def _archive_error(doc: Document):
    message = f"归档文件《{doc.download_name}》校验失败，为保证文件真实，已拒绝下载。请联系组织部处理。"
    return render_template("errors/error.html", code=500, message=message), 500


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    if is_sysadmin(current_user):
        abort(404)  # 三员分立
    att = db.session.scalar(select(Attachment).join(Request, Request.id == Attachment.request_id)
                            .where(Attachment.id == attachment_id, visible_requests(current_user)))
    if att is None:
        abort(404)
    path = os.path.join(current_app.config["UPLOAD_DIR"], att.storage_path)
    if not os.path.isfile(path):
        abort(404)
    audit.record("attachment.download", att, filename=att.filename)
    db.session.commit()
    resp = send_file(path, mimetype=att.content_type, as_attachment=True, download_name=att.filename)
    resp.headers["Cache-Control"] = "no-store"  # never kept by the browser or a proxy
    return resp
