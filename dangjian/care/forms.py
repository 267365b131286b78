"""The care pages' forms: they read their own fields (and carry the CSRF token); the rules are in
registry.py and visits.py. None of these texts is printed in a PDF."""
from __future__ import annotations


from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from ..web.forms import ChineseForm
from .models import HardshipCategory, VisitReason


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EntryForm(ChineseForm):
    printed = False
    member_id = SelectField("党员", coerce=int, validate_choice=False)
    categories = CheckboxesField("困难类别", choices=HardshipCategory.choices(), validate_choice=False)
    situation = TextAreaField("困难情况")


class ActionForm(ChineseForm):
    printed = False
    version = HiddenField()
    note = TextAreaField("意见")


class VisitForm(ChineseForm):
    printed = False
    member_id = SelectField("走访对象", coerce=int, validate_choice=False)
    visited_on = StringField("走访日期")
    visitors = StringField("走访人")
    reason = SelectField("走访事由", choices=[("", "请选择")] + VisitReason.choices(), validate_choice=False)
    occasion = SelectField("走访时节", validate_choice=False)
    notes = TextAreaField("走访情况")
    condolence_id = SelectField("关联慰问金申请", coerce=lambda v: int(v) if v else 0, validate_choice=False)
