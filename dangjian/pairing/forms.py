"""The pairing pages' forms: CSRF and the text rules; the rules themselves live in operations."""
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ..web.forms import ChineseForm
from .models import ContactWay


class PairingForm(ChineseForm):
    printed = False
    member_staff_no = StringField("帮扶对象（工号/学号）")
    helper_staff_no = StringField("帮扶人（工号/学号）")
    started_on = DateField("开始日期", validators=[Optional()])
    measures = TextAreaField("帮扶措施")


class ContactForm(ChineseForm):
    printed = False
    contacted_on = DateField("联系日期", validators=[Optional()])
    way = SelectField("联系方式", choices=[("", "请选择")] + ContactWay.choices(), validate_choice=False)
    notes = TextAreaField("联系情况")


class EndForm(ChineseForm):
    printed = False
    ended_on = DateField("结束日期", validators=[Optional()])
    reason = StringField("结束原因")


class VolunteerForm(ChineseForm):
    printed = False
    staff_no = StringField("党员（工号/学号）")
    activity = StringField("活动名称")
    served_on = DateField("服务日期", validators=[Optional()])
    hours = StringField("时长（小时）")
    organizer = StringField("组织单位")
