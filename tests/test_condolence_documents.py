"""The 慰问金审批表, rendered by a real RQ worker (SimpleWorker in burst mode) against a real Redis, with
WeasyPrint and the CJK fonts: every field, the amount in figures and in capitals, the standard and the
over-standard reason, the funding source, one box per applicable step, and the number."""
from decimal import Decimal

from dangjian.models import DocumentStatus
from dangjian.request_types.condolence.model import CondolenceCategory, FundingSource, PayeeKind
from dangjian.workflow import Action, apply_action
from tests.factories_condolence import new_condolence, payment_payload, set_budget, setup_settings
from tests.test_document_jobs import (archive_files, assert_cjk_fonts_embedded, assert_done_and_intact, document_of,
                                      pdf_text, run_worker)

OPINIONS = {"secondary": "情况属实，同意按超标准金额发放，报组织部审核。",
            "org_dept": "经核查，校级慰问金预算余额充足，同意。",
            "school": "同意。"}


def test_an_approved_school_funded_payment_renders_every_field(app, org, redis_conn):
    setup_settings(org)
    set_budget("10000.00")
    req = new_condolence(org.member, org.secretary, category=CondolenceCategory.DEATH, amount="2500.00",
                         funding=FundingSource.SCHOOL, payee_kind=PayeeKind.FAMILY, payee_name="王秀兰",
                         payee_relation="配偶", event_description="王喆同志因病医治无效不幸逝世。",
                         over_standard_reason="家中子女尚幼，配偶无固定收入，生活特别困难。")
    apply_action(req, org.secondary, Action.APPROVE, opinion=OPINIONS["secondary"])
    apply_action(req, org.org_dept_user, Action.APPROVE, opinion=OPINIONS["org_dept"])
    apply_action(req, org.school_user, Action.APPROVE, opinion=OPINIONS["school"])
    doc = document_of(req.id)
    assert doc.status is DocumentStatus.PENDING

    assert run_worker()
    doc = document_of(req.id)
    pdf = assert_done_and_intact(doc)
    text = pdf_text(pdf)
    for expected in [
        "慰问金审批表", req.number, "王喆", "会计学院教工第一党支部", "会计学院党委", "610***********",
        "亡故", "王喆同志因病医治无效不幸逝世。",
        "¥2,500.00", "人民币贰仟伍佰元整",  # the amount in figures and in capitals
        "¥2,000.00", "家中子女尚幼，配偶无固定收入，生活特别困难。",  # the standard and the reason
        "校级专项经费", "李书记、赵支委", "王秀兰（党员配偶）",
        "党支部申报意见", "会计学院教工第一党支部申报", "李书记（支部书记/支委）",  # the proposing level
        "二级党组织意见", "组织部审核意见（经费核查）", "校党委审批意见", *OPINIONS.values(),
        "陈组织员（二级党组织书记/组织员）", "刘组织部（组织部）", "张校领导（校党委）",
        "已从2026年度校级「慰问金」预算预留¥2,500.00".replace("2026", str(req.created_at.year)),
        "同意（已通过）", "批准金额¥2,500.00（人民币贰仟伍佰元整）",
    ]:
        assert expected in text, expected
    assert_cjk_fonts_embedded(pdf)

    # Recording the payment completes the request; the form is not made again.
    apply_action(req, org.secretary, Action.RECORD_PAYMENT, payload=payment_payload(req))
    assert not run_worker() or len(archive_files()) == 1
    assert len(archive_files()) == 1


def test_a_unit_funded_request_rejected_by_the_secondary_unit(app, org, redis_conn):
    setup_settings(org)
    req = new_condolence(org.member_b, org.secretary_b, amount="800.00")
    apply_action(req, org.secondary_b, Action.REJECT, opinion="该党员本月已获其他渠道慰问，不同意重复发放。")
    run_worker()
    text = pdf_text(assert_done_and_intact(document_of(req.id)))
    for expected in ["周珺玥", req.number, "患病住院", "¥800.00", "人民币捌佰元整", "本单位经费",
                     "未超过标准", "该党员本月已获其他渠道慰问，不同意重复发放。", "不同意（未通过）"]:
        assert expected in text, expected
    # Only the applicable steps have boxes: no 组织部 or 校党委 for a unit-funded request below the line.
    assert "组织部审核意见" not in text and "校党委审批意见" not in text


def test_a_secondary_started_request_prints_the_unit_as_proposer_and_the_branch_box(app, org, redis_conn):
    setup_settings(org)
    req = new_condolence(org.member2, org.secondary, amount="1000.00", category=CondolenceCategory.REGULAR_VISIT,
                         over_standard_reason="老党员年逾九旬，独居多病。")
    apply_action(req, org.committee, Action.APPROVE, opinion="经核实，情况属实。")
    assert req.amount == Decimal("1000.00")
    run_worker()
    text = pdf_text(assert_done_and_intact(document_of(req.id)))
    for expected in ["二级党组织意见（发起）", "会计学院党委申报", "陈组织员（二级党组织书记/组织员）",
                     "党支部意见", "经核实，情况属实。", "赵支委（支部书记/支委）", "老党员/老模范定期走访",
                     "人民币壹仟元整", "¥300.00"]:
        assert expected in text, expected
