"""Forms shared by the request pages (the action panel)."""
from datetime import date

from flask import flash
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..text_input import text_problem

from ..timeutil import local_today
from ..workflow import MeetingRecord
from ..workflow.definition import MEETING_TYPES

# WTForms' own messages ("Not a valid integer value." …) in Chinese, from the catalogue WTForms
# ships. Flask-WTF would only translate them through Flask-Babel, which we do not use.
_ZH = get_translations(["zh"])


def parse_date(text: str | None) -> date | None:
    """A date typed as 年-月-日 (what a date input sends), or None when blank or not a date."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def add_error(field, message: str) -> None:
    """One more error under a field, after the form was validated (a rule the form cannot check)."""
    field.errors = list(field.errors) + [message]


def _check_text(form, field) -> None:
    """The text rules of `text_input` for one field: no control characters anywhere (line breaks
    and tabs only in a textarea); in a form whose text may reach a PDF, only printable characters."""
    if not isinstance(field.data, str):
        return
    printed = (form.printed and field.name not in form.unprinted_fields
               and not isinstance(field, (PasswordField, HiddenField)))
    problem = text_problem(field.label.text or field.name, field.data,
                           multiline=isinstance(field, TextAreaField), printed=printed)
    if problem:
        raise ValidationError(problem)


class ChineseForm(FlaskForm):
    """A FlaskForm whose built-in messages are Chinese. Every form of the app derives from it.

    Every text field (anything whose data is a string: inputs, textareas, selects, radios) is
    checked by `text_input` during `validate()`, so no field of any form is forgotten: control
    characters are refused everywhere, characters the PDF fonts lack wherever a text may be
    printed. A form whose texts never reach a PDF (sign-in, search, settings) sets
    ``printed = False``; single fields are exempted through ``unprinted_fields``.
    """

    printed = True
    unprinted_fields: frozenset[str] = frozenset()

    class Meta:
        def get_translations(self, form):
            return _ZH

    def validate(self, extra_validators=None):
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name in self._fields:
            extra.setdefault(name, []).append(_check_text)
        return super().validate(extra_validators=extra)

    def put_refusal(self, exc) -> bool:
        """A refusal (anything with a Chinese `message` and the `field` it concerns) next to its field;
        False when the form has no such field (the page shows it on top)."""
        field = getattr(self, exc.field, None) if exc.field else None
        if field is None or not hasattr(field, "errors"):
            return False
        add_error(field, exc.message)
        return True

    def show_refusal(self, exc) -> None:
        """A refusal from the workflow (a WorkflowError): next to its field when the form has that
        field, else as a message at the top of the page."""
        if not self.put_refusal(exc):
            flash(exc.message, "danger")


class DecisionForm(ChineseForm):
    """A decision's opinion and the meeting it cites (a branch's 支委会, the 党委会): the panel's
    ActionForm, and 批量同意, where one opinion and one meeting serve every selected request."""

    opinion = TextAreaField("意见", validators=[Length(max=1000, message="意见不能超过1000字")])
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


class ActionForm(DecisionForm):
    """同意 / 不同意 / 退回修改 / 撤回 with an opinion, and the meeting a branch decision cites."""

    action = HiddenField()
    version = HiddenField()
    context = HiddenField(default="page")
    return_to = SelectField("退回至", choices=[("", "发起人（修改后重新提交）")], default="",
                            validate_choice=False)


class CommentForm(ChineseForm):
    """评论: a remark anyone who can see the request may add (not a decision)."""

    text = TextAreaField("评论", validators=[DataRequired(message="请填写评论内容"),
                                             Length(max=500, message="评论不能超过500字")])


class VoidForm(ChineseForm):
    """作废 with a reason: a document in the archive, a 文号 in the register (documents.validity.void
    checks the reason: required, its length, no control characters)."""

    printed = False  # the reason stays in the register and the audit trail; it is never printed
    reason = TextAreaField("作废原因")
