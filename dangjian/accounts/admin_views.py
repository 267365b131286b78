"""系统管理员 pages: accounts and roles with terms. (Placeholder: being built.)"""
from flask import Blueprint, abort
from flask_login import current_user, login_required

from .permissions import is_sysadmin

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _sysadmin_only():
    if not is_sysadmin(current_user):
        abort(404)


@bp.route("/accounts")
def accounts():
    abort(404)
