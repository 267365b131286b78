"""The audit log's filter form (a GET form: nothing changes, so no CSRF token)."""
from datetime import date

from wtforms import StringField
from wtforms.validators import Length, Optional, ValidationError

from ..web.forms import ChineseForm
from .queries import OBJECT_KINDS, AuditFilters


def _parse_day(value: str | None) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError("日期格式应为 年-月-日，例如 2026-01-31") from None


class AuditFilterForm(ChineseForm):
    printed = False  # a search, never printed

    class Meta:
        csrf = False

    person = StringField("操作人", validators=[Optional(), Length(max=50, message="操作人不能超过50个字")])
    # Both rendered by hand as <select> (the actions in groups); plain strings here.
    action = StringField("操作", validators=[Optional(), Length(max=60)])
    object_type = StringField("对象类型")
    object = StringField("对象", validators=[Optional(), Length(max=60, message="对象不能超过60个字")])
    date_from = StringField("开始日期")
    date_to = StringField("结束日期")

    def validate_object_type(self, field):
        if field.data and field.data not in OBJECT_KINDS:
            raise ValidationError("请选择对象类型")

    def validate_date_from(self, field):
        _parse_day(field.data)

    def validate_date_to(self, field):
        to = _parse_day(field.data)
        try:
            start = _parse_day(self.date_from.data)
        except ValueError:
            return
        if start and to and to < start:
            raise ValidationError("结束日期不能早于开始日期")

    def filters(self) -> AuditFilters:
        """The filters the form holds; a field with an error is left out (shown, not applied)."""
        def ok(field):
            return not field.errors

        def day(field):
            try:
                return _parse_day(field.data) if ok(field) else None
            except ValueError:
                return None

        return AuditFilters(
            person=(self.person.data or "").strip() if ok(self.person) else "",
            action=(self.action.data or "").strip(),
            object_type=(self.object_type.data or "") if ok(self.object_type) else "",
            object=(self.object.data or "").strip() if ok(self.object) else "",
            date_from=day(self.date_from),
            date_to=day(self.date_to),
        )
