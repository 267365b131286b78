"""Inboxes: 待办, 已办, 我发起的, 抄送我的 — one route answers the page, or only the rows for htmx;
search, filters and sort live in the query string (issue 7 §2), and 导出Excel exports the filtered
rows. In 抄送我的 each row shows whether its copy is still unread (workflow.cc).
"""
from flask import Blueprint, abort, current_app, g, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from .. import audit, inbox, plugins, request_export, request_filters
from ..accounts.permissions import only_sysadmin
from ..dates import stamp
from ..extensions import db
from ..models import Organization
from ..models.base import utcnow
from ..timeutil import to_local
from ..workflow import cc as copies
from ..workflow import deadlines
from ..workflow.history import action_label
from . import page_cache

bp = Blueprint("inbox", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/")
@login_required
def index():
    if only_sysadmin(current_user):  # 三员分立: the administrator's home is its accounts page
        return redirect(url_for("admin.accounts"))
    return redirect(url_for("inbox.tab", tab="todo"))


def _query(tab: str):
    if only_sysadmin(current_user):
        abort(404)
    if tab not in inbox.TABS:
        abort(404)
    title, query = inbox.TABS[tab]
    filters = request_filters.RequestFilters.from_args(request.args)
    # 待办 holds what waits for this approver: few rows, searched row by row.
    return title, request_filters.apply(query(current_user), filters, few_rows=tab == "todo"), filters


@bp.route("/inbox/<tab>")
@login_required
@page_cache.cacheable
def tab(tab: str):
    if only_sysadmin(current_user):
        return redirect(url_for("admin.accounts"))
    title, stmt, filters = _query(tab)
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    if tab == "todo" and not filters.active:
        g.todo_count = page.total  # the badge shows the same number: count once
    unread = copies.unread_among(current_user, [r.id for r in page.items]) if tab == "cc" else set()
    handled = inbox.last_handled(current_user, [r.id for r in page.items]) if tab == "done" else {}
    return request_filters.render_list("inbox/index.html", "inbox.tab", {"tab": tab}, filters, page, tab=tab,
                                       title=title, tabs=inbox.TABS, cc_unread=unread, handled=handled,
                                       cc_unread_count=copies.unread_count(current_user),
                                       deadlines=deadlines.statuses(page.items) if tab == "todo" else {},
                                       # Work outside the approvals (党建考核 …): read by the full page
                                       # only, never by the rows htmx swaps in.
                                       other_work=(lambda: plugins.todo_entries(current_user)) if tab == "todo"
                                       else (lambda: []),
                                       export_url=url_for("inbox.export", tab=tab, **filters.query_args()))


def org_name(filters) -> str | None:
    org = db.session.get(Organization, filters.org) if filters.org else None
    return org.name if org else None


@bp.route("/inbox/<tab>/export.xlsx")
@login_required
def export(tab: str):
    title, stmt, filters = _query(tab)
    viewer = current_user._get_current_object()
    now = utcnow()
    extra = None
    if tab == "done":  # 「我的处理」, as on the cards
        def my_handling(batch):
            entries = inbox.last_handled(viewer, [r.id for r in batch])
            return {rid: f"{action_label(e.action)} {stamp(e.created_at)}" for rid, e in entries.items()}
        extra = ("我的处理", 24, my_handling)
    out, count = request_export.write_xlsx(stmt, title, [("列表", title), *filters.describe(org_name(filters))],
                                           viewer, now, extra=extra)
    audit.record("inbox.exported", user=viewer, tab=tab, filters=filters.as_detail(), rows=count)
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"{title}_{to_local(now):%Y%m%d-%H%M}.xlsx")
