"""Forms of the 系统管理员's pages. Each checks its own fields; the rules that decide whether an
account or a role may be created (uniqueness, organization kinds, overlaps, 三员分立) live in
operations.py, which every caller goes through."""
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..timeutil import local_today
from ..web.forms import ChineseForm
from .roles import role_choices


class AccountForm(ChineseForm):
    username = StringField("账号", validators=[DataRequired("请填写账号"), Length(max=50, message="账号不能超过50位")])
    display_name = StringField("姓名", validators=[Length(max=50, message="姓名不能超过50字")])
    email = StringField("电子邮箱", validators=[Optional(), Length(max=120, message="电子邮箱不能超过120位")])
    # The member picked from the search results (radio buttons named member_id).
    member_id = IntegerField("关联党员", validators=[Optional()])


class AccountEditForm(ChineseForm):
    """修改账号信息: the username stays as created; the member picked as on the new-account page."""

    display_name = StringField("姓名", validators=[Length(max=50, message="姓名不能超过50字")])
    email = StringField("电子邮箱", validators=[Optional(), Length(max=120, message="电子邮箱不能超过120位")])
    member_id = IntegerField("关联党员", validators=[Optional()])


class RoleForm(ChineseForm):
    """任命 a role at an organization for a term. On an organization's page the account is picked
    (user_id, from the search results); on an account's page the organization is."""

    role = SelectField("角色", choices=[("", "请选择角色")] + role_choices(), validate_choice=False)
    organization_id = SelectField("组织", coerce=lambda v: int(v) if v not in (None, "") else None,
                                  validate_choice=False)
    user_id = IntegerField("账号", validators=[Optional()])
    starts_on = DateField("开始日期", default=local_today,
                          validators=[DataRequired("请填写开始日期，格式如 2026-01-01")])
    ends_on = DateField("结束日期", validators=[Optional()])
    note = StringField("备注", validators=[Length(max=200, message="备注不能超过200字")])

    def __init__(self, *args, org_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = [("", "请选择组织")] + list(org_choices)
        for f in (self.starts_on, self.ends_on):
            f.render_kw = {"type": "date"}


class HistoryForm(ChineseForm):
    """Who held a role at an organization on a day (GET, no CSRF)."""

    class Meta:
        csrf = False

    org = SelectField("组织", coerce=lambda v: int(v) if v not in (None, "") else None, validate_choice=False)
    role = SelectField("角色", choices=[("", "全部角色")] + role_choices(), validate_choice=False)
    on = DateField("日期", default=local_today, validators=[Optional()])

    def __init__(self, *args, org_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.org.choices = [("", "请选择组织")] + list(org_choices)
        self.on.render_kw = {"type": "date"}
