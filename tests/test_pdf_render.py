"""PDF rendering with real WeasyPrint and the installed Noto CJK fonts (no mocks).

These tests need no app factory: a bare Flask app points at templates/ and registers the four
filters the PDF templates use.
"""
import io
import logging
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader

from dangjian.documents import render
from dangjian.documents.render import (MissingGlyphError, ResourceError, render_pdf,
                                       render_pdf_string)
from dangjian.money import format_yuan, yuan_capital

REPO = Path(__file__).resolve().parents[1]
RARE_NAMES = ["王喆", "张堃", "李赟", "周珺玥", "陈璟彧祎"]  # absent from small fonts such as Fandol
NO_FONT_HAS_IT = "\ue000"  # private use: no installed font maps it (checked in a test below)


@pytest.fixture(scope="module")
def app():
    app = Flask(__name__, template_folder=str(REPO / "templates"))
    app.jinja_env.filters.update(
        yuan=format_yuan,
        yuan_capital=yuan_capital,
        ym=lambda d: f"{d.year}年{d.month}月" if d else "",
        ymd=lambda d: f"{d.year}年{d.month}月{d.day}日" if d else "",
    )
    with app.app_context():
        yield app


def waiver_context(**req_changes):
    """A 党费减免审批表 context shaped like the one the document job builds."""
    req = {
        "number": "DF-2026-0007", "state_label": "已通过", "submitted_at": datetime(2026, 1, 8, 9, 0),
        "applicant_name": "王喆", "applicant_staff_no": "20080123",
        "applicant_id_number_masked": "610***********1234", "gender": "男",
        "person_category": "教职工", "member_category": "正式党员", "joined_party_on": date(2008, 6, 1),
        "branch_name": "会计学院教工第一党支部", "secondary_name": "会计学院党委",
        "phone_masked": "138****5678", "initiated_by_name": "陈璟彧祎", "on_behalf": True,
        "monthly_dues": Decimal("45.00"), "mode_label": "部分减交", "monthly_amount": Decimal("20.00"),
        "start_month": date(2026, 1, 1), "end_month": date(2026, 6, 1), "months": 6,
        "total_amount": Decimal("120.00"), "hardship_category_label": "患病",
        "hardship_description": ("本人配偶周珺玥自2025年9月起患重病住院治疗，每月自付医疗费用约￥3,000元，"
                                 "家庭收入仅靠本人工资维持，生活较为困难。\n"
                                 "特申请自2026年1月至6月每月减交党费20元。"),
        "attachments": [{"filename": "诊断证明.pdf", "sha256": "3f5a9c0e" * 8, "kind_label": "证明材料"},
                        {"filename": "王喆本人签字申请书.pdf", "sha256": "a1b2c3d4" * 8, "kind_label": "本人签字申请"}],
        "final_outcome": "同意",
    }
    req.update(req_changes)
    steps = [
        {"label": "党支部讨论意见", "opinion": "经支委会讨论，王喆同志困难情况属实，同意减交。",
         "signer": "张堃（支部书记）", "date": date(2026, 1, 15), "action_label": "同意",
         "meeting": {"type_label": "支委会", "date": date(2026, 1, 14),
                     "votes_for": 5, "votes_against": 0, "votes_abstain": 0}},
        {"label": "二级党组织意见", "opinion": "情况属实，同意支部意见。", "signer": "李赟（党委书记）",
         "date": date(2026, 1, 20), "meeting": None, "action_label": "同意"},
        {"label": "校党委审批意见", "opinion": "", "signer": "", "date": None, "meeting": None,
         "action_label": None},
    ]
    doc = {"title": "党费减免审批表", "number": "DF-2026-0007", "generated_at": datetime(2026, 3, 5, 14, 30),
           "verification_code": "ABCD-EFGH", "version": 1}
    return {"doc": doc, "req": req, "steps": steps}


@pytest.fixture(scope="module")
def form_pdf(app):
    return render_pdf("dues_waiver_form.html", waiver_context())


def pdf_text(pdf: bytes) -> str:
    """All text of the PDF, whitespace removed (extraction splits CJK runs unpredictably)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def pdf_fonts(pdf: bytes) -> dict[str, bool]:
    """{BaseFont without subset prefix: embedded?} for every font used on any page."""
    fonts = {}

    def walk(resources):
        resources = resources.get_object() if resources else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor_owner = font
            if font.get("/Subtype") == "/Type0":
                descriptor_owner = font["/DescendantFonts"][0].get_object()
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            fonts[name] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get_object().get("/Resources"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"))
    return fonts


def test_form_text_has_rare_names_opinions_amounts_and_number(form_pdf):
    text = pdf_text(form_pdf)
    for name in RARE_NAMES:
        assert name in text
    for expected in ["党费减免审批表", "DF-2026-0007", "经支委会讨论，王喆同志困难情况属实，同意减交。",
                     "情况属实，同意支部意见。", "同意5票，反对0票，弃权0票", "￥3,000元", "¥120.00",
                     "人民币壹佰贰拾元整", "2026年1月至2026年6月，共6个月", "诊断证明.pdf",
                     "由党支部代为提出（经办人：陈璟彧祎）", "第1页/共2页", "验证码：ABCD-EFGH"]:
        assert expected in text, expected


def test_form_every_font_is_embedded_noto_cjk(form_pdf):
    fonts = pdf_fonts(form_pdf)
    assert fonts, "no fonts found in the PDF"
    for name, embedded in fonts.items():
        assert embedded, f"{name} is not embedded"
        assert re.match(r"Noto-(Serif|Sans)(-Mono)?-CJK-SC", name), f"{name} is not a Noto CJK SC font"


def test_form_renders_without_any_weasyprint_warning(app, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_pdf("pdf/dues_waiver_form.html", waiver_context(secondary_name=None, on_behalf=False))
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_character_without_font_triggers_notdef_and_fails(caplog):
    html = f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><p>张堃{NO_FONT_HAS_IT}</p>'
    with caplog.at_level(logging.WARNING, logger="weasyprint"), pytest.raises(MissingGlyphError) as err:
        render_pdf_string(html)
    # The failure comes from WeasyPrint's real .notdef warning, not from a guess of ours.
    assert any(".notdef" in r.getMessage() for r in caplog.records)
    assert "U+E000" in str(err.value)


def test_form_with_a_missing_glyph_in_a_field_is_refused(app):
    with pytest.raises(MissingGlyphError, match=r"U\+E000.*王喆"):
        render_pdf("dues_waiver_form.html", waiver_context(applicant_name="王喆" + NO_FONT_HAS_IT))


@pytest.mark.parametrize("markup", [
    '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">',
    '<img src="https://example.invalid/logo.png">',
    '<link rel="stylesheet" href="file:///etc/passwd">',
    '<link rel="stylesheet" href="../../dangjian/__init__.py">',  # relative, but outside templates/pdf
    '<link rel="stylesheet" href="missing.css">',
])
def test_resources_outside_templates_pdf_are_refused(markup):
    html = f'<!doctype html><html lang="zh-CN"><meta charset="utf-8">{markup}<p>审批表</p>'
    with pytest.raises(ResourceError):
        render_pdf_string(html)


def test_stylesheet_inside_templates_pdf_is_allowed():
    html = '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><link rel="stylesheet" href="pdf.css"><p>审批表</p>'
    assert render_pdf_string(html).startswith(b"%PDF-")


def test_font_configuration_is_one_per_process():
    assert render.font_config() is render.font_config()


def test_preload_renders_without_an_app_context():
    render.preload()


def test_fonttools_fallback_is_reported_once_and_does_not_fail(monkeypatch, caplog):
    """Without libharfbuzz-subset0 WeasyPrint subsets with fontTools: slow, but correct."""
    monkeypatch.setattr(render, "_fonttools_fallback_reported", False)
    for _ in range(2):
        with render._watch_weasyprint_log() as records:
            logging.getLogger("weasyprint").warning(
                'Using fontTools instead of HarfBuzz-Subset for font "%s".', "Noto Serif CJK SC")
        render._check_log(records, "")
    ours = [r for r in caplog.records if r.name == render.__name__]
    assert len(ours) == 1 and "libharfbuzz-subset0" in ours[0].getMessage()
