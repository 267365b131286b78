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


def _planned(values):
    """The ticked cards and the batch's plan; raises BatchRefused (nothing is done then)."""
    if only_sysadmin(current_user):
        abort(404)
    items = batch.parse_items(values)
    return items, batch.plan(current_user._get_current_object(), items)


def _form_page(items, p: batch.Plan, form: DecisionForm, message=None):
    """The form lists the selected requests still in 待办, in the order ticked."""
    listed = [p.ready[i.request_id] for i in items if i.request_id in p.ready]
    return _render("inbox/_batch_form.html", items=items, group=p.group, listed=listed, form=form, message=message)


@bp.route("", methods=["GET", "POST"])
@login_required
def approve():
    """GET: the form for the ticked cards (nothing is done). POST: approve them, one by one.
    Either way, ticked cards that cannot go together are refused with the reason."""
    posted = request.method == "POST"
    try:
        items, p = _planned((request.form if posted else request.args).getlist("item"))
    except batch.BatchRefused as exc:
        return _render("inbox/_batch_refused.html", message=exc.message)
    step = p.group.step if p.group else None
    form = _form(step, request.form if posted else None)
    if not posted or not form.validate():
        return _form_page(items, p, form)
    meeting = form.meeting_record(step)
    if step and step.records_meeting and meeting is None:
        return _form_page(items, p, form)
    try:
        result = batch.approve_all(current_user._get_current_object(), items,
                                   opinion=form.opinion.data or "", meeting=meeting)
    except batch.BatchRefused as exc:
        db.session.rollback()
        # Shown by the field it concerns (the votes, as in the panel), else above the form.
        shown_at = {"votes": form.votes_for, "opinion": form.opinion}.get(exc.field)
        if shown_at is None:
            return _form_page(items, p, form, message=exc.message)
        shown_at.errors = list(shown_at.errors) + [exc.message]
        return _form_page(items, p, form)
    return _results(result)


def _results(result: batch.BatchResult):
    html = _render("inbox/_batch_result.html", result=result)
    if not is_htmx(request):
        return html
    # Each approved card becomes a 已同意 card, as after a single 同意; the 待办 badge follows.
    for outcome in result.succeeded:
        req = db.session.get(Request, outcome.request_id)
        html += render_template("inbox/_handled.html", req=req, action=Action.APPROVE, oob=True)
    return html + render_template("_badge.html", oob=True)


# Which 待办 cards get a checkbox (inbox/_card.html, inbox/_batch_head.html).
bp.add_app_template_global(batch.offered, "batch_offered")
bp.add_app_template_test(batch.offered, "batch_offered")
