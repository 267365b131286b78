"""委托代理 (issue 8 §5): the holder's own page — name a deputy for a role and a date range, see
who acts for them, end a delegation early; and, for a deputy, whom they act for.

The rules are `workflow.delegation` (who may be named, dates, overlaps) and `workflow.routing`
(what the deputy may then do). Blueprint "delegations", /me/delegations.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import Optional

from ..accounts.permissions import only_sysadmin
from ..dates import cn_day
from ..extensions import db
from ..models import User
from ..workflow import delegation
from .forms import ChineseForm

bp = Blueprint("delegations", __name__, url_prefix="/me/delegations")


class DelegationForm(ChineseForm):
    assignment = SelectField("委托的角色", validate_choice=False)
    deputy = SelectField("代理人", choices=[("", "请选择")], validate_choice=False)
    starts_on = DateField("开始日期", validators=[Optional()])
    ends_on = DateField("结束日期（含当天）", validators=[Optional()])
    reason = TextAreaField("委托事由")


def _form(user, form=None) -> DelegationForm:
    form = form or DelegationForm(formdata=None)
    mine = delegation.delegable_assignments(user)
    choices = [(str(ra.id), delegation.role_label(ra)) for ra in mine]
    if len(mine) > 1:
        choices.insert(0, (delegation.ALL, "全部角色"))
    form.assignment.choices = choices
    deputies = db.session.scalars(_any_role_deputies(user, mine)).all() if mine else []
    form.deputy.choices = [("", "请选择")] + [(str(u.id), _deputy_label(u)) for u in deputies]
    if form.starts_on.data is None and form.ends_on.data is None and not form.errors:
        form.starts_on.data, form.ends_on.data = delegation.default_dates()
    return form


def _any_role_deputies(user, assignments):
    """Whoever may deputise for at least one of the roles; the choice is checked against the role
    chosen when the form is sent (workflow.delegation.create)."""
    ids = set()
    for ra in assignments:
        ids |= set(db.session.scalars(delegation.eligible_deputies(user, [ra]).with_only_columns(User.id)))
    return select(User).where(User.id.in_(ids)).order_by(User.display_name, User.id)


def _deputy_label(user) -> str:
    where = user.member.branch.name if user.member is not None else (user.role_labels[0] if user.roles else "")
    return f"{user.display_name}（{where}）" if where else user.display_name


def _page(form, status=200):
    user = current_user._get_current_object()
    return render_template("delegations/index.html", form=_form(user, form),
                           given=delegation.given(user), received=delegation.received(user),
                           can_delegate=bool(delegation.delegable_assignments(user)),
                           max_days=delegation.MAX_DAYS), status


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    if only_sysadmin(current_user):
        abort(404)
    form = DelegationForm()
    if form.is_submitted():
        if form.validate():
            raw = form.deputy.data or ""
            try:
                rows = delegation.create(current_user._get_current_object(), assignment=form.assignment.data,
                                         deputy_id=int(raw) if raw.isdigit() else None,
                                         starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                         reason=form.reason.data)
            except delegation.DelegationInvalid as exc:
                db.session.rollback()
                for name, message in exc.errors.items():
                    getattr(form, name).errors = list(getattr(form, name).errors) + [message]
            else:
                row = rows[0]
                flash(f"已委托{row.deputy.display_name}在{cn_day(row.starts_on)}至{cn_day(row.ends_on)}代为处理"
                      f"{'全部角色' if len(rows) > 1 else delegation.role_label(row.role_assignment)}的审批事项。",
                      "success")
                return redirect(url_for("delegations.index"))
        return _page(form)
    return _page(None)


@bp.route("/<int:delegation_id>/end", methods=["POST"])
@login_required
def end(delegation_id: int):
    try:
        row = delegation.end(current_user._get_current_object(), delegation_id)
    except delegation.DelegationInvalid as exc:
        db.session.rollback()
        flash(next(iter(exc.errors.values())), "warning")
        return redirect(url_for("delegations.index"))
    if row is None:
        abort(404)
    flash(f"已结束对{row.deputy.display_name}的委托，其不能再代为处理。", "success")
    return redirect(url_for("delegations.index"))
