"""管理 → 文号登记簿: the register of every 文号 issued (filter by year, series and status; paging),
voiding a number with a reason, the series' 发文机关代字, and the .xlsx export.

Who: 组织部 keeps the register (reads, voids, sets prefixes, exports); 纪委/监督 reads and exports
(§五3); nobody else (404), never the 系统管理员 (三员分立). Issuing, voiding, prefix changes
and exports are audited.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from .. import audit
from ..accounts.permissions import keeps_school_records, reads_school_records
from ..extensions import db
from ..models import DocNumber
from ..models.base import utcnow
from ..timeutil import to_local
from ..web.forms import VoidForm
from ..workflow.errors import WorkflowError
from . import numbers, register, validity

bp = Blueprint("doc_register", __name__, url_prefix="/documents/numbers")

PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def _readers_only():
    if not reads_school_records(current_user):
        abort(404)


def _page_context(prefix_errors=None, prefix_values=None) -> dict:
    f = register.Filters.from_args(request.args)
    page = db.paginate(register.query(f), page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)
    return {"filters": f, "page": page, "args": f.query_args(), "years": register.years(),
            "series": numbers.all_series(), "statuses": register.STATUSES,
            "can_manage": keeps_school_records(current_user), "prefix_errors": prefix_errors or {},
            "prefix_values": prefix_values or {}}


@bp.route("/")
def index():
    return render_template("doc_register/index.html", **_page_context())


@bp.route("/prefixes", methods=["POST"])
def prefixes():
    user = current_user._get_current_object()
    if not keeps_school_records(user):
        abort(404)
    # A series left out of the form keeps its prefix.
    values = {s.key: request.form[f"prefix-{s.key}"] for s in numbers.all_series() if f"prefix-{s.key}" in request.form}
    changed, errors = numbers.set_prefixes(values, user)
    if errors:
        return render_template("doc_register/index.html", **_page_context(errors, values))
    flash("已保存发文机关代字：" + "、".join(changed) + "。此后取号使用新代字，已取的文号不变。" if changed
          else "发文机关代字没有变化", "success" if changed else "info")
    return redirect(url_for("doc_register.index"))


def _entry_or_404(entry_id: int) -> DocNumber:
    entry = db.session.get(DocNumber, entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.route("/<int:entry_id>/void", methods=["GET", "POST"])
def void(entry_id: int):
    user = current_user._get_current_object()
    if not keeps_school_records(user):
        abort(404)
    entry = _entry_or_404(entry_id)
    form = VoidForm()
    if entry.is_void:
        flash(f"文号 {entry.number} 已于 {to_local(entry.voided_at):%Y-%m-%d %H:%M} 作废", "info")
        return redirect(url_for("doc_register.index", q=entry.number))
    if request.method == "POST" and form.validate():
        try:
            numbers.void(entry.id, form.reason.data, user)
        except WorkflowError as exc:
            db.session.rollback()
            form.show_refusal(exc)
        else:
            flash(f"已作废文号 {entry.number}。该文号保留在登记簿中，不再使用。", "success")
            return redirect(url_for("doc_register.index", q=entry.number))
    return render_template("doc_register/void.html", entry=entry, form=form,
                           documents=validity.documents_of(entry))


@bp.route("/export.xlsx")
def export():
    viewer = current_user._get_current_object()
    f = register.Filters.from_args(request.args)
    now = utcnow()
    out, rows = register.write_xlsx(f, viewer, now)
    audit.record("doc_number.exported", user=viewer, filters=dict(f.describe()), rows=rows)
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"文号登记簿_{to_local(now):%Y%m%d-%H%M}.xlsx")


def admin_entries(user) -> list[dict]:
    if not reads_school_records(user):
        return []
    return [{"label": "文号登记簿", "url": url_for("doc_register.index"),
             "hint": "各发文机关、各文种的发文字号：按年连续编号，作废留痕，可导出Excel"}]
