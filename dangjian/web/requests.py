"""The request page, its action panel, and the document status widget."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..htmx import is_htmx
from ..models import Request, TimelineEntry
from ..scope import get_request_or_404
from ..workflow import Action, AlreadyHandled, WorkflowError, apply_action, available_actions
from ..workflow.definition import MEETING_TYPES, Actor
from ..workflow.engine import refusal
from ..workflow.cc import mark_read as mark_copy_read
from ..workflow.history import step_outcomes, where_now
from ..workflow.comments import add_comment, comment_refusal
from . import payments, transfer
from .cc import page_context as cc_page_context
from .forms import ActionForm, CommentForm
from .urge import urge_context

bp = Blueprint("requests", __name__, url_prefix="/requests")

STEP_ACTIONS = (Action.APPROVE, Action.RETURN, Action.REJECT)

# The request page shows every timeline entry with its actor and organization: load them in
# a constant number of queries, however long the timeline grows.
PAGE_LOADS = (
    selectinload(Request.timeline).selectinload(TimelineEntry.actor),
    selectinload(Request.timeline).selectinload(TimelineEntry.actor_org),
    selectinload(Request.timeline).selectinload(TimelineEntry.on_behalf_of),
    selectinload(Request.documents),
    selectinload(Request.attachments),
)


def panel_context(req, form=None, context="page", message=None, transfer_form=None, paid_form=None):
    """Everything the action panel needs: the buttons come from available_actions only."""
    wf = type(req).workflow
    actions = available_actions(req, current_user)
    step = wf.step(req.current_step)
    form = form or ActionForm(formdata=None, version=req.version, context=context)
    form.version.data = str(req.version)
    form.context.data = context
    if step:
        form.return_to.choices = [("", "发起人（修改后重新提交）")] + [
            (s.key, s.label) for s in wf.earlier_steps(req, req.current_step)]
        form.meeting_type.choices = [("", "请选择")] + [(k, MEETING_TYPES[k]) for k in step.meeting_types]
    # Acting as a deputy, recused, stuck, 转办: what routing says about this user and this step.
    routed = transfer.panel_context(req, current_user, actions, transfer_form)
    return {
        **routed,
        "req": req, "form": form, "step": step, "context": context, "message": message,
        "step_actions": [a for a in actions if a in STEP_ACTIONS],
        "can_withdraw": Action.WITHDRAW in actions,
        "can_resubmit": Action.SUBMIT in actions,
        "can_take_back": Action.TAKE_BACK in actions,
        "can_abandon": Action.ABANDON in actions,  # 撤销申请 (returned or withdrawn): requests/_abandon.html
        # Why a returned or withdrawn request can no longer be resubmitted (e.g. the 表彰 deadline passed):
        # then giving it up is all that is left, and the panel says why.
        "resubmit_refusal": refusal(req, current_user, Action.SUBMIT)
        if Action.ABANDON in actions and Action.SUBMIT not in actions else None,
        # 登记发放 (§四): one form for every type that pays school money (web/payments.py).
        "paid_form": payments.paid_form(req, paid_form) if Action.RECORD_PAID in actions else None,
        # Type-specific actions (核定调整, 登记发放 …): their forms live in <type>/_panel_extra.html.
        "extra_actions": [a for a in actions if a not in STEP_ACTIONS
                          and a not in (Action.WITHDRAW, Action.SUBMIT, Action.TAKE_BACK, Action.TRANSFER,
                                        Action.RECORD_PAID, Action.ABANDON)],
        "workflow": wf,
    }


def page_context(req, comment_form=None, comment_notice=None, **panel):
    return {
        **panel_context(req, **panel),
        "outcomes": step_outcomes(req),
        "workflow": type(req).workflow,
        **comment_context(req, comment_form, comment_notice),
        **cc_page_context(req),
        **urge_context(req),
    }


def comment_context(req, form=None, notice=None):
    can = comment_refusal(req, current_user) is None
    return {"can_comment": can, "comment_form": form or CommentForm(formdata=None), "comment_notice": notice}


@bp.route("/<int:request_id>")
@login_required
def view(request_id: int):
    req = get_request_or_404(request_id, current_user, options=PAGE_LOADS)
    mark_copy_read(req, current_user._get_current_object())
    return render_template("requests/view.html", **page_context(req))


@bp.route("/<int:request_id>/panel")
@login_required
def panel(request_id: int):
    """The action form, loaded into an inbox card on demand."""
    req = get_request_or_404(request_id, current_user)
    context = request.args.get("context", "page")
    return render_template(_panel_template(context), **panel_context(req, context=context))


def _panel_template(context: str) -> str:
    """In 待办 the panel carries the application itself, so nobody decides without reading it."""
    return "requests/_inbox_panel.html" if context == "inbox" else "requests/_panel.html"


@bp.route("/<int:request_id>/act", methods=["POST"])
@login_required
def act(request_id: int):
    req = get_request_or_404(request_id, current_user)
    form = ActionForm()
    context = form.context.data if form.context.data in ("page", "inbox") else "page"
    try:
        action = Action(form.action.data)
    except ValueError:
        abort(400)
    # Every action, 提交 included, is the engine's to allow or refuse: the rules about other requests
    # (no overlap of months, one visit a year …) live in each workflow's gate, not in the forms.
    user = current_user._get_current_object()
    error = None
    stale = False  # someone else acted first: the page shows the request as it is now
    if form.validate():
        wf = type(req).workflow
        t = wf.transition(action)
        step = wf.step(req.current_step) if t and t.actor is Actor.STEP_HOLDER else None
        meeting = None
        if action in (Action.APPROVE, Action.REJECT) or form.has_meeting_input:
            meeting = form.meeting_record(step)
        meeting_invalid = step and step.records_meeting and meeting is None and (
            action in (Action.APPROVE, Action.REJECT) or form.has_meeting_input)
        if not meeting_invalid:
            try:
                seen = int(form.version.data) if (form.version.data or "").isdigit() else req.version
                number = req.number
                entry = apply_action(req, user, action, opinion=form.opinion.data or "", meeting=meeting,
                                     return_to=form.return_to.data or None, seen_version=seen,
                                     cc=request.form.getlist("cc_user", type=int))
            except WorkflowError as exc:
                db.session.rollback()
                error = exc.message
                if exc.field == "opinion":
                    form.opinion.errors = list(form.opinion.errors) + [exc.message]
                    error = None
                elif exc.field == "votes":  # the decision disagrees with the vote: shown by the votes
                    form.votes_for.errors = list(form.votes_for.errors) + [exc.message]
                    error = None
                db.session.expire_all()
                req = get_request_or_404(request_id, current_user, options=PAGE_LOADS)
                if isinstance(exc, AlreadyHandled):
                    stale, error = True, _already_handled_message(req)
            else:
                if entry is None:  # 删除草稿: the request is gone
                    return _after_removal(action, number)
                req = get_request_or_404(request_id, current_user, options=PAGE_LOADS)
                return _after_action(req, action, context)
    if not is_htmx(request):
        return render_template("requests/view.html", **page_context(req, form=form, message=error))
    html = render_template(_panel_template(context), **panel_context(req, form=form, context=context, message=error))
    if stale:
        html += _refreshed_parts(req, context)
    return html


def _already_handled_message(req) -> str:
    """「该申请已被处理」 with where the request stands now, since the page updates itself."""
    return f"该申请已被处理，{where_now(req)}。以下为最新状态。"


def _refreshed_parts(req, context: str) -> str:
    """Out-of-band swaps for a losing approver: the step bar, state and timeline on the request
    page, or the card's state in the inbox, and the 待办 badge in both."""
    if context == "inbox":
        html = render_template("inbox/_card_head.html", req=req, oob=True)
    else:
        page = page_context(req)
        html = render_template("requests/_head.html", oob=True, **page)
        html += ('<div id="request-timeline" hx-swap-oob="innerHTML">'
                 + render_template("requests/_timeline.html", **page) + "</div>")
    return html + render_template("_badge.html", oob=True)


def _after_removal(action: Action, number: str):
    """After an action that removed the request (删除草稿): back to 我发起的."""
    flash(f"已{action.label}：{number}", "success")
    target = url_for("inbox.tab", tab="mine")
    if is_htmx(request):
        resp = make_response("")
        resp.headers["HX-Redirect"] = target
        return resp
    return redirect(target)


def _after_action(req, action: Action, context: str):
    message = f"已{action.label}：{req.number}"
    if not is_htmx(request):
        return render_template("requests/view.html", notice=message, **page_context(req))
    if context == "inbox":
        html = render_template("inbox/_handled.html", req=req, action=action, message=message)
        target, swap = f"#inbox-item-{req.id}", "outerHTML"
    else:
        html = render_template("requests/_main.html", notice=message, **page_context(req))
        target, swap = "#request-main", "innerHTML"
    html += render_template("_badge.html", oob=True)
    resp = make_response(html)
    # The form targets its own panel (so errors land there); success replaces the whole item.
    resp.headers["HX-Retarget"] = target
    resp.headers["HX-Reswap"] = swap
    resp.headers["HX-Trigger"] = "requestChanged"
    return resp


@bp.route("/<int:request_id>/comment", methods=["POST"])
@login_required
def comment(request_id: int):
    """评论: a timeline row; no state change, so the version that guards decisions stays."""
    req = get_request_or_404(request_id, current_user)
    form = CommentForm()
    notice = None
    if form.validate():
        try:
            add_comment(req, current_user._get_current_object(), form.text.data)
        except WorkflowError as exc:
            db.session.rollback()
            form.text.errors = list(form.text.errors) + [exc.message]
        else:
            if not is_htmx(request):
                return redirect(url_for("requests.view", request_id=req.id) + "#request-timeline")
            form, notice = CommentForm(formdata=None), "评论已发布"
    req = get_request_or_404(request_id, current_user, options=PAGE_LOADS)
    if not is_htmx(request):
        return render_template("requests/view.html", **page_context(req, comment_form=form))
    html = render_template("requests/_comment.html", req=req, **comment_context(req, form, notice))
    if notice:  # the new comment shows in the timeline
        html += ('<div id="request-timeline" hx-swap-oob="innerHTML">'
                 + render_template("requests/_timeline.html", **page_context(req)) + "</div>")
    return html


@bp.route("/<int:request_id>/documents")
@login_required
def documents(request_id: int):
    """The self-replacing status widget: polls while a document is pending, then shows the link."""
    req = get_request_or_404(request_id, current_user)
    return render_template("requests/_documents.html", req=req)
