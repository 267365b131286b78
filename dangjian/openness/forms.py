"""The forms of 党务公开: they read fields; the rules are operations.check's."""
from __future__ import annotations


from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ..web.forms import ChineseForm, add_error, parse_date
from .models import WRITTEN_KINDS, ItemKind
from .operations import Draft


class ItemForm(ChineseForm):
    printed = False  # shown on pages, never printed
    kind = SelectField("公开类别", choices=[(k.value, k.label) for k in WRITTEN_KINDS], validate_choice=False)
    organization_id = SelectField("公开范围", choices=[], validate_choice=False)
    title = StringField("标题")
    body = TextAreaField("公开内容")
    starts_on = StringField("公开起始日期")
    ends_on = StringField("公开截止日期")
    version = HiddenField()

    def draft(self) -> Draft:
        self.validate()
        try:
            kind = ItemKind(self.kind.data)
        except ValueError:
            kind = None
        org_id = int(self.organization_id.data) if (self.organization_id.data or "").isdigit() else 0
        return Draft(kind, self.title.data or "", self.body.data or "", org_id,
                     parse_date(self.starts_on.data), parse_date(self.ends_on.data))

    def show(self, problems) -> None:
        for name, message in problems:
            add_error(getattr(self, name), message)


class DuesForm(ChineseForm):
    printed = False
    organization_id = SelectField("公开范围", choices=[], validate_choice=False)
    year = IntegerField("年度", validators=[Optional()])
    starts_on = StringField("公开起始日期")
    ends_on = StringField("公开截止日期")


class WithdrawForm(ChineseForm):
    printed = False
    reason = TextAreaField("撤回原因")
    version = HiddenField()


class VersionForm(ChineseForm):
    printed = False
    version = HiddenField()
