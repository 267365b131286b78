"""批量同意 in 待办: the ticked cards → the batch form (one opinion, one meeting record where the step
records one) → the results, one line per request. The rules are in workflow.batch; this only parses,
calls and renders. With htmx the form and the results land in #batch-panel above the list, and each
approved card turns into a 已同意 card out of band; without it, the same content as a page."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from ..accounts.permissions import only_sysadmin
from ..extensions import db
from ..htmx import is_htmx
from ..models import Request
from ..workflow import Action
from ..workflow import batch
from ..workflow.definition import MEETING_TYPES
from .forms import DecisionForm

bp = Blueprint("batch", __name__, url_prefix="/inbox/batch")

PREFIX = "batch-"  # the form shares the page with the cards' own panels: its own field ids


def _form(step, formdata=None) -> DecisionForm:
    form = DecisionForm(formdata=formdata, prefix=PREFIX)
    if step is not None:
        form.meeting_type.choices = [("", "请选择")] + [(k, MEETING_TYPES[k]) for k in step.meeting_types]
    return form


def _render(template: str, **context):
    """The partial for htmx, or the page that holds it."""
    if is_htmx(request):
        return render_template(template, **context)
    return render_template("inbox/batch.html", partial=template, **context)


def _user():
    if only_sysadmin(current_user):
        abort(404)
    return current_user._get_current_object()


@bp.route("", methods=["GET"])
@login_required
def prepare():
    """The form for the ticked cards, or why they cannot go together (nothing is done here)."""
    user = _user()
    try:
        items = batch.parse_items(request.args.getlist("item"))
        p = batch.plan(user, items)
    except batch.BatchRefused as exc:
        return _render("inbox/_batch_refused.html", message=exc.message)
    return _render("inbox/_batch_form.html", items=items, group=p.group, listed=_listed(p),
                   form=_form(p.group.step if p.group else None))


def _listed(p: batch.Plan) -> list:
    """The selected requests as the form lists them: those still in 待办, in the order ticked."""
    return [p.ready[i.request_id] for i in p.items if i.request_id in p.ready]


@bp.route("", methods=["POST"])
@login_required
def approve():
    user = _user()
    try:
        items = batch.parse_items(request.form.getlist("item"))
        p = batch.plan(user, items)
    except batch.BatchRefused as exc:
        return _render("inbox/_batch_refused.html", message=exc.message)
    step = p.group.step if p.group else None
    form = _form(step, request.form)
    error = None
    if form.validate():
        meeting = form.meeting_record(step)
        if not (step and step.records_meeting and meeting is None):
            try:
                result = batch.approve_all(user, items, opinion=form.opinion.data or "", meeting=meeting)
            except batch.BatchRefused as exc:
                db.session.rollback()
                if exc.field == "votes":  # the vote did not carry: shown by the votes, as in the panel
                    form.votes_for.errors = list(form.votes_for.errors) + [exc.message]
                elif exc.field == "opinion":
                    form.opinion.errors = list(form.opinion.errors) + [exc.message]
                else:
                    error = exc.message
            else:
                return _results(result)
    return _render("inbox/_batch_form.html", items=items, group=p.group, listed=_listed(p), form=form,
                   message=error)


def _results(result: batch.BatchResult):
    html = _render("inbox/_batch_result.html", result=result)
    if not is_htmx(request):
        return html
    # Each approved card becomes a 已同意 card, as after a single 同意; the 待办 badge follows.
    for outcome in result.succeeded:
        req = db.session.get(Request, outcome.request_id)
        html += render_template("inbox/_handled.html", req=req, action=Action.APPROVE, oob=True)
    return html + render_template("_badge.html", oob=True)


def offered(req) -> bool:
    return batch.offered(req)


bp.add_app_template_global(offered, "batch_offered")
bp.add_app_template_test(offered, "batch_offered")
