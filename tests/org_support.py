"""Helpers of the 组织部 tests (tests/test_org_*.py): members with well-formed 身份证号, the form
values of the member page, and reading field errors and CSRF tokens from a page."""
import re
from datetime import date
from decimal import Decimal

from dangjian.extensions import db
from dangjian.models import Member, MemberCategory, PersonCategory
from dangjian.org import idcard

_seq = iter(range(50, 499))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def real_member(branch, name="郑晓燕", gender="女", born=date(1975, 3, 8), dues="52.00", **kw) -> Member:
    """A member whose 身份证号 passes GB 11643 and matches its 出生日期 and 性别."""
    seq = next(_seq) * 2 % 1000 + (1 if gender == "男" else 0)  # odd for men (GB 11643)
    fields = dict(name=name, gender=gender, staff_no=f"R{seq:05d}", id_number=idcard.make("610113", born, seq),
                  branch=branch, person_category=PersonCategory.STAFF, member_category=MemberCategory.FULL,
                  joined_party_on=date(2000, 7, 1), birth_date=born, phone="13912345678", monthly_dues=Decimal(dues))
    fields.update(kw)
    m = Member(**fields)
    db.session.add(m)
    db.session.commit()
    return m


def member_form(branch_id=None, **overrides) -> dict:
    born = overrides.pop("born", date(1988, 5, 20))
    data = {"name": "钱晓峰", "gender": "男", "staff_no": "20240518", "id_number": idcard.make("610104", born, 371),
            "person_category": "staff", "member_category": "full", "joined_party_on": "2010-06-15",
            "full_member_on": "2011-06-15", "birth_date": born.isoformat(), "phone": "13800138000",
            "ethnicity": "汉族", "education": "研究生", "post": "讲师", "monthly_dues": "86.50",
            "difficulty_reason": ""}
    if branch_id is not None:
        data["branch_id"] = str(branch_id)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def field_errors(html: str, name: str) -> list[str]:
    """The messages in the <div class="mb-3"> block of the field `name` (see templates/_field.html)."""
    start = html.find(f'name="{name}"')
    assert start >= 0, f"no field {name} on the page"
    block_start = html.rfind('<div class="mb-3">', 0, start)
    nxt = html.find('<div class="mb-3">', start)
    block = html[block_start: nxt if nxt > 0 else len(html)]
    return [m.strip() for m in re.findall(r'class="invalid-feedback[^"]*"[^>]*>([^<]*)<', block)]


def token(html: str) -> str:
    m = TOKEN.search(html)
    assert m, "no csrf_token on the page"
    return next(g for g in m.groups() if g)
