"""超期统计 for 纪委 (§五3): the report by unit and step, with filters and 导出Excel.

Who: 纪委/监督 and 组织部 (the two offices §五3 charges with 督促检查), both school-wide; nobody else
(404), never the 系统管理员 (三员分立). Every view and export is audited with its filters.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from .. import audit
from ..accounts.permissions import is_org_dept, is_supervisor, is_sysadmin
from ..extensions import db
from ..models.base import utcnow
from ..models import Organization
from ..request_filters import organization_options, type_labels
from ..timeutil import to_local
from . import overdue, overdue_export

bp = Blueprint("overdue_report", __name__, url_prefix="/supervision/overdue")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def can_read(user) -> bool:
    return (is_supervisor(user) or is_org_dept(user)) and not is_sysadmin(user)


@bp.before_request
@login_required
def _readers_only():
    if not can_read(current_user):
        abort(404)


def _filters() -> tuple[overdue.Filters, dict[str, str]]:
    """The filters from the query string, and a Chinese error per field that could not be read
    (that filter is then left out, and the page says so)."""
    errors = {}

    def day(name):
        raw = (request.args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = "日期格式应为 年-月-日，例如 2026-01-31"
            return None

    start, end = day("from"), day("to")
    if start and end and end < start:
        errors["to"] = "结束日期不能早于开始日期"
        end = None
    kind = request.args.get("type", "")
    org = request.args.get("org", type=int)
    if org is not None and db.session.get(Organization, org) is None:
        org = None
    return overdue.Filters(date_from=start, date_to=end, type=kind if kind in type_labels() else "", org=org), errors


@bp.route("/")
def index():
    filters, errors = _filters()
    report = overdue.build(filters)
    audit.record("overdue_report.viewed", user=current_user._get_current_object(), filters=filters.as_detail(),
                 rows=len(report.rows))
    db.session.commit()
    return render_template("overdue_report/index.html", report=report, filters=filters, errors=errors,
                           type_labels=type_labels(), args=filters.query_args(), org_options=organization_options,
                           max_items=overdue.MAX_ITEMS)


@bp.route("/export.xlsx")
def export():
    filters, _ = _filters()
    viewer = current_user._get_current_object()
    now = utcnow()
    report = overdue.build(filters, to_local(now).date())
    out = overdue_export.write_xlsx(report, filters, viewer, now)
    audit.record("overdue_report.exported", user=viewer, filters=filters.as_detail(), rows=len(report.rows),
                 overdue=len(report.items))
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"超期统计_{to_local(now):%Y%m%d-%H%M}.xlsx")


def admin_entries(user) -> list[dict]:
    if not can_read(user):
        return []
    return [{"label": "超期统计", "url": url_for("overdue_report.index"),
             "hint": "按单位和审批环节统计超期办结、当前超期和平均超期天数，可导出Excel（§五3）"}]
