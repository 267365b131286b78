"""The inspection pages' forms: they read their own fields (and carry the CSRF token); the rules are
in operations.py and tasks.py. None of these texts is printed in a PDF."""
from __future__ import annotations


from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from ..web.forms import ChineseForm
from .models import PlanKind, Severity


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class PlanForm(ChineseForm):
    printed = False
    year = StringField("年度")
    kind = SelectField("检查类型", choices=PlanKind.choices(), validate_choice=False)
    title = StringField("计划名称")
    starts_on = StringField("开始日期")
    ends_on = StringField("结束日期")
    team = StringField("检查组成员")
    unit_ids = CheckboxesField("被检查单位", coerce=_int_or_zero, validate_choice=False)


class FindingForm(ChineseForm):
    printed = False
    org_id = SelectField("被检查单位", coerce=_int_or_zero, validate_choice=False)
    severity = SelectField("问题性质", choices=Severity.choices(), validate_choice=False)
    text = TextAreaField("问题描述")


class TaskForm(ChineseForm):
    printed = False
    owner_org_id = SelectField("整改责任单位", coerce=_int_or_zero, validate_choice=False)
    requirement = TextAreaField("整改要求")
    deadline = StringField("整改期限")


class ActionForm(ChineseForm):
    printed = False
    version = HiddenField()
    note = TextAreaField("意见")


class ExtendForm(ChineseForm):
    """延长整改期限 (纪委)."""
    printed = False
    version = HiddenField()
    deadline = StringField("新的整改期限")
    reason = TextAreaField("延期理由")


class CloseForm(ChineseForm):
    """结束检查 (纪委), once every task is signed off or withdrawn."""
    printed = False
    note = TextAreaField("结束说明（可不填）")


def parse_year(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) == 4 else None
