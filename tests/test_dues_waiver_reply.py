"""The 党费减免 批复 to the branch (issue 9 §3): made when 校党委 approves, with a 文号 of the school
committee's 批复 series, on the GB/T 9704 red-header layout, measured with pdfplumber ±1 mm."""
import io
from decimal import Decimal

import pdfplumber
import pytest
from sqlalchemy import select

from dangjian.documents.render import render_pdf
from dangjian.extensions import db
from dangjian.models import DocNumber, Document
from dangjian.request_types.dues_waiver.documents import reply_context
from dangjian.request_types.dues_waiver.model import WaiverMode
from dangjian.workflow import Action, apply_action
from tests.factories import approve, new_waiver
from tests.test_gbt9704 import XIAN_CAI, check_gbt9704, lines_of


def _approved_waiver(org, user=None, **kw):
    req = new_waiver(user or org.member, **kw)
    approve(req, org.direct_secretary if req.organization_id == org.direct.id else org.secretary)
    if req.organization.secondary_unit is not None:
        approve(req, org.secondary)
    approve(req, org.school_user)
    return req


def _text(pdf: bytes) -> str:
    return "".join(ln.text for p in pdfplumber.open(io.BytesIO(pdf)).pages for ln in lines_of(p))


def test_final_approval_makes_the_reply_with_its_number_in_the_same_transaction(app, org, redis_conn):
    req = _approved_waiver(org)
    reply = db.session.scalars(select(Document).where(Document.request_id == req.id,
                                                      Document.kind == "dues_waiver_reply")).one()
    assert reply.title == "关于同意王喆同志减交党费的批复"
    year = req.closed_at.year
    assert reply.doc_number == f"西财党复〔{year}〕1号"
    entry = db.session.scalars(select(DocNumber)).one()
    assert (entry.number, entry.document_id, entry.issued_by_id) == (reply.doc_number, reply.id, org.school_user.id)
    # The 审批表 is a form: no 文号.
    form = db.session.scalars(select(Document).where(Document.request_id == req.id,
                                                     Document.kind == "dues_waiver_form")).one()
    assert form.doc_number is None


def test_no_reply_for_a_rejected_or_unfinished_waiver(app, org, redis_conn):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    apply_action(req, org.secondary, Action.REJECT, opinion="情况不符合减免条件。")
    kinds = set(db.session.scalars(select(Document.kind).where(Document.request_id == req.id)))
    assert kinds == {"dues_waiver_form"}
    assert db.session.scalar(select(DocNumber.id)) is None


@pytest.mark.once  # the layout of the printed document: one database pass (conftest)
@pytest.mark.parametrize("mode", [WaiverMode.PARTIAL, WaiverMode.FULL])
def test_the_reply_follows_gbt9704_and_says_what_a_reply_must_say(app, org, redis_conn, mode):
    org.school.name = XIAN_CAI
    db.session.commit()
    amount = Decimal("20.00") if mode is WaiverMode.PARTIAL else Decimal("45.00")
    req = _approved_waiver(org, mode=mode, monthly_amount=amount)
    doc = db.session.scalars(select(Document).where(Document.request_id == req.id,
                                                    Document.kind == "dues_waiver_reply")).one()
    pdf = render_pdf(doc.template, reply_context(doc))
    check_gbt9704(pdf, f"{XIAN_CAI}文件", doc.doc_number, XIAN_CAI, f"{XIAN_CAI}组织部", "会计学院党委")
    text = _text(pdf)
    verb = "减交" if mode is WaiverMode.PARTIAL else "免交"
    assert f"关于同意王喆同志{verb}党费的批复" in text
    assert "会计学院教工第一党支部：" in text
    assert "2026年1月至2026年6月（共6个月）" in text
    total = amount * 6
    assert f"合计{verb}¥{total:,.2f}" in text
    if mode is WaiverMode.PARTIAL:
        assert "每月减交党费¥20.00（人民币贰拾元整）" in text and "（人民币壹佰贰拾元整）" in text
    else:
        assert "（人民币贰佰柒拾元整）" in text
    # The legal basis, the branch's meeting and the secondary unit's opinion.
    assert "第三部分（二）3" in text and "校党委审批后可予减免" in text
    assert "支委会（2026年1月5日）讨论" in text and "会计学院党委提出意见" in text
    # Name only: no ID number, no phone, no hardship category or description.
    member = org.member.member
    # (The ID number's last six digits: four could be any number on the page, e.g. its request's 0001.)
    for private in (member.id_number, member.id_number[-6:], "138", "爱人患病", "生活困难，", "患病"):
        assert private not in text, private


def test_a_direct_branch_reply_has_no_secondary_unit(app, org, redis_conn):
    req = _approved_waiver(org, org.direct_member)
    doc = db.session.scalars(select(Document).where(Document.request_id == req.id,
                                                    Document.kind == "dues_waiver_reply")).one()
    pdf = render_pdf(doc.template, reply_context(doc))
    check_gbt9704(pdf, f"{org.school.name}文件", doc.doc_number, org.school.name, f"{org.school.name}组织部", None)
    text = _text(pdf)
    assert "图书馆直属党支部：" in text and "讨论，校党委审批，现批复如下" in text


def test_the_worker_renders_the_reply_and_the_archive_lists_it_with_its_number(app, org, auth, client, redis_conn):
    import csv
    import zipfile

    from dangjian.timeutil import local_today
    from tests.test_document_jobs import run_worker

    req = _approved_waiver(org)
    assert run_worker()
    reply = db.session.scalars(select(Document).where(Document.request_id == req.id,
                                                      Document.kind == "dues_waiver_reply")).one()
    assert reply.is_done, reply.error
    auth.login(org.org_dept_user)
    resp = client.get(f"/archive/export.zip?year={local_today().year}")
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    row = next(r for r in rows if r["SHA-256"] == reply.sha256)
    assert row["文号"] == reply.doc_number and row["申请编号"] == req.number
