"""The archive's files are PDF/A-2b with their metadata, and small (issue 9 §6).

One world makes a document of every registered kind through the real workflows and the real RQ
worker (审批表 of each type, 核定表 and 核定通知, 公示 and 表彰决定); each archived file is then read
back. What is checked, since no PDF/A validator is installable here (dangjian/documents/pdfa.py):
the XMP packet parses and declares part 2 conformance B, it carries title, author, subject,
keywords and dates that agree with the document information, an sRGB output intent, /Lang zh-CN,
every font embedded, and a 1-page document weighs at most 150 KB.
"""
import io
from datetime import timezone

import pdfplumber
import pikepdf
import pypdfium2
import pytest
from PIL import ImageChops
from weasyprint import HTML

from dangjian.documents import pdfa
from dangjian.documents.fontsubset import compact_fonts
from dangjian.documents.render import NotArchivalError, render_pdf_string
from dangjian.workflow.definition import DOCUMENT_SPECS
from tests.factories_documents import every_kind
from tests.test_document_jobs import assert_done_and_intact, pdf_text, run_worker

# The layout of a rendered document does not depend on the database: one pass (conftest `once`).
pytestmark = pytest.mark.once

CEILING = 150 * 1024  # bytes, for a 1-page document


def test_every_kind_is_archived_as_small_pdfa_2b_with_its_metadata_and_text(app, org, redis_conn):
    # One test: the world renders eight PDFs, which takes a while on a busy machine.
    documents = every_kind(org, run_worker)
    assert {d.kind for d in documents} == set(DOCUMENT_SPECS), "a document kind is not made by this world"
    for doc in documents:
        data = assert_done_and_intact(doc)
        assert pdfa.problems(data) == [], doc.kind
        xmp = pdfa.xmp_fields(data)
        number = doc.doc_number or (doc.request.number if doc.request else "")
        assert (xmp["part"], xmp["conformance"]) == ("2", "B")
        assert xmp["title"] == (f"{doc.title}（{number}）" if number else doc.title), doc.kind
        assert xmp["creator"] == org.school.name
        assert doc.title in xmp["description"] and f"第{doc.version}版" in xmp["description"]
        assert doc.title in xmp["keywords"] and (not number or number in xmp["keywords"])
        created = doc.created_at.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert xmp["create_date"] == xmp["modify_date"] == created
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert str(pdf.Root.Lang) == "zh-CN"
            assert pdf.pdf_version == "1.7"
            assert str(pdf.docinfo["/Title"]) == xmp["title"]
            intent = pdf.Root.OutputIntents[0]
            assert intent.S == "/GTS_PDFA1" and "sRGB" in str(intent.OutputConditionIdentifier)
            assert intent.DestOutputProfile.read_bytes()[36:40] == b"acsp"  # an ICC profile

    sizes = {}
    for doc in documents:
        data = assert_done_and_intact(doc)
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
            text = "".join(p.extract_text() or "" for p in pdf.pages)
        assert doc.title.replace("“", "").split("（")[0][:4] in text.replace("“", ""), doc.kind
        if pages == 1:
            sizes[doc.kind] = len(data)
    assert "dues_waiver_form" in sizes and "condolence_form" in sizes
    too_big = {kind: size for kind, size in sizes.items() if size > CEILING}
    assert not too_big, f"over {CEILING} bytes: {too_big}"
    texts = pdf_text(assert_done_and_intact(next(d for d in documents if d.kind == "award_nomination_form")))
    assert "钱赟堃" in texts  # a rare name survives the re-subsetting as text


# --- the font re-subsetting draws the same glyphs --------------------------------------------------

GLYPHS_HTML = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>字形</title>
<body style="font-size:18pt">
<p style="font-family:'LXGW WenKai'">（一）楷体：喆堃赟珺玥璟彧祎𠮷䶮 ABC 123</p>
<p style="font-family:'Noto Serif CJK SC'">宋体：两优一先表彰决定 ￥1,234.50 壹仟贰佰叁拾肆元伍角</p>
<p style="font-family:'Noto Sans CJK SC';font-weight:bold">黑体：一、总则 喆堃赟</p>
<p style="font-family:'Noto Serif CJK SC';font-weight:bold">小标宋：中共测试大学委员会文件</p></body></html>"""


def _raster(data: bytes):
    return pypdfium2.PdfDocument(data)[0].render(scale=2).to_pil().convert("L")


def test_the_smaller_fonts_draw_the_same_glyphs_and_keep_the_text():
    raw = HTML(string=GLYPHS_HTML).write_pdf(pdf_variant=pdfa.VARIANT)
    small = compact_fonts(raw)
    assert len(small) < len(raw) / 4
    with pikepdf.open(io.BytesIO(small)) as pdf:
        subtypes = {str(d.DescendantFonts[0].FontDescriptor.get("/FontFile3", {}).get("/Subtype", "/TrueType"))
                    for d in (f for p in pdf.pages for f in p.Resources.Font.values())}
    assert subtypes == {"/CIDFontType0C", "/TrueType"}  # Noto as bare CFF, 霞鹜文楷 as TrueType
    # Every pixel within anti-aliasing noise: a glyph taken for another would differ by far more.
    diff = ImageChops.difference(_raster(raw), _raster(small)).histogram()
    assert sum(diff[64:]) == 0, f"{sum(diff[64:])} pixels differ"
    text = pdf_text(small)
    for words in ("喆堃赟珺玥璟彧祎𠮷䶮", "￥1,234.50", "壹仟贰佰叁拾肆元伍角", "一、总则", "中共测试大学委员会文件"):
        assert words in text, words


def test_the_check_refuses_a_pdf_that_is_not_pdfa_or_lacks_metadata():
    plain = HTML(string=GLYPHS_HTML).write_pdf()  # no pdf_variant: no XMP, no output intent
    problems = pdfa.problems(plain)
    assert "没有 XMP 元数据" in problems
    no_meta = HTML(string=GLYPHS_HTML.replace('lang="zh-CN"', "")).write_pdf(pdf_variant=pdfa.VARIANT)
    problems = pdfa.problems(no_meta)
    assert "XMP 缺少作者" in problems and "XMP 缺少关键词" in problems
    assert any("文档语言" in p for p in problems)
    assert pdfa.problems(b"not a pdf")[0].startswith("不是有效的 PDF")


def test_a_render_that_comes_out_without_metadata_is_not_archived(monkeypatch):
    monkeypatch.setattr(pdfa.ArchiveMetadata, "apply", lambda self, m: None)
    with pytest.raises(NotArchivalError, match="XMP 缺少作者"):
        render_pdf_string(GLYPHS_HTML, pdfa.ArchiveMetadata(title="字形", author="中共测试大学委员会"))
