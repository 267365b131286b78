"""Forms shared by the request pages (the action panel)."""
from datetime import date

from flask import flash
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..timeutil import local_today
from ..workflow import MeetingRecord
from ..workflow.definition import MEETING_TYPES

# WTForms' own messages ("Not a valid integer value." …) in Chinese, from the catalogue WTForms
# ships. Flask-WTF would only translate them through Flask-Babel, which we do not use.
_ZH = get_translations(["zh"])


class ChineseForm(FlaskForm):
    """A FlaskForm whose built-in messages are Chinese. Every form of the app derives from it."""

    class Meta:
        def get_translations(self, form):
            return _ZH

    def show_refusal(self, exc) -> None:
        """A refusal from the workflow (a WorkflowError): next to its field when the form has that
        field, else as a message at the top of the page."""
        field = getattr(self, exc.field, None) if exc.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [exc.message]
        else:
            flash(exc.message, "danger")


class ActionForm(ChineseForm):
    """同意 / 不同意 / 退回修改 / 撤回 with an opinion, and the meeting a branch decision cites."""

    action = HiddenField()
    version = HiddenField()
    context = HiddenField(default="page")
    opinion = TextAreaField("意见", validators=[Length(max=1000, message="意见不能超过1000字")])
    return_to = SelectField("退回至", choices=[("", "发起人（修改后重新提交）")], default="",
                            validate_choice=False)
    meeting_type = SelectField("会议类型", choices=[("", "请选择")] + list(MEETING_TYPES.items()),
                               validate_choice=False)
    meeting_date = StringField("会议日期", validators=[Optional()])
    votes_for = IntegerField("同意票", validators=[Optional(), NumberRange(min=0, max=999, message="票数应为0–999的整数")])
    votes_against = IntegerField("反对票", validators=[Optional(), NumberRange(min=0, max=999, message="票数应为0–999的整数")])
    votes_abstain = IntegerField("弃权票", validators=[Optional(), NumberRange(min=0, max=999, message="票数应为0–999的整数")])

    def meeting_record(self, step) -> MeetingRecord | None:
        """The meeting, validated against the step; adds field errors and returns None if invalid."""
        if not (step and step.records_meeting):
            return None
        ok = True
        if self.meeting_type.data not in step.meeting_types:
            self.meeting_type.errors = list(self.meeting_type.errors) + ["请选择会议类型"]
            ok = False
        try:
            held = date.fromisoformat(self.meeting_date.data or "")
            if held > local_today():
                self.meeting_date.errors = list(self.meeting_date.errors) + ["会议日期不能晚于今天"]
                ok = False
        except ValueError:
            self.meeting_date.errors = list(self.meeting_date.errors) + ["请填写会议日期"]
            held, ok = None, False
        votes = [self.votes_for.data, self.votes_against.data, self.votes_abstain.data]
        if any(v is None for v in votes):
            self.votes_for.errors = list(self.votes_for.errors) + ["请填写表决票数（同意、反对、弃权）"]
            ok = False
        elif sum(votes) == 0:
            self.votes_for.errors = list(self.votes_for.errors) + ["表决票数合计不能为0"]
            ok = False
        if not ok:
            return None
        return MeetingRecord(self.meeting_type.data, held, *votes)

    @property
    def has_meeting_input(self) -> bool:
        return bool(self.meeting_type.data or self.meeting_date.data)


class CommentForm(ChineseForm):
    """评论: a remark anyone who can see the request may add (not a decision)."""

    text = TextAreaField("评论", validators=[DataRequired(message="请填写评论内容"),
                                             Length(max=500, message="评论不能超过500字")])
