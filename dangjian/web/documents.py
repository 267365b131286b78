"""Downloads of archived documents and uploaded attachments, only inside the user's scope."""
import os

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..documents import storage
from ..extensions import db
from ..models import Attachment, Document, DocumentStatus
from ..scope import visible_requests
from ..models import Request

bp = Blueprint("documents", __name__)


@bp.route("/documents/<int:document_id>/download")
@login_required
def download(document_id: int):
    doc = db.session.scalar(select(Document).join(Request, Request.id == Document.request_id)
                            .where(Document.id == document_id, visible_requests(current_user)))
    if doc is None or doc.status is not DocumentStatus.DONE:
        abort(404)
    path = storage.open_archived(current_app.config["ARCHIVE_DIR"], doc.storage_path)
    if storage.sha256_file(path) != doc.sha256:
        current_app.logger.error("archive integrity check failed for document %s", doc.id)
        abort(500)
    audit.record("document.download", doc, number=doc.request.number, sha256=doc.sha256)
    db.session.commit()
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=doc.download_name)


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    att = db.session.scalar(select(Attachment).join(Request, Request.id == Attachment.request_id)
                            .where(Attachment.id == attachment_id, visible_requests(current_user)))
    if att is None:
        abort(404)
    path = os.path.join(current_app.config["UPLOAD_DIR"], att.storage_path)
    if not os.path.isfile(path):
        abort(404)
    audit.record("attachment.download", att, filename=att.filename)
    db.session.commit()
    return send_file(path, mimetype=att.content_type, as_attachment=True, download_name=att.filename)
