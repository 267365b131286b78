"""The forms of 党建考核. Each checks its own fields (Chinese messages next to them); the rules that
decide whether an action may happen (state, who, recusal, the grade bands) are the operations'."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .. import uploads
from ..web.forms import ChineseForm, add_error
from .grades import AssessmentGrade

MAX_REPORT = 5000
MAX_TEXT = 2000


def _text(data) -> str:
    return (data or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _files(form, field) -> list:
    files = [f for f in (field.data or []) if f and f.filename]
    ok = True
    for f in files:
        problem = uploads.check(f)
        if problem:
            add_error(field, problem)
            ok = False
    return files if ok else None


def parse_score(raw: str | None) -> Decimal | None:
    """"92.5" → Decimal("92.5"); blank or not a number → None (the rules say what is wrong)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class CycleForm(ChineseForm):
    year = IntegerField("考核年度", validators=[InputRequired("请填写考核年度"),
                                              NumberRange(min=2000, max=2100, message="年度应为2000–2100")])
    name = StringField("考核名称", validators=[InputRequired("请填写考核名称"),
                                             Length(max=60, message="考核名称不能超过60字")])
    deadline = DateField("自评截止日期", validators=[InputRequired("请选择自评截止日期")])


class SelfEvaluationForm(ChineseForm):
    report = TextAreaField("自评报告")
    self_score = StringField("自评得分", validators=[Optional()])
    files = MultipleFileField("自评材料")

    def check(self) -> dict | None:
        ok = self.validate()
        report = _text(self.report.data)
        if not report:
            add_error(self.report, "请填写自评报告：对照考核指标逐项说明本年度党建工作情况")
            ok = False
        elif len(report) > MAX_REPORT:
            add_error(self.report, f"自评报告不能超过{MAX_REPORT}字（当前{len(report)}字）")
            ok = False
        score = None
        if (self.self_score.data or "").strip():
            score = parse_score(self.self_score.data)
            if score is None or not Decimal("0") <= score <= Decimal("100") or score != score.quantize(Decimal("0.1")):
                add_error(self.self_score, "自评得分应为0–100之间的数，最多一位小数；可不填")
                ok = False
        files = _files(self, self.files)
        if files is None:
            ok = False
        return {"report": report, "self_score": score, "files": files} if ok else None


class GradeForm(ChineseForm):
    score = StringField("考核得分")
    grade = SelectField("考核等次", choices=[("", "请选择")] + AssessmentGrade.choices(), validate_choice=False)
    opinion = TextAreaField("评定意见", validators=[Length(max=MAX_TEXT, message=f"评定意见不能超过{MAX_TEXT}字")])

    def values(self) -> tuple[Decimal | None, AssessmentGrade | None, str] | None:
        if not self.validate():
            return None
        raw = (self.score.data or "").strip()
        score = parse_score(raw)
        if raw and score is None:
            add_error(self.score, "考核得分应为数字，如 86.5")
            return None
        try:
            grade = AssessmentGrade(self.grade.data) if self.grade.data else None
        except ValueError:
            grade = None
        return score, grade, _text(self.opinion.data)


class ReasonForm(ChineseForm):
    """退回修改 / 退回重新整改: the reason is required (the operation says so)."""

    reason = TextAreaField("理由", validators=[Length(max=MAX_TEXT, message=f"理由不能超过{MAX_TEXT}字")])


class InterviewForm(ChineseForm):
    held_on = DateField("约谈日期", validators=[InputRequired("请选择约谈日期")])
    place = StringField("地点", validators=[Optional(), Length(max=100, message="地点不能超过100字")])
    interviewers = StringField("约谈人", validators=[InputRequired("请填写约谈人（姓名和职务）"),
                                                  Length(max=200, message="约谈人不能超过200字")])
    interviewees = StringField("被约谈人", validators=[InputRequired("请填写被约谈人（姓名和职务）"),
                                                    Length(max=200, message="被约谈人不能超过200字")])
    notes = TextAreaField("约谈情况")

    def check(self) -> dict | None:
        ok = self.validate()
        notes = _text(self.notes.data)
        if not notes:
            add_error(self.notes, "请记录约谈情况：指出的问题、被约谈人的表态和整改要求")
            ok = False
        elif len(notes) > MAX_REPORT:
            add_error(self.notes, f"约谈情况不能超过{MAX_REPORT}字")
            ok = False
        if not ok:
            return None
        return {"held_on": self.held_on.data, "place": (self.place.data or "").strip(),
                "interviewers": self.interviewers.data.strip(), "interviewees": self.interviewees.data.strip(),
                "notes": notes}


class TaskForm(ChineseForm):
    problem = TextAreaField("存在问题")
    requirement = TextAreaField("整改要求", validators=[Length(max=MAX_TEXT, message=f"整改要求不能超过{MAX_TEXT}字")])
    deadline = DateField("整改期限", validators=[InputRequired("请选择整改期限")])

    def check(self) -> dict | None:
        ok = self.validate()
        problem = _text(self.problem.data)
        if not problem:
            add_error(self.problem, "请写明需要整改的问题")
            ok = False
        elif len(problem) > MAX_TEXT:
            add_error(self.problem, f"存在问题不能超过{MAX_TEXT}字")
            ok = False
        if not ok:
            return None
        return {"problem": problem, "requirement": _text(self.requirement.data), "deadline": self.deadline.data}


class EvidenceForm(ChineseForm):
    evidence = TextAreaField("整改情况")
    files = MultipleFileField("佐证材料")

    def check(self) -> dict | None:
        ok = self.validate()
        evidence = _text(self.evidence.data)
        if not evidence:
            add_error(self.evidence, "请说明整改措施和完成情况")
            ok = False
        elif len(evidence) > MAX_REPORT:
            add_error(self.evidence, f"整改情况不能超过{MAX_REPORT}字")
            ok = False
        files = _files(self, self.files)
        if files is None:
            ok = False
        return {"evidence": evidence, "files": files} if ok else None


class SignOffForm(ChineseForm):
    opinion = TextAreaField("验收意见", validators=[Length(max=MAX_TEXT, message=f"验收意见不能超过{MAX_TEXT}字")])


def default_deadline(today: date) -> date:
    """自评截止: a month from today."""
    from datetime import timedelta
    return today + timedelta(days=30)
