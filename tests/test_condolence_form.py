"""The 慰问金 pages: the application form (standard as the default, a written reason above it, payee
rules), edit/resubmit and drafts, and the two actions after approval (登记走访发放, 取消).

Invalid input is refused with a Chinese message next to the field and NOTHING is saved.
"""
from html import unescape
import io
import json
import os
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import Attachment, Request, RequestState
from dangjian.request_types.condolence.model import CondolenceCategory, CondolencePayment, FundingSource, PayeeKind
from dangjian.timeutil import local_today
from dangjian.workflow import Action, apply_action
from tests.factories_condolence import budget_line, new_condolence, set_budget, setup_settings
from tests.test_dues_waiver_form import field_errors

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TODAY = local_today()


@pytest.fixture
def o(app, org):
    setup_settings(org)
    set_budget("10000.00")
    return org


def valid(member_id, **overrides):
    data = {"member_id": str(member_id), "category": "hospitalized", "event_date": (TODAY - timedelta(days=2)).isoformat(),
            "event_description": "因急性阑尾炎住院手术，家庭经济困难。", "amount": "1000.00",
            "funding_source": "unit", "planned_visitors": "李书记、赵支委",
            "planned_date": (TODAY + timedelta(days=1)).isoformat(), "payee_kind": "member"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, data, url="/condolence/new"):
    return client.post(url, data=data, content_type="multipart/form-data")


def uploaded_files():
    root = current_app.config["UPLOAD_DIR"]
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files)


def counts():
    return (db.session.scalar(select(func.count(Request.id))),
            db.session.scalar(select(func.count(Attachment.id))), len(uploaded_files()))


def only_request() -> CondolencePayment:
    db.session.expire_all()
    return db.session.scalars(select(CondolencePayment)).one()


# --- the standard is the default; above it, a reason -------------------------------------------------

def test_the_form_defaults_the_amount_to_the_standard(o, auth, client):
    auth.login(o.secretary)
    page = client.get("/condolence/new?category=death").get_data(as_text=True)
    assert 'name="amount"' in page and 'value="2000.00"' in page
    assert "本类别慰问标准 ¥2,000.00" in page
    # The standards table travels with the form for the script that switches the default.
    standards = re.search(r"data-standards='([^']*)'", page).group(1)
    assert json.loads(unescape(standards))["regular_visit"] == "300.00"
    # 回避: the secretary is not among the members they may start a request for.
    assert "李书记（" not in page and "王喆（" in page


def test_a_blank_amount_takes_the_standard(o, auth, client):
    auth.login(o.secretary)
    resp = post(client, valid(o.member.member_id, amount="", category="special_hardship"))
    assert resp.status_code == 302, field_errors(resp.get_data(as_text=True), "amount")
    req = only_request()
    assert (req.amount, req.standard_amount, req.over_standard_reason) == (Decimal("800.00"), Decimal("800.00"), None)
    assert (req.state, req.current_step, req.initiator_level.value) == (RequestState.PENDING, "secondary", "branch")
    assert req.threshold_amount == Decimal("1000.00")


def test_above_the_standard_a_reason_is_required(o, auth, client):
    auth.login(o.secretary)
    html = post(client, valid(o.member.member_id, amount="1200.00")).get_data(as_text=True)
    assert field_errors(html, "over_standard_reason") == [
        "金额高于「患病住院」的慰问标准（¥1,000.00），请填写超标准理由（至少5字）"]
    assert counts() == (0, 0, 0)
    resp = post(client, valid(o.member.member_id, amount="1200.00", over_standard_reason="病情严重，需长期治疗，家庭特别困难。"))
    assert resp.status_code == 302
    req = only_request()
    assert (req.amount, req.standard_amount) == (Decimal("1200.00"), Decimal("1000.00"))
    assert req.is_over_standard and req.over_standard_reason == "病情严重，需长期治疗，家庭特别困难。"
    # Above the threshold too: it goes on to the school after the secondary unit.
    assert [s.key for s in req.workflow.applicable_steps(req)] == ["secondary", "org_dept", "school"]


def test_a_reason_given_at_or_below_the_standard_is_not_kept(o, auth, client):
    auth.login(o.secretary)
    assert post(client, valid(o.member.member_id, amount="900.00", over_standard_reason="无需理由")).status_code == 302
    assert only_request().over_standard_reason is None


INVALID = [
    ("three decimals", {"amount": "1000.005"}, "amount", "金额最多保留两位小数"),
    ("not a number", {"amount": "一千元"}, "amount", "金额格式不正确"),
    ("zero", {"amount": "0"}, "amount", "慰问金额应大于0"),
    ("absurd", {"amount": "100000.01"}, "amount", "单笔慰问金额不能超过¥100,000.00"),
    ("no category", {"category": ""}, "category", "请选择慰问类别"),
    ("unknown category", {"category": "bonus"}, "category", "请选择慰问类别"),
    ("occurrence in the future", {"event_date": (TODAY + timedelta(days=1)).isoformat()}, "event_date",
     "「患病住院」的事由日期不能晚于今天"),
    ("event too old", {"event_date": (TODAY - timedelta(days=400)).isoformat()}, "event_date", "不能早于一年前"),
    ("no event date", {"event_date": ""}, "event_date", "请填写事由日期"),
    ("short description", {"event_description": "住院"}, "event_description", "事由应为5–500字"),
    ("no funding", {"funding_source": None}, "funding_source", "请选择经费来源"),
    ("no visitors", {"planned_visitors": ""}, "planned_visitors", "请填写计划走访人"),
    ("no planned date", {"planned_date": ""}, "planned_date", "请填写计划走访日期"),
    ("death paid to the member", {"category": "death", "amount": "2000.00"}, "payee_kind",
     "党员亡故的，收款人应为其家属"),
    ("family without a name", {"payee_kind": "family", "payee_relation": "配偶"}, "payee_name", "请填写收款家属的姓名"),
    ("family without a relation", {"payee_kind": "family", "payee_name": "王秀兰"}, "payee_relation",
     "请选择家属与党员的关系"),
    ("family named as the member", {"payee_kind": "family", "payee_name": "王喆", "payee_relation": "配偶"},
     "payee_name", "家属姓名不能与党员本人相同"),
    ("no payee", {"payee_kind": None}, "payee_kind", "请选择收款人"),
    ("bad upload", {"evidence": [(io.BytesIO(b"GIF89a"), "证明.pdf")]}, "evidence", "内容与扩展名不符"),
]


@pytest.mark.parametrize("case,overrides,field,message", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_is_refused_next_to_the_field_and_nothing_is_saved(o, auth, client, case, overrides, field,
                                                                           message):
    auth.login(o.secretary)
    resp = post(client, valid(o.member.member_id, **overrides))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert any(message in e for e in field_errors(html, field)), (field_errors(html, field), message)
    assert "申请未提交" in html
    assert counts() == (0, 0, 0)


def test_a_category_without_a_standard_cannot_be_applied_for(app, org, auth, client):
    set_budget("1000.00")  # no standards at all
    auth.login(org.secretary)
    html = post(client, valid(org.member.member_id)).get_data(as_text=True)
    assert field_errors(html, "category") == ["组织部尚未设置「患病住院」的慰问标准，暂不能申请，请联系组织部"]
    assert counts() == (0, 0, 0)


def test_a_death_is_paid_to_a_named_family_member_and_then_the_member_is_never_the_payee(o, auth, client):
    auth.login(o.secretary)
    resp = post(client, valid(o.member.member_id, category="death", amount="", payee_kind="family",
                              payee_name="王秀兰", payee_relation="配偶", funding_source="school",
                              evidence=[(io.BytesIO(PDF), "死亡证明.pdf")]))
    assert resp.status_code == 302
    death = only_request()
    assert (death.payee_kind, death.payee_name, death.payee_relation, death.amount) == (
        PayeeKind.FAMILY, "王秀兰", "配偶", Decimal("2000.00"))
    assert [a.filename for a in death.evidence] == ["死亡证明.pdf"]
    # A second 亡故 is refused; any other request now pays the family.
    html = post(client, valid(o.member.member_id, category="death", amount="", payee_kind="family",
                              payee_name="王秀兰", payee_relation="配偶")).get_data(as_text=True)
    assert any("该党员已有亡故慰问申请" in e for e in field_errors(html, "category"))
    html = post(client, valid(o.member.member_id, category="special_hardship", amount="")).get_data(as_text=True)
    assert field_errors(html, "payee_kind") == [f"该党员已亡故（{death.number}），收款人应为其家属"]
    # …unless the 亡故 request was rejected (it was not true).
    apply_action(death, o.secondary, Action.REJECT, opinion="经核实情况不实")
    assert post(client, valid(o.member.member_id, category="special_hardship", amount="")).status_code == 302


def test_one_july_first_visit_per_member_and_year(o, auth, client):
    auth.login(o.secretary)
    data = valid(o.member.member_id, category="july_first", amount="", event_date=f"{TODAY.year}-07-01")
    assert post(client, data).status_code == 302
    first = only_request()
    html = post(client, data).get_data(as_text=True)
    assert field_errors(html, "category") == [f"该党员{TODAY.year}年已有七一走访慰问（{first.number}，审批中），每人每年一次"]


def test_a_direct_branch_uses_school_funds(o, auth, client):
    auth.login(o.direct_secretary)
    html = post(client, valid(o.direct_member.member_id, funding_source="unit")).get_data(as_text=True)
    assert field_errors(html, "funding_source") == ["直属党支部没有二级单位经费，慰问金由校级专项经费列支"]
    assert post(client, valid(o.direct_member.member_id, funding_source="school")).status_code == 302
    req = only_request()
    assert (req.current_step, req.current_org_id) == ("org_dept", o.org_dept.id)


def test_only_members_in_the_users_units_can_be_chosen(o, auth, client):
    auth.login(o.secretary)
    for member_id in (o.member_b.member_id, o.secretary.member_id, 999999):
        html = post(client, valid(member_id)).get_data(as_text=True)
        assert "请选择慰问对象" in html
    assert counts() == (0, 0, 0)


def test_the_secondary_unit_starts_one_and_the_branch_confirms(o, auth, client):
    auth.login(o.secondary)
    page = client.get("/condolence/new").get_data(as_text=True)
    assert "张堃（" in page and "周珺玥（" not in page  # its own branches only
    assert post(client, valid(o.member2.member_id)).status_code == 302
    req = only_request()
    assert (req.initiator_level.value, req.current_step, req.current_org_id) == ("secondary", "branch", o.branch_a1.id)


def test_users_who_start_nothing_get_404(o, auth, client):
    for user in (o.member, o.org_dept_user, o.school_user, o.supervisor, o.sysadmin):
        auth.login(user)
        assert client.get("/condolence/new").status_code == 404
        assert post(client, valid(o.member.member_id)).status_code == 404
    assert counts() == (0, 0, 0)


# --- edit and resubmit, drafts ----------------------------------------------------------------------

def test_a_returned_request_is_edited_and_resubmitted_under_the_same_number(o, auth, client):
    req = new_condolence(o.member, o.secretary)
    apply_action(req, o.secondary, Action.RETURN, opinion="请补充住院证明")
    auth.login(o.secretary)
    page = client.get(f"/condolence/{req.id}/edit").get_data(as_text=True)
    assert "修改并重新提交" in page and "因病住院手术" in page and 'value="1000.00"' in page
    data = valid(o.member.member_id, amount="900.00", version=str(req.version),
                 evidence=[(io.BytesIO(PDF), "住院证明.pdf")])
    assert post(client, data, f"/condolence/{req.id}/edit").status_code == 302
    db.session.expire_all()
    req = db.session.get(CondolencePayment, req.id)
    assert (req.state, req.current_step, req.amount) == (RequestState.PENDING, "secondary", Decimal("900.00"))
    assert [a.filename for a in req.attachments] == ["住院证明.pdf"]
    # A stale form (someone resubmitted meanwhile) changes nothing.
    resp = post(client, dict(data, version="0", evidence=[(io.BytesIO(PDF), "住院证明.pdf")]),
                f"/condolence/{req.id}/edit")
    assert resp.status_code == 302 and db.session.get(CondolencePayment, req.id).version == req.version


def test_only_the_initiator_edits(o, auth, client):
    req = new_condolence(o.member, o.secretary)
    apply_action(req, o.secondary, Action.RETURN, opinion="请补充")
    for user in (o.committee, o.secondary, o.member):
        auth.login(user)
        assert client.get(f"/condolence/{req.id}/edit").status_code == 404


def test_a_draft_is_reviewed_and_submitted_or_deleted(o, auth, client):
    draft = new_condolence(o.member, o.secretary, submit=False)
    other = new_condolence(o.member2, o.secretary, submit=False)
    auth.login(o.secretary)
    page = client.get(f"/requests/{draft.id}").get_data(as_text=True)
    assert "尚未提交的草稿" in page and "核对并提交" in page
    form = client.get(f"/condolence/{draft.id}/edit").get_data(as_text=True)
    assert "核对并提交慰问金草稿" in form and "删除此草稿" in form
    assert post(client, valid(o.member.member_id, version=str(draft.version)), f"/condolence/{draft.id}/edit").status_code == 302
    db.session.expire_all()
    assert db.session.get(Request, draft.id).state is RequestState.PENDING
    # Delete the other; a submitted request cannot be deleted.
    number = other.number
    assert client.post(f"/condolence/{other.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Request, other.id) is None
    from dangjian.models import AuditEvent
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "request.delete_draft")).count(number) == 1
    client.post(f"/condolence/{draft.id}/delete")
    db.session.expire_all()
    assert db.session.get(Request, draft.id).state is RequestState.PENDING


# --- after approval: record the payment, cancel ---------------------------------------------------

def _approved(o, **kw):
    req = new_condolence(o.member, o.secretary, funding=FundingSource.SCHOOL, **kw)
    for user in (o.secondary, o.org_dept_user, o.school_user):
        apply_action(req, user, Action.APPROVE, opinion="同意")
    return req


def _payment(req, **overrides):
    data = {"pay-visit_date": (TODAY - timedelta(days=1)).isoformat(), "pay-visitors": "李书记、赵支委",
            "pay-paid_amount": str(req.amount), "pay-receipts": [(io.BytesIO(PNG), "走访照片.png")],
            "pay-version": str(req.version)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_request_page_offers_the_payment_record_to_the_branch(o, auth, client):
    req = _approved(o)
    auth.login(o.committee)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "登记走访发放" in page and "登记并完成" in page and "取消发放" in page
    assert 'value="1000.00"' in page  # the paid amount defaults to the approved one
    auth.login(o.secondary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "登记并完成" not in page and "取消发放" not in page


def test_recording_the_payment_completes_the_request(o, auth, client):
    req = _approved(o)
    auth.login(o.secretary)
    resp = client.post(f"/condolence/{req.id}/payment", data=_payment(req), content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.expire_all()
    req = db.session.get(CondolencePayment, req.id)
    assert req.state is RequestState.COMPLETED and req.paid_amount == Decimal("1000.00")
    assert [a.filename for a in req.receipts] == ["走访照片.png"] and len(uploaded_files()) == 1
    assert budget_line().spent == Decimal("1000.00")
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "已完成" in page and "实际发放" in page and "壹仟元整" in page


@pytest.mark.parametrize("overrides,field,message", [
    ({"pay-paid_amount": "1000.01"}, "pay-paid_amount", "实际发放金额不能超过批准金额（¥1,000.00）"),
    ({"pay-paid_amount": "abc"}, "pay-paid_amount", "金额格式不正确"),
    ({"pay-visit_date": (TODAY + timedelta(days=1)).isoformat()}, "pay-visit_date", "走访日期不能晚于今天"),
    ({"pay-visitors": ""}, "pay-visitors", "请填写走访人"),
    ({"pay-receipts": None}, "pay-receipts", "请上传发放凭证"),
    ({"pay-receipts": [(io.BytesIO(b"not a png"), "照片.png")]}, "pay-receipts", "内容与扩展名不符"),
], ids=["above", "nan", "future", "no-visitors", "no-receipt", "fake-png"])
def test_an_invalid_payment_record_shows_errors_and_saves_nothing(o, auth, client, overrides, field, message):
    req = _approved(o)
    auth.login(o.secretary)
    resp = client.post(f"/condolence/{req.id}/payment", data=_payment(req, **overrides),
                       content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert any(message in e for e in field_errors(html, field)), field_errors(html, field)
    assert "<html" not in html  # htmx: the panel only
    db.session.expire_all()
    req = db.session.get(CondolencePayment, req.id)
    assert req.state is RequestState.APPROVED and req.receipts == [] and uploaded_files() == []
    assert budget_line().reserved == Decimal("1000.00")


def test_someone_who_may_not_record_gets_a_message_and_nothing_is_stored(o, auth, client):
    req = _approved(o)
    auth.login(o.org_dept_user)
    html = client.post(f"/condolence/{req.id}/payment", data=_payment(req),
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "您无权登记走访发放" in html
    assert uploaded_files() == []


def test_cancel_with_a_reason_from_the_panel(o, auth, client):
    req = _approved(o)
    auth.login(o.secretary)
    html = client.post(f"/condolence/{req.id}/cancel", data={"cancel-reason": "", "cancel-version": str(req.version)},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert field_errors(html, "cancel-reason") == ["请填写取消原因"]
    resp = client.post(f"/condolence/{req.id}/cancel", data={"cancel-reason": "党员本人婉拒",
                                                            "cancel-version": str(req.version)},
                       headers={"HX-Request": "true"})
    assert resp.headers["HX-Retarget"] == "#request-main"
    assert "已取消" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).state is RequestState.CANCELLED
    line = budget_line()
    assert (line.reserved, line.spent) == (Decimal("0.00"), Decimal("0.00"))


def test_the_request_page_shows_every_field(o, auth, client):
    req = new_condolence(o.member, o.secretary, category=CondolenceCategory.DEATH, amount="2500.00",
                         payee_kind=PayeeKind.FAMILY, payee_name="王秀兰", payee_relation="配偶",
                         funding=FundingSource.SCHOOL, over_standard_reason="家庭特别困难，子女尚幼。")
    apply_action(req, o.secondary, Action.APPROVE, opinion="同意")
    auth.login(o.org_dept_user)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    for text in ["王喆", "亡故", "¥2,500.00", "贰仟伍佰元整", "¥2,000.00", "超出标准 ¥500.00", "家庭特别困难，子女尚幼。",
                 "校级专项经费", "超过报校级审批金额线 ¥1,000.00", "李书记、赵支委", "王秀兰（配偶）",
                 "「慰问金」余额", "¥10,000.00", "组织部审核"]:
        assert text in page, text
