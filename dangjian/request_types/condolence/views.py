"""慰问金 pages: the application form (new, edit/resubmit, review a draft), deleting a draft, and the
two actions after approval (登记走访发放, 取消). The standards page is in standards.py, the 七一/春节
campaign in campaign.py; all on this blueprint."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from ... import uploads
from ...extensions import db
from ...htmx import is_htmx
from ...budget import line_for
from ...models import BudgetLineKind, Member, Organization, OrgKind, RequestState, Role
from ...org.standing import may_be_offered
from ...scope import get_request_or_404
from ...timeutil import local_today
from ...web.requests import PAGE_LOADS, page_context, panel_context
from ...workflow import Action, AlreadyHandled, WorkflowError, apply_action, create_request
from ...workflow.engine import refusal
from .form import CancelForm, CondolenceForm, PaymentForm
from .model import (EVIDENCE_KIND, RECEIPT_KIND, CondolenceCategory, CondolencePayment, FundingSource,
                    InitiatorLevel, PayeeKind, standards_in_force, threshold_in_force)

bp = Blueprint("condolence", __name__, url_prefix="/condolence", static_folder="static",
               static_url_path="/static")


@bp.app_template_global("condolence_budget_line")
def budget_line_for_page(req, user):
    """This year's 慰问金 line, for the school-level readers of a school-funded request in flight."""
    if not (req.is_school_funded and req.state is RequestState.PENDING):
        return None
    if not any(user.holds(role) for role in (Role.ORG_DEPT, Role.SCHOOL, Role.SUPERVISOR)):
        return None
    return line_for(local_today().year, BudgetLineKind.CONDOLENCE)


@bp.app_template_global("condolence_action_forms")
def action_forms(req, payment_form=None, cancel_form=None):
    """The 登记走访发放 and 取消 forms for the panel: the posted ones (with errors), or fresh ones."""
    if payment_form is None:
        payment_form = PaymentForm(formdata=None, prefix="pay", visit_date=local_today().isoformat(),
                                   visitors=req.planned_visitors, paid_amount=str(req.amount))
    if cancel_form is None:
        cancel_form = CancelForm(formdata=None, prefix="cancel")
    payment_form.version.data = cancel_form.version.data = str(req.version)
    return payment_form, cancel_form


# --- who may start a request for whom ---------------------------------------------------------------

def starting_orgs(user) -> dict[int, InitiatorLevel]:
    """Branch id → the level at which `user` starts requests for that branch's members.

    A branch secretary/支委 starts for their branch; a secondary unit for every branch under it. Someone
    holding both acts as the branch (the nearer level), so the secondary unit still approves."""
    levels: dict[int, InitiatorLevel] = {}
    secondary_paths = [ra.organization.path for ra in user.roles if ra.role is Role.SECONDARY]
    if secondary_paths:
        branches = db.session.scalars(select(Organization).where(
            Organization.kind == OrgKind.BRANCH, or_(*[Organization.path.startswith(p) for p in secondary_paths]))).all()
        for b in branches:
            levels[b.id] = InitiatorLevel.SECONDARY
    for ra in user.roles:
        if ra.role is Role.BRANCH_SECRETARY and ra.organization.kind is OrgKind.BRANCH:
            levels[ra.organization_id] = InitiatorLevel.BRANCH
    return levels


def can_start(user) -> bool:
    return any(ra.role in (Role.BRANCH_SECRETARY, Role.SECONDARY) for ra in user.roles)


def applicable_members(user) -> list[Member]:
    """Members the user may start a 慰问金 for: never themself (回避); members in good standing,
    and a member who has died (for the 亡故 慰问金 only: the form checks the category)."""
    levels = starting_orgs(user)
    if not levels:
        return []
    members = db.session.scalars(select(Member).where(Member.branch_id.in_(levels))
                                 .order_by(Member.branch_id, Member.staff_no)).all()
    return [m for m in members if m.id != user.member_id and may_be_offered(m, for_death_too=True)]


def _choices(members):
    return [(m.id, f"{m.name}（{m.staff_no}，{m.branch.name}）" + ("（已去世）" if m.is_deceased else ""))
            for m in members]


def _form_context(form, req, members):
    in_force = standards_in_force()
    threshold = threshold_in_force()
    direct_ids = [m.id for m in members if m.branch.is_direct_branch]
    return {
        "form": form, "req": req, "members": members,
        "standards": in_force, "threshold": threshold,
        "standards_json": json.dumps({c.value: str(a) for c, a in in_force.items()}),
        "member_names": json.dumps({m.id: m.name for m in members}, ensure_ascii=False),
        "direct_ids": json.dumps(direct_ids),
        "categories": list(CondolenceCategory),
    }


def _apply_values(req: CondolencePayment, values: dict, written: list) -> None:
    req.category = values["category"]
    req.event_description = (values.get("event_description") or "").strip()
    req.event_date = values["event_date"]
    req.amount = values["amount"]
    req.standard_amount = values["standard"]
    req.over_standard_reason = values["over_standard_reason"]
    req.funding_source = values["funding_source"]
    threshold = threshold_in_force()
    req.threshold_amount = threshold.amount if threshold else None
    req.planned_visitors = values["planned_visitors"]
    req.planned_date = values["planned_date"]
    req.payee_kind = values["payee_kind"]
    req.payee_name = values["payee_name"]
    req.payee_relation = values["payee_relation"]
    for f in values["evidence"]:
        req.attachments.append(uploads.save(f, EVIDENCE_KIND, current_user, written))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    user = current_user._get_current_object()
    members = applicable_members(user)
    if not can_start(user) or not members:
        abort(404)
    form = CondolenceForm()
    form.member_id.choices = _choices(members)
    if request.method == "GET":
        form.member_id.data = request.args.get("member_id", type=int) or members[0].id
        category = request.args.get("category")
        form.category.data = category if category in {c.value for c in CondolenceCategory} else ""
        form.event_date.data = local_today().isoformat()
        form.planned_date.data = local_today().isoformat()
        form.planned_visitors.data = user.display_name
        first = next((m for m in members if m.id == form.member_id.data), members[0])
        form.funding_source.data = (FundingSource.SCHOOL if first.branch.is_direct_branch else FundingSource.UNIT).value
        form.payee_kind.data = PayeeKind.MEMBER.value
        if form.category.data:
            standard = standards_in_force().get(CondolenceCategory(form.category.data))
            form.amount.data = str(standard) if standard is not None else ""
    else:
        member = next((m for m in members if m.id == form.member_id.data), None)
        values = form.check(member)
        if values is not None:
            values["event_description"] = form.event_description.data
            written: list = []
            try:
                req = CondolencePayment(organization=member.branch, beneficiary=member,
                                        initiator_level=starting_orgs(user)[member.branch_id])
                _apply_values(req, values, written)
                create_request(req, user)
                apply_action(req, user, Action.SUBMIT)
            except WorkflowError as exc:  # the workflow's gate, e.g. a request filed a moment ago
                db.session.rollback()
                uploads.discard(written)
                form.show_refusal(exc)
                return render_template("condolence/form.html", **_form_context(form, None, members))
            except Exception:
                db.session.rollback()
                uploads.discard(written)
                raise
            step = req.current_step_label
            flash(f"慰问金申请已提交（编号 {req.number}），等待{step}", "success")
            return redirect(url_for("requests.view", request_id=req.id))
    return render_template("condolence/form.html", **_form_context(form, None, members))


def _own_request(request_id: int) -> CondolencePayment:
    """A request the current user started (edit, delete a draft); 404 for anyone else."""
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, CondolencePayment)
    if req.initiator_id != user.id:
        abort(404)
    return req


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit(request_id: int):
    """Review and submit a draft, or edit and resubmit after 退回修改 or 撤回 (same number)."""
    req = _own_request(request_id)
    if req.state not in (RequestState.DRAFT, RequestState.RETURNED, RequestState.WITHDRAWN):
        flash(f"申请当前为「{req.state.label}」状态，不能修改", "warning")
        return redirect(url_for("requests.view", request_id=req.id))
    member = req.beneficiary
    form = CondolenceForm()
    form.member_id.choices = _choices([member])
    if request.method == "GET":
        form.member_id.data = member.id
        form.category.data = req.category.value
        form.event_description.data = req.event_description
        form.event_date.data = req.event_date.isoformat()
        # A draft takes today's standard; a returned request keeps its amount for the user to revise.
        form.amount.data = str(req.amount)
        form.over_standard_reason.data = req.over_standard_reason or ""
        form.funding_source.data = req.funding_source.value
        form.planned_visitors.data = req.planned_visitors
        form.planned_date.data = req.planned_date.isoformat()
        form.payee_kind.data = req.payee_kind.value
        form.payee_name.data = req.payee_name if req.payee_kind is PayeeKind.FAMILY else ""
        form.payee_relation.data = req.payee_relation or ""
        form.version.data = str(req.version)
    else:
        form.member_id.data = member.id
        values = form.check(member, existing=req)
        if values is not None:
            values["event_description"] = form.event_description.data
            written: list = []
            seen = int(form.version.data) if (form.version.data or "").isdigit() else -1
            try:
                _apply_values(req, values, written)
                apply_action(req, current_user._get_current_object(), Action.SUBMIT, seen_version=seen)
            except AlreadyHandled as exc:
                db.session.rollback()
                uploads.discard(written)
                flash(exc.message, "danger")
                return redirect(url_for("requests.view", request_id=request_id))
            except WorkflowError as exc:  # the workflow's gate: shown on the form, as typed
                db.session.rollback()
                uploads.discard(written)
                db.session.expire_all()
                req = _own_request(request_id)
                form.show_refusal(exc)
                return render_template("condolence/form.html", **_form_context(form, req, [req.beneficiary]))
            except Exception:
                db.session.rollback()
                uploads.discard(written)
                raise
            flash(f"已提交（{req.number}），等待{req.current_step_label}", "success")
            return redirect(url_for("requests.view", request_id=req.id))
    return render_template("condolence/form.html", **_form_context(form, req, [member]))


@bp.route("/<int:request_id>/delete", methods=["POST"])
@login_required
def delete_draft(request_id: int):
    """删除草稿 through the engine: only the initiator, only a draft (never submitted, so nobody else
    has seen it). The version the page showed guards against a submission from another tab."""
    req = _own_request(request_id)
    back = request.form.get("next") == "campaign"
    number = req.number
    seen = request.form.get("version", type=int)
    try:
        apply_action(req, current_user._get_current_object(), Action.DELETE_DRAFT,
                     seen_version=seen if seen is not None else req.version)
    except WorkflowError:
        db.session.rollback()
        flash(f"{number} 已不是草稿，不能删除", "warning")
        return redirect(url_for("requests.view", request_id=request_id))
    flash(f"已删除草稿 {number}", "success")
    return redirect(url_for("condolence.campaign") if back else url_for("inbox.tab", tab="mine"))


# --- after approval: 登记走访发放 and 取消 (forms in templates/condolence/_panel_extra.html) ---------

def _panel_response(req, message=None, **forms):
    """Errors: the panel again (htmx) or the whole request page, with the posted form's errors."""
    if is_htmx(request):
        return make_response(render_template("requests/_panel.html", **panel_context(req, message=message), **forms))
    return make_response(render_template("requests/view.html", **page_context(req, message=message), **forms))


def _done(req, action: Action, message: str):
    from ...web.requests import _after_action

    if is_htmx(request):
        return _after_action(req, action, "page")
    flash(message, "success")
    return redirect(url_for("requests.view", request_id=req.id))


def _seen(form) -> int:
    return int(form.version.data) if (form.version.data or "").isdigit() else -1


@bp.route("/<int:request_id>/payment", methods=["POST"])
@login_required
def record_payment(request_id: int):
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, CondolencePayment, options=PAGE_LOADS)
    form = PaymentForm(prefix="pay")
    refused = refusal(req, user, Action.RECORD_PAYMENT)
    if refused:
        return _panel_response(req, message=refused)
    values = form.check(req)
    if values is None:
        return _panel_response(req, payment_form=form)
    written: list = []
    try:
        receipts = [uploads.save(f, RECEIPT_KIND, user, written) for f in values["files"]]
        apply_action(req, user, Action.RECORD_PAYMENT, seen_version=_seen(form), payload={
            "visit_date": values["visit_date"], "visitors": values["visitors"],
            "paid_amount": values["paid_amount"], "receipts": receipts})
    except WorkflowError as exc:
        db.session.rollback()
        uploads.discard(written)
        db.session.expire_all()
        req = get_request_or_404(request_id, user, CondolencePayment, options=PAGE_LOADS)
        return _panel_response(req, message=exc.message, payment_form=form)
    except Exception:
        db.session.rollback()
        uploads.discard(written)
        raise
    req = get_request_or_404(request_id, user, CondolencePayment, options=PAGE_LOADS)
    return _done(req, Action.RECORD_PAYMENT, f"已登记走访发放，{req.number} 已完成")


@bp.route("/<int:request_id>/cancel", methods=["POST"])
@login_required
def cancel(request_id: int):
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, CondolencePayment, options=PAGE_LOADS)
    form = CancelForm(prefix="cancel")
    refused = refusal(req, user, Action.CANCEL)
    if refused:
        return _panel_response(req, message=refused)
    if not form.validate():
        return _panel_response(req, cancel_form=form)
    try:
        apply_action(req, user, Action.CANCEL, opinion=form.reason.data.strip(), seen_version=_seen(form))
    except WorkflowError as exc:
        db.session.rollback()
        db.session.expire_all()
        req = get_request_or_404(request_id, user, CondolencePayment, options=PAGE_LOADS)
        return _panel_response(req, message=exc.message, cancel_form=form)
    req = get_request_or_404(request_id, user, CondolencePayment, options=PAGE_LOADS)
    return _done(req, Action.CANCEL, f"已取消 {req.number}")

