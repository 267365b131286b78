"""The members: the list (search, filters, export), a member's page (history, requests, help
received, the audited reveal), and 组织部's changes: 新增, 修改, 组织关系转接, 党籍状态, 月缴党费."""
import json
from datetime import date

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..dates import cn_day
from ..extensions import db
from ..htmx import is_htmx
from ..models import (AuditEvent, Member, MemberCategory, MemberStatus, MemberTransfer, PersonCategory, Request,
                      RequestState)
from ..money import format_yuan
from ..scope import visible_requests
from ..timeutil import local_today
from . import access, operations, queries
from .export import members_xlsx
from .forms import DuesForm, MemberForm, RevealForm, StatusForm, TransferForm, parse_day, parse_money, parse_month
from .views import bp, manage_only

HELP_STATES = (RequestState.APPROVED, RequestState.COMPLETED, RequestState.AWARDED)


def _user():
    return current_user._get_current_object()


def _member_or_404(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    return member


# --- the list ---------------------------------------------------------------------------------------

@bp.route("/members")
def members():
    f = queries.MemberFilter.from_args(request.args)
    page = db.paginate(queries.member_query(f), page=request.args.get("page", 1, type=int),
                       per_page=request.args.get("per_page", 20, type=int) if request.args.get("per_page", type=int) in (20, 50, 100) else 20,
                       error_out=False)
    template = "org/_member_rows.html" if is_htmx(request) else "org/members.html"
    return render_template(template, page=page, f=f,
                           units=queries.unit_filter_choices(), flags=queries.FLAGS,
                           person_categories=PersonCategory.choices(), member_categories=MemberCategory.choices(),
                           statuses=MemberStatus.choices())


@bp.route("/members/export.xlsx")
@manage_only
def members_export():
    f = queries.MemberFilter.from_args(request.args)
    query = queries.member_query(f)
    today = local_today()
    title = f"党员名册（导出于{cn_day(today)}" + ("，按当前筛选条件" if f.active else "") + \
        "；身份证号、联系电话已脱敏）"
    data = members_xlsx(query, title)
    audit.record("member.exported", user=_user(), filter=f.args())
    db.session.commit()
    resp = make_response(data)
    resp.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"党员名册-{today:%Y%m%d}.xlsx"
    from urllib.parse import quote
    resp.headers["Content-Disposition"] = f"attachment; filename=members-{today:%Y%m%d}.xlsx; filename*=UTF-8''{quote(filename)}"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- a member's page ---------------------------------------------------------------------------------

def _history(member: Member) -> list[dict]:
    """The audit rows about the member (created, updated, status, dues, transfers), newest first."""
    rows = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == Member.__tablename__, AuditEvent.object_id == member.id,
        AuditEvent.action.in_(("member.created", "member.updated", "member.status_changed")))
        .options(selectinload(AuditEvent.user)).order_by(AuditEvent.id.desc())).all()
    out = []
    for e in rows:
        detail = json.loads(e.detail) if e.detail else {}
        out.append({"event": e, "detail": detail})
    return out


def _status_history(history):
    return [h for h in history if h["event"].action == "member.status_changed"]


def member_context(member: Member, user, **extra) -> dict:
    requests_ = db.session.scalars(
        select(Request).where(Request.beneficiary_id == member.id, visible_requests(user))
        .options(selectinload(Request.organization)).order_by(Request.created_at.desc(), Request.id.desc())).all()
    history = _history(member)
    transfers = db.session.scalars(select(MemberTransfer).where(MemberTransfer.member_id == member.id)
                                   .options(selectinload(MemberTransfer.from_branch),
                                            selectinload(MemberTransfer.to_branch))
                                   .order_by(MemberTransfer.transferred_on.desc(), MemberTransfer.id.desc())).all()
    today = local_today()
    return {"member": member, "requests": requests_, "help": [r for r in requests_ if r.state in HELP_STATES],
            "transfers": transfers, "history": history, "status_history": _status_history(history),
            "rates": list(reversed(member.dues_rates)), "dues_now": member.dues_on(today), "today": today,
            "can_manage": access.can_manage(user), "revealed": {}, "reveal_forms": {},
            **extra}


@bp.route("/members/<int:member_id>")
def member(member_id: int):
    member = _member_or_404(member_id)
    return render_template("org/member.html", **member_context(member, _user()))


@bp.route("/members/<int:member_id>/reveal", methods=["POST"])
def reveal(member_id: int):
    """查看完整身份证号 / 联系电话: a reason is required; each reveal is an audit row."""
    member = _member_or_404(member_id)
    if not access.can_reveal(current_user):
        abort(404)
    form = RevealForm()
    field = form.field.data if form.field.data in operations.REVEAL_FIELDS else None
    if field is None:
        abort(404)
    value, error = None, None
    if form.validate():
        try:
            value = operations.reveal(_user(), member, field, form.reason.data)
        except operations.OrgError as exc:
            db.session.rollback()
            error = exc.message
    else:
        error = "；".join(form.reason.errors)
    if is_htmx(request):
        return render_template("org/_reveal.html", member=member, field=field, value=value, error=error, form=form)
    ctx = member_context(member, _user())
    if value is not None:
        ctx["revealed"] = {field: value}
    else:
        ctx["reveal_forms"] = {field: (form, error)}
    return render_template("org/member.html", **ctx)


# --- 新增 and 修改 --------------------------------------------------------------------------------------

def _branch_choices(form, current=None):
    branches = queries.live_branches()
    if current is not None and current not in branches:
        branches.insert(0, current)
    form.branch_id.choices = [(0, "请选择")] + [(b.id, queries.branch_choice_label(b)) for b in branches]
    return branches


@bp.route("/members/new", methods=["GET", "POST"])
@manage_only
def member_new():
    form = MemberForm()
    branches = _branch_choices(form)
    if request.method == "GET":
        form.branch_id.data = request.args.get("branch_id", type=int) or 0
        form.member_category.data = MemberCategory.FULL.value
        form.monthly_dues.data = ""
    else:
        values = form.typed(creating=True)
        if values is not None:
            values["branch"] = next((b for b in branches if b.id == form.branch_id.data), None)
            try:
                member = operations.create_member(_user(), values)
            except operations.MemberInvalid as exc:
                db.session.rollback()
                form.show_errors(exc.errors)
            else:
                flash(f"已新增党员「{member.name}」（{member.staff_no}）", "success")
                return redirect(url_for("org.member", member_id=member.id))
    return render_template("org/member_form.html", form=form, member=None)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@manage_only
def member_edit(member_id: int):
    member = _member_or_404(member_id)
    form = MemberForm()
    if request.method == "GET":
        for f in ("name", "gender", "staff_no", "id_number", "phone", "ethnicity", "education", "post",
                  "is_model_worker"):
            getattr(form, f).data = getattr(member, f)
        form.person_category.data = member.person_category.value
        form.member_category.data = member.member_category.value
        for f in ("joined_party_on", "full_member_on", "birth_date"):
            value = getattr(member, f)
            getattr(form, f).data = value.isoformat() if value else ""
    else:
        values = form.typed(creating=False)
        if values is not None:
            try:
                changed = operations.update_member(_user(), member, values)
            except operations.MemberInvalid as exc:
                db.session.rollback()
                form.show_errors(exc.errors)
            else:
                flash(f"已保存：修改了{'、'.join(changed)}" if changed else "没有修改任何内容", "success")
                return redirect(url_for("org.member", member_id=member.id))
    return render_template("org/member_form.html", form=form, member=member)


# --- 组织关系转接, 党籍状态, 月缴党费 ---------------------------------------------------------------------

def _refused(form, exc: operations.OrgError, fields: dict) -> None:
    target = getattr(form, fields.get(exc.field, exc.field or ""), None)
    if target is not None and hasattr(target, "errors"):
        target.errors = list(target.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.route("/members/<int:member_id>/transfer", methods=["GET", "POST"])
@manage_only
def member_transfer(member_id: int):
    member = _member_or_404(member_id)
    form = TransferForm()
    branches = queries.live_branches(exclude_id=member.branch_id)
    form.to_branch_id.choices = [(0, "请选择")] + [(b.id, queries.branch_choice_label(b)) for b in branches]
    if request.method == "GET":
        form.transferred_on.data = local_today().isoformat()
    elif form.validate():
        on = parse_day(form.transferred_on)
        if on is not None:
            to = next((b for b in branches if b.id == form.to_branch_id.data), None)
            try:
                operations.transfer_member(_user(), member, to, on, note=form.note.data)
            except operations.OrgError as exc:
                db.session.rollback()
                _refused(form, exc, {"to_branch": "to_branch_id"})
            else:
                flash(f"已办理组织关系转接：「{member.name}」转入「{to.name}」", "success")
                return redirect(url_for("org.member", member_id=member.id))
    return render_template("org/member_transfer.html", form=form, member=member)


@bp.route("/members/<int:member_id>/status", methods=["GET", "POST"])
@manage_only
def member_status(member_id: int):
    member = _member_or_404(member_id)
    form = StatusForm()
    options = operations.STATUS_CHANGES[member.status or MemberStatus.NORMAL]
    form.status.choices = [("", "请选择")] + [(s.value, operations.STATUS_CHANGE_LABELS[s]) for s in options]
    if request.method == "GET":
        form.status_on.data = local_today().isoformat()
        form.status.data = request.args.get("to", "")
    elif form.validate():
        status = form.typed_status()
        on = parse_day(form.status_on, label="生效日期")
        if status is not None and on is not None:
            try:
                operations.change_status(_user(), member, status, on, note=form.note.data)
            except operations.OrgError as exc:
                db.session.rollback()
                _refused(form, exc, {})
            else:
                flash(f"已将「{member.name}」的党籍状态变更为「{status.label}」", "success")
                return redirect(url_for("org.member", member_id=member.id))
    return render_template("org/member_status.html", form=form, member=member, options=options)


@bp.route("/members/<int:member_id>/dues", methods=["GET", "POST"])
@manage_only
def member_dues(member_id: int):
    member = _member_or_404(member_id)
    form = DuesForm()
    today = local_today()
    if request.method == "GET":
        nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        form.effective_from.data = f"{nxt:%Y-%m}"
        form.amount.data = str(member.dues_on(nxt))
    elif form.validate():
        month = parse_month(form.effective_from)
        amount = parse_money(form.amount)
        if month is not None and amount is not None:
            try:
                operations.set_dues(_user(), member, month, amount, note=form.note.data)
            except operations.OrgError as exc:
                db.session.rollback()
                _refused(form, exc, {})
            else:
                flash(f"已登记：自{month.year}年{month.month}月起月缴党费 {format_yuan(amount)}", "success")
                return redirect(url_for("org.member", member_id=member.id, _anchor="dues"))
    return render_template("org/member_dues.html", form=form, member=member, rates=list(reversed(member.dues_rates)),
                           dues_now=member.dues_on(today))
