"""组织部 pages (blueprint `org`, /org): the organization tree (tree_views) and the members
(member_views). Every page is 404 for anyone who is neither 组织部 nor 纪委; 纪委 reads the member
list and pages and may reveal a number with a reason, nothing else (access.py)."""
from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user, login_required

from . import access

bp = Blueprint("org", __name__, url_prefix="/org")


@bp.before_request
@login_required
def _readers_only():
    if not access.can_read_members(current_user):
        abort(404)


def manage_only(view):
    """组织部 only (纪委 reads, and gets 404 on every change and on the tree)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not access.can_manage(current_user):
            abort(404)
        return view(*args, **kwargs)
    return wrapped


@bp.app_template_global("org_can_manage")
def _can_manage_global():
    return access.can_manage(current_user)


from . import member_views, tree_views  # noqa: E402,F401  (routes on bp)
