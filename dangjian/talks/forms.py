"""The talk pages' forms: CSRF and the text rules of ChineseForm; the rules about who may talk
with whom live in operations."""
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ..web.forms import ChineseForm
from .models import TalkKind


def kind_choices():
    return [("", "请选择")] + [(k.value, k.full_label) for k in TalkKind]


class TalkForm(ChineseForm):
    printed = False  # talks are never printed

    org_id = SelectField("谈话身份", coerce=int, validate_choice=False)
    held_on = DateField("谈话日期", validators=[Optional()])
    kind = SelectField("谈话类别", choices=kind_choices(), validate_choice=False)
    place = StringField("谈话地点")
    reason = StringField("事由")
    content = TextAreaField("谈话内容")
    staff_nos = TextAreaField("其他谈话对象（工号/学号）")


class VoidForm(ChineseForm):
    printed = False
    reason = StringField("作废原因")


class LinkForm(ChineseForm):
    printed = False
    leader_id = SelectField("领导", coerce=int, validate_choice=False)
    branch_id = SelectField("联系党支部", coerce=int, validate_choice=False)
    staff_no = StringField("或联系党员（工号/学号）")
    starts_on = DateField("开始日期", validators=[Optional()])
    note = StringField("备注")


class EndLinkForm(ChineseForm):
    printed = False
    ends_on = DateField("结束日期", validators=[Optional()])
