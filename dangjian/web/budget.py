"""经费预算 (§四): 组织部 sets each year's school-level budget per line; 纪委 reads it."""
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired

from .. import audit
from ..extensions import db
from ..budget import as_money
from ..models import BudgetEntry, BudgetLine, BudgetLineKind, Role
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
    return render_template("budget/index.html", year=year, lines=lines, kinds=list(BudgetLineKind),
                           entries=entries, form=form, can_edit=user.holds(Role.ORG_DEPT))


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
