"""The 党费减免 application form, with the rules of §三(二)3 as field errors in Chinese."""
import re
from datetime import date
from decimal import Decimal

from flask_wtf.file import FileField, MultipleFileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ...money import MoneyError, parse_yuan
from ... import uploads
from ...web.forms import ChineseForm
from ...org.standing import beneficiary_refusal
from ...timeutil import local_today
from .model import (MAX_MONTHS, DuesWaiver, HardshipCategory, WaiverMode, month_range, months_between,
                    overlap_refusal)

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date | None:
    m = MONTH_RE.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return date(int(m.group(1)), int(m.group(2)), 1)


class DuesWaiverForm(ChineseForm):
    member_id = SelectField("申请人（党员）", coerce=int, validate_choice=False)
    # Choices are checked in check(), with our own message (WTForms would say 不是有效的选择).
    mode = RadioField("减免方式", choices=WaiverMode.choices(), validators=[InputRequired("请选择减免方式")],
                      validate_choice=False)
    monthly_amount = StringField("每月减免金额（元）")
    start_month = StringField("起始年月")
    end_month = StringField("截止年月")
    hardship_category = SelectField("困难类别", choices=[("", "请选择")] + HardshipCategory.choices(),
                                    validators=[InputRequired("请选择困难类别")], validate_choice=False)
    hardship_description = TextAreaField("困难情况说明", validators=[
        InputRequired("请填写困难情况说明"), Length(min=10, max=1000, message="困难情况说明应为10–1000字")])
    evidence = MultipleFileField("证明材料")
    signed_application = FileField("本人签字的申请书扫描件")

    def check(self, member, on_behalf: bool, existing: DuesWaiver | None = None) -> dict | None:
        """Validate everything; return the cleaned values, or None with errors on the fields."""
        ok = self.validate()
        values = {}
        if member is None:
            self.member_id.errors = list(self.member_id.errors) + ["请选择申请减免的党员"]
            return None
        # 党籍: only a member in good standing applies or is applied for (not 出党, 停止党籍, 去世).
        refused = beneficiary_refusal(member)
        if refused:
            self.member_id.errors = list(self.member_id.errors) + [refused]
            return None
        mode = self.mode.data
        if mode and mode not in {m.value for m in WaiverMode}:
            self.mode.errors = list(self.mode.errors) + ["请选择减免方式"]
            ok = False
        category = self.hardship_category.data
        if category and category not in {c.value for c in HardshipCategory}:
            self.hardship_category.errors = list(self.hardship_category.errors) + ["请选择困难类别"]
            ok = False

        start, end = parse_month(self.start_month.data), parse_month(self.end_month.data)
        period_ok = start is not None and end is not None
        if start is None:
            self.start_month.errors = list(self.start_month.errors) + ["请选择起始年月"]
            ok = False
        if end is None:
            self.end_month.errors = list(self.end_month.errors) + ["请选择截止年月"]
            ok = False
        if start and end:
            if end < start:
                self.end_month.errors = list(self.end_month.errors) + ["截止年月不能早于起始年月"]
                ok = period_ok = False
            elif months_between(start, end) > MAX_MONTHS:
                self.end_month.errors = list(self.end_month.errors) + [
                    f"减免期限最多{MAX_MONTHS}个月，到期后如需继续减免请重新申请"]
                ok = period_ok = False
            else:
                # The workflow checks this again when the request is submitted (under a lock):
                # here it is a message next to the field.
                clash = overlap_refusal(member.id, start, end, existing.id if existing else None)
                if clash:
                    self.start_month.errors = list(self.start_month.errors) + [clash]
                    ok = False
        values.update(start_month=start, end_month=end)

        # 月缴党费 of each month of the period (the effective-dated history): the waiver is measured
        # against the dues of its own months, not today's.
        months = month_range(start, end) if period_ok else [local_today().replace(day=1)]
        schedule = [(m, member.dues_on(m)) for m in months]
        rates = sorted({d for _, d in schedule})
        lowest_month, lowest = min(schedule, key=lambda md: (md[1], md[0]))
        dues = schedule[0][1]
        raw_amount = (self.monthly_amount.data or "").strip()
        if mode == WaiverMode.FULL.value and (not raw_amount or len(rates) > 1):
            raw_amount = str(dues)  # 全额免交: each month's dues, whatever was typed
        try:
            amount = parse_yuan(raw_amount)
            if amount <= 0:
                raise MoneyError("每月减免金额应大于0")
            full = mode == WaiverMode.FULL.value
            if amount > lowest and not (full and len(rates) > 1):
                if len(rates) > 1:
                    raise MoneyError(f"每月减免金额不能超过减免期间各月的月缴党费（{lowest_month.year}年"
                                     f"{lowest_month.month}月为¥{lowest:,.2f}）")
                raise MoneyError(f"每月减免金额不能超过该党员的月缴党费（¥{dues:,.2f}）")
            if mode == WaiverMode.FULL.value and len(rates) == 1 and amount != dues:
                raise MoneyError(f"全额免交时，每月减免金额应等于月缴党费（¥{dues:,.2f}）")
            if mode == WaiverMode.PARTIAL.value and len(rates) == 1 and amount == dues:
                raise MoneyError("部分减交的金额应小于月缴党费；如需全部减免，请选择「全额免交」")
            values["monthly_amount"] = amount
            values["monthly_dues_at_application"] = dues
            values["total"] = (sum((d for _, d in schedule), Decimal("0.00")) if mode == WaiverMode.FULL.value
                               else amount * len(schedule))
        except MoneyError as exc:
            self.monthly_amount.errors = list(self.monthly_amount.errors) + [str(exc)]
            ok = False

        evidence = [f for f in (self.evidence.data or []) if f and f.filename]
        has_evidence = bool(existing and any(a.kind == "evidence" for a in existing.attachments))
        if not evidence and not has_evidence:
            self.evidence.errors = list(self.evidence.errors) + ["请上传证明材料（如困难证明、诊断证明等）"]
            ok = False
        signed = self.signed_application.data if self.signed_application.data and \
            self.signed_application.data.filename else None
        has_signed = bool(existing and any(a.kind == "signed_application" for a in existing.attachments))
        if on_behalf and not signed and not has_signed:
            self.signed_application.errors = list(self.signed_application.errors) + [
                "代党员申请时，须上传党员本人签字的申请书扫描件"]
            ok = False
        for field, files in ((self.evidence, evidence), (self.signed_application, [signed] if signed else [])):
            for f in files:
                problem = uploads.check(f)
                if problem:
                    field.errors = list(field.errors) + [problem]
                    ok = False
        values.update(evidence=evidence, signed=signed)
        return values if ok else None
