"""组织部's pages for the school calendar (校历: 节假日 and 调休) and the steps' time limits (办理时限).

组织部 edits both; 纪委 reads them (the 超期 report is counted on them). Everyone else gets 404, the
系统管理员 too (三员分立). Every change is a CSRF-checked POST with an audit row.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from .. import workdays
from ..accounts.permissions import keeps_school_records, reads_school_records
from ..dates import cn_day
from ..extensions import db
from ..models import CalendarDay, DayKind, StepTimeLimit
from ..timeutil import local_today
from ..web.forms import ChineseForm
from ..workflow.deadlines import MAX_LIMIT, MIN_LIMIT, step_catalog
from . import operations
from .parsing import CalendarInputError, parse_paste, range_entries, weekday_label

bp = Blueprint("schedule", __name__, url_prefix="/calendar")


@bp.before_request
@login_required
def _readers_only():
    if not reads_school_records(current_user):
        abort(404)
    if request.method == "POST" and not keeps_school_records(current_user):
        abort(404)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if (value or "").strip() else None
    except ValueError:
        return None


class DayForm(ChineseForm):
    first = StringField("日期")
    last = StringField("至（可不填）")
    kind = SelectField("类型", choices=DayKind.choices(), default=DayKind.HOLIDAY.value)
    name = StringField("名称", validators=[Optional(), Length(max=50, message="名称不能超过50字")])

    def entries(self):
        """The days to save, or None with the errors on the fields."""
        if not self.validate():
            return None
        first, last = _day(self.first.data), _day(self.last.data)
        if first is None:
            self.first.errors = list(self.first.errors) + ["请选择日期"]
            return None
        if (self.last.data or "").strip() and last is None:
            self.last.errors = list(self.last.errors) + ["日期格式应为 年-月-日"]
            return None
        try:
            return range_entries(first, last, DayKind(self.kind.data), (self.name.data or "").strip())
        except CalendarInputError as exc:
            self.last.errors = list(self.last.errors) + [str(exc)]
            return None


class PasteForm(ChineseForm):
    text = TextAreaField("粘贴本年度放假安排", validators=[Length(max=20000, message="内容过长，请分批导入")])


def _year() -> int:
    year = request.args.get("year", type=int) or local_today().year
    return year if 2000 <= year <= 2100 else local_today().year


def _render_calendar(year: int, day_form: DayForm, paste_form: PasteForm, status: int = 200):
    rows = list(db.session.scalars(select(CalendarDay).where(
        CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(CalendarDay.day)))
    counts = Counter(r.kind for r in rows)
    weekday_holidays = sum(1 for r in rows if r.kind is DayKind.HOLIDAY and r.day.weekday() < 5)
    cal = workdays.WorkCalendar(holidays=frozenset(r.day for r in rows if r.kind is DayKind.HOLIDAY),
                                workdays=frozenset(r.day for r in rows if r.kind is DayKind.WORKDAY))
    working = cal.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
    months = {}
    for r in rows:
        months.setdefault(r.day.month, []).append(r)
    return render_template("schedule/calendar.html", year=year, months=months, rows=rows,
                           holidays=counts[DayKind.HOLIDAY], workdays=counts[DayKind.WORKDAY],
                           weekday_holidays=weekday_holidays, working_days=working, weekday_label=weekday_label,
                           day_form=day_form, paste_form=paste_form, can_edit=keeps_school_records(current_user)), status


@bp.route("/")
def calendar():
    return _render_calendar(_year(), DayForm(formdata=None), PasteForm(formdata=None))


@bp.route("/add", methods=["POST"])
def add():
    year = _year()
    form = DayForm()
    entries = form.entries()
    if entries is not None:
        try:
            counts = operations.set_days(entries, current_user._get_current_object(), source="form")
        except CalendarInputError as exc:
            form.first.errors = list(form.first.errors) + [str(exc)]
        else:
            flash(_saved_message(entries, counts), "success")
            return redirect(url_for(".calendar", year=entries[0].day.year))
    return _render_calendar(year, form, PasteForm(formdata=None), 200)


@bp.route("/import", methods=["POST"])
def import_paste():
    year = _year()
    form = PasteForm()
    if form.validate():
        try:
            entries = parse_paste(form.text.data, year)
            counts = operations.set_days(entries, current_user._get_current_object(), source="paste")
        except CalendarInputError as exc:
            form.text.errors = list(form.text.errors) + [str(exc)]
        else:
            flash(_saved_message(entries, counts), "success")
            return redirect(url_for(".calendar", year=year))
    return _render_calendar(year, DayForm(formdata=None), form, 200)


def _saved_message(entries, counts) -> str:
    holidays = sum(1 for e in entries if e.kind is DayKind.HOLIDAY)
    parts = [f"放假 {holidays} 天"] if holidays else []
    if len(entries) - holidays:
        parts.append(f"调休上班 {len(entries) - holidays} 天")
    detail = f"新增 {counts['added']} 天，修改 {counts['changed']} 天" + (
        f"，{counts['unchanged']} 天原已存在" if counts["unchanged"] else "")
    return f"校历已保存：{'、'.join(parts)}（{detail}）。待办的办理期限随之重新计算。"


@bp.route("/days/<int:day_id>/delete", methods=["POST"])
def delete(day_id: int):
    row = operations.remove_day(day_id, current_user._get_current_object())
    if row is None:
        flash("该日期已被删除", "warning")
        return redirect(url_for(".calendar", year=_year()))
    flash(f"已删除 {cn_day(row.day)}（{row.kind.label}），该日恢复为"
          f"{'工作日' if row.day.weekday() < 5 else '休息日'}", "success")
    return redirect(url_for(".calendar", year=row.day.year))


@bp.route("/limits", methods=["GET", "POST"])
def limits():
    catalog = step_catalog()
    saved = {(r.request_type, r.step): r for r in db.session.scalars(select(StepTimeLimit))}
    errors: dict[str, str] = {}
    values: dict[tuple[str, str], int] = {}
    if request.method == "POST":
        form = ChineseForm()
        if not form.validate():
            abort(400)
        for key, _, steps in catalog:
            for s in steps:
                name = f"limit-{key}-{s.key}"
                raw = (request.form.get(name) or "").strip()
                try:
                    n = int(raw)
                    if not MIN_LIMIT <= n <= MAX_LIMIT:
                        raise ValueError
                    values[(key, s.key)] = n
                except ValueError:
                    errors[name] = f"请填写{MIN_LIMIT}–{MAX_LIMIT}的整数"
        if not errors:
            changes = operations.set_limits(values, current_user._get_current_object())
            flash("办理时限已保存：" + "；".join(changes) if changes else "办理时限没有变化", "success")
            return redirect(url_for(".limits"))
    table = [{"key": key, "label": label, "steps": [{
        "key": s.key, "label": s.label, "name": f"limit-{key}-{s.key}",
        "value": request.form.get(f"limit-{key}-{s.key}") if request.method == "POST"
        else (saved[(key, s.key)].working_days if (key, s.key) in saved else workdays.DEFAULT_LIMIT),
        "custom": (key, s.key) in saved and saved[(key, s.key)].working_days != workdays.DEFAULT_LIMIT,
    } for s in steps]} for key, label, steps in catalog]
    return render_template("schedule/limits.html", table=table, errors=errors, default=workdays.DEFAULT_LIMIT,
                           min_limit=MIN_LIMIT, max_limit=MAX_LIMIT, can_edit=keeps_school_records(current_user),
                           form=ChineseForm(formdata=None))


def admin_entries(user) -> list[dict]:
    if not reads_school_records(user):
        return []
    return [{"label": "校历", "hint": "节假日与调休上班日：公示期和各环节办理期限按工作日计算",
             "url": url_for("schedule.calendar")},
            {"label": "办理时限", "hint": "各类申请每个审批环节的办理时限（工作日），超期在待办中标出并每日提醒",
             "url": url_for("schedule.limits")}]
