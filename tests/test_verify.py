"""文件核验 (issue 9 §5): every PDF prints a random code and a QR code of its /verify address; the
page, open without signing in, tells a reader whether a printed or forwarded document is genuine and
still stands — and nothing of its content.

Documents are made the way users get them: a request approved through the engine, rendered by a
real RQ worker on the real Redis, archived with its SHA-256. The QR codes are read back from the
rendered pages with zbarimg (Debian zbar-tools).
"""
import hashlib
import io
import json
import math
import os
import re
import stat
import subprocess
from collections import Counter

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select

from dangjian.documents import codes, jobs
from dangjian.documents.validity import Validity, VoidRefused, void_document, validity
from dangjian.extensions import db
from dangjian.models import AuditEvent, Document
from dangjian.workflow import Action, apply_action
from tests.factories_allowance import allowance_world, new_batch
from tests.test_document_jobs import (approved_request, archived_bytes, assert_done_and_intact, document_of, pdf_text,
                                      run_worker)

BASE = "https://dangjian.test.edu.cn"
HARDSHIP = "爱人患病住院"  # from the factory's hardship description


@pytest.fixture
def public(app):
    app.config["PUBLIC_BASE_URL"] = BASE + "/"  # a trailing slash is forgiven
    return app


@pytest.fixture
def waiver(public, org, redis_conn):
    """王喆's approved 党费减免, its 审批表 rendered and archived."""
    req = approved_request(org)
    run_worker()
    doc = document_of(req.id)
    assert_done_and_intact(doc)
    return req, doc


def new_version(req) -> Document:
    """The request's documents made again (a re-render is a new version), rendered by the worker."""
    docs = jobs.create_documents(req, req.workflow.documents)
    db.session.commit()
    run_worker()
    db.session.expire_all()
    return db.session.get(Document, docs[0].id)


def shown(resp) -> str:
    """The page's text as a reader sees it (tags dropped, whitespace squeezed)."""
    html = resp.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def csrf_token(client) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     client.get("/verify").get_data(as_text=True)).group(1)


def upload(client, data: bytes, name="审批表.pdf", token=None, **kw):
    return client.post("/verify", data={"csrf_token": token or csrf_token(client), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kw)


def verify_rows(**detail) -> list[dict]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.verify")
                              .order_by(AuditEvent.id)).all()
    return [json.loads(r.detail) | {"object_id": r.object_id, "user_id": r.user_id} for r in rows]


def qr_codes(pdf: bytes, page: int) -> list[str]:
    """What a phone reads off the printed page: the page rasterised at 200 dpi, scanned by zbarimg."""
    png = subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", str(page), "-l", str(page), "-"],
                         input=pdf, capture_output=True, check=True).stdout
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-"],
                         input=png, capture_output=True)
    return out.stdout.decode().split()


# --- the code ---------------------------------------------------------------------------------

def test_a_code_is_random_with_at_least_60_bits_and_printed_in_groups():
    assert codes.LENGTH * math.log2(len(codes.ALPHABET)) >= 60
    many = [codes.new_code() for _ in range(3000)]
    assert len(set(many)) == len(many)
    assert all(len(c) == 13 and set(c) <= set(codes.ALPHABET) for c in many)
    # Every character of the alphabet turns up in every position: nothing fixed, nothing skipped.
    for position in range(13):
        assert set(c[position] for c in many) == set(codes.ALPHABET)
    counts = Counter("".join(many))
    expected = 3000 * 13 / 32
    assert max(abs(n - expected) for n in counts.values()) < expected * 0.2
    assert not set("ILOU") & set(codes.ALPHABET)  # no letters that read as digits (or words)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", codes.display(many[0]))


@pytest.mark.parametrize("typed", ["ab1c-de2f-gh3jk", "AB1C DE2F GH3JK", " ab1cde2fgh3jk ", "ＡＢ１Ｃ－ＤＥ２Ｆ－ＧＨ３ＪＫ",
                                   "AB1C—DE2F—GH3JK", "AbIC-DE2F-GH3JK", "ABlC.DE2F.GH3JK"])
def test_a_code_typed_from_paper_is_read_as_meant(typed):
    assert codes.normalize(typed) == "AB1CDE2FGH3JK"


def test_o_reads_as_zero():
    assert codes.normalize("oooo-0000-OOOOO") == "0" * 13


@pytest.mark.parametrize("typed", ["", "   ", "AB1C-DE2F-GH3J", "AB1C-DE2F-GH3JKM", "AB1C-DE2F-GH3JU",
                                   "验证码AB1CDE2FGH3J", "AB1C/DE2F/GH3JK", "AB1C-DE2F-GH3J%"])
def test_what_cannot_be_a_code_is_refused(typed):
    assert codes.normalize(typed) is None


def test_each_document_row_and_each_new_version_gets_its_own_code(waiver):
    req, first = waiver
    second = new_version(req)
    assert second.version == 2
    assert first.verification_code and second.verification_code
    assert first.verification_code != second.verification_code
    assert codes.normalize(first.verification_code) == first.verification_code


# --- what the PDF prints ----------------------------------------------------------------------

@pytest.mark.once  # the layout of the printed document: one database pass (conftest)
def test_the_form_prints_its_code_and_a_qr_code_of_its_verify_address(waiver):
    _, doc = waiver
    pdf = archived_bytes(doc)
    assert f"验证码{codes.display(doc.verification_code)}" in pdf_text(pdf)
    assert f"{BASE}/verify" in pdf_text(pdf)
    assert qr_codes(pdf, 1) == [f"{BASE}/verify/{doc.verification_code}"]


@pytest.mark.once  # the layout of the printed document: one database pass (conftest)
def test_the_red_header_notice_prints_its_code_and_qr_code_above_the_banji(public, org, redis_conn):
    allowance_world(org)
    batch = new_batch(org.sec_b, org.secondary_b)
    apply_action(batch, org.org_dept2, Action.APPROVE, opinion="经核定，同意。")
    apply_action(batch, org.school_user2, Action.APPROVE, opinion="同意发放。")
    run_worker()
    docs = db.session.scalars(select(Document).where(Document.request_id == batch.id)).all()
    assert {d.kind for d in docs} == {"allowance_batch", "allowance_notice"}
    for doc in docs:
        pdf = assert_done_and_intact(doc)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        text = pdf_text(pdf)
        assert f"验证码{codes.display(doc.verification_code)}" in text
        assert qr_codes(pdf, pages) == [f"{BASE}/verify/{doc.verification_code}"]  # on the last page
        if doc.kind == "allowance_notice":
            assert text.index(codes.display(doc.verification_code)) < text.index("抄送：财务处")


# --- /verify by code --------------------------------------------------------------------------

def test_a_genuine_document_by_its_code_shows_its_facts_and_nothing_of_its_content(waiver, client, org):
    req, doc = waiver
    resp = client.get(f"/verify/{doc.verification_code}")  # the QR code's address, no sign-in
    assert resp.status_code == 200
    text = shown(resp)
    assert "有效" in text and "已作废" not in text and "替代" not in text
    for fact in ("党费减免审批表", "中共测试大学委员会", "第1版", doc.sha256, codes.display(doc.verification_code)):
        assert fact in text
    assert re.search(r"生成日期 \d{4}年\d{1,2}月\d{1,2}日", text)
    # Never the content: not the member, the hardship, the amounts, the branch or the request number.
    for secret in ("王喆", HARDSHIP, "¥", "会计学院", req.number, "减免总额"):
        assert secret not in resp.get_data(as_text=True)
    assert resp.headers["X-Robots-Tag"] == "noindex"
    assert verify_rows() == [{"via": "code", "result": "valid", "object_id": doc.id, "user_id": None}]


def test_a_code_typed_from_paper_finds_the_document(waiver, client):
    _, doc = waiver
    typed = codes.display(doc.verification_code).lower().replace("0", "o").replace("1", "l")
    resp = client.get("/verify", query_string={"code": typed})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/verify/{doc.verification_code}")
    assert "有效" in shown(client.get(resp.headers["Location"]))


def test_a_mistyped_or_unknown_code_says_so_in_chinese(waiver, client):
    _, doc = waiver
    resp = client.get("/verify", query_string={"code": "ABC-123"})
    assert resp.status_code == 400 and "验证码格式不正确" in shown(resp)
    unknown = next(c for c in iter(codes.new_code, None) if c != doc.verification_code)
    resp = client.get(f"/verify/{unknown}")
    assert resp.status_code == 404
    assert f"未找到验证码 {codes.display(unknown)} 对应的文件" in shown(resp)
    assert "党费减免审批表" not in shown(resp)


def test_a_document_not_rendered_yet_is_not_found(public, org, client, redis_conn):
    req = approved_request(org)  # no worker ran: its code was never printed
    resp = client.get(f"/verify/{document_of(req.id).verification_code}")
    assert resp.status_code == 404


def test_a_replaced_document_says_so_and_names_the_newer_version(waiver, client):
    req, first = waiver
    second = new_version(req)
    text = shown(client.get(f"/verify/{first.verification_code}"))
    assert "已被新版本替代" in text and "第1版" in text and "已被第2版替代" in text
    assert "有效" in shown(client.get(f"/verify/{second.verification_code}"))
    assert validity(first) is Validity.SUPERSEDED and validity(second) is Validity.VALID


def test_a_voided_document_says_so_without_its_reason(waiver, client, org):
    _, doc = waiver
    void_document(doc, "文号登记错误，予以作废", org.org_dept_user)
    db.session.commit()
    resp = client.get(f"/verify/{doc.verification_code}")
    text = shown(resp)
    assert "已作废" in text and "不能作为依据" in text
    assert "文号登记错误" not in text  # the reason is for 组织部, not for the public page


# --- /verify by upload ------------------------------------------------------------------------

def test_an_uploaded_genuine_pdf_matches_the_archive(waiver, client):
    _, doc = waiver
    resp = upload(client, archived_bytes(doc))
    assert resp.status_code == 200
    text = shown(resp)
    assert "文件真实：与存档文件完全一致" in text and doc.sha256 in text and "党费减免审批表" in text
    assert "王喆" not in text and HARDSHIP not in text
    assert verify_rows() == [{"via": "upload", "result": "valid", "sha256": doc.sha256,
                              "object_id": doc.id, "user_id": None}]


def test_an_uploaded_old_version_is_recognised_as_replaced(waiver, client):
    req, first = waiver
    new_version(req)
    text = shown(upload(client, archived_bytes(first)))
    assert "与存档中的旧版本（第1版）一致，已被第2版替代" in text


def test_an_uploaded_voided_pdf_is_recognised_and_said_void(waiver, client, org):
    _, doc = waiver
    void_document(doc, "重复印发", org.org_dept_user)
    db.session.commit()
    text = shown(upload(client, archived_bytes(doc)))
    assert "与存档文件一致，但已作废" in text


def test_a_tampered_pdf_is_not_found(waiver, client):
    _, doc = waiver
    data = bytearray(archived_bytes(doc))
    data[len(data) // 2] ^= 0x01  # one bit changed
    tampered = hashlib.sha256(data).hexdigest()
    resp = upload(client, bytes(data))
    assert resp.status_code == 200
    text = shown(resp)
    assert "存档中没有与该文件完全一致的文件" in text and tampered in text
    assert "党费减免审批表" not in text and doc.sha256 not in text
    assert verify_rows()[-1] == {"via": "upload", "result": "not_found", "sha256": tampered, "size": len(data),
                                 "object_id": None, "user_id": None}


@pytest.mark.parametrize("data, name, message", [
    (b"", "空.pdf", "上传的文件是空的"),
    (b"PK\x03\x04 not a pdf", "表.docx", "上传的文件不是 PDF 文件"),
])
def test_an_upload_that_is_no_pdf_is_refused_in_chinese(public, client, data, name, message):
    resp = upload(client, data, name)
    assert resp.status_code == 400 and message in shown(resp)
    assert verify_rows() == []


def test_no_file_chosen(public, client):
    resp = client.post("/verify", data={"csrf_token": csrf_token(client)}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择要核验的 PDF 文件" in shown(resp)


def test_an_upload_over_the_size_limit_is_refused_in_chinese(public, client):
    public.config["VERIFY_UPLOAD_MAX_MB"] = 1
    resp = upload(client, b"%PDF-1.7\n" + b"0" * (1024 * 1024))
    assert resp.status_code == 413 and "文件过大：本页核验的 PDF 文件不能超过 1 MB" in shown(resp)
    # Over the app's own limit too: refused while the body is read, the same page answers.
    public.config["MAX_CONTENT_LENGTH"] = 512 * 1024
    resp = upload(client, b"%PDF-1.7\n" + b"0" * (600 * 1024))
    assert resp.status_code == 413 and "文件过大" in shown(resp)


def test_the_upload_form_needs_its_csrf_token(public, client):
    resp = client.post("/verify", data={"file": (io.BytesIO(b"%PDF-1.7"), "a.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "页面已过期或请求来源无法验证" in shown(resp)
    assert verify_rows() == []


# --- rate limit --------------------------------------------------------------------------------

def test_the_page_is_rate_limited_per_address_with_a_chinese_429(waiver, client, redis_conn):
    _, doc = waiver
    current_app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    here = {"REMOTE_ADDR": "10.1.2.3"}
    token = csrf_token(client)  # from another address: the form page counts too
    for _ in range(3):
        assert client.get(f"/verify/{doc.verification_code}", environ_base=here).status_code == 200
    resp = client.get(f"/verify/{doc.verification_code}", environ_base=here)
    assert resp.status_code == 429
    assert "核验请求过于频繁，请稍候一分钟再试" in shown(resp) and "党费减免审批表" not in shown(resp)
    assert 1 <= int(resp.headers["Retry-After"]) <= 61  # the window of a minute (rounded up)
    # Uploads and typed codes count against the same limit; another address is not affected.
    assert upload(client, archived_bytes(doc), token=token, environ_base=here).status_code == 429
    assert client.get("/verify", query_string={"code": doc.verification_code}, environ_base=here).status_code == 429
    assert client.get(f"/verify/{doc.verification_code}", environ_base={"REMOTE_ADDR": "10.1.2.4"}).status_code == 200
    # The counters are in the real Redis.
    assert any(b"verify" in key for key in redis_conn.scan_iter(match="LIMITS*"))
    assert len(verify_rows()) == 4  # refused requests reach no lookup


# --- voiding ------------------------------------------------------------------------------------

def test_voiding_needs_a_reason_happens_once_and_is_audited(waiver, org):
    _, doc = waiver
    for reason, message in (("  ", "请填写作废原因"), ("因" * 201, "不能超过200字"), ("作废\x00", "控制字符")):
        with pytest.raises(VoidRefused, match=message):
            void_document(doc, reason, org.org_dept_user)
    assert doc.voided_at is None
    void_document(doc, "文号重复", org.org_dept_user)
    db.session.commit()
    with pytest.raises(VoidRefused, match="已作废，不能重复作废"):
        void_document(doc, "再次作废", org.org_dept_user)
    db.session.rollback()
    doc = db.session.get(Document, doc.id)
    assert doc.void_reason == "文号重复" and validity(doc) is Validity.VOIDED
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.void")).one()
    assert row.user_id == org.org_dept_user.id and row.object_id == doc.id
    assert json.loads(row.detail)["reason"] == "文号重复"


def test_a_voided_file_stays_in_the_archive(waiver, org):
    _, doc = waiver
    before = archived_bytes(doc)
    void_document(doc, "文号重复", org.org_dept_user)
    db.session.commit()
    path = os.path.join(current_app.config["ARCHIVE_DIR"], doc.storage_path)
    assert archived_bytes(doc) == before and not os.stat(path).st_mode & stat.S_IWUSR


def test_纪委_reads_the_lookups_in_the_audit_log(waiver, client, auth, org):
    _, doc = waiver
    client.get(f"/verify/{doc.verification_code}")
    unknown = next(c for c in iter(codes.new_code, None) if c != doc.verification_code)
    client.get(f"/verify/{unknown}")
    auth.login(org.supervisor)
    text = shown(client.get("/audit/", query_string={"action": "document.verify"}))
    assert text.count("核验文件真伪") >= 2 and "未登录访客" in text
    text = text.replace("： ", "：")  # label and value are separate elements
    assert "方式：验证码" in text and "结果：有效" in text and "结果：未找到" in text
    assert f"验证码：{unknown}" in text


@pytest.mark.once  # the layout of the printed document: one database pass (conftest)
@pytest.mark.parametrize("length", [20, 138, 162, 400])
def test_the_verification_block_never_adds_a_page_to_a_form(public, length):
    """It sits in the bottom margin of the last page: a form ends on the page it ended on without it,
    whatever the length of its text (138–162 characters of deeds bring the last box to the page foot)."""
    from types import SimpleNamespace

    from dangjian.documents.render import render_pdf
    from dangjian.documents.verification import pdf_fields
    from tests.test_gbt9704_form_pages import DEED, form_context

    context = form_context((DEED * 10)[:length])
    without = PdfReader(io.BytesIO(render_pdf("award_nomination_form.html", context)))
    code = codes.new_code()
    context["doc"].update(pdf_fields(SimpleNamespace(verification_code=code)))
    pdf = render_pdf("award_nomination_form.html", context)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == len(without.pages)
    assert qr_codes(pdf, len(pages)) == [f"{BASE}/verify/{code}"]
    assert all("扫描二维码" not in p.extract_text() for p in pages[:-1])  # only on the last page
