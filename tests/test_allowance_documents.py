"""The allowance PDFs, rendered by a real RQ worker against a real Redis, with the text extracted:
one 年度兼职支部书记补贴核定表 per batch (approved or rejected) and one 核定通知 per branch (approved
only), with amounts in figures and in capitals."""
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Document, DocumentStatus
from dangjian.workflow import Action, apply_action
from tests.factories_allowance import adjust_payload, allowance_world, line_of, new_batch
from tests.test_document_jobs import (assert_cjk_fonts_embedded, assert_done_and_intact, pdf_text,
                                      run_worker)


def documents(req_id):
    db.session.expire_all()
    return {(d.kind, d.part): d for d in db.session.scalars(select(Document).where(Document.request_id == req_id))}


def test_an_approved_batch_renders_the_table_and_a_notice_per_branch(app, org, redis_conn):
    allowance_world(org)
    batch = new_batch(org.sec_b, org.secondary_b)  # 经济学院教工党支部: 刘组织部 Jan–May, 张校领导 Jun–Dec
    new_line = line_of(batch, org.branch_b1, org.school_user)
    apply_action(batch, org.org_dept2, Action.ADJUST, opinion="岗位补贴按实际核定",
                 payload=adjust_payload(new_line, amount="1750.00", post="300.00", reward="400.00",
                                        method="activity_funds"))
    apply_action(batch, org.org_dept2, Action.APPROVE, opinion="经核定，同意。")
    apply_action(batch, org.school_user2, Action.APPROVE, opinion="同意发放。")

    docs = documents(batch.id)
    assert set(docs) == {("allowance_batch", ""), ("allowance_notice", f"branch-{org.branch_b1.id}")}
    assert all(d.status is DocumentStatus.PENDING for d in docs.values())
    assert run_worker()
    docs = documents(batch.id)

    table = assert_done_and_intact(docs[("allowance_batch", "")])
    text = pdf_text(table)
    for expected in ["2025年度兼职支部书记补贴核定表", batch.number, "申报单位：经济学院党委",
                     "经济学院教工党支部", "刘组织部", "张校领导", "1–5月（5）", "6–12月（7）",
                     "电话补助", "交通补助", "资料费", "岗位补贴", "考核奖励",
                     "¥1,250.00", "¥1,750.00", "¥300.00", "¥400.00", "补贴党建活动经费", "发放给书记本人",
                     "合计（1个支部，2人）", "¥3,000.00", "人民币叁仟元整",
                     "¥3,000.00×7/12=¥1,750.00", "每月以15日在任者计",
                     "组织部核定调整记录", "岗位补贴¥350.00→¥300.00", "岗位补贴按实际核定",
                     "经核定，同意。", "同意发放。", "（组织部）", "（校党委）", "同意（已通过）"]:
        assert expected in text, expected
    assert_cjk_fonts_embedded(table)

    notice = assert_done_and_intact(docs[("allowance_notice", f"branch-{org.branch_b1.id}")])
    text = pdf_text(notice)
    assert f"核定编号：{batch.number}" not in text  # a request number is not a 文号
    for expected in ["中共测试大学委员会组织部", f"审批编号{batch.number}", "抄送：财务处。", "印发",
                     "关于核定经济学院教工党支部2025年度兼职支部书记补贴的通知",
                     "经济学院党委、经济学院教工党支部：", "2025年度党建考核等次为“一般”（考核合格）", "当年存续1–12月，共12个月",
                     "核定你支部补贴合计¥3,000.00（人民币叁仟元整）",
                     "刘组织部同志（1–5月，5个月）¥1,250.00（壹仟贰佰伍拾元整）",
                     "张校领导同志（6–12月，7个月）¥1,750.00（壹仟柒佰伍拾元整）",
                     "补贴党建活动经费", "特此通知。", "—1—"]:
        assert expected in text, expected
    assert_cjk_fonts_embedded(notice)


def test_a_rejected_batch_renders_only_the_table_saying_so(app, org, redis_conn):
    allowance_world(org)
    batch = new_batch(org.sec_a, org.secondary)
    apply_action(batch, org.org_dept_user, Action.APPROVE, opinion="核定无误")
    apply_action(batch, org.school_user, Action.REJECT, opinion="该支部考核材料不全，不同意。")
    assert run_worker()
    docs = documents(batch.id)
    assert set(docs) == {("allowance_batch", "")}
    text = pdf_text(assert_done_and_intact(docs[("allowance_batch", "")]))
    for expected in ["2025年度兼职支部书记补贴核定表", "会计学院教工第一党支部", "李书记", "¥3,000.00",
                     "人民币叁仟元整", "核定无误", "该支部考核材料不全，不同意。", "不同意（未通过）",
                     "本表所列补贴未获批准，不予发放", "会计学院本科生党支部（学生党支部，不属于教职工党支部）"]:
        assert expected in text, expected
