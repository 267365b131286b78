"""催办 on the request page: the control sits by the step the request waits at (the timeline's last
entry); the rules are in workflow.urge. With htmx the timeline is swapped in place."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..extensions import db
from ..htmx import is_htmx
from ..models import RequestState
from ..scope import get_request_or_404
from ..workflow.urge import UrgeRefused, not_allowed, too_early, urge

bp = Blueprint("urge", __name__, url_prefix="/requests")


def urge_context(req, notice=None, error=None) -> dict:
    """What the 催办 control shows: nothing to someone who may not urge; the button; or, within 24
    hours of the last urge, when the next one is possible."""
    shown = req.state is RequestState.PENDING and not_allowed(req, current_user) is None
    return {"urge_shown": shown, "urge_wait": too_early(req) if shown else None,
            "urge_notice": notice, "urge_error": error}


@bp.route("/<int:request_id>/urge", methods=["POST"])
@login_required
def urge_step(request_id: int):
    from .requests import PAGE_LOADS, page_context

    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user)
    notice = error = None
    try:
        entry = urge(req, user)
    except UrgeRefused as exc:
        db.session.rollback()
        error = exc.message
    else:
        notice = f"已催办：{entry.detail}。"
    req = get_request_or_404(request_id, user, options=PAGE_LOADS)
    context = {**page_context(req), **urge_context(req, notice, error)}
    return render_template("requests/_timeline.html" if is_htmx(request) else "requests/view.html", **context)
