"""The 审批表 by the university's conventions (issue 9 §4), measured with pdfplumber (tests/form_layout.py):

* every level's box holds 签字, 日期 and a 盖章 position: the label 「（盖章）」 right of them, with an
  empty area around it, inside the box; nothing is drawn (no circle, no colour);
* the 党费减免审批表 has the applicant's own signature line (申请人签字), the 核定表 a box for the
  submitting unit (申报单位意见);
* the binding margin: 28 mm on the left of every portrait page, 28 mm at the top of the landscape 核定表
  (its top edge turns to the spine), ±1 mm;
* no orphan page: no page after the first holds only the notes, the closing rows and one box.

Each form kind is rendered from the real template with free texts and opinions of 1 character, of a
typical length and of the longest the forms accept; and every form of the demo data is rendered from
the real context functions.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from dangjian.documents.codes import new_code
from dangjian.documents.render import render_pdf
from dangjian.extensions import db
from dangjian.models import Request
from dangjian.models.base import utcnow
from dangjian.request_types.award_nomination.model import MAX_DEEDS
from tests.form_layout import (BINDING_MM, TOL, box_has_signature_and_seal, level_boxes, orphan_pages, read,
                               split_dates)

# The layout of a rendered document does not depend on the database: one pass (conftest `once`).
pytestmark = pytest.mark.once

TEMPLATES = {"dues_waiver": "dues_waiver_form.html", "condolence": "condolence_form.html",
             "award_nomination": "award_nomination_form.html", "secretary_allowance": "allowance_batch.html"}
FORM_KINDS = {"dues_waiver_form", "condolence_form", "award_nomination_form", "allowance_batch"}
LANDSCAPE = {"allowance_batch.html"}

SENTENCE = "经支委会讨论，该同志家庭困难情况属实，符合政策规定，同意按程序报上级党组织审批。"
#: The longest texts the forms accept: 困难情况说明 1000, 事由 and 超标准理由 500, 主要事迹 1500, 意见 1000.
LONGEST = {"opinion": 1000, "hardship": 1000, "event": 500, "reason": 500, "deeds": MAX_DEEDS, "lines": 40}
TYPICAL = {"opinion": 40, "hardship": 120, "event": 60, "reason": 40, "deeds": 300, "lines": 3}
SHORT = {"opinion": 1, "hardship": 1, "event": 1, "reason": 1, "deeds": 1, "lines": 1}
SIZES = {"short": SHORT, "typical": TYPICAL, "longest": LONGEST}


def text(n: int) -> str:
    return (SENTENCE * (n // len(SENTENCE) + 1))[:n]


def doc(title):
    return {"title": title, "number": "XX-2026-0001", "generated_at": datetime(2026, 6, 19, 12, 0),
            "verification_code": None, "version": 1}


def box(label, opinion, signer="钱赟堃（二级党组织书记/组织员）", meeting=False):
    return {"key": label, "label": label, "opinion": opinion, "signer": signer, "date": date(2026, 12, 10),
            "action_label": "同意", "detail": "",
            "meeting": {"type_label": "党委会", "date": date(2026, 6, 9), "votes_for": 21, "votes_against": 0,
                        "votes_abstain": 1} if meeting else None}


# Dates at their widest (two-digit months and days): a date never wraps in its cell.
MEMBER = {"gender": "男", "person_category": "教职工", "member_category": "正式党员", "joined_party_on": date(1998, 12, 28),
          "branch_name": "会计学院教工第一党支部", "secondary_name": "会计学院党委", "phone_masked": "138****5678",
          "number": "XX-2026-0001", "state_label": "已通过", "submitted_at": datetime(2026, 6, 1, 9, 0),
          "final_outcome": "同意", "attachments": [{"filename": "证明.pdf", "sha256": "ab" * 32, "kind_label": "证明材料"}]}


def dues_waiver(size):
    req = dict(MEMBER, applicant_name="王喆", applicant_staff_no="20080123",
               applicant_id_number_masked="610***********1234", initiated_by_name="李书记", on_behalf=False,
               monthly_dues=Decimal("45.00"), mode_label="部分减交", monthly_amount=Decimal("20.00"),
               start_month=date(2026, 1, 1), end_month=date(2026, 6, 1), months=6, total_amount=Decimal("120.00"),
               hardship_category_label="患病", hardship_description=text(size["hardship"]))
    steps = [box("党支部讨论意见", text(size["opinion"]), "李书记（支部书记/支委）"),
             box("二级党组织意见", text(size["opinion"])), box("校党委审批意见", text(size["opinion"]), meeting=True)]
    return {"doc": doc("党费减免审批表"), "req": req, "steps": steps}


def condolence(size):
    req = dict(MEMBER, member_name="周珺玥", staff_no="20080123", id_number_masked="610***********1234",
               flags="老党员", initiator_name="李书记", initiator_level="党支部", category_label="住院慰问",
               event_description=text(size["event"]), event_date=date(2026, 11, 20), amount=Decimal("2500.00"),
               standard_amount=Decimal("2000.00"), over_standard=True, over_standard_reason=text(size["reason"]),
               funding_label="校级专项经费", to_school=True, planned_visitors="李书记、赵支委",
               planned_date=date(2026, 12, 20), payee_name="周珺玥", payee_relation=None)
    steps = [box("党支部申报意见", text(size["opinion"]), "李书记（支部书记/支委）"),
             box("二级党组织意见", text(size["opinion"])), box("组织部审核意见", text(size["opinion"]), "刘组织部（组织部）"),
             box("校党委审批意见", text(size["opinion"]), "张校领导（校党委）", meeting=True)]
    return {"doc": doc("慰问金审批表"), "req": req, "steps": steps}


def award_nomination(size):
    req = {"number": "BZ-2026-0001", "cycle_name": "2026年度“两优一先”表彰", "year": 2026,
           "category_label": "优秀共产党员", "branch_name": "会计学院教工第一党支部", "secondary_name": "会计学院党委",
           "initiator_name": "李书记", "deeds": text(size["deeds"]), "rank": 1, "quota": 2,
           "quota_org_name": "会计学院党委", "attachments": [{"filename": "事迹材料.pdf", "sha256": "ab" * 32}]}
    nominee = {"kind": "member", "name": "钱赟堃", "gender": "男", "birth_date": date(1985, 12, 1),
               "joined_party_on": date(1998, 12, 28), "person_category": "教职工", "member_category": "正式党员",
               "staff_no": "20080123", "branch_name": "会计学院教工第一党支部"}
    steps = [box("党支部推荐意见", text(size["opinion"]), "李书记（支部书记/支委）"),
             box("二级党组织审核排序意见", text(size["opinion"])),
             box("党委组织部审核意见", text(size["opinion"]), "刘组织部（组织部）"),
             box("校党委决定意见", text(size["opinion"]), "张校领导（校党委）", meeting=True)]
    publicity = {"starts_on": date(2026, 6, 19), "ends_on": date(2026, 6, 25), "days": 5, "objections": 0,
                 "upheld": 0, "dismissed": 0, "open": 0, "result": "公示期满，予以表彰"}
    return {"doc": doc("表彰推荐审批表"), "req": req, "nominee": nominee, "steps": steps, "publicity": publicity}


def secretary_allowance(size):
    labels = ["电话补助", "交通补助", "资料费", "岗位补贴", "考核奖励"]
    lines = [{"index": i, "branch": f"会计学院教工第{i}党支部", "secretary": "钱赟堃", "grade": "优秀",
              "served_label": "1–12月", "months_served": 12, "months_existed": 12,
              "items": [(label, Decimal("600.00")) for label in labels], "amount": Decimal("3000.00"),
              "method": "发放给书记本人", "formula": "¥3,000.00×12/12=¥3,000.00", "adjusted": False}
             for i in range(1, size["lines"] + 1)]
    total = Decimal("3000.00") * len(lines)
    batch = {"number": "SB-2026-0001", "year": 2026, "unit": "会计学院党委", "unit_label": "会计学院党委",
             "initiator": "陈组织员", "submitted_at": datetime(2026, 6, 1, 9, 0), "standard": Decimal("3000.00"),
             "branch_count": len(lines), "total": total, "state_label": "已通过", "approved": True,
             "final_outcome": "同意", "policy": "《实施意见》第三部分（一）3"}
    steps = [box("申报单位意见", text(size["opinion"]), "陈组织员（二级党组织书记/组织员）"),
             box("组织部核定意见", text(size["opinion"]), "刘组织部（组织部）"),
             box("校党委审批意见", text(size["opinion"]), "张校领导（校党委）")]
    return {"doc": doc("年度兼职支部书记补贴核定表"), "batch": batch, "lines": lines, "item_labels": labels,
            "item_totals": [Decimal("600.00") * len(lines)] * 5, "adjustments": [], "exclusions": [],
            "steps": steps}


CONTEXTS = {"dues_waiver": dues_waiver, "condolence": condolence, "award_nomination": award_nomination,
            "secretary_allowance": secretary_allowance}


def conventions_broken(pdf: bytes, template: str, steps: list[dict]) -> list[str]:
    """Every way the PDF departs from the conventions, in words (empty when it follows them)."""
    pages = read(pdf)
    landscape = template in LANDSCAPE
    problems = []
    for page in pages:
        # Portrait: the table's left rule is at the margin. Landscape: the first line's ink, which
        # sits its half-leading (up to 1.1 mm at line-height 1.5) below the margin.
        margin, edge, slack = (page.ink_top, "上", 1.2) if landscape else (page.ink_left, "左", 0)
        if not BINDING_MM - TOL <= margin <= BINDING_MM + TOL + slack:
            problems.append(f"第{page.number}页装订边（{edge}）留白 {margin:.1f} mm，应为 28 mm")
        if landscape and abs(page.ink_left - 15) > TOL:
            problems.append(f"第{page.number}页左边距 {page.ink_left:.1f} mm")
        if page.curves:
            problems.append(f"第{page.number}页有曲线图形（{page.curves} 个）：盖章位置不得画出印章")
        coloured = [c for c in page.colours if len(c) == 3 and max(c) - min(c) > 0.05]
        if coloured:
            problems.append(f"第{page.number}页有彩色：{coloured}")
    labels = [s["label"] for s in steps]
    boxes = level_boxes(pages, labels)
    for label in labels:
        if label not in boxes:
            problems.append(f"找不到“{label}”栏")
            continue
        page, row = boxes[label]
        problems += [f"“{label}”栏（第{page.number}页）：{p}" for p in box_has_signature_and_seal(page, row)]
    problems += orphan_pages(pages, labels)
    problems += split_dates(pages)
    return problems


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", CONTEXTS)
def test_every_form_follows_the_conventions_with_short_typical_and_longest_texts(app, kind, size):
    context = CONTEXTS[kind](SIZES[size])
    pdf = render_pdf(TEMPLATES[kind], context)
    assert conventions_broken(pdf, TEMPLATES[kind], context["steps"]) == []


def test_the_demo_forms_follow_the_conventions(app):
    """Every form kind of the demo data, one request per type and state (the 表彰推荐审批表 in 公示
    is the one that used to end on a page of its footnote), from the real context functions."""
    from dangjian.demo import load_demo

    assert load_demo()
    seen, broken = set(), {}
    for req in db.session.scalars(select(Request).order_by(Request.id)):
        if (req.type, req.state) in seen:
            continue
        seen.add((req.type, req.state))
        for spec in type(req).workflow.documents:
            if spec.kind not in FORM_KINDS:
                continue
            # As a Document row: with its verification code, so the QR code in the foot is measured too.
            stand_in = SimpleNamespace(request=req, title=spec.title, version=1, created_at=utcnow(), part="",
                                       kind=spec.kind, verification_code=new_code())
            context = spec.context(stand_in)
            problems = conventions_broken(render_pdf(spec.template, context), spec.template.removeprefix("pdf/"),
                                          context["steps"])
            if problems:
                broken[f"{req.number} {spec.title}"] = problems
    assert {t for t, _ in seen} == set(TEMPLATES)
    assert broken == {}
