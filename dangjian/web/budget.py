"""经费预算 (§四): 组织部 sets each year's school-level budget per line; 纪委 reads it. Beside it,
each secondary unit's own funds (unit_funds): the unit keeps its ledger, 组织部 and 纪委 read it."""
from datetime import date
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from .. import audit, unit_funds
from ..extensions import db
from ..budget import as_money
from ..models import (BudgetEntry, BudgetLine, BudgetLineKind, Organization, OrgKind, Role, UnitFundEntry,
                      UnitFundKind)
from ..money import MoneyError, format_yuan, parse_yuan
from ..timeutil import local_today
from .forms import ChineseForm

bp = Blueprint("budget", __name__, url_prefix="/budget")


def _can_read(user) -> bool:
    return user.holds(Role.ORG_DEPT) or user.holds(Role.SUPERVISOR)


class BudgetForm(ChineseForm):
    kind = SelectField("预算科目", choices=BudgetLineKind.choices(), validators=[InputRequired("请选择预算科目")])
    amount = StringField("年度预算（元）")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    user = current_user._get_current_object()
    if not _can_read(user):
        abort(404)
    year = request.args.get("year", type=int) or local_today().year
    form = BudgetForm()
    if request.method == "POST":
        if not user.holds(Role.ORG_DEPT):
            abort(403)
        if form.validate():
            kind = BudgetLineKind(form.kind.data)
            try:
                amount = parse_yuan(form.amount.data)
                if amount < 0:
                    raise MoneyError("预算不能为负数")
            except MoneyError as exc:
                form.amount.errors = list(form.amount.errors) + [str(exc)]
            else:
                if _set_budget(year, kind, amount, user, form):
                    flash(f"{year}年度「{kind.label}」预算已设为 {format_yuan(amount)}", "success")
                    return redirect(url_for("budget.index", year=year))
    lines = {line.kind: line for line in db.session.scalars(select(BudgetLine).where(BudgetLine.year == year))}
    entries = db.session.scalars(
        select(BudgetEntry).join(BudgetLine).where(BudgetLine.year == year)
        .options(selectinload(BudgetEntry.line), selectinload(BudgetEntry.request), selectinload(BudgetEntry.actor))
        .order_by(BudgetEntry.id.desc()).limit(100)).all()
    units = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.SECONDARY)
                               .order_by(Organization.sort_order, Organization.id)).all()
    return render_template("budget/index.html", year=year, lines=lines, kinds=list(BudgetLineKind),
                           entries=entries, form=form, can_edit=user.holds(Role.ORG_DEPT),
                           units=units, unit_totals=unit_funds.totals(year),
                           unit_line_labels=[k.label for k in BudgetLineKind] + ["其他"])


def _set_budget(year: int, kind: BudgetLineKind, amount: Decimal, user, form) -> bool:
    """Set a line's amount; never below what is already reserved and spent. One conditional
    UPDATE, so a reservation racing this change cannot end up above the new amount."""
    line = db.session.scalar(select(BudgetLine).where(BudgetLine.year == year, BudgetLine.kind == kind))
    if line is None:
        line = BudgetLine(year=year, kind=kind, amount=amount, reserved=Decimal("0"), spent=Decimal("0"))
        db.session.add(line)
        db.session.flush()
    else:
        changed = db.session.execute(
            update(BudgetLine).where(BudgetLine.id == line.id, BudgetLine.reserved + BudgetLine.spent <= as_money(amount))
            .values(amount=amount).execution_options(synchronize_session=False)).rowcount
        if not changed:
            db.session.rollback()
            db.session.refresh(line)
            form.amount.errors = list(form.amount.errors) + [
                f"预算不能低于已预留与已支出之和（{format_yuan(line.reserved + line.spent)}）"]
            return False
    db.session.add(BudgetEntry(line_id=line.id, kind="set", amount=amount, actor_id=user.id, note="设定年度预算"))
    audit.record("budget.set", line, user=user, year=year, kind=kind.value, amount=str(amount))
    db.session.commit()
    return True


# --- 二级党组织自有经费 ---

LINE_CHOICES = [("", "其他")] + BudgetLineKind.choices()
PER_PAGE = 50


class UnitEntryForm(ChineseForm):
    kind = SelectField("收支", choices=UnitFundKind.choices(), validators=[InputRequired("请选择收入或支出")])
    line_kind = SelectField("经费项目", choices=LINE_CHOICES, validate_choice=False)
    amount = StringField("金额（元）")
    occurred_on = StringField("发生日期")
    summary = StringField("摘要")
    voucher_no = StringField("凭证号")


class VoidForm(ChineseForm):
    reason = TextAreaField("冲销原因")


def _unit_or_404(org_id: int, user) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None or not unit_funds.keeps_ledger(org) or not unit_funds.may_read(user, org):
        abort(404)
    return org


def unit_entries(user) -> list[dict]:
    """管理: the ledger of each unit the user records for."""
    return [{"label": "本单位自有经费", "url": url_for("budget.unit", org_id=o.id),
             "hint": f"{o.name}：自有经费收支登记（不受校级预算限制）"}
            for o in user.role_orgs(Role.SECONDARY)]


@bp.route("/units/<int:org_id>", methods=["GET", "POST"])
@login_required
def unit(org_id: int):
    user = current_user._get_current_object()
    org = _unit_or_404(org_id, user)
    year = request.args.get("year", type=int) or local_today().year
    form = UnitEntryForm(prefix="entry")
    if request.method == "POST":
        if not unit_funds.may_record(user, org):
            abort(404)
        form.validate()
        amount = occurred = None
        try:
            amount = parse_yuan(form.amount.data or "")
        except MoneyError as exc:
            form.amount.errors = list(form.amount.errors) + [str(exc)]
        try:
            occurred = date.fromisoformat((form.occurred_on.data or "").strip())
        except ValueError:
            pass
        for name, message in unit_funds.check(amount, occurred, (form.summary.data or "").strip(),
                                              (form.voucher_no.data or "").strip()):
            field = getattr(form, name)
            if not field.errors:
                field.errors = list(field.errors) + [message]
        if not any(f.errors for f in form):
            try:
                entry = unit_funds.add_entry(
                    org, user, kind=UnitFundKind(form.kind.data),
                    line_kind=BudgetLineKind(form.line_kind.data) if form.line_kind.data else None,
                    amount=amount, occurred_on=occurred, summary=form.summary.data, voucher_no=form.voucher_no.data)
            except unit_funds.LedgerRefused as exc:
                db.session.rollback()
                field = getattr(form, exc.field, None) if exc.field else None
                if field is not None:
                    field.errors = list(field.errors) + [exc.message]
                else:
                    flash(exc.message, "danger")
            else:
                flash(f"已登记{entry.kind.label} {format_yuan(entry.amount)}：{entry.summary}", "success")
                return redirect(url_for("budget.unit", org_id=org.id, year=entry.year))
    page = max(request.args.get("page", 1, type=int), 1)
    query = select(UnitFundEntry).where(UnitFundEntry.organization_id == org.id, UnitFundEntry.year == year)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = db.session.scalars(query.options(selectinload(UnitFundEntry.recorded_by), selectinload(UnitFundEntry.request))
                                 .order_by(UnitFundEntry.occurred_on.desc(), UnitFundEntry.id.desc())
                                 .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    if form.occurred_on.data is None:
        form.occurred_on.data = local_today().isoformat()
    return render_template("budget/unit.html", org=org, year=year, form=form, entries=entries,
                           totals=unit_funds.totals(year, [org.id]).get(org.id), void_form=VoidForm(formdata=None),
                           can_record=unit_funds.may_record(user, org), page=page,
                           pages=max(1, -(-total // PER_PAGE)))


@bp.route("/units/entries/<int:entry_id>/void", methods=["POST"])
@login_required
def void(entry_id: int):
    user = current_user._get_current_object()
    entry = db.session.get(UnitFundEntry, entry_id) or abort(404)
    org = _unit_or_404(entry.organization_id, user)
    if not unit_funds.may_record(user, org):
        abort(404)
    form = VoidForm()
    try:
        unit_funds.void_entry(entry.id, user, form.reason.data)
    except unit_funds.LedgerRefused as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(f"已冲销：{entry.summary}", "success")
    return redirect(url_for("budget.unit", org_id=org.id, year=entry.year))
