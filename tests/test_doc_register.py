"""The 文号 register (issue 9 §2): sequential per year, issuer and kind; taken inside the issuing
action's transaction; kept on a re-render; voided numbers kept with the reason; 组织部's page and
export. The register under concurrency: tests/test_doc_register_race.py."""
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.documents import jobs, numbers
from dangjian.documents.validity import AlreadyVoided, Validity, documents_of, validity
from dangjian.extensions import db
from dangjian.models import AuditEvent, DocKind, DocNumber, Document, OrgKind
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.workflow import ActionRefused, WorkflowError
from tests.factories import approve, new_waiver

SCHOOL_REPLY = (OrgKind.SCHOOL, DocKind.REPLY)
THIS_YEAR = date.today().year


def _approved(org, user, start):
    req = new_waiver(user, start_month=start, end_month=start.replace(month=start.month + 2))
    approve(req, org.direct_secretary if req.organization_id == org.direct.id else
            org.secretary_b if req.organization_id == org.branch_b1.id else org.secretary)
    if req.organization.secondary_unit is not None:
        approve(req, org.secondary_b if req.organization_id == org.branch_b1.id else org.secondary)
    approve(req, org.school_user2)
    return req


def _reply(req) -> Document:
    db.session.expire_all()
    return db.session.scalars(select(Document).where(Document.request_id == req.id,
                                                     Document.kind == "dues_waiver_reply")
                              .order_by(Document.version.desc())).first()


def _audits(code):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == code).order_by(AuditEvent.id)))


# --- issuing ------------------------------------------------------------------------------------

def test_numbers_run_on_per_year_and_series_without_leading_zeros(app, org):
    titles = [f"文件{i}" for i in range(1, 12)]
    got = [numbers.issue(*SCHOOL_REPLY, t).number for t in titles]
    assert got == [f"西财党复〔{THIS_YEAR}〕{i}号" for i in range(1, 12)]  # 10号, 11号: no 01号
    # Another series, another year: each starts at 1.
    assert numbers.issue(OrgKind.SCHOOL, DocKind.DECISION, "决定").number == f"西财党发〔{THIS_YEAR}〕1号"
    assert numbers.issue(*SCHOOL_REPLY, "明年的批复", year=THIS_YEAR + 1).number == f"西财党复〔{THIS_YEAR + 1}〕1号"
    assert numbers.issue(*SCHOOL_REPLY, "再一个").number == f"西财党复〔{THIS_YEAR}〕12号"
    db.session.commit()
    assert len(_audits("doc_number.issue")) == 14


def test_a_rolled_back_action_gives_its_number_back(app, org):
    numbers.issue(*SCHOOL_REPLY, "第一份")
    db.session.commit()
    numbers.issue(*SCHOOL_REPLY, "失败的审批")
    db.session.rollback()
    assert numbers.issue(*SCHOOL_REPLY, "第二份").number == f"西财党复〔{THIS_YEAR}〕2号"


def test_an_approval_refused_after_the_documents_leaves_no_number(app, org, monkeypatch):
    """The number is taken in the approval's transaction: when the approval fails, so does it."""
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)

    def broken(*args, **kwargs):
        raise RuntimeError("数据库在提交前出错")

    monkeypatch.setattr(jobs, "on_commit", broken)  # fails after the number was issued, before commit
    with pytest.raises(RuntimeError):
        approve(req, org.school_user)
    db.session.rollback()
    monkeypatch.undo()
    assert db.session.scalar(select(DocNumber.id)) is None
    db.session.refresh(req)
    approve(req, org.school_user)
    assert _reply(req).doc_number == f"西财党复〔{THIS_YEAR}〕1号"


def test_every_approved_waiver_takes_the_next_number_and_a_re_render_keeps_it(app, org, redis_conn):
    first = _approved(org, org.member, date(2026, 1, 1))
    second = _approved(org, org.member_b, date(2026, 1, 1))
    assert (_reply(first).doc_number, _reply(second).doc_number) == (
        f"西财党复〔{THIS_YEAR}〕1号", f"西财党复〔{THIS_YEAR}〕2号")
    # A new version of the 批复 (rendered again) keeps its number; nothing new is issued.
    spec = next(d for d in DuesWaiver.workflow.documents if d.kind == "dues_waiver_reply")
    [v2] = jobs.create_documents(first, [spec])
    db.session.commit()
    assert (v2.version, v2.doc_number) == (2, f"西财党复〔{THIS_YEAR}〕1号")
    assert db.session.query(DocNumber).count() == 2
    # Once its number is voided, the next version takes a new one.
    entry = db.session.scalars(select(DocNumber).where(DocNumber.number == v2.doc_number)).one()
    numbers.void(entry.id, "文件内容有误，重新印发", org.org_dept_user)
    # Every version carrying the number is void: /verify says 已作废, with the register's reason.
    carrying = documents_of(entry)
    assert [(d.version, validity(d), d.void_reason) for d in carrying] == [
        (1, Validity.VOIDED, "文件内容有误，重新印发"), (2, Validity.VOIDED, "文件内容有误，重新印发")]
    # One operation, audited once: the number's row names both versions.
    assert _audits("document.void") == []
    [row] = _audits("doc_number.void")
    assert json.loads(row.detail)["documents"] == [d.id for d in carrying]
    [v3] = jobs.create_documents(first, [spec])
    db.session.commit()
    assert (v3.version, v3.doc_number) == (3, f"西财党复〔{THIS_YEAR}〕3号")
    assert v3.voided_at is None


# --- voiding ------------------------------------------------------------------------------------

def test_voiding_keeps_the_number_with_who_when_and_why(app, org):
    entry = numbers.issue(*SCHOOL_REPLY, "关于同意王喆同志减交党费的批复")
    db.session.commit()
    with pytest.raises(ActionRefused):
        numbers.void(entry.id, "误取号", org.supervisor)
    with pytest.raises(WorkflowError, match="请填写作废原因"):
        numbers.void(entry.id, "  ", org.org_dept_user)
    with pytest.raises(WorkflowError, match="不能超过200字"):
        numbers.void(entry.id, "长" * 201, org.org_dept_user)
    with pytest.raises(WorkflowError, match="控制字符"):
        numbers.void(entry.id, "误取\x00号", org.org_dept_user)
    numbers.void(entry.id, "误取号", org.org_dept_user)
    with pytest.raises(AlreadyVoided, match="已经作废"):
        numbers.void(entry.id, "再作废一次", org.org_dept_user)
    db.session.expire_all()
    entry = db.session.get(DocNumber, entry.id)
    assert (entry.void_reason, entry.voided_by_id, entry.is_void) == ("误取号", org.org_dept_user.id, True)
    [audit] = _audits("doc_number.void")
    assert audit.user_id == org.org_dept_user.id and "误取号" in audit.detail
    # The voided number stays; the next one follows it: no gap, and it is never issued again.
    assert numbers.issue(*SCHOOL_REPLY, "下一份").number == f"西财党复〔{THIS_YEAR}〕2号"


# --- prefixes -----------------------------------------------------------------------------------

def test_组织部_sets_the_prefixes_and_later_numbers_use_them(app, org, auth, client):
    numbers.issue(*SCHOOL_REPLY, "旧代字")
    db.session.commit()
    auth.login(org.org_dept_user)
    resp = client.post("/documents/numbers/prefixes", data={"prefix-school.reply": "西财党〔2026〕"})
    assert resp.status_code == 200 and "不含空格、数字、括号" in resp.get_data(as_text=True)
    resp = client.post("/documents/numbers/prefixes", data={"prefix-school.reply": "西财党发"})
    assert "已是「校党委 · 决定」的代字" in resp.get_data(as_text=True)
    assert numbers.series_by_key("school.reply").prefix == "西财党复"  # nothing saved
    resp = client.post("/documents/numbers/prefixes", data={"prefix-school.reply": "西财党批"},
                       follow_redirects=True)
    assert "已保存发文机关代字：校党委 · 批复" in resp.get_data(as_text=True)
    assert numbers.issue(*SCHOOL_REPLY, "新代字").number == f"西财党批〔{THIS_YEAR}〕2号"
    db.session.commit()
    old = db.session.scalars(select(DocNumber).order_by(DocNumber.id)).first()
    assert old.number == f"西财党复〔{THIS_YEAR}〕1号"  # an issued number never changes
    [audit] = _audits("doc_number.prefix_set")
    assert "西财党复" in audit.detail and "西财党批" in audit.detail


# --- the page -----------------------------------------------------------------------------------

@pytest.fixture
def register(app, org):
    """51 numbers of this year's 批复 series (one voided), 2 of 组织部's 通知, 1 of last year."""
    for i in range(1, 52):
        numbers.issue(*SCHOOL_REPLY, f"关于同意党员{i}同志减交党费的批复")
    numbers.issue(OrgKind.ORG_DEPT, DocKind.NOTICE, "关于核定会计学院教工第一党支部补贴的通知")
    numbers.issue(OrgKind.ORG_DEPT, DocKind.NOTICE, "关于核定经济学院教工党支部补贴的通知")
    numbers.issue(OrgKind.SCHOOL, DocKind.DECISION, "去年的表彰决定", year=THIS_YEAR - 1)
    db.session.commit()
    numbers.void(db.session.scalars(select(DocNumber).where(DocNumber.serial == 7)).first().id,
                 "内容有误，已重新印发", org.org_dept_user)
    return org


def test_the_register_page_filters_and_pages(app, register, auth, client):
    auth.login(register.org_dept_user)
    page = client.get("/documents/numbers/").get_data(as_text=True)
    assert "共 54 个文号" in page and "第 1 / 2 页" in page
    assert f"西财党复〔{THIS_YEAR}〕51号" in page and f"西财党复〔{THIS_YEAR}〕2号" not in page  # newest first
    page2 = client.get("/documents/numbers/?page=2").get_data(as_text=True)
    assert f"西财党复〔{THIS_YEAR}〕2号" in page2
    only = client.get(f"/documents/numbers/?year={THIS_YEAR}&series=org_dept.notice").get_data(as_text=True)
    assert "共 2 个文号" in only and "西财党组发" in only and "西财党复〔" not in only
    last_year = client.get(f"/documents/numbers/?year={THIS_YEAR - 1}").get_data(as_text=True)
    assert "共 1 个文号" in last_year and "去年的表彰决定" in last_year
    void = client.get("/documents/numbers/?status=void").get_data(as_text=True)
    assert "共 1 个文号" in void and "内容有误，已重新印发" in void and "刘组织部" in void
    search = client.get("/documents/numbers/?q=党员12同志").get_data(as_text=True)
    assert "共 1 个文号" in search
    empty = client.get("/documents/numbers/?q=没有这个").get_data(as_text=True)
    assert "没有符合条件的文号" in empty
    # Nonsense in the URL is ignored, never an error.
    assert client.get("/documents/numbers/?year=abc&series=x.y&status=z&page=99").status_code == 200


def test_组织部_voids_a_number_from_the_page(app, register, auth, client):
    auth.login(register.org_dept_user)
    entry = db.session.scalars(select(DocNumber).where(DocNumber.serial == 3)).first()
    form = client.get(f"/documents/numbers/{entry.id}/void").get_data(as_text=True)
    assert entry.number in form and "hx-confirm=\"确定作废文号" in form
    resp = client.post(f"/documents/numbers/{entry.id}/void", data={"reason": ""})
    assert "请填写作废原因" in resp.get_data(as_text=True)
    resp = client.post(f"/documents/numbers/{entry.id}/void", data={"reason": "误取号"}, follow_redirects=True)
    assert f"已作废文号 {entry.number}" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DocNumber, entry.id).void_reason == "误取号"
    again = client.get(f"/documents/numbers/{entry.id}/void", follow_redirects=True).get_data(as_text=True)
    assert "已于" in again and "作废" in again


@pytest.mark.parametrize("who", ["supervisor", "secretary", "secondary", "school_user", "member", "sysadmin"])
def test_who_reads_the_register_and_who_keeps_it(app, register, auth, client, who):
    entry = db.session.scalars(select(DocNumber).where(DocNumber.voided_at.is_(None)).order_by(DocNumber.id)).first()
    auth.login(getattr(register, who))
    page = client.get("/documents/numbers/")
    post = client.post(f"/documents/numbers/{entry.id}/void", data={"reason": "无权作废"})
    prefixes = client.post("/documents/numbers/prefixes", data={"prefix-school.reply": "乱改"})
    assert post.status_code == 404 and prefixes.status_code == 404
    if who == "supervisor":  # 纪委 reads and exports, changes nothing
        assert page.status_code == 200 and "作废</a>" not in page.get_data(as_text=True)
        assert client.get("/documents/numbers/export.xlsx").status_code == 200
    else:
        assert page.status_code == 404
    db.session.expire_all()
    assert db.session.get(DocNumber, entry.id).voided_at is None


def test_the_export_lists_the_register_as_filtered_and_is_audited(app, register, auth, client):
    auth.login(register.org_dept_user)
    resp = client.get("/documents/numbers/export.xlsx?status=void")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    rows = list(wb["文号登记簿"].iter_rows(values_only=True))
    assert rows[0][:6] == ("文号", "年份", "序号", "发文机关", "文种", "标题")
    assert len(rows) == 2
    assert rows[1][0] == f"西财党复〔{THIS_YEAR}〕7号" and rows[1][9] == "已作废"
    assert rows[1][11] == "刘组织部" and rows[1][12] == "内容有误，已重新印发"
    everything = load_workbook(io.BytesIO(client.get("/documents/numbers/export.xlsx").data))
    assert everything["文号登记簿"].max_row == 55
    audits = _audits("doc_number.exported")
    assert len(audits) == 2 and '"rows": 1' in audits[0].detail


def test_the_register_is_on_the_manage_page(app, org, auth, client):
    auth.login(org.org_dept_user)
    assert "文号登记簿" in client.get("/manage").get_data(as_text=True)
    auth.login(org.secondary)
    assert "文号登记簿" not in client.get("/manage").get_data(as_text=True)
