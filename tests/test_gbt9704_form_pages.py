"""The 表彰推荐审批表 never ends on a page that holds nothing but its footnote (注：…): the notes stay
with the last box of the form. Rendered from the real template, with the deeds of every length
that brings the form to the end of its first page."""
import io
from datetime import date, datetime

import pdfplumber
import pytest

from dangjian.documents.render import render_pdf

DEED = "主讲《中级财务会计》等课程，获评省级教学名师；指导学生获全国大学生会计技能大赛一等奖。"


def form_context(deeds: str) -> dict:
    box = {"label": "", "opinion": "经研究，同意推荐。", "signer": "钱书记（支部书记/支委）", "date": date(2026, 6, 1),
           "action_label": "同意", "meeting": None, "detail": None}
    steps = [dict(box, label=label) for label in ("党支部推荐意见", "二级党组织审核排序意见", "党委组织部审核意见")]
    steps.append(dict(box, label="校党委决定意见", meeting={"type_label": "党委会", "date": date(2026, 6, 10),
                                                          "votes_for": 21, "votes_against": 0, "votes_abstain": 1}))
    return {
        "doc": {"title": "推荐审批表", "number": "BZ-2026-0001", "generated_at": datetime(2026, 6, 19, 12, 0),
                "verification_code": None, "version": 2},
        "req": {"number": "BZ-2026-0001", "cycle_name": "2026年度“两优一先”表彰", "year": 2026,
                "category_label": "优秀共产党员", "branch_name": "会计学院本科生党支部", "secondary_name": "会计学院党委",
                "initiator_name": "钱书记", "deeds": deeds, "rank": 1, "quota": 2, "quota_org_name": "会计学院党委",
                "attachments": [{"filename": "事迹材料.pdf", "sha256": "ab" * 32}]},
        "nominee": {"kind": "member", "name": "钱赟堃", "gender": "男", "birth_date": date(1985, 3, 1),
                    "joined_party_on": date(2008, 6, 1), "person_category": "教职工", "member_category": "正式党员",
                    "staff_no": "20080123", "branch_name": "会计学院本科生党支部"},
        "steps": steps,
        "publicity": {"starts_on": date(2026, 6, 19), "ends_on": date(2026, 6, 25), "days": 5, "objections": 1,
                      "upheld": 0, "dismissed": 1, "open": 0, "result": "公示期满，予以表彰"},
    }


# 126–186 characters of deeds bring the form's last box to the foot of page 1 (measured with the
# Noto CJK fonts: at 138–168 the notes used to make a page 2 of their own).
@pytest.mark.parametrize("length", range(126, 190, 12))
def test_no_page_of_the_form_holds_only_its_footnote(app, length):
    deeds = (DEED * 5)[:length]
    pdf = pdfplumber.open(io.BytesIO(render_pdf("award_nomination_form.html", form_context(deeds))))
    for number, page in enumerate(pdf.pages, start=1):
        text = [ln for ln in (page.extract_text() or "").splitlines() if ln.strip()]
        body = [ln for ln in text if not ln.startswith("编号：") and "第 " not in ln]  # the running footer
        assert body, f"page {number} is empty"
        if number > 1:
            assert not all(ln.startswith(("注：", "2.")) or "党支部推荐意见由推荐人" in ln for ln in body), \
                f"page {number} holds only the footnote: {body}"
