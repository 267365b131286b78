"""Forms of the allowance pages: 核定调整, secretary terms and branch dates.
Every message is Chinese and sits next to its field."""
from datetime import date

from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ...web.forms import ChineseForm
from .model import PaymentMethod


class AdjustForm(ChineseForm):
    """组织部核定调整 of one line."""

    version = HiddenField()
    line_id = SelectField("调整对象", coerce=int, validate_choice=False)
    amount = StringField("补贴金额")
    phone = StringField("电话补助")
    transport = StringField("交通补助")
    materials = StringField("资料费")
    post = StringField("岗位补贴")
    reward = StringField("考核奖励")
    payment_method = RadioField("发放方式", choices=PaymentMethod.choices(), validate_choice=False)
    opinion = TextAreaField("调整说明", validators=[Length(max=1000, message="调整说明不能超过1000字")])



class TermForm(ChineseForm):
    """A secretary's term: who, from/to, 兼职 or 专职."""

    member_id = SelectField("支部书记", coerce=int, validate_choice=False)
    start_on = DateField("任职开始日期", validators=[InputRequired("请填写任职开始日期")],
                         format="%Y-%m-%d")
    end_on = DateField("任职结束日期", validators=[Optional()], format="%Y-%m-%d")
    part_time = RadioField("任职方式", choices=[("1", "兼职"), ("0", "专职")],
                           validators=[InputRequired("请选择兼职或专职")], validate_choice=False)

    def check(self, members, others) -> dict | None:
        """Validate against the branch's members and its other terms; returns clean values."""
        ok = self.validate()
        member = next((m for m in members if m.id == self.member_id.data), None)
        if member is None:
            self.member_id.errors = list(self.member_id.errors) + ["请选择本支部的一名党员"]
            ok = False
        if self.part_time.data not in ("1", "0"):
            if not self.part_time.errors:
                self.part_time.errors = list(self.part_time.errors) + ["请选择兼职或专职"]
            ok = False
        start, end = self.start_on.data, self.end_on.data
        if start and end and end < start:
            self.end_on.errors = list(self.end_on.errors) + ["任职结束日期不能早于开始日期"]
            ok = False
        elif start and ok:
            clash = next((t for t in others if t.overlaps(start, end)), None)
            if clash:
                self.start_on.errors = list(self.start_on.errors) + [overlap_message(clash)]
                ok = False
        if not ok:
            return None
        return {"member": member, "start_on": start, "end_on": end, "part_time": self.part_time.data == "1"}


class EndTermForm(ChineseForm):
    end_on = DateField("任职结束日期", validators=[InputRequired("请填写任职结束日期")], format="%Y-%m-%d")


class BranchDatesForm(ChineseForm):
    founded_on = DateField("成立日期", validators=[Optional()], format="%Y-%m-%d")
    dissolved_on = DateField("撤销日期", validators=[Optional()], format="%Y-%m-%d")

    def check(self) -> bool:
        ok = self.validate()
        if ok and self.founded_on.data and self.dissolved_on.data and self.dissolved_on.data <= self.founded_on.data:
            self.dissolved_on.errors = list(self.dissolved_on.errors) + ["撤销日期应晚于成立日期"]
            ok = False
        return ok


def period_label(start: date, end: date | None) -> str:
    return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}" if end else f"{start:%Y-%m-%d} 至今"


def overlap_message(term) -> str:
    return (f"与{term.member.name}的任职（{period_label(term.start_on, term.end_on)}）重叠："
            "同一支部同一时间只能有一位书记，请先结束前任的任期")
