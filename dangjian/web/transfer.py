"""The request page's part of routing (issue 8 §5, §7): the deputy's banner 「代…处理」, why a
holder may not act, 「本环节暂无可处理人」, and 组织部's 转办 form and its route.

The decision itself is the engine's (`apply_action(..., Action.TRANSFER, payload={"assignee": …})`);
who may be named is `workflow.routing.transfer_candidates`.
"""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..htmx import is_htmx
from ..models import RequestState, User
from ..scope import get_request_or_404
from ..workflow import Action, AlreadyHandled, WorkflowError, apply_action
from ..workflow import routing
from .forms import ChineseForm

bp = Blueprint("transfer", __name__, url_prefix="/requests")

STUCK_HINT = "请组织部在本页「转办」给有关负责人，或由系统管理员任命该角色"


class TransferForm(ChineseForm):
    """转办: hand the current step to a named person who holds a role on the step's chain."""

    assignee = SelectField("转办给", choices=[("", "请选择")], validate_choice=False,
                           validators=[DataRequired("请选择转办给谁")])
    opinion = TextAreaField("转办说明", validators=[DataRequired("请填写转办说明"),
                                                Length(max=1000, message="转办说明不能超过1000字")])
    version = HiddenField()
    context = HiddenField(default="page")


def _candidate_choices(req) -> list[tuple[str, str]]:
    return [("", "请选择")] + [(str(u.id), f"{u.display_name}（{org.name} · {role.label}）")
                               for u, role, org in routing.transfer_candidates(req)]


def panel_context(req, user, actions, transfer_form=None) -> dict:
    """What the action panel and the timeline show about who acts on the step, for `user`."""
    acting = routing.acting_for(req, user) if req.state is RequestState.PENDING else None
    deputy_for = acting if acting is not None and acting.on_behalf else None
    recusal = None
    if acting is not None and acting.refusal and acting.refusal != routing.NOT_HOLDER:
        recusal = acting.refusal  # a holder (or deputy) who must recuse, or a step handed to someone else
    can_transfer = Action.TRANSFER in actions
    if can_transfer and transfer_form is None:
        transfer_form = TransferForm(formdata=None, version=req.version)
    if transfer_form is not None:
        transfer_form.assignee.choices = _candidate_choices(req)
        transfer_form.version.data = str(req.version)
    problem = routing.waiting_problem(req)
    return {"deputy_for": deputy_for, "recusal": recusal, "can_transfer": can_transfer,
            "transfer_form": transfer_form, "waiting_problem": problem,
            "waiting_problem_hint": STUCK_HINT if problem else ""}


@bp.route("/<int:request_id>/transfer", methods=["POST"])
@login_required
def transfer(request_id: int):
    """转办 (组织部): the panel answers with the outcome, as for every other decision."""
    from . import requests as pages  # the request pages import this module

    req = get_request_or_404(request_id, current_user)
    form = TransferForm()
    context = form.context.data if form.context.data in ("page", "inbox") else "page"
    error = None
    if form.validate():
        raw = form.assignee.data or ""
        assignee = db.session.get(User, int(raw)) if raw.isdigit() else None
        seen = int(form.version.data) if (form.version.data or "").isdigit() else req.version
        try:
            apply_action(req, current_user._get_current_object(), Action.TRANSFER, opinion=form.opinion.data,
                         seen_version=seen, payload={"assignee": assignee})
        except WorkflowError as exc:
            db.session.rollback()
            if exc.field == "assignee":
                form.assignee.errors = list(form.assignee.errors) + [exc.message]
            elif exc.field == "opinion":
                form.opinion.errors = list(form.opinion.errors) + [exc.message]
            else:
                error = exc.message
            db.session.expire_all()
            req = get_request_or_404(request_id, current_user, options=pages.PAGE_LOADS)
            if isinstance(exc, AlreadyHandled):
                error = pages._already_handled_message(req)
        else:
            req = get_request_or_404(request_id, current_user, options=pages.PAGE_LOADS)
            return pages._after_action(req, Action.TRANSFER, context)
    if not is_htmx(request):
        return render_template("requests/view.html", **pages.page_context(req, message=error, transfer_form=form))
    return render_template(pages._panel_template(context),
                           **pages.panel_context(req, context=context, message=error, transfer_form=form))
