"""组织部 pages: the organization tree and the members. (Placeholder: being built.)"""
from flask import Blueprint, abort
from flask_login import current_user, login_required

from ..accounts.permissions import is_org_dept

bp = Blueprint("org", __name__, url_prefix="/org")


@bp.before_request
@login_required
def _org_dept_only():
    if not is_org_dept(current_user):
        abort(404)


@bp.route("/members")
def members():
    abort(404)
