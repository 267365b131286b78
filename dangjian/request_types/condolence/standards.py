"""慰问标准 and the 报校级审批 threshold: 组织部's page (everyone else gets 404).

Each change is a new row (who, when, old → new, effective date); nothing is overwritten, so the
history is the table itself. A change takes effect on a day from today on: requests already submitted
keep the standard and threshold they were submitted under.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from ... import audit
from ...dates import cn_day
from ...extensions import db
from ...models import RequestState, Role
from ...money import MoneyError, format_yuan, parse_yuan
from ...timeutil import local_today
from ...web.forms import ChineseForm
from .form import MAX_AMOUNT, parse_date
from .model import (CondolenceCategory, CondolencePayment, CondolenceStandard, CondolenceThreshold,
                    FundingSource, set_standard, set_threshold, standard_for, threshold_in_force)
from .views import bp

HISTORY_PER_PAGE = 20


def can_manage_standards(user) -> bool:
    return user.holds(Role.ORG_DEPT)


class StandardForm(ChineseForm):
    which = HiddenField(default="standard")
    category = SelectField("慰问类别", choices=[("", "请选择")] + CondolenceCategory.choices(),
                           validators=[InputRequired("请选择慰问类别")], validate_choice=False)
    amount = StringField("标准金额（元）")
    effective_from = StringField("生效日期")
    note = StringField("调整说明", validators=[Length(max=200, message="调整说明不能超过200字")])


class ThresholdForm(ChineseForm):
    which = HiddenField(default="threshold")
    amount = StringField("报校级审批金额线（元）")
    effective_from = StringField("生效日期")
    note = StringField("调整说明", validators=[Length(max=200, message="调整说明不能超过200字")])


def _check_common(form, allow_zero: bool):
    ok = form.validate()
    amount = None
    try:
        amount = parse_yuan(form.amount.data)
        if amount < 0 or (amount == 0 and not allow_zero):
            raise MoneyError("金额不能为负数" if allow_zero else "金额应大于0")
        if amount > MAX_AMOUNT:
            raise MoneyError(f"金额不能超过{format_yuan(MAX_AMOUNT)}")
    except MoneyError as exc:
        form.amount.errors = list(form.amount.errors) + [str(exc)]
        ok, amount = False, None
    effective = parse_date(form.effective_from.data)
    if effective is None:
        form.effective_from.errors = list(form.effective_from.errors) + ["请填写生效日期"]
        ok = False
    elif effective < local_today():
        form.effective_from.errors = list(form.effective_from.errors) + ["生效日期不能早于今天（历史标准不可更改）"]
        ok = False
    elif effective > local_today() + timedelta(days=366):
        form.effective_from.errors = list(form.effective_from.errors) + ["生效日期不能晚于一年后"]
        ok = False
    return ok, amount, effective


@bp.route("/standards", methods=["GET", "POST"])
@login_required
def standards():
    user = current_user._get_current_object()
    if not can_manage_standards(user):
        abort(404)
    today = local_today()
    sform = StandardForm(prefix="s")
    tform = ThresholdForm(prefix="t")
    if request.method == "GET":
        sform.effective_from.data = tform.effective_from.data = today.isoformat()
        sform.category.data = request.args.get("category", "")
    else:
        which = request.form.get("which")
        if which == "standard":
            ok, amount, effective = _check_common(sform, allow_zero=False)
            try:
                category = CondolenceCategory(sform.category.data)
            except ValueError:
                if not sform.category.errors:
                    sform.category.errors = list(sform.category.errors) + ["请选择慰问类别"]
                ok, category = False, None
            if ok:
                row = set_standard(category, amount, effective, user, note=(sform.note.data or "").strip())
                db.session.flush()
                audit.record("condolence.standard.set", row, user=user, category=category.value,
                             old=str(row.previous_amount) if row.previous_amount is not None else None,
                             new=str(amount), effective_from=effective.isoformat())
                db.session.commit()
                old = format_yuan(row.previous_amount) if row.previous_amount is not None else "未设置"
                flash(f"「{category.label}」慰问标准：{old} → {format_yuan(amount)}，自{cn_day(effective)}起执行",
                      "success")
                return redirect(url_for("condolence.standards"))
        elif which == "threshold":
            ok, amount, effective = _check_common(tform, allow_zero=True)
            if ok:
                row = set_threshold(amount, effective, user, note=(tform.note.data or "").strip())
                db.session.flush()
                audit.record("condolence.threshold.set", row, user=user,
                             old=str(row.previous_amount) if row.previous_amount is not None else None,
                             new=str(amount), effective_from=effective.isoformat())
                db.session.commit()
                old = format_yuan(row.previous_amount) if row.previous_amount is not None else "未设置"
                flash(f"报校级审批金额线：{old} → {format_yuan(amount)}，自{cn_day(effective)}起执行", "success")
                return redirect(url_for("condolence.standards"))
        else:
            abort(400)

    current = {c: standard_for(c, today) for c in CondolenceCategory}
    upcoming = db.session.scalars(select(CondolenceStandard).where(CondolenceStandard.effective_from > today)
                                  .options(selectinload(CondolenceStandard.set_by))
                                  .order_by(CondolenceStandard.effective_from, CondolenceStandard.id)).all()
    threshold = threshold_in_force(today)
    upcoming_thresholds = db.session.scalars(select(CondolenceThreshold).where(CondolenceThreshold.effective_from > today)
                                             .order_by(CondolenceThreshold.effective_from)).all()
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count(CondolenceStandard.id))) or 0
    history = db.session.scalars(select(CondolenceStandard).options(selectinload(CondolenceStandard.set_by))
                                 .order_by(CondolenceStandard.id.desc())
                                 .offset((page - 1) * HISTORY_PER_PAGE).limit(HISTORY_PER_PAGE)).all()
    threshold_history = db.session.scalars(select(CondolenceThreshold).options(selectinload(CondolenceThreshold.set_by))
                                           .order_by(CondolenceThreshold.id.desc()).limit(20)).all()
    return render_template(
        "condolence/standards.html", sform=sform, tform=tform, current=current, upcoming=upcoming,
        threshold=threshold, upcoming_thresholds=upcoming_thresholds, history=history, page=page,
        pages=max(1, -(-total // HISTORY_PER_PAGE)), threshold_history=threshold_history,
        totals=_year_totals(today.year), year=today.year, categories=list(CondolenceCategory))


def _year_totals(year: int) -> list[dict]:
    """This year's approved and paid amounts per funding source: unit funds are recorded here too,
    though the school budget does not cap them (§四)."""
    rows = db.session.execute(
        select(CondolencePayment.funding_source, CondolencePayment.state, func.count(CondolencePayment.id),
               func.sum(CondolencePayment.amount), func.sum(CondolencePayment.paid_amount))
        .where(CondolencePayment.state.in_((RequestState.APPROVED, RequestState.COMPLETED)),
               CondolencePayment.event_date >= date(year, 1, 1), CondolencePayment.event_date <= date(year, 12, 31))
        .group_by(CondolencePayment.funding_source, CondolencePayment.state)).all()
    out = []
    for source in FundingSource:
        approved = [r for r in rows if r[0] is source and r[1] is RequestState.APPROVED]
        completed = [r for r in rows if r[0] is source and r[1] is RequestState.COMPLETED]
        out.append({
            "label": source.label,
            "approved_count": sum(r[2] for r in approved),
            "approved_amount": sum((r[3] for r in approved if r[3] is not None), start=0),
            "paid_count": sum(r[2] for r in completed),
            "paid_amount": sum((r[4] for r in completed if r[4] is not None), start=0),
        })
    return out
