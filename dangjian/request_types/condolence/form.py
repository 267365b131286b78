"""The 慰问金 application form, with the rules of §三(二)2 as field errors in Chinese."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ... import uploads
from ...money import MoneyError, format_yuan, parse_yuan
from ...org.standing import beneficiary_refusal
from ...timeutil import local_today
from ...web.forms import ChineseForm, add_error, parse_date
from .model import (FAMILY_RELATIONS, CondolenceCategory, CondolencePayment, FundingSource, PayeeKind,
                    occasion_refusal, payee_refusal, standard_for)

MAX_AMOUNT = Decimal("100000.00")  # a sanity bound on one payment
MAX_DAYS_BACK = 366  # 事由 and visits are dated within a year of today
MAX_DAYS_AHEAD = 366


class CondolenceForm(ChineseForm):
    member_id = SelectField("慰问对象（党员）", coerce=int, validate_choice=False)
    category = SelectField("慰问类别", choices=[("", "请选择")] + CondolenceCategory.choices(),
                           validators=[InputRequired("请选择慰问类别")], validate_choice=False)
    event_description = TextAreaField("事由", validators=[
        InputRequired("请填写事由"), Length(min=5, max=500, message="事由应为5–500字")])
    event_date = StringField("事由日期")
    amount = StringField("慰问金额（元）")
    over_standard_reason = TextAreaField("超标准理由", validators=[Length(max=500, message="超标准理由不能超过500字")])
    funding_source = RadioField("经费来源", choices=FundingSource.choices(), validate_choice=False)
    planned_visitors = StringField("计划走访人", validators=[
        InputRequired("请填写计划走访人"), Length(min=2, max=100, message="计划走访人应为2–100字")])
    planned_date = StringField("计划走访日期")
    payee_kind = RadioField("收款人", choices=PayeeKind.choices(), validate_choice=False)
    payee_name = StringField("家属姓名", validators=[Length(max=50, message="姓名不能超过50字")])
    payee_relation = SelectField("与党员关系", choices=[("", "请选择")] + [(r, r) for r in FAMILY_RELATIONS],
                                 validate_choice=False)
    evidence = MultipleFileField("证明材料")
    version = HiddenField()

    def check(self, member, existing: CondolencePayment | None = None) -> dict | None:
        """Validate everything; return the cleaned values, or None with errors on the fields."""
        ok = self.validate()
        today = local_today()
        if member is None:
            add_error(self.member_id, "请选择慰问对象")
            return None
        values: dict = {}
        exclude = existing.id if existing is not None else None

        category = None
        try:
            category = CondolenceCategory(self.category.data) if self.category.data else None
        except ValueError:
            pass
        if category is None:
            if not self.category.errors:
                add_error(self.category, "请选择慰问类别")
            ok = False
        values["category"] = category
        # 党籍: a member who 出党 or whose 党籍 is 停止 is not the subject of a new request; one who
        # has died only of the 慰问金 for that death (org.standing).
        refused = beneficiary_refusal(member, for_death=category is CondolenceCategory.DEATH)
        if refused:
            add_error(self.member_id, refused)
            ok = False

        event_date = parse_date(self.event_date.data)
        if event_date is None:
            add_error(self.event_date, "请填写事由日期")
            ok = False
        elif event_date < today - timedelta(days=MAX_DAYS_BACK):
            add_error(self.event_date, "事由日期不能早于一年前")
            ok = False
        elif category is not None and category.is_occurrence and event_date > today:
            add_error(self.event_date, f"「{category.label}」的事由日期不能晚于今天")
            ok = False
        elif event_date > today + timedelta(days=MAX_DAYS_AHEAD):
            add_error(self.event_date, "事由日期不能晚于一年后")
            ok = False
        values["event_date"] = event_date

        # One 亡故 request per member; one 七一 / 春节 visit per member and year (§三(三)1). The
        # workflow checks this again when the request is submitted (under a lock): here it is a
        # message next to the field.
        clash = occasion_refusal(member.id, category, event_date, exclude_id=exclude)
        if clash:
            add_error(self.category, clash)
            ok = False

        # 金额: the standard in force today is the default; above it, a written reason.
        standard = standard_for(category) if category is not None else None
        if category is not None and standard is None:
            add_error(self.category, f"组织部尚未设置「{category.label}」的慰问标准，暂不能申请，请联系组织部")
            ok = False
        values["standard"] = standard.amount if standard else None
        raw = (self.amount.data or "").strip()
        if not raw and standard is not None:
            raw = str(standard.amount)
            self.amount.data = raw
        amount = None
        try:
            amount = parse_yuan(raw)
            if amount <= 0:
                raise MoneyError("慰问金额应大于0")
            if amount > MAX_AMOUNT:
                raise MoneyError(f"单笔慰问金额不能超过{format_yuan(MAX_AMOUNT)}")
        except MoneyError as exc:
            if raw or standard is not None:
                add_error(self.amount, str(exc))
            ok = False
            amount = None
        values["amount"] = amount
        reason = (self.over_standard_reason.data or "").strip()
        if amount is not None and standard is not None and amount > standard.amount:
            if len(reason) < 5:
                add_error(self.over_standard_reason,
                     f"金额高于「{category.label}」的慰问标准（{format_yuan(standard.amount)}），请填写超标准理由（至少5字）")
                ok = False
        else:
            reason = ""
        values["over_standard_reason"] = reason or None

        try:
            funding = FundingSource(self.funding_source.data)
        except ValueError:
            add_error(self.funding_source, "请选择经费来源")
            funding, ok = None, False
        # The branch the request is filed in: a request already filed keeps its own, even if the
        # member has since moved (组织关系转接).
        branch = existing.organization if existing is not None else member.branch
        if funding is FundingSource.UNIT and branch.is_direct_branch:
            add_error(self.funding_source, "直属党支部没有二级单位经费，慰问金由校级专项经费列支")
            ok = False
        values["funding_source"] = funding

        planned = parse_date(self.planned_date.data)
        if planned is None:
            add_error(self.planned_date, "请填写计划走访日期")
            ok = False
        elif not today - timedelta(days=MAX_DAYS_BACK) <= planned <= today + timedelta(days=MAX_DAYS_AHEAD):
            add_error(self.planned_date, "计划走访日期应在一年以内")
            ok = False
        values["planned_date"] = planned
        values["planned_visitors"] = (self.planned_visitors.data or "").strip()

        # 收款人: the member, or a named family member; a member who has died is never the payee.
        try:
            payee_kind = PayeeKind(self.payee_kind.data)
        except ValueError:
            add_error(self.payee_kind, "请选择收款人")
            payee_kind, ok = None, False
        payee_refused = payee_refusal(member.id, category, payee_kind, exclude_id=exclude)
        if payee_refused:
            add_error(self.payee_kind, payee_refused)
            ok = False
        payee_name, relation = member.name, None
        if payee_kind is PayeeKind.FAMILY:
            payee_name = (self.payee_name.data or "").strip()
            relation = self.payee_relation.data or ""
            if len(payee_name) < 2:
                add_error(self.payee_name, "请填写收款家属的姓名")
                ok = False
            elif payee_name == member.name:
                add_error(self.payee_name, "家属姓名不能与党员本人相同")
                ok = False
            if relation not in FAMILY_RELATIONS:
                add_error(self.payee_relation, "请选择家属与党员的关系")
                ok = False
        values.update(payee_kind=payee_kind, payee_name=payee_name, payee_relation=relation)

        files = [f for f in (self.evidence.data or []) if f and f.filename]
        for f in files:
            problem = uploads.check(f)
            if problem:
                add_error(self.evidence, problem)
                ok = False
        values["evidence"] = files
        return values if ok else None


class PaymentForm(ChineseForm):
    """登记走访发放: the visit and the payment, recorded by the branch after approval."""

    visit_date = StringField("走访日期")
    visitors = StringField("走访人", validators=[
        InputRequired("请填写走访人"), Length(min=2, max=100, message="走访人应为2–100字")])
    paid_amount = StringField("实际发放金额（元）")
    receipts = MultipleFileField("发放凭证或走访照片")
    version = HiddenField()

    def check(self, req: CondolencePayment) -> dict | None:
        ok = self.validate()
        today = local_today()
        visit = parse_date(self.visit_date.data)
        if visit is None:
            add_error(self.visit_date, "请填写走访日期")
            ok = False
        elif visit > today:
            add_error(self.visit_date, "走访日期不能晚于今天")
            ok = False
        elif visit < today - timedelta(days=MAX_DAYS_BACK):
            add_error(self.visit_date, "走访日期不能早于一年前")
            ok = False
        paid = None
        try:
            paid = parse_yuan(self.paid_amount.data)
            if paid <= 0:
                raise MoneyError("实际发放金额应大于0")
            if paid > req.amount:
                raise MoneyError(f"实际发放金额不能超过批准金额（{format_yuan(req.amount)}）")
        except MoneyError as exc:
            add_error(self.paid_amount, str(exc))
            ok, paid = False, None
        files = [f for f in (self.receipts.data or []) if f and f.filename]
        if not files:
            add_error(self.receipts, "请上传发放凭证（签收单、转账凭证）或走访照片")
            ok = False
        for f in files:
            problem = uploads.check(f)
            if problem:
                add_error(self.receipts, problem)
                ok = False
        if not ok:
            return None
        return {"visit_date": visit, "visitors": self.visitors.data.strip(), "paid_amount": paid, "files": files}


class CancelForm(ChineseForm):
    reason = TextAreaField("取消原因", validators=[
        InputRequired("请填写取消原因"), Length(min=2, max=500, message="取消原因应为2–500字")])
    version = HiddenField()
