"""纪委: the audit log viewer. (Placeholder: being built.)"""
from flask import Blueprint, abort
from flask_login import current_user, login_required

from ..accounts.permissions import is_supervisor

bp = Blueprint("audit_log", __name__, url_prefix="/audit")


@bp.before_request
@login_required
def _supervisor_only():
    if not is_supervisor(current_user):
        abort(404)


@bp.route("/")
def index():
    abort(404)
