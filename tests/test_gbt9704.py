"""The red-header documents (公示, 表彰决定, 核定通知) measured against GB/T 9704-2012 with pdfplumber.

Each PDF is made by the real document code: the kind's context function reads the database, its
template extends templates/pdf/official_base.html, dangjian.documents.render renders it. Positions
are in mm from the top-left corner of the A4 page; every number of the standard within ±1 mm.

How text is measured: a line's em box, from its baseline (the PDF's text matrix) and its size, as
the ideographic em box of the CJK fonts (0.88 em above the baseline, 0.12 em below). "Two blank
lines" before a line: two lines of the grid (225/22 mm), then that line's own half-leading. The
page number's dash is measured in ink (the page rasterised by pdftoppm): the standard puts the
一字线 itself 7 mm under the type area.
"""
import io
import re
import subprocess
from datetime import date, datetime
from decimal import Decimal

import pdfplumber
import pytest

from dangjian.documents.official import ORG_MARK_MAX_MM, official, org_mark_size_mm, text_width_em
from dangjian.documents.render import render_pdf
from dangjian.extensions import db
from dangjian.models import Document, DocumentStatus, RequestState
from dangjian.request_types.award_nomination import documents as award_documents
from dangjian.request_types.secretary_allowance import documents as allowance_documents
from dangjian.workflow import Action, apply_action, create_request
from tests.factories import make_member
from tests.factories_allowance import allowance_world, new_batch
from tests.factories_award import MEMBER, aorg, make_cycle  # noqa: F401

# The layout of a rendered document does not depend on the database: one pass (conftest `once`).
pytestmark = pytest.mark.once

MM = 72 / 25.4
TOP, LEFT, RIGHT, BOTTOM = 37.0, 28.0, 184.0, 262.0  # the type area: 156 × 225 mm
PITCH, CHAR = 225 / 22, 156 / 28  # one line of the grid; one character of 3号 (28 to the line)
TITLE = 22 / MM  # 2号
TOL = 1.0
XIAN_CAI = "中共西安财经大学委员会"  # the demo's school: its 组织部 is the longest issuer name
NAMES = ["钱赟堃", "周珺玥", "王喆", "李璟彧"]  # rare characters must render
DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


# --- measuring ----------------------------------------------------------------------------------

class Line:
    def __init__(self, chars, page_height):
        chars.sort(key=lambda c: c["x0"])
        self.chars = chars
        self.text = "".join(c["text"] for c in chars).replace(" ", "")
        self.size = chars[0]["size"] / MM
        baseline = (page_height - chars[0]["matrix"][5]) / MM
        self.top, self.bottom = baseline - 0.88 * self.size, baseline + 0.12 * self.size
        self.x0, self.x1 = chars[0]["x0"] / MM, chars[-1]["x1"] / MM
        self.font = chars[0]["fontname"]

    @property
    def centre(self):
        return (self.x0 + self.x1) / 2

    def __repr__(self):
        return f"<{self.text[:20]} top={self.top:.1f} x={self.x0:.1f}-{self.x1:.1f}>"


def lines_of(page) -> list[Line]:
    rows = {}
    for c in page.chars:
        rows.setdefault(round(c["matrix"][5], 1), []).append(c)
    return sorted((Line(cs, page.height) for cs in rows.values()), key=lambda ln: ln.top)


def ink_top(pdf: bytes, page_no: int, x0: float, x1: float, y0: float, y1: float) -> float:
    """The first row (mm from the top) with dark pixels in the box, the page rasterised at 254 dpi."""
    dpmm = 10  # 254 dpi
    out = subprocess.run(
        ["pdftoppm", "-gray", "-r", "254", "-f", str(page_no), "-l", str(page_no), "-x", str(int(x0 * dpmm)),
         "-y", str(int(y0 * dpmm)), "-W", str(int((x1 - x0) * dpmm)), "-H", str(int((y1 - y0) * dpmm)), "-"],
        input=pdf, capture_output=True, check=True).stdout
    # PGM (P5): header "P5\nW H\n255\n", then one byte per pixel.
    magic, width, height, maxval, data = out.split(maxsplit=4)
    assert magic == b"P5"
    width, height = int(width), int(height)
    for row in range(height):
        if min(data[row * width:(row + 1) * width]) < 128:
            return y0 + row / dpmm
    raise AssertionError("no ink in the box")


def near(value, expected, what):
    assert abs(value - expected) <= TOL, f"{what}: {value:.2f} mm, expected {expected:.2f} ± {TOL} mm"


def is_red(line):
    colour = line.chars[0]["non_stroking_color"]
    return colour is not None and len(colour) == 3 and colour[0] > 0.8 and colour[1] < 0.2 and colour[2] < 0.2


def check_gbt9704(pdf: bytes, org_mark: str, number: str | None, issuer: str, printer: str, cc: str | None):
    """Every number of GB/T 9704 point 1; returns the pages' lines for further checks."""
    doc = pdfplumber.open(io.BytesIO(pdf))
    pages = [lines_of(p) for p in doc.pages]
    for p in doc.pages:
        assert (round(p.width / MM), round(p.height / MM)) == (210, 297)  # A4
    first = pages[0]

    # 发文机关标志: red, one line, inside the type width, top edge 35 mm below the type area's top.
    head = first[0]
    assert head.text == org_mark, f"the 发文机关标志 wraps or differs: {[ln.text for ln in first[:2]]}"
    assert is_red(head)
    assert LEFT - 0.5 <= head.x0 and head.x1 <= RIGHT + 0.5
    near(head.centre, (LEFT + RIGHT) / 2, "发文机关标志 centre")
    near(head.top - TOP, 35, "发文机关标志 below the top of the type area")

    # 文号 two blank lines under it, centred; the red rule 4 mm under the 文号 (under its place when
    # the kind has no 文号 yet: the geometry does not move).
    number_top = head.bottom + 2 * PITCH + (PITCH - CHAR) / 2
    if number:
        num = first[1]
        assert num.text == number
        assert not re.search(r"〔\d{4}〕0", num.text)  # no leading zeros
        near(num.top, number_top, "文号 two lines under the 发文机关标志")
        near(num.centre, (LEFT + RIGHT) / 2, "文号 centre")
        assert num.size * 28 == pytest.approx(156, abs=TOL)  # 3号, as the body
    rule = [r for r in doc.pages[0].rects if (r["x1"] - r["x0"]) / MM > 150
            and r["non_stroking_color"][0] > 0.8 and r["non_stroking_color"][1] < 0.2]
    assert len(rule) == 1, "one red rule on page 1"
    rule_top, rule_bottom = rule[0]["top"] / MM, rule[0]["bottom"] / MM
    near(rule[0]["x0"] / MM, LEFT, "rule from the left edge of the type area")
    near(rule[0]["x1"] / MM, RIGHT, "rule to the right edge")
    near(rule_top, number_top + CHAR + 4, "red rule 4 mm under the 文号")

    # Title two blank lines under the rule, 2号.
    title = next(ln for ln in first if ln.top > rule_bottom)
    assert title.size == pytest.approx(TITLE, abs=0.05)
    near(title.top, rule_bottom + 2 * PITCH + (PITCH - TITLE) / 2, "title two lines under the rule")

    # Body: 3号 (28 characters to the 156 mm line), 22 lines to the 225 mm page.
    body = [ln for page in pages for ln in page if ln.size == pytest.approx(CHAR, abs=0.05)]
    assert body[0].size * 28 == pytest.approx(156, abs=TOL)
    full = [ln for ln in body if len(ln.text) == 28 and re.fullmatch(r"[\u3000-\u9fff\uff00-\uffef]+", ln.text)]
    for ln in full:
        near(ln.x0, LEFT, "a full line starts at the type area's left edge")
        near(ln.x1, RIGHT, "and ends at its right edge")
    for page in pages:  # baselines compared within one typeface (each face sits its own way on them)
        rows = [ln for ln in page if ln.size == pytest.approx(CHAR, abs=0.05)]
        for a, b in zip(rows, rows[1:]):
            if b.top - a.top < 1.5 * PITCH and a.font == b.font:
                assert b.top - a.top == pytest.approx(PITCH, abs=0.1), "consecutive body lines on the grid"

    # 成文日期 in Arabic numerals, 4 characters in from the right; 署名 centred on it, just above.
    dated = [(i, ln) for i, page in enumerate(pages) for ln in page if DATE.match(ln.text)]
    assert len(dated) == 1, [ln.text for _, ln in dated]
    page_index, day = dated[0]
    near(RIGHT - day.x1, 4 * CHAR, "date four characters in from the right")
    lines = pages[page_index]
    sig = lines[lines.index(day) - 1]
    assert sig.text == issuer
    near(day.top - sig.top, PITCH, "署名 on the line above the date")
    if (sig.x1 - sig.x0) / 2 < RIGHT - day.centre:
        near(sig.centre, day.centre, "署名 centred on the date")
    else:
        near(sig.x1, RIGHT, "a long 署名 flush right")
    assert sig.x1 <= RIGHT + 0.5
    # The seal is never alone on a page: body text above the 署名 on its page, two lines above.
    above = [ln for ln in lines if ln.bottom < sig.top and ln.size == pytest.approx(CHAR, abs=0.05)]
    assert above, f"the 署名 and date start page {page_index + 1}: a seal page without body text"
    near(sig.top - above[-1].top, 3 * PITCH, "署名 two blank lines under the text")

    # 版记 at the foot of the date's page: 抄送, then 印发机关 and 印发日期, the last rule on the
    # bottom edge of the type area.
    foot = [ln for ln in lines if ln.top > day.bottom and ln.size == pytest.approx(14 / MM, abs=0.05)
            and ln.top < BOTTOM]
    printed = foot[-1]
    assert printed.text.startswith(printer) and re.search(r"\d{4}年\d{1,2}月\d{1,2}日印发$", printed.text)
    near(printed.x0, LEFT + 14 / MM, "印发机关 one character in from the left")
    near(printed.x1, RIGHT - 14 / MM, "印发日期 one character in from the right")
    if cc:
        assert foot[-2].text == f"抄送：{cc}。"
        near(foot[-2].x0, LEFT + 14 / MM, "抄送 one character in")
    rules = doc.pages[page_index].rects + doc.pages[page_index].lines
    near(max(r["bottom"] for r in rules) / MM, BOTTOM, "the 版记's last rule on the type area's bottom edge")
    for i, page in enumerate(pages):
        if i != page_index:
            assert not any(ln.text.endswith("印发") for ln in page), "the 版记 only on the last page"
    assert page_index == len(pages) - 1

    # Page numbers "— n —", 4号, the dash 7 mm under the type area; odd right, even left, one
    # character in.
    for i, page in enumerate(pages, start=1):
        folio = page[-1]
        assert folio.text == f"—{i}—" and folio.size == pytest.approx(14 / MM, abs=0.05)
        if i % 2:
            near(RIGHT - folio.x1, 14 / MM, f"page {i}: odd page number on the right, one character in")
        else:
            near(folio.x0 - LEFT, 14 / MM, f"page {i}: even page number on the left, one character in")
        dash = folio.chars[0]
        near(ink_top(pdf, i, dash["x0"] / MM, dash["x1"] / MM, BOTTOM, BOTTOM + 15) - BOTTOM, 7,
             f"page {i}: the dash under the type area")
    return pages


# --- the documents, made by the real document code ------------------------------------------------

def award_cycle_with(aorg, awardees: int):
    """A cycle of the demo's school (中共西安财经大学委员会) with `awardees` members published and
    awarded, and its 文号."""
    aorg.school.name = XIAN_CAI
    cycle = make_cycle(aorg, quota=50)
    for i in range(awardees):
        member = make_member(aorg.branch_a1 if i % 2 else aorg.branch_a2, f"{NAMES[i % 4]}{i}")
        db.session.flush()
        req = award_documents_nomination(cycle, aorg, member)
        req.state = RequestState.AWARDED
        req.publicized_at = datetime(2026, 6, 19, 4)
    cycle.published_at = datetime(2026, 6, 19, 4)
    cycle.publicity_starts_on, cycle.publicity_ends_on = date(2026, 6, 19), date(2026, 6, 25)
    cycle.decision_date = date(2026, 11, 30)
    cycle.decision_number = "西财党发〔2026〕3号"
    db.session.commit()
    return cycle


def award_documents_nomination(cycle, aorg, member):
    from dangjian.request_types.award_nomination.model import AwardNomination

    req = AwardNomination(cycle=cycle, category=MEMBER, organization=member.branch, beneficiary=member,
                          nominee_key=AwardNomination.key_for(member, None), deeds="成绩突出。",
                          quota_org=member.branch.secondary_unit or member.branch)
    create_request(req, aorg.secretary)
    return req


def render_cycle_document(cycle, spec, title, version=1):
    doc = Document(award_cycle_id=cycle.id, kind=spec.kind, part="", title=title, template=spec.template,
                   version=version, status=DocumentStatus.PENDING)
    db.session.add(doc)
    db.session.flush()
    return render_pdf(spec.template, spec.context(doc))


@pytest.mark.parametrize("awardees", [1, 2, 10, 40])
def test_award_decision_and_publicity_notice_follow_gbt9704(app, aorg, awardees):
    cycle = award_cycle_with(aorg, awardees)
    decision = render_cycle_document(cycle, award_documents.DECISION_SPEC, "表彰决定")
    check_gbt9704(decision, f"{XIAN_CAI}文件", "西财党发〔2026〕3号", XIAN_CAI, f"{XIAN_CAI}组织部", "校纪委")
    notice = render_cycle_document(cycle, award_documents.NOTICE_SPEC, "公示")
    pages = check_gbt9704(notice, f"{XIAN_CAI}组织部", None, f"{XIAN_CAI}组织部", f"{XIAN_CAI}组织部", None)
    # 一、 headings in 黑体 (the default: Noto Sans CJK), the text in 仿宋 (Noto Serif CJK).
    heading = next(ln for page in pages for ln in page if ln.text.startswith("一、优秀共产党员"))
    assert "Sans" in heading.font
    assert "Serif" in next(ln for ln in pages[0] if ln.text.startswith("根据")).font
    text = "".join(ln.text for page in pages for ln in page)
    assert f"（{awardees}名）" in text and f"{NAMES[(awardees - 1) % 4]}{awardees - 1}" in text
    assert "（印章）" not in text


def test_allowance_notice_follows_gbt9704_with_its_文号_from_the_register(app, org, redis_conn):
    allowance_world(org)
    org.school.name = XIAN_CAI
    batch = new_batch(org.sec_b, org.secondary_b)
    apply_action(batch, org.org_dept2, Action.APPROVE, opinion="经核定，同意。")
    apply_action(batch, org.school_user2, Action.APPROVE, opinion="同意发放。")
    doc = db.session.query(Document).filter_by(request_id=batch.id, kind="allowance_notice").one()
    pdf = render_pdf(doc.template, allowance_documents.notice_context(doc))
    assert doc.doc_number == f"西财党组发〔{batch.closed_at.year}〕1号"  # 组织部's 通知 series
    pages = check_gbt9704(pdf, f"{XIAN_CAI}组织部", doc.doc_number, f"{XIAN_CAI}组织部", f"{XIAN_CAI}组织部",
                          "财务处")
    text = "".join(ln.text for page in pages for ln in page)
    assert batch.number not in "".join(ln.text for ln in pages[0][:4])  # never in the 文号's place
    assert f"审批编号{batch.number}" in text  # the 附注 names the request
    assert "（印章）" not in text and "核定编号" not in text


def test_the_issuer_name_shrinks_to_the_type_width_only_when_it_must():
    assert org_mark_size_mm("中共西财委员会") == ORG_MARK_MAX_MM
    for name in (f"{XIAN_CAI}组织部", f"{XIAN_CAI}组织部、宣传部、统战部、教师工作部", "Xi'an 党委"):
        size = org_mark_size_mm(name)
        assert size < ORG_MARK_MAX_MM or name == "Xi'an 党委"
        assert size * text_width_em(name) <= 156


def allowance_context(secretaries: int):
    items = [("电话补助", Decimal("300.00")), ("交通补助", Decimal("300.00")), ("资料费", Decimal("250.00")),
             ("岗位补贴", Decimal("350.00")), ("考核奖励", Decimal("300.00"))]
    names = ["刘一", "张二", "王喆", "李赟", "周珺玥", "陈璟彧", "赵堃", "孙祎"]
    lines = [{"secretary": names[i], "served_label": f"{i + 1}月", "months_served": 1, "amount": Decimal("125.00"),
              "items": items, "method": "发放给书记本人"} for i in range(secretaries)]
    issuer = f"{XIAN_CAI}组织部"
    return {"doc": {"title": "核定通知", "number": "BT-2026-0001", "version": 1},
            "official": official(org_mark=issuer, issuer=issuer, issued_on=date(2026, 11, 30), cc=["财务处"]),
            "notice": {"title": "关于核定会计学院教工第一党支部2025年度兼职支部书记补贴的通知", "year": 2025,
                       "branch": "会计学院教工第一党支部", "addressees": "会计学院党委、会计学院教工第一党支部",
                       "grade": "合格", "months_existed": 12, "existed_label": "1–12月",
                       "standard": Decimal("1500.00"), "total": Decimal("125.00") * secretaries,
                       "policy": allowance_documents.POLICY},
            "lines": lines}


def test_a_notice_table_over_two_pages_repeats_its_header_row(app):
    # Two secretaries: the table fits on a page. Seven (a branch whose secretary changed all year):
    # it runs over a page end, and its header row (项目, each secretary, 合计) starts each page of it.
    for secretaries, pages_of_table in ((2, 1), (7, 2)):
        pdf = render_pdf("allowance_notice.html", allowance_context(secretaries))
        pages = [lines_of(p) for p in pdfplumber.open(io.BytesIO(pdf)).pages]
        table = [(i, ln) for i, page in enumerate(pages) for ln in page if ln.size == pytest.approx(12 / MM, abs=0.05)]
        on_pages = sorted({i for i, _ in table})
        assert len(on_pages) == pages_of_table
        for page in on_pages:
            rows = [ln for i, ln in table if i == page]
            assert "刘一（1" in rows[0].text, f"page {page + 1} of the table starts with its header row"
        assert sum("刘一（1" in ln.text for _, ln in table) == pages_of_table


def test_fonts_come_from_settings(app, aorg):
    cycle = award_cycle_with(aorg, 1)
    app.config["PDF_FONT_HEITI"] = "LXGW WenKai"
    notice = render_cycle_document(cycle, award_documents.NOTICE_SPEC, "公示")
    pages = [lines_of(p) for p in pdfplumber.open(io.BytesIO(notice)).pages]
    heading = next(ln for page in pages for ln in page if ln.text.startswith("一、优秀共产党员"))
    assert "WenKai" in heading.font
    # A family without a character falls back to the shipped fonts: every glyph still renders
    # (render_pdf fails on a missing glyph), and a name that tries to break out of the CSS is cleaned.
    app.config["PDF_FONT_FANGSONG"] = 'No Such Font"; } body { display: none'
    pdf = render_cycle_document(cycle, award_documents.NOTICE_SPEC, "公示", version=2)
    assert "钱赟堃0" in "".join(ln.text for p in pdfplumber.open(io.BytesIO(pdf)).pages for ln in lines_of(p))


def test_headings_by_level_in_their_typefaces_and_a_long_issuer(app):
    """一、 黑体, （一） 楷体, 1. and (1) 仿宋: the levels of GB/T 9704 7.3.3, with the shipped fonts. An
    issuer too long to centre on the date is set flush right, and its 发文机关标志 still fits a line."""
    from dangjian.documents.official import font_families
    from dangjian.documents.render import render_pdf_string

    LONG = "中共测试大学委员会组织部、宣传部、统战部"

    template = app.jinja_env.from_string(
        '{% extends "pdf/official_base.html" %}{% block title %}关于层次的通知{% endblock %}{% block body %}'
        "<h2>一、总体要求</h2><h3>（一）工作目标</h3><h4>1.完善机制</h4><h5>（1）健全制度</h5>"
        "<p>正文。</p>{% endblock %}")
    html = template.render(doc={"title": "通知", "number": "", "version": 1}, fonts=font_families(app.config),
                           official=official(org_mark=LONG, issuer=LONG, issued_on=date(2026, 11, 30)))
    pdf = render_pdf_string(html)
    pages = check_gbt9704(pdf, LONG, None, LONG, LONG, None)
    issuer = next(ln for ln in pages[-1] if ln.text == LONG and ln.size == pytest.approx(CHAR, abs=0.05))
    near(issuer.x1, RIGHT, "a long 署名 flush right")
    font = {ln.text: ln.font for page in pages for ln in page}
    assert "Sans" in font["一、总体要求"]
    assert "WenKai" in font["（一）工作目标"]
    assert "Serif" in font["1.完善机制"] and "Serif" in font["（1）健全制度"] and "Serif" in font["正文。"]
