"""The rules of a member record (党员), in one place: the member form, the Excel import and the
command line all call `member_errors()`.

It takes plain, already-typed values (str, date, Decimal, bool, an Organization) and returns the
problems per field, in Chinese. Turning text into those types (dates written as "2005.07.01", amounts
typed by hand) is the caller's job: a value it could not read is passed as None, with the caller's
own message on the field.

Field names are the Member attribute names (MEMBER_FIELDS gives each its Chinese label).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ..dates import cn_day as _ymd
from ..extensions import db
from ..models import Member, MemberCategory, OrgKind, PersonCategory
from ..personal_data import blind_index
from ..timeutil import local_today
from . import idcard

MEMBER_FIELDS = {
    "name": "姓名",
    "gender": "性别",
    "staff_no": "工号/学号",
    "id_number": "身份证号",
    "branch": "所在支部",
    "person_category": "人员类别",
    "member_category": "党员类别",
    "joined_party_on": "入党日期",
    "full_member_on": "转正日期",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "ethnicity": "民族",
    "education": "学历",
    "post": "工作岗位",
    "monthly_dues": "月缴党费",
    "is_model_worker": "老模范",
    "living_difficulty": "生活困难",
    "lives_alone": "独居",
    "frail_sick_disabled": "老弱病残",
    "difficulty_reason": "困难情况说明",
}
DIFFICULTY_FLAGS = ("living_difficulty", "lives_alone", "frail_sick_disabled")
GENDERS = ("男", "女")
MIN_JOINING_AGE = 18  # 《中国共产党章程》第一条: 年满十八岁
MAX_DUES = Decimal("99999.99")
MAX_LENGTHS = {"name": 50, "staff_no": 30, "ethnicity": 20, "education": 30, "post": 100,
               "difficulty_reason": 500}

_FULLWIDTH_DIGITS = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９－＋（）"}
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# 029-88888888, 02988888888, 88888888, 0917-1234567-801 (extension)
LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}(-\d{1,6})?$")


def normalize_phone(value) -> str:
    """Plain digits and dashes: full-width characters, spaces, brackets and a +86 prefix removed."""
    if value is None:
        return ""
    text = str(value).translate(_FULLWIDTH_DIGITS)
    text = "".join(text.split()).replace("(", "").replace(")", "")
    if text.startswith("+86"):
        text = text[3:].lstrip("-")
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


def phone_problem(value: str) -> str | None:
    """None for an empty value, an 11-digit mobile number or a landline number."""
    if not value:
        return None
    if MOBILE_RE.match(value) or LANDLINE_RE.match(value):
        return None
    if value.isdigit() and value.startswith("1"):
        return f"手机号码应为11位数字（当前为{len(value)}位）"
    return "联系电话格式不正确：请填写11位手机号码，或座机号码（如 029-88888888）"


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def member_errors(values: dict, member_id: int | None = None, today: date | None = None) -> dict[str, list[str]]:
    """Problems per field ({} when the record is valid). `values` holds every field of
    MEMBER_FIELDS that is being set; `member_id` is the record being edited (its own 工号 and
    身份证号 are not duplicates). Only the fields present in `values` are checked, except the
    rules that tie fields together, which use what is given."""
    today = today or local_today()
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    present = values.keys()
    for field, limit in MAX_LENGTHS.items():
        if field in present and len(values[field] or "") > limit:
            add(field, f"{MEMBER_FIELDS[field]}不能超过{limit}字")

    if "name" in present and not (values["name"] or "").strip():
        add("name", "请填写姓名")
    if "gender" in present and values["gender"] not in GENDERS:
        add("gender", "请选择性别（男或女）")

    if "staff_no" in present:
        staff_no = (values["staff_no"] or "").strip()
        if not staff_no:
            add("staff_no", "请填写工号/学号")
        else:
            other = db.session.scalar(select(Member).where(Member.staff_no == staff_no, Member.id != (member_id or 0)))
            if other is not None:
                add("staff_no", f"工号/学号「{staff_no}」已被党员「{other.name}」使用，请核对")

    born = values.get("birth_date")
    if "birth_date" in present:
        if born is None:
            add("birth_date", "请填写出生日期")
        elif born > today:
            add("birth_date", "出生日期不能晚于今天")
        elif born.year < 1900:
            add("birth_date", "出生日期不能早于1900年")

    if "id_number" in present:
        number = idcard.normalize(values["id_number"])
        gender = values.get("gender") if values.get("gender") in GENDERS else None
        problems = idcard.problems(number, born, gender)
        for p in problems:
            add("id_number", p)
        if not problems:
            other = db.session.scalar(select(Member).where(Member.id_number_hash == blind_index(number),
                                                           Member.id != (member_id or 0)))
            if other is not None:
                add("id_number", f"该身份证号已登记在党员「{other.name}」（{other.staff_no}）名下，请核对")

    if "branch" in present:
        branch = values["branch"]
        if branch is None:
            add("branch", "请选择所在支部")
        elif branch.kind is not OrgKind.BRANCH:
            add("branch", f"「{branch.name}」不是党支部，党员只能隶属于党支部")
        elif branch.dissolved_on is not None and branch.dissolved_on <= today:
            add("branch", f"「{branch.name}」已于{_ymd(branch.dissolved_on)}撤销，请选择其他党支部")

    if "person_category" in present and not isinstance(values["person_category"], PersonCategory):
        add("person_category", "请选择人员类别（教职工、学生或离退休）")
    category = values.get("member_category")
    if "member_category" in present and not isinstance(category, MemberCategory):
        add("member_category", "请选择党员类别（正式党员或预备党员）")

    joined = values.get("joined_party_on")
    if "joined_party_on" in present:
        if joined is None:
            add("joined_party_on", "请填写入党日期")
        elif joined > today:
            add("joined_party_on", "入党日期不能晚于今天")
        elif born is not None and born <= today and _age_on(born, joined) < MIN_JOINING_AGE:
            add("joined_party_on", f"入党时应年满{MIN_JOINING_AGE}周岁：按出生日期{_ymd(born)}，"
                                   f"{_ymd(joined)}时为{max(_age_on(born, joined), 0)}岁，请核对")

    if "full_member_on" in present:
        full = values["full_member_on"]
        if full is not None:
            if category is MemberCategory.PROBATIONARY:
                add("full_member_on", "预备党员尚未转正，转正日期应为空；转正后请将党员类别改为正式党员")
            elif full > today:
                add("full_member_on", "转正日期不能晚于今天")
            elif joined is not None and full <= joined:
                add("full_member_on", "转正日期应晚于入党日期")

    if "phone" in present:
        problem = phone_problem(normalize_phone(values["phone"]))
        if problem:
            add("phone", problem)

    if "monthly_dues" in present:
        dues = values["monthly_dues"]
        if dues is None:
            add("monthly_dues", "请填写月缴党费（元），不需缴纳的填0")
        elif dues < 0:
            add("monthly_dues", "月缴党费不能为负数")
        elif dues > MAX_DUES:
            add("monthly_dues", "月缴党费金额过大，请核对")

    if any(values.get(f) for f in DIFFICULTY_FLAGS) and not (values.get("difficulty_reason") or "").strip():
        add("difficulty_reason", "标记困难情况（生活困难、独居、老弱病残）时，请填写困难情况说明")
    return errors


def clean_member_values(values: dict) -> dict:
    """The values as they are stored: trimmed text, the normalized 身份证号 and phone, and an empty
    困难情况说明 when no flag is set."""
    out = dict(values)
    for field in ("name", "staff_no", "ethnicity", "education", "post", "difficulty_reason"):
        if field in out:
            out[field] = (out[field] or "").strip()
    if "id_number" in out:
        out["id_number"] = idcard.normalize(out["id_number"])
    if "phone" in out:
        out["phone"] = normalize_phone(out["phone"])
    if all(f in out for f in DIFFICULTY_FLAGS) and not any(out[f] for f in DIFFICULTY_FLAGS):
        out["difficulty_reason"] = ""
    return out
