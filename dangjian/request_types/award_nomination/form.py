"""Forms of 表彰推荐: the nomination (branch), the cycle settings and quota grid (组织部), an objection
(any member) and its handling (组织部). Errors are Chinese, next to their fields."""
from __future__ import annotations

from datetime import date

from flask_wtf.file import MultipleFileField
from sqlalchemy import select
from wtforms import (HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ... import uploads
from ...extensions import db
from ...timeutil import local_today
from ...web.forms import ChineseForm, add_error
from .model import MAX_DEEDS, AwardCategory, AwardCycle, AwardNomination

MAX_QUOTA = 99


def normalize_text(text: str | None) -> str:
    """Browsers send line breaks as CRLF; count them as one character, as the page's counter does."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


class NominationForm(ChineseForm):
    cycle_id = HiddenField("评选")
    category = RadioField("推荐类别", validate_choice=False, validators=[InputRequired("请选择推荐类别")])
    nominee = SelectField("被推荐对象", validate_choice=False)
    deeds = TextAreaField("主要事迹")
    project_name = StringField("创新项目名称", validators=[Optional(), Length(max=60, message="创新项目名称不能超过60字")])
    promotion_value = TextAreaField("推广价值")
    attachments = MultipleFileField("附件")

    def check(self, user, cycles: list[AwardCycle], nominees: dict[str, tuple], existing=None) -> dict | None:
        """Validate everything; return the cleaned values, or None with errors on the fields.

        `nominees` maps an option value ("member:12", "org:5") to (member or None, org or None,
        nominating branch) — only what this user may nominate."""
        ok = self.validate()
        cycle_id = int(self.cycle_id.data) if str(self.cycle_id.data or "").isdigit() else None
        cycle = next((c for c in cycles if c.id == cycle_id), None)
        if cycle is None:
            add_error(self.cycle_id, "该评选已截止或不存在，请重新选择正在征集推荐的评选")
            return None
        if not cycle.accepting():
            add_error(self.cycle_id, f"「{cycle.name}」推荐已截止，不能再提交")
            ok = False
        category = None
        if self.category.data:
            try:
                category = AwardCategory(self.category.data)
            except ValueError:
                category = None
            if category is None or not cycle.offers(category):
                add_error(self.category, "请选择本次评选设有的推荐类别")
                category, ok = None, False
        choice = nominees.get(self.nominee.data or "")
        member = org = branch = None
        if choice is None:
            add_error(self.nominee, "请选择被推荐对象（本支部党员，或推荐先进基层党组织时选择本支部）")
            ok = False
        else:
            member, org, branch = choice
            if category is not None and category.for_organization and org is None:
                add_error(self.nominee, "「先进基层党组织」推荐的是党组织，请选择本支部")
                ok = False
            elif category is not None and not category.accepts_organization and member is None:
                add_error(self.nominee, f"「{cycle.category_label(category)}」推荐的是党员个人，请选择本支部的党员")
                ok = False
            elif member is not None and member.id == user.member_id:
                add_error(self.nominee, "不能推荐本人，请由支部其他委员发起推荐")
                ok = False
        if ok and category is not None and choice is not None and existing is None:
            clash = duplicate(cycle, category, AwardNomination.key_for(member, org))
            if clash is not None:
                add_error(self.nominee, duplicate_message(clash))
                ok = False
        deeds = normalize_text(self.deeds.data)
        if not deeds:
            add_error(self.deeds, "请填写主要事迹")
            ok = False
        elif len(deeds) > MAX_DEEDS:
            add_error(self.deeds, f"主要事迹不能超过{MAX_DEEDS}字（当前{len(deeds)}字）")
            ok = False
        files = [f for f in (self.attachments.data or []) if f and f.filename]
        for f in files:
            problem = uploads.check(f)
            if problem:
                add_error(self.attachments, problem)
                ok = False
        innovation = innovation_materials(self, category, files)
        if innovation is None:
            ok = False
        if not ok:
            return None
        return {"cycle": cycle, "category": category, "member": member, "org": org, "branch": branch,
                "deeds": deeds, "files": files, **innovation}


def innovation_materials(form, category, files, existing_files: int = 0) -> dict | None:
    """党建创新's own materials: the project's name, its 推广价值 and at least one case file (案例材料).
    Other categories carry none. None (with errors on the fields) when something is missing."""
    if category is None or not category.is_innovation:
        return {"project_name": "", "promotion_value": ""}
    ok = True
    name = (form.project_name.data or "").strip()
    value = normalize_text(form.promotion_value.data)
    if not name:
        add_error(form.project_name, "推荐「党建创新」须填写创新项目名称")
        ok = False
    if not value:
        add_error(form.promotion_value, "推荐「党建创新」须说明推广价值：做法可否复制、已在哪些支部推广")
        ok = False
    elif len(value) > 500:
        add_error(form.promotion_value, f"推广价值不能超过500字（当前{len(value)}字）")
        ok = False
    if not files and not existing_files:
        add_error(form.attachments, "推荐「党建创新」须上传案例材料（做法总结、成效佐证等）")
        ok = False
    return {"project_name": name, "promotion_value": value} if ok else None


def duplicate(cycle: AwardCycle, category: AwardCategory, key: str) -> AwardNomination | None:
    return db.session.scalar(select(AwardNomination).where(
        AwardNomination.cycle_id == cycle.id, AwardNomination.category == category,
        AwardNomination.nominee_key == key))


def duplicate_message(clash: AwardNomination) -> str:
    return (f"{clash.nominee_name}已被推荐为本次评选的「{clash.category_label}」"
            f"（{clash.number}，{clash.organization.name}推荐，{clash.state.label}），"
            "同一对象在同一评选的同一类别中只能被推荐一次")


class EditDeedsForm(ChineseForm):
    """修改并重新提交: the nominee and category stay; the 事迹 and attachments change."""

    deeds = TextAreaField("主要事迹")
    attachments = MultipleFileField("补充附件")

    def check(self) -> dict | None:
        ok = self.validate()
        deeds = normalize_text(self.deeds.data)
        if not deeds:
            add_error(self.deeds, "请填写主要事迹")
            ok = False
        elif len(deeds) > MAX_DEEDS:
            add_error(self.deeds, f"主要事迹不能超过{MAX_DEEDS}字（当前{len(deeds)}字）")
            ok = False
        files = [f for f in (self.attachments.data or []) if f and f.filename]
        for f in files:
            problem = uploads.check(f)
            if problem:
                add_error(self.attachments, problem)
                ok = False
        return {"deeds": deeds, "files": files} if ok else None


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CycleForm(ChineseForm):
    """组织部 opens (or edits, before the deadline) a cycle. The quota grid is read separately
    (`quota-<org id>-<category>` inputs), see `read_quotas`."""

    year = IntegerField("评选年度", validators=[InputRequired("请填写评选年度"),
                                              NumberRange(min=2000, max=2100, message="年度应为2000–2100")])
    name = StringField("评选名称", validators=[InputRequired("请填写评选名称"),
                                             Length(max=60, message="评选名称不能超过60字")])
    categories = CheckboxesField("表彰类别", choices=AwardCategory.choices(), validate_choice=False)
    special_name = StringField("专项名称", validators=[Optional(), Length(max=30, message="专项名称不能超过30字")])
    deadline = StringField("推荐截止日期")
    publicity_days = IntegerField("公示天数（工作日）", default=5, validators=[
        InputRequired("请填写公示天数"), NumberRange(min=1, max=30, message="公示天数应为1–30个工作日")])

    def check(self, cycle: AwardCycle | None, used: dict[str, int]) -> dict | None:
        """`used`: category value -> nominations already made in it (a used category stays)."""
        ok = self.validate()
        cats = []
        for value in self.categories.data or []:
            try:
                cats.append(AwardCategory(value))
            except ValueError:
                pass
        if not cats:
            add_error(self.categories, "请至少选择一个表彰类别")
            ok = False
        missing = [AwardCategory(v) for v, n in used.items() if n and AwardCategory(v) not in cats]
        if missing:
            add_error(self.categories, "以下类别已有推荐，不能取消：" + "、".join(c.label for c in missing))
            ok = False
        special = (self.special_name.data or "").strip()
        if AwardCategory.SPECIAL in cats and not special:
            add_error(self.special_name, "设有专项表彰时，请填写专项名称，如「党建工作创新」")
            ok = False
        try:
            deadline = date.fromisoformat((self.deadline.data or "").strip())
        except ValueError:
            add_error(self.deadline, "请选择推荐截止日期")
            deadline, ok = None, False
        if deadline is not None and deadline < local_today():
            add_error(self.deadline, "推荐截止日期不能早于今天")
            ok = False
        if not ok:
            return None
        return {"categories": cats, "special_name": special if AwardCategory.SPECIAL in cats else "",
                "deadline": deadline, "name": self.name.data.strip(),
                "year": self.year.data, "publicity_days": self.publicity_days.data}


def read_quotas(formdata, orgs, categories) -> tuple[dict, dict]:
    """The quota grid: ({(org id, category): n}, {(org id, category): error})."""
    values, errors = {}, {}
    for org in orgs:
        for cat in categories:
            raw = (formdata.get(f"quota-{org.id}-{cat.value}") or "").strip()
            if raw == "":
                values[org.id, cat] = 0
                continue
            if not raw.isdigit() or int(raw) > MAX_QUOTA:
                errors[org.id, cat] = f"名额应为0–{MAX_QUOTA}的整数"
                continue
            values[org.id, cat] = int(raw)
    return values, errors


class ObjectionForm(ChineseForm):
    content = TextAreaField("异议内容", validators=[InputRequired("请填写异议内容")])


class HandleObjectionForm(ChineseForm):
    decision = HiddenField()
    reason = TextAreaField("处理意见")
    next = HiddenField()


class ForwardForm(ChineseForm):
    opinion = StringField("审核意见", validators=[Length(max=1000, message="意见不能超过1000字")])
