"""Forms of the 组织部 pages. A form reads its own fields (text into dates and amounts); the rules
of a member record are in validation.py, the rules of each change in operations.py."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..models import BranchType, MemberCategory, MemberStatus, PersonCategory, UnitType
from ..money import MoneyError, parse_yuan
from ..web.forms import ChineseForm, add_error
from .validation import MEMBER_FIELDS


def parse_day(field, required: bool = True, label: str | None = None) -> date | None:
    """A date from an <input type=date> (YYYY-MM-DD); adds a Chinese error and returns None."""
    text = (field.data or "").strip()
    if not text:
        if required:
            add_error(field, f"请填写{label or field.label.text}")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        add_error(field, f"{label or field.label.text}格式不正确，请按 2005-07-01 的格式填写")
        return None


def parse_month(field) -> date | None:
    text = (field.data or "").strip()
    try:
        y, m = text.split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        add_error(field, "请选择起始月份")
        return None


def parse_money(field, required: bool = True) -> Decimal | None:
    text = (field.data or "").strip()
    if not text and not required:
        return None
    try:
        return parse_yuan(text)
    except MoneyError as exc:
        add_error(field, str(exc) if text else f"请填写{field.label.text}")
        return None


# --- units -----------------------------------------------------------------------------------------

class UnitForm(ChineseForm):
    """新建 or 修改 a unit. The kind is fixed by where it is created (the parent's kind)."""

    kind = HiddenField()
    parent_id = SelectField("上级组织", coerce=int, validate_choice=False)
    name = StringField("组织名称", validators=[InputRequired("请填写组织名称"), Length(max=100, message="组织名称不能超过100字")])
    unit_type = SelectField("类型", choices=[("", "请选择")] + UnitType.choices(), validate_choice=False)
    branch_type = SelectField("党支部类型", choices=[("", "请选择")] + BranchType.choices(), validate_choice=False)
    code = StringField("组织编码", validators=[Length(max=30, message="组织编码不能超过30个字符")])
    founded_on = StringField("成立日期")

    def typed(self) -> dict | None:
        ok = self.validate()
        founded = parse_day(self.founded_on, required=False)
        if self.founded_on.data and founded is None:
            ok = False
        unit_type = UnitType(self.unit_type.data) if self.unit_type.data in {t.value for t in UnitType} else None
        branch_type = BranchType(self.branch_type.data) if self.branch_type.data in {t.value for t in BranchType} else None
        if not ok:
            return None
        return {"name": self.name.data, "code": self.code.data, "founded_on": founded,
                "unit_type": unit_type, "branch_type": branch_type}


class MoveForm(ChineseForm):
    parent_id = SelectField("迁入", coerce=int, validate_choice=False)
    note = StringField("说明", validators=[Length(max=200, message="说明不能超过200字")])


class DissolveForm(ChineseForm):
    dissolved_on = StringField("撤销日期")
    note = StringField("撤销依据", validators=[Length(max=200, message="撤销依据不能超过200字")])


# --- members ---------------------------------------------------------------------------------------

class MemberForm(ChineseForm):
    """新增 / 修改党员: every field of the record. Editing leaves out 所在支部 (转接) and 月缴党费
    (its own effective-dated page)."""

    name = StringField(MEMBER_FIELDS["name"])
    gender = RadioField(MEMBER_FIELDS["gender"], choices=[("男", "男"), ("女", "女")], validate_choice=False)
    staff_no = StringField(MEMBER_FIELDS["staff_no"])
    id_number = StringField(MEMBER_FIELDS["id_number"])
    branch_id = SelectField(MEMBER_FIELDS["branch"], coerce=int, validate_choice=False)
    person_category = SelectField(MEMBER_FIELDS["person_category"], choices=[("", "请选择")] + PersonCategory.choices(),
                                  validate_choice=False)
    member_category = SelectField(MEMBER_FIELDS["member_category"], choices=[("", "请选择")] + MemberCategory.choices(),
                                  validate_choice=False)
    joined_party_on = StringField(MEMBER_FIELDS["joined_party_on"])
    full_member_on = StringField(MEMBER_FIELDS["full_member_on"])
    birth_date = StringField(MEMBER_FIELDS["birth_date"])
    phone = StringField(MEMBER_FIELDS["phone"])
    ethnicity = StringField(MEMBER_FIELDS["ethnicity"])
    education = StringField(MEMBER_FIELDS["education"])
    post = StringField(MEMBER_FIELDS["post"])
    monthly_dues = StringField("月缴党费（元）")
    is_model_worker = BooleanField(MEMBER_FIELDS["is_model_worker"])
    # 生活困难, 独居, 老弱病残 are not typed in here: the 困难党员台账 (dangjian/care) is their source.

    def typed(self, creating: bool) -> dict | None:
        """The values for operations.create_member / update_member, or None with field errors
        (only the form's own reading problems: the record's rules come back from the operation)."""
        ok = self.validate()
        values = {f: (getattr(self, f).data or "") for f in ("name", "gender", "staff_no", "id_number", "phone",
                                                             "ethnicity", "education", "post")}
        values["is_model_worker"] = bool(self.is_model_worker.data)
        values["person_category"] = (PersonCategory(self.person_category.data)
                                     if self.person_category.data in {c.value for c in PersonCategory} else None)
        values["member_category"] = (MemberCategory(self.member_category.data)
                                     if self.member_category.data in {c.value for c in MemberCategory} else None)
        for f, required in (("joined_party_on", True), ("birth_date", True), ("full_member_on", False)):
            field = getattr(self, f)
            values[f] = parse_day(field, required=False)
            if (field.data or "").strip() and values[f] is None:
                ok = False
        if creating:
            values["monthly_dues"] = parse_money(self.monthly_dues, required=False)
            if (self.monthly_dues.data or "").strip() and values["monthly_dues"] is None:
                ok = False
        return values if ok else None

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the record's rule errors (validation.member_errors) on the fields."""
        for field, messages in errors.items():
            target = getattr(self, "branch_id" if field == "branch" else field, None)
            if target is not None:
                for m in messages:
                    if m not in target.errors:
                        add_error(target, m)


class TransferForm(ChineseForm):
    to_branch_id = SelectField("转入党支部", coerce=int, validate_choice=False)
    transferred_on = StringField("转接日期")
    note = StringField("备注（如介绍信编号）", validators=[Length(max=200, message="备注不能超过200字")])


class StatusForm(ChineseForm):
    status = SelectField("变更为", validate_choice=False)
    status_on = StringField("生效日期")
    note = StringField("依据/说明", validators=[Length(max=200, message="说明不能超过200字")])

    def typed_status(self) -> MemberStatus | None:
        try:
            return MemberStatus(self.status.data)
        except ValueError:
            add_error(self.status, "请选择要变更的党籍状态")
            return None


class DuesForm(ChineseForm):
    effective_from = StringField("起始月份")
    amount = StringField("月缴党费（元）")
    note = StringField("说明（如调整依据）", validators=[Length(max=200, message="说明不能超过200字")])


class RevealForm(ChineseForm):
    field = HiddenField()
    reason = StringField("查看事由", validators=[Length(max=200, message="事由不能超过200字")])
