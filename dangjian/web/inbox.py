"""Inboxes: 待办, 已办, 我发起的 — one route answers the page, or only the rows for htmx."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import inbox
from ..accounts.permissions import only_sysadmin
from ..extensions import db
from ..htmx import is_htmx

bp = Blueprint("inbox", __name__)


@bp.route("/")
@login_required
def index():
    if only_sysadmin(current_user):  # 三员分立: the administrator's home is its accounts page
        return redirect(url_for("admin.accounts"))
    return redirect(url_for("inbox.tab", tab="todo"))


@bp.route("/inbox/<tab>")
@login_required
def tab(tab: str):
    if only_sysadmin(current_user):
        return redirect(url_for("admin.accounts"))
    if tab not in inbox.TABS:
        abort(404)
    title, query = inbox.TABS[tab]
    page = db.paginate(query(current_user), page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    template = "inbox/_list.html" if is_htmx(request) else "inbox/index.html"
    return render_template(template, tab=tab, title=title, page=page, tabs=inbox.TABS)
