"""Start a batch (pick the year, see who is eligible and why, submit), resubmit a returned or
withdrawn one, 组织部's 核定调整 of a line, and a secretary's own allowances."""
from decimal import Decimal
from types import SimpleNamespace

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...htmx import is_htmx
from ...budget import line_for
from ...models import BudgetLineKind, RequestState, Role
from ...scope import get_request_or_404
from ...timeutil import local_today
from ...web.requests import PAGE_LOADS, page_context
from ...workflow import Action, AlreadyHandled, WorkflowError, apply_action, available_actions, create_request
from . import adjustment
from .compute import fill_batch, formula, plan_unit, standing_batch, starting_units
from .forms import AdjustForm
from .model import ITEM_KEYS, AllowanceLine, SecretaryAllowance
from .workflow import budget_refusal

bp = Blueprint("secretary_allowance", __name__, url_prefix="/secretary-allowances")


@bp.app_template_global("allowance_budget")
def budget_for_page(req, user):
    """For the school-level readers of a batch in flight: the batch year's 书记补贴 line (`line`,
    None while it is not set). None for everyone else."""
    if req.state is not RequestState.PENDING:
        return None
    if not any(user.holds(role) for role in (Role.ORG_DEPT, Role.SCHOOL, Role.SUPERVISOR)):
        return None
    return SimpleNamespace(line=line_for(req.year, BudgetLineKind.ALLOWANCE))

YEARS_BACK = 5


def year_choices() -> list[int]:
    this = local_today().year
    return list(range(this, this - YEARS_BACK - 1, -1))


def default_year() -> int:
    """The allowance is decided after the year's assessment: last year by default."""
    return local_today().year - 1


def _year_arg(source) -> tuple[int, str | None]:
    raw = source.get("year", "")
    if not raw:
        return default_year(), None
    try:
        year = int(raw)
    except ValueError:
        return default_year(), "年度格式不正确"
    if year not in year_choices():
        return default_year(), f"只能申报{year_choices()[-1]}—{year_choices()[0]}年度的补贴"
    return year, None


def _preview(unit, year, plans, **extra):
    eligible = [p for p in plans if p.eligible]
    total = sum((p.total for p in eligible), Decimal("0.00"))
    return {
        "unit": unit, "year": year, "plans": plans, "eligible": eligible,
        "ineligible": [p for p in plans if not p.eligible],
        "total": total,
        # Like 慰问金's: warned now, checked at 组织部核定, reserved at the final approval.
        "budget_warning": budget_refusal(year, total) if eligible else None,
        "line_count": sum(len(p.lines) for p in eligible),
        "years": year_choices(), "formula": formula, **extra,
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """The secondary unit (or 组织部, for 直属党支部) picks a year, sees every branch with its
    computation or the reason it is left out, and creates and submits the batch."""
    user = current_user._get_current_object()
    units = starting_units(user)
    if not units:
        abort(404)
    source = request.form if request.method == "POST" else request.args
    unit_id = source.get("unit_id", type=int)
    unit = next((u for u in units if u.id == unit_id), units[0])
    year, year_error = _year_arg(source)
    standing = standing_batch(unit.id, year)
    plans = plan_unit(unit, year)
    if request.method == "POST" and not year_error:
        if standing is not None:
            flash(f"{unit.name}{year}年度已有补贴批次（{standing.number}，{standing.state.label}），不能重复发起", "warning")
            return redirect(url_for("requests.view", request_id=standing.id))
        if not any(p.eligible for p in plans):
            flash("没有符合条件的支部，无法发起", "warning")
        else:
            batch = SecretaryAllowance(organization=unit, organization_id=unit.id, year=year)
            fill_batch(batch, plans)
            try:
                create_request(batch, user)
                apply_action(batch, user, Action.SUBMIT)
            except WorkflowError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
                return redirect(url_for("secretary_allowance.new", unit_id=unit.id, year=year))
            flash(f"已提交{year}年度兼职支部书记补贴（编号 {batch.number}），等待组织部核定", "success")
            return redirect(url_for("requests.view", request_id=batch.id))
    return render_template("secretary_allowance/new.html", units=units, req=None, standing=standing,
                           year_error=year_error, **_preview(unit, year, plans))


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit(request_id: int):
    """A returned or withdrawn batch (or a draft whose submission was refused): computed again from
    the records as they are now, then (re)submitted (组织部 starts 核定 afresh)."""
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, SecretaryAllowance)
    if req.initiator_id != user.id:
        abort(403)
    if req.state not in (RequestState.DRAFT, RequestState.RETURNED, RequestState.WITHDRAWN):
        flash(f"该批次当前为「{req.state.label}」状态，不能修改", "warning")
        return redirect(url_for("requests.view", request_id=req.id))
    plans = plan_unit(req.organization, req.year, batch=req)
    if request.method == "POST":
        if not any(p.eligible for p in plans):
            flash("没有符合条件的支部，无法重新提交", "warning")
        else:
            try:
                fill_batch(req, plans)
                apply_action(req, user, Action.SUBMIT, seen_version=request.form.get("version", -1, type=int))
            except WorkflowError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
                return redirect(url_for("requests.view", request_id=request_id))
            flash(f"已重新计算并提交（{req.number}）", "success")
            return redirect(url_for("requests.view", request_id=req.id))
    return render_template("secretary_allowance/new.html", units=[req.organization], req=req, standing=None,
                           year_error=None, **_preview(req.organization, req.year, plans))


# --- 核定调整 --------------------------------------------------------------------------------

# The page also has the approval form (version, opinion …): the adjustment's fields get their own
# names and ids.
ADJUST_PREFIX = "adj"


def _line_choices(req):
    return [(ln.id, f"{ln.branch.name} · {ln.member.name}（{ln.served_label}）") for ln in req.lines]


def _fill_from_line(form: AdjustForm, line: AllowanceLine) -> None:
    form.line_id.data = line.id
    form.amount.data = f"{line.amount:.2f}"
    for key in ITEM_KEYS:
        getattr(form, key).data = f"{getattr(line, key):.2f}"
    form.payment_method.data = line.payment_method.value


def _adjust_fragment(req, form, message=None, status=200):
    html = render_template("secretary_allowance/_adjust_form.html", req=req, form=form, message=message)
    return make_response(html, status)


@bp.route("/<int:request_id>/adjust", methods=["GET", "POST"])
@login_required
def adjust(request_id: int):
    """组织部 changes one line: GET gives the form for a line, POST applies it (one 核定调整 on
    the timeline each time). Errors come back in the form, next to their fields."""
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, SecretaryAllowance)
    form = AdjustForm(formdata=request.form if request.method == "POST" else None, prefix=ADJUST_PREFIX)
    form.line_id.choices = _line_choices(req)
    if request.method == "GET":
        if Action.ADJUST not in available_actions(req, user):
            abort(403)
        line_id = request.args.get("line_id", type=int)
        line = next((ln for ln in req.lines if ln.id == line_id), req.lines[0] if req.lines else None)
        if line is not None:
            _fill_from_line(form, line)
        form.version.data = str(req.version)
        return _adjust_fragment(req, form)

    payload = {"line_id": form.line_id.data, "amount": form.amount.data,
               "payment_method": form.payment_method.data,
               **{key: getattr(form, key).data for key in ITEM_KEYS}}
    message = None
    if form.validate():
        try:
            adjustment.check(req, payload)
            seen = int(form.version.data) if (form.version.data or "").isdigit() else -1
            apply_action(req, user, Action.ADJUST, opinion=form.opinion.data or "", seen_version=seen,
                         payload=payload)
        except adjustment.AdjustmentInvalid as exc:
            for name, text in exc.errors.items():
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = list(field.errors) + [text]
                else:
                    message = text
        except AlreadyHandled:
            db.session.rollback()
            db.session.expire_all()
            message = "该批次刚被其他人调整或处理，已显示最新数据，请核对后重新调整"
            req = get_request_or_404(request_id, user, SecretaryAllowance)
            line = next((ln for ln in req.lines if ln.id == form.line_id.data), None)
            form = AdjustForm(formdata=None, prefix=ADJUST_PREFIX)
            form.line_id.choices = _line_choices(req)
            if line is not None:
                _fill_from_line(form, line)
        except WorkflowError as exc:
            db.session.rollback()
            db.session.expire_all()
            req = get_request_or_404(request_id, user, SecretaryAllowance)
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None and exc.field != "version":
                field.errors = list(field.errors) + [exc.message]
            else:
                message = exc.message
        else:
            return _after_adjust(request_id, user)
    form.version.data = str(req.version)
    if not is_htmx(request):
        return render_template("requests/view.html", **page_context(req, message=message or "调整未保存，请根据提示修改"))
    return _adjust_fragment(req, form, message)


def _after_adjust(request_id: int, user):
    req = get_request_or_404(request_id, user, options=PAGE_LOADS)
    last = req.timeline[-1]
    notice = f"已保存核定调整：{last.detail}"
    if not is_htmx(request):
        flash(notice, "success")
        return redirect(url_for("requests.view", request_id=request_id))
    resp = make_response(render_template("requests/_main.html", notice=notice, **page_context(req)))
    resp.headers["HX-Retarget"] = "#request-main"
    resp.headers["HX-Reswap"] = "innerHTML"
    resp.headers["HX-Trigger"] = "requestChanged"
    return resp


# --- a secretary's own allowances ----------------------------------------------------------------

@bp.route("/mine")
@login_required
def mine():
    """The allowances that pay me (as a branch secretary), newest first, with their notices."""
    user = current_user._get_current_object()
    lines = []
    if user.member_id is not None:
        lines = db.session.scalars(
            select(AllowanceLine).join(SecretaryAllowance, SecretaryAllowance.id == AllowanceLine.batch_id)
            .where(AllowanceLine.member_id == user.member_id, SecretaryAllowance.state != RequestState.DRAFT)
            .options(selectinload(AllowanceLine.batch).selectinload(SecretaryAllowance.documents),
                     selectinload(AllowanceLine.branch))
            .order_by(SecretaryAllowance.year.desc(), AllowanceLine.batch_id.desc(), AllowanceLine.position)
            .limit(200)).all()
    return render_template("secretary_allowance/mine.html", lines=lines)
