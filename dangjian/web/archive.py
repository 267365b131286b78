"""文档归档: the archive browser and the ZIP export of a year, for 组织部 and 纪委 (issue 9 §6).

Who: 组织部 and 纪委/监督 (school-wide readers); anyone else gets 404, the 系统管理员 too (三员分立).
Both read: the page lists each document with its validity (有效 / 已作废 / 已被新版本替代), opens
(预览, through documents.preview) and downloads (through documents.download, each with its own audit
row); the export streams a ZIP with a manifest.
Viewing and exporting are audited with their filters. 组织部 (not 纪委) may void a document with a
reason (documents.validity.void, the operation the 文号 register uses too: a document's 文号 is
voided with it, and every version carrying that number); /verify then reports it 已作废.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_login import current_user, login_required

from .. import audit
from ..accounts.permissions import is_org_dept, reads_school_records
from ..documents import archive
from ..documents import validity
from ..documents.validity import REASON_MAX, VoidRefused, validities
from ..timeutil import to_local
from .forms import VoidForm
from ..extensions import db
from ..request_filters import organization_options

bp = Blueprint("archive", __name__, url_prefix="/archive")

PER_PAGE = 50


@bp.before_request
@login_required
def _readers_only():
    if not reads_school_records(current_user):
        abort(404)


@bp.route("/")
def index():
    filters, errors = archive.ArchiveFilters.from_args(request.args)
    page_no = request.args.get("page", 1, type=int) or 1
    viewer = current_user._get_current_object()
    page = db.paginate(archive.documents_stmt(viewer, filters), page=max(page_no, 1), per_page=PER_PAGE,
                       error_out=False)
    audit.record("document.archive_viewed", user=viewer, filters=filters.as_detail(), page=page.page,
                 total=page.total)
    # Drawn before the commit: a commit expires the page's documents, and each would be read again.
    html = render_template("archive/index.html", page=page, filters=filters, errors=errors,
                           args=filters.query_args(), kind_labels=archive.kind_labels(),
                           years=archive.years_with_documents(), org_options=organization_options,
                           states=validities(page.items), can_void=is_org_dept(viewer),
                           back={**filters.query_args(), **({"page": page.page} if page.page > 1 else {})})
    db.session.commit()
    return html


def _back_args(args) -> dict:
    """The list's filters and page, carried through the 作废 page and back."""
    back, _ = archive.ArchiveFilters.from_args(args)
    page = args.get("page", type=int)
    return {**back.query_args(), **({"page": page} if page and page > 1 else {})}


@bp.route("/<int:document_id>/void", methods=["GET", "POST"])
def void(document_id: int):
    """作废 (组织部 only; 纪委 reads): a page that says what will be voided (the document; with a
    文号, the number and every version carrying it), asks for the reason and confirms. The file stays
    in the archive, /verify reports it 已作废."""
    viewer = current_user._get_current_object()
    if not is_org_dept(viewer):
        abort(404)
    doc = archive.archived_document(viewer, document_id) or abort(404)
    back = _back_args(request.values)
    if doc.voided_at is not None:
        flash(f"《{doc.title}》（第{doc.version}版）已于{to_local(doc.voided_at):%Y年%-m月%-d日}作废，不能重复作废", "info")
        return redirect(url_for("archive.index", **back))
    form = VoidForm()
    if request.method == "POST" and form.validate():
        try:
            voided = validity.void(form.reason.data, viewer, document=doc)
        except VoidRefused as exc:
            db.session.rollback()
            form.show_refusal(exc)
        else:
            db.session.commit()
            also = ""
            if doc.doc_number:
                others = [f"第{d.version}版" for d in voided if d.id != doc.id]
                also = f"；文号 {doc.doc_number} 已在文号登记簿中一并作废" + (
                    f"，使用该文号的{'、'.join(others)}同时作废" if others else "")
            flash(f"已作废《{doc.title}》（第{doc.version}版）{also}。文件核验页将显示「已作废」。", "success")
            return redirect(url_for("archive.index", **back))
    entry = validity.number_of(doc)
    carrying = validity.documents_of(entry) if entry is not None else []
    return render_template("archive/void.html", doc=doc, form=form, back=back, entry=entry,
                           carrying=[d for d in carrying if d.voided_at is None], state=validity.validity(doc),
                           reason_max=REASON_MAX)


@bp.route("/export.zip")
def export():
    """The filtered year as one ZIP with manifest.csv, streamed while it is built."""
    filters, errors = archive.ArchiveFilters.from_args(request.args)
    if errors:
        flash("筛选条件有误，未导出：" + "；".join(errors.values()), "danger")
        return redirect(url_for("archive.index", **request.args))
    viewer = current_user._get_current_object()
    docs = list(db.session.scalars(archive.documents_stmt(viewer, filters)).unique())
    if not docs:
        flash(f"{filters.year}年没有符合条件的已生成文档，无需导出。", "warning")
        return redirect(url_for("archive.index", **filters.query_args()))
    files = archive.archived_files(docs)
    audit.record("document.archive_exported", user=viewer, filters=filters.as_detail(), files=len(files))
    db.session.commit()
    archive_dir = current_app.config["ARCHIVE_DIR"]
    logger = current_app.logger

    def mismatch(f, reason):
        logger.error("archive export: %s left out: %s (%s)", f.storage_path, reason, f.sha256)

    name = f"文档归档-{filters.year}年.zip"
    resp = Response(stream_with_context(archive.zip_stream(files, archive_dir, mismatch)),
                    mimetype="application/zip")
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"archive-{filters.year}.zip\"; "
                                           f"filename*=UTF-8''{quote(name)}")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def admin_entries(user) -> list[dict]:
    if not reads_school_records(user):
        return []
    return [{"label": "文档归档", "url": url_for("archive.index"),
             "hint": "按年度、文件类型和党组织查阅已生成的审批表、通知和决定（PDF/A），可按年度打包导出"}]
