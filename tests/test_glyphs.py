"""Every submitted text renders (issue 9 §7): a character the PDF fonts cannot draw is refused at
the form, naming the character and the field; rare name characters pass and really print; a
document that fails anyway says so in words, and prints after the text is fixed and retried.
"""
import io
import re
from html import unescape

import pdfplumber
import pytest
from sqlalchemy import func, select, update

from dangjian.documents.glyphs import printable_code_points, unprintable
from dangjian.extensions import db
from dangjian.models import Attachment, Document, DocumentStatus, Request, TimelineEntry
from dangjian.request_types.dues_waiver.model import DuesWaiver
from tests.factories import approve, new_waiver
from tests.test_document_jobs import archive_files, document_of, run_worker
from tests.test_dues_waiver_form import field_errors, post, valid

RARE = "喆堃赟珺玥璟彧祎𠮷䶮"  # name characters small fonts lack; 𠮷 is Ext B, 䶮 Ext A
HX = {"HX-Request": "true"}


def pdf_chars(pdf: bytes) -> tuple[str, list[str]]:
    """(all text without whitespace, font names) of a PDF, read with pdfplumber."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = [c for page in doc.pages for c in page.chars]
    return re.sub(r"\s+", "", "".join(c["text"] for c in chars)), [c["fontname"] for c in chars]


def test_the_fonts_lack_emoji_and_ext_b_rarities_but_have_the_rare_name_characters():
    assert unprintable("😀 张𮯰") == ["😀", "𮯰"]
    assert unprintable(RARE + "，。、“”（）￥¥ABCabc123\n\t") == []
    assert len(printable_code_points()) > 40000  # the CJK fonts were read, not just a Latin fallback


@pytest.mark.parametrize("char", ["😀", "𮯰"])
def test_an_unprintable_character_is_refused_at_the_form_naming_it_and_the_field(app, org, auth, client, char):
    auth.login(org.member)
    before = db.session.scalar(select(func.count(Request.id)))
    text = f"本人患病住院{char}，需长期治疗，家庭经济困难。"
    resp = post(client, valid(org.member.member_id, hardship_description=text))
    assert resp.status_code == 200
    assert [unescape(e) for e in field_errors(resp.get_data(as_text=True), "hardship_description")] == [
        f'困难情况说明中的 "{char}" 无法打印，请删除或改用文字描述']
    assert db.session.scalar(select(func.count(Request.id))) == before


def test_an_unprintable_opinion_is_refused_in_the_approval_panel(app, org, auth, client):
    req = new_waiver(org.member)
    auth.login(org.secretary)
    resp = client.post(f"/requests/{req.id}/act", headers=HX, data={
        "action": "approve", "version": req.version, "opinion": "同意😀", "meeting_type": "branch_committee",
        "meeting_date": "2026-01-05", "votes_for": "5", "votes_against": "0", "votes_abstain": "0"})
    assert resp.status_code == 200
    assert '意见中的 "😀" 无法打印，请删除或改用文字描述' in unescape(resp.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(DuesWaiver, req.id).current_step == "branch"
    assert db.session.scalar(select(func.count(TimelineEntry.id)).where(TimelineEntry.request_id == req.id)) == 1


def test_an_unprintable_comment_is_refused(app, org, auth, client):
    req = new_waiver(org.member)
    auth.login(org.secretary)
    before = db.session.scalar(select(func.count(TimelineEntry.id)))
    resp = client.post(f"/requests/{req.id}/comment", headers=HX, data={"text": "请补充材料 𮯰"})
    assert resp.status_code == 200 and '评论中的 "𮯰" 无法打印' in unescape(resp.get_data(as_text=True))
    assert db.session.scalar(select(func.count(TimelineEntry.id))) == before


def test_rare_name_characters_pass_the_form_and_print_in_the_approved_form(app, org, auth, client, redis_conn):
    auth.login(org.member)
    text = f"家属{RARE}患病住院，需长期治疗，家庭经济困难。"
    assert post(client, valid(org.member.member_id, hardship_description=text)).status_code == 302
    req = db.session.scalars(select(DuesWaiver).order_by(DuesWaiver.id.desc())).first()
    assert req.hardship_description == text
    for who in (org.secretary, org.secondary, org.school_user):
        approve(req, who)
    run_worker()
    doc = document_of(req.id)
    assert doc.status is DocumentStatus.DONE, doc.error
    with open(f"{app.config['ARCHIVE_DIR']}/{doc.storage_path}", "rb") as f:
        printed, fonts = pdf_chars(f.read())
    assert RARE in printed
    assert all("CJK" in name for name in fonts if name)  # every glyph from the Noto CJK fonts


def test_a_document_failing_on_old_text_says_so_in_words_and_prints_after_the_fix(app, org, auth, client, redis_conn):
    """Text saved before the check existed: the job fails with a Chinese message naming the
    character and the words around it, never markup; fixed text plus `documents retry` prints."""
    req = new_waiver(org.member)
    db.session.execute(update(DuesWaiver).where(DuesWaiver.id == req.id)
                       .values(hardship_description="本人患病𮯰住院，需长期治疗。"))
    db.session.commit()
    for who in (org.secretary, org.secondary, org.school_user):
        approve(db.session.get(DuesWaiver, req.id), who)
    run_worker()
    doc = document_of(req.id)
    assert doc.status is DocumentStatus.FAILED and doc.storage_path is None
    # The 批复 says nothing of the hardship: it printed.
    assert [f.rsplit("/", 1)[1] for f in archive_files()] == ["dues_waiver_reply-v1.pdf"]
    assert '"𮯰"（U+2EBF0），出现在“' in doc.error and "本人患病𮯰住院" in doc.error
    assert "flask documents retry" in doc.error
    assert "<" not in doc.error and ">" not in doc.error

    auth.login(org.member)
    widget = client.get(f"/requests/{req.id}/documents").get_data(as_text=True)
    assert "生成失败" in widget and "U+2EBF0" in widget and "&lt;" not in widget

    # The administrator corrects the text (flask shell) and retries from the command line.
    db.session.execute(update(DuesWaiver).where(DuesWaiver.id == req.id)
                       .values(hardship_description="本人患病住院，需长期治疗。"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["documents", "retry", str(doc.id)])
    assert result.exit_code == 0 and f"文档 {doc.id} 已重新排队" in result.output, result.output
    run_worker()
    doc = document_of(req.id)
    assert doc.status is DocumentStatus.DONE and doc.error is None
    with open(f"{app.config['ARCHIVE_DIR']}/{doc.storage_path}", "rb") as f:
        assert "本人患病住院" in pdf_chars(f.read())[0]


def test_a_failure_that_is_not_ours_is_told_in_chinese_without_markup(app):
    from dangjian.documents.jobs import _error_text

    text = _error_text(RuntimeError('<div class="x">模板</div> 出错'))
    assert text.startswith("生成 PDF 时出错，请系统管理员查看工作进程日志") and "<" not in text
    assert "RuntimeError" in text and "模板 出错" in text
