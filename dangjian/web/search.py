"""申请查询 (issue 7 §2): 组织部, 纪委 and 校党委 search every request in their scope
(scope.visible_requests) with the inbox filters, and export the rows. Everyone else gets 404;
the 系统管理员 never (三员分立)."""
from flask import Blueprint, abort, current_app, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, request_export, request_filters
from ..accounts.permissions import is_sysadmin
from ..extensions import db
from ..inbox import _LOADS
from ..models import Request, Role
from ..models.base import utcnow
from ..scope import visible_requests
from ..timeutil import to_local
from .inbox import XLSX, org_name

bp = Blueprint("request_search", __name__, url_prefix="/requests/search")

SEARCH_ROLES = (Role.ORG_DEPT, Role.SUPERVISOR, Role.SCHOOL)
TITLE = "申请查询"


def can_search(user) -> bool:
    return bool(user and user.is_authenticated and not is_sysadmin(user)
                and any(user.holds(role) for role in SEARCH_ROLES))


@bp.before_request
@login_required
def _searchers_only():
    if not can_search(current_user):
        abort(404)


def _query():
    filters = request_filters.RequestFilters.from_args(request.args)
    stmt = (select(Request).where(visible_requests(current_user))
            .order_by(Request.created_at.desc(), Request.id.desc()).options(*_LOADS))
    return request_filters.apply(stmt, filters), filters


@bp.route("")
def index():
    stmt, filters = _query()
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return request_filters.render_list("search/index.html", "request_search.index", {}, filters, page, tab="search",
                                       title=TITLE, export_url=url_for("request_search.export", **filters.query_args()))


@bp.route("/export.xlsx")
def export():
    stmt, filters = _query()
    viewer = current_user._get_current_object()
    now = utcnow()
    out, count = request_export.write_xlsx(stmt, TITLE, [("列表", TITLE), *filters.describe(org_name(filters))],
                                           viewer, now)
    audit.record("request_search.exported", user=viewer, filters=filters.as_detail(), rows=count)
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"{TITLE}_{to_local(now):%Y%m%d-%H%M}.xlsx")


def nav_entries(user) -> list[dict]:
    """申请查询 in the main navigation, for those who may use it."""
    return [{"key": "search", "label": TITLE, "url": url_for("request_search.index")}] if can_search(user) else []
