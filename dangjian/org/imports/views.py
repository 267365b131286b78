"""The import pages: /org/import for 组织部 (organizations and member rosters) and /admin/import for
the 系统管理员 (accounts with roles). Same code, each area with its own access check: anyone else
gets 404. Upload → preview (every row, paged) → confirm (all or nothing) or discard."""
import json
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import HiddenField

from ...accounts.permissions import is_org_dept, is_sysadmin
from ...extensions import db
from ...htmx import partial_or_page
from ...models import AuditEvent
from ...web.forms import ChineseForm
from . import operations, storage, workbook_templates
from .plan import KIND_LABELS, Outcome

bp = Blueprint("imports", __name__)

# area -> (who may use it, the kinds it imports)
AREAS = {"org": (is_org_dept, ("members", "organizations")), "admin": (is_sysadmin, ("accounts",))}
PER_PAGE = 50
SHOW = {"all": "全部", "error": "错误", "new": "新增", "update": "更新", "same": "不变"}


class UploadForm(ChineseForm):
    kind = HiddenField()
    replaces = HiddenField()  # the token of the previous upload, when a corrected file replaces it
    file = FileField("Excel 文件")


class ConfirmForm(ChineseForm):
    """Only the CSRF token: what is confirmed is the file kept on the server."""


@bp.before_request
@login_required
def _area_access():
    area = (request.view_args or {}).get("area")
    allowed = AREAS.get(area)
    if allowed is None or not allowed[0](current_user):
        abort(404)
    kind = (request.view_args or {}).get("kind")
    if kind is not None and kind not in allowed[1]:
        abort(404)


def _kinds(area):
    return AREAS[area][1]


def _recent(area) -> list[dict]:
    """The last imports of this area, from the audit log."""
    actions = [f"import.{k}" for k in _kinds(area)]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(actions))
                                .order_by(AuditEvent.created_at.desc()).limit(10)).all()
    out = []
    for e in events:
        try:
            detail = json.loads(e.detail or "{}")
        except ValueError:
            detail = {}
        counts = {k: detail[k] for k in ("organizations", "members", "accounts") if isinstance(detail.get(k), dict)}
        out.append({"at": e.created_at, "label": KIND_LABELS.get(e.action.removeprefix("import."), e.action),
                    "who": e.user.display_name if e.user else "命令行", "filename": detail.get("filename", ""),
                    "summary": operations.Result(e.action, counts).message.removeprefix("导入完成。")})
    return out


def _index(area, form=None, status=200):
    forms = {k: UploadForm(kind=k, formdata=None) for k in _kinds(area)}
    if form is not None:
        forms[form.kind.data] = form
    return render_template("imports/index.html", area=area, forms=forms, labels=KIND_LABELS,
                           recent=_recent(area)), status


@bp.route("/<any(org, admin):area>/import")
def index(area):
    return _index(area)


@bp.route("/<any(org, admin):area>/import/templates/<kind>.xlsx")
def template(area, kind):
    data = workbook_templates.build(kind)
    return send_file(BytesIO(data), as_attachment=True, download_name=workbook_templates.FILENAMES[kind],
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<any(org, admin):area>/import/upload", methods=["POST"])
def upload(area):
    form = UploadForm()
    if form.kind.data not in _kinds(area):
        abort(404)
    if not form.validate_on_submit():
        return _index(area, form)
    storage_file = form.file.data
    data = storage_file.read() if storage_file else b""
    try:
        storage.check(storage_file.filename if storage_file else "", data)
    except storage.UploadRefused as e:
        form.file.errors = [str(e)]
        return _index(area, form)
    if form.replaces.data and _load(area, form.replaces.data) is not None:
        storage.discard(form.replaces.data)
    meta = storage.save(data, storage_file.filename, form.kind.data, current_user.id)
    prepared = operations.prepare(meta["kind"], storage.file_path(meta["token"]))
    db.session.rollback()  # planning writes nothing; leave no transaction open
    meta["plan"] = prepared.plan.as_dict()
    storage.write_meta(meta)
    return redirect(url_for(".preview", area=area, token=meta["token"]))


def _load(area, token):
    meta = storage.load(token, current_user.id, _kinds(area))
    if meta is None or "plan" not in meta:
        return None
    return meta


def _gone(area):
    flash("该导入已完成、已取消或已过期，请重新上传文件。", "warning")
    return redirect(url_for(".index", area=area))


@bp.route("/<any(org, admin):area>/import/<token>")
def preview(area, token):
    meta = _load(area, token)
    if meta is None:
        return _gone(area)
    plan = meta["plan"]
    show = request.args.get("show", "error" if plan["counts"]["error"] else "all")
    show = show if show in SHOW else "all"
    rows = plan["rows"] if show == "all" else [r for r in plan["rows"] if r["outcome"] == show]
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    return partial_or_page(request, "imports/preview.html", "imports/_rows.html", area=area, meta=meta,
                           plan=plan, rows=shown, total=len(rows), show=show, shows=SHOW, page_no=page, pages=pages,
                           outcomes=Outcome, labels=KIND_LABELS, form=ConfirmForm(),
                           upload=UploadForm(kind=meta["kind"], replaces=token, formdata=None))


@bp.route("/<any(org, admin):area>/import/<token>/confirm", methods=["POST"])
def confirm(area, token):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    meta = _load(area, token)
    if meta is None:
        return _gone(area)
    try:
        result = operations.confirm(meta["kind"], storage.file_path(token), user=current_user,
                                    sha256=meta["sha256"], filename=meta["filename"],
                                    expected_digest=meta["plan"]["digest"])
    except operations.ImportRefused as e:
        if e.plan is not None:
            meta["plan"] = e.plan.as_dict()
            storage.write_meta(meta)
        flash(e.message, "danger")
        return redirect(url_for(".preview", area=area, token=token))
    storage.discard(token)
    if result.passwords:
        # The one time the temporary passwords exist in plain text: this response (not cached).
        return render_template("imports/result.html", area=area, result=result)
    flash(result.message, "success")
    return redirect(url_for(".index", area=area))


@bp.route("/<any(org, admin):area>/import/<token>/discard", methods=["POST"])
def discard(area, token):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if _load(area, token) is not None:
        storage.discard(token)
    flash("已取消本次导入，上传的文件已删除。", "info")
    return redirect(url_for(".index", area=area))
