"""Apply for a 党费减免, and edit and resubmit one that was returned or withdrawn."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ... import uploads
from ...extensions import db
from ...models import Member, RequestState, Role
from ...org.standing import applicant_refusal, may_be_offered
from ...scope import get_request_or_404
from ...workflow import Action, AlreadyHandled, WorkflowError, apply_action, create_request
from .form import DuesWaiverForm
from .model import DuesWaiver, HardshipCategory, WaiverMode

bp = Blueprint("dues_waiver", __name__, url_prefix="/dues-waivers")


def applicable_members(user, good_standing_only: bool = True) -> list[Member]:
    """Whom the user may apply for: themself, and members of branches where they are secretary.
    Offered: members in good standing only (not 出党, 停止党籍 or 去世: org.standing); the others
    are looked up on a POST only, so that the form says why they are refused."""
    offered = (lambda m: may_be_offered(m)) if good_standing_only else (lambda m: True)
    members = [user.member] if user.member and offered(user.member) else []
    branch_ids = [ra.organization_id for ra in user.roles if ra.role is Role.BRANCH_SECRETARY]
    if branch_ids:
        others = db.session.scalars(select(Member).where(Member.branch_id.in_(branch_ids))
                                    .order_by(Member.branch_id, Member.name)).all()
        members += [m for m in others if m not in members and offered(m)]
    return members


def _choices(user, members):
    return [(m.id, f"{m.name}（{m.staff_no}，{m.branch.name}）" + ("（本人）" if m.id == user.member_id else ""))
            for m in members]


def _apply_values(req: DuesWaiver, values: dict, form: DuesWaiverForm, member: Member, written: list):
    req.mode = WaiverMode(form.mode.data)
    req.monthly_amount = values["monthly_amount"]
    req.monthly_dues_at_application = values["monthly_dues_at_application"]
    req.start_month, req.end_month = values["start_month"], values["end_month"]
    req.hardship_category = HardshipCategory(form.hardship_category.data)
    req.hardship_description = form.hardship_description.data.strip()
    req.amount = values["total"]
    for f in values["evidence"]:
        req.attachments.append(uploads.save(f, "evidence", current_user, written))
    if values["signed"]:
        req.attachments.append(uploads.save(values["signed"], "signed_application", current_user, written))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    user = current_user._get_current_object()
    members = applicable_members(user)
    if not members:
        flash(applicant_refusal(user.member) or "您的账号未关联党员信息，无法申请党费减免", "warning")
        return redirect(url_for("inbox.index"))
    form = DuesWaiverForm()
    form.member_id.choices = _choices(user, members)
    if request.method == "GET":
        form.member_id.data = request.args.get("member_id", type=int) or members[0].id
        form.mode.data = WaiverMode.PARTIAL.value
    if request.method == "POST":
        member = next((m for m in applicable_members(user, good_standing_only=False)
                       if m.id == form.member_id.data), None)
        values = form.check(member, on_behalf=bool(member and member.id != user.member_id))
        if values is not None:
            written = []
            try:
                req = DuesWaiver(organization_id=member.branch_id, beneficiary=member)
                req.organization = member.branch
                _apply_values(req, values, form, member, written)
                create_request(req, user)
                apply_action(req, user, Action.SUBMIT)
            except WorkflowError as exc:  # the workflow's gate, e.g. a waiver filed a moment ago
                db.session.rollback()
                uploads.discard(written)
                form.show_refusal(exc)
            except Exception:
                db.session.rollback()
                uploads.discard(written)
                raise
            else:
                flash(f"申请已提交（编号 {req.number}），等待党支部讨论", "success")
                return redirect(url_for("requests.view", request_id=req.id))
    member_dues = {m.id: str(m.monthly_dues) for m in members}
    return render_template("dues_waiver/form.html", form=form, req=None, member_dues=member_dues,
                           members=members)


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit(request_id: int):
    """After 退回修改 or 撤回, the initiator edits and resubmits."""
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, DuesWaiver)
    if req.initiator_id != user.id:
        abort(404 if req.beneficiary_id != user.member_id else 403)
    if req.state not in (RequestState.RETURNED, RequestState.WITHDRAWN):
        flash(f"申请当前为「{req.state.label}」状态，不能修改", "warning")
        return redirect(url_for("requests.view", request_id=req.id))
    member = req.beneficiary
    form = DuesWaiverForm(obj=None)
    form.member_id.choices = _choices(user, [member])
    if request.method == "GET":
        form.member_id.data = member.id
        form.mode.data = req.mode.value
        form.monthly_amount.data = str(req.monthly_amount)
        form.start_month.data = f"{req.start_month:%Y-%m}"
        form.end_month.data = f"{req.end_month:%Y-%m}"
        form.hardship_category.data = req.hardship_category.value
        form.hardship_description.data = req.hardship_description
    else:
        form.member_id.data = member.id
        values = form.check(member, on_behalf=member.id != user.member_id, existing=req)
        if values is not None:
            written = []
            try:
                _apply_values(req, values, form, member, written)
                apply_action(req, user, Action.SUBMIT, seen_version=request.form.get("version", -1, type=int))
            except AlreadyHandled as exc:
                db.session.rollback()
                uploads.discard(written)
                flash(exc.message, "danger")
                return redirect(url_for("requests.view", request_id=request_id))
            except WorkflowError as exc:  # the workflow's gate: shown on the form, as typed
                db.session.rollback()
                uploads.discard(written)
                db.session.expire_all()
                req = get_request_or_404(request_id, user, DuesWaiver)
                form.show_refusal(exc)
                return render_template("dues_waiver/form.html", form=form, req=req,
                                       member_dues={member.id: str(member.monthly_dues)}, members=[member])
            except Exception:
                db.session.rollback()
                uploads.discard(written)
                raise
            flash(f"已修改并重新提交（{req.number}）", "success")
            return redirect(url_for("requests.view", request_id=req.id))
    return render_template("dues_waiver/form.html", form=form, req=req,
                           member_dues={member.id: str(member.monthly_dues)}, members=[member])
