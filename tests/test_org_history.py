"""A member's history as 组织部 records it, and what the request types make of it:
- 组织关系转接 moves the member and keeps a history; a request already filed keeps its branch;
- 出党, 停止党籍 (and 恢复), 去世 with a date: such a member cannot apply or be chosen, except a
  deceased member in the 慰问金 for that death;
- 月缴党费 with an effective-dated history: a waiver spanning a rate change reads each month's dues."""
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, MemberStatus, MemberTransfer, Request, RequestState
from dangjian.request_types.award_nomination.access import nominee_options
from dangjian.request_types.dues_waiver.model import DuesWaiver, dues_owed
from dangjian.timeutil import local_today
from tests.factories import approve, new_waiver
from tests.factories_condolence import set_budget, setup_settings
from tests.org_support import field_errors, token
from tests.factories_care import registered

TODAY = local_today()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _member(user):
    db.session.expire_all()
    return db.session.get(Member, user.member_id)


# --- 组织关系转接 --------------------------------------------------------------------------------------

def test_transfer_through_the_page_with_csrf_keeps_a_history(app, csrf_app, org, client):
    from tests.test_csrf import login
    login(client, org.org_dept_user)
    m = org.member.member_id
    page = client.get(f"/org/members/{m}/transfer").get_data(as_text=True)
    assert 'hx-confirm="确定将「王喆」的组织关系转入所选党支部吗？"' in page
    data = {"to_branch_id": org.branch_b1.id, "transferred_on": "2026-01-10", "note": "调入经济学院"}
    assert client.post(f"/org/members/{m}/transfer", data=data).status_code == 400  # no token
    assert _member(org.member).branch_id == org.branch_a1.id
    resp = client.post(f"/org/members/{m}/transfer", data={**data, "csrf_token": token(page)})
    assert resp.status_code == 302
    assert _member(org.member).branch_id == org.branch_b1.id
    t = db.session.scalars(select(MemberTransfer)).one()
    assert (t.from_branch_id, t.to_branch_id, t.transferred_on, t.note, t.created_by_id) == (
        org.branch_a1.id, org.branch_b1.id, date(2026, 1, 10), "调入经济学院", org.org_dept_user.id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.transferred")).one()
    assert json.loads(event.detail)["to_branch"] == "经济学院教工党支部"
    html = client.get(f"/org/members/{m}").get_data(as_text=True)
    history = html[html.index('id="transfers"'):]
    assert "2026-01-10" in history and "会计学院教工第一党支部 → 经济学院教工党支部" in history


def test_transfer_refusals(app, org, auth, client):
    auth.login(org.org_dept_user)
    m = org.member.member_id
    html = client.post(f"/org/members/{m}/transfer", data={"to_branch_id": org.branch_b1.id,
                                                            "transferred_on": (TODAY + timedelta(days=1)).isoformat()}
                       ).get_data(as_text=True)
    assert "转接日期不能晚于今天" in field_errors(html, "transferred_on")
    html = client.post(f"/org/members/{m}/transfer", data={"to_branch_id": "0", "transferred_on": TODAY.isoformat()}
                       ).get_data(as_text=True)
    assert "请选择转入的党支部" in field_errors(html, "to_branch_id")
    assert db.session.scalar(select(func.count(MemberTransfer.id))) == 0


def test_a_request_keeps_the_branch_it_was_filed_in(app, org, auth, client):
    waiver = new_waiver(org.member)
    approve(waiver, org.secretary)  # the branch discussed it; now at 会计学院党委
    assert (waiver.current_step, waiver.current_org_id) == ("secondary", org.sec_a.id)
    auth.login(org.org_dept_user)
    assert client.post(f"/org/members/{org.member.member_id}/transfer",
                       data={"to_branch_id": org.direct.id, "transferred_on": TODAY.isoformat()}).status_code == 302
    db.session.expire_all()
    waiver = db.session.get(DuesWaiver, waiver.id)
    assert waiver.beneficiary.branch_id == org.direct.id
    assert (waiver.organization_id, waiver.current_org_id) == (org.branch_a1.id, org.sec_a.id)
    # The old chain still decides it: 会计学院党委, then 校党委 (not the direct branch's chain).
    approve(waiver, org.secondary)
    assert (waiver.current_step, waiver.current_org_id) == ("school", org.school.id)
    approve(waiver, org.school_user)
    assert waiver.state is RequestState.APPROVED and waiver.organization_id == org.branch_a1.id
    # A new request starts from the new branch.
    auth.login(org.member)
    resp = client.post("/dues-waivers/new", content_type="multipart/form-data", data={
        "member_id": org.member.member_id, "mode": "partial", "monthly_amount": "10.00",
        "start_month": f"{TODAY.year + 1}-01", "end_month": f"{TODAY.year + 1}-02", "hardship_category": "living",
        "hardship_description": "家庭经济困难，爱人患病住院。", "evidence": [(io.BytesIO(PDF), "证明.pdf")]})
    assert resp.status_code == 302
    newer = db.session.scalars(select(DuesWaiver).order_by(DuesWaiver.id.desc())).first()
    assert newer.organization_id == org.direct.id and newer.current_org_id == org.direct.id


# --- 党籍状态 -------------------------------------------------------------------------------------------

def test_status_changes_with_dates_and_restore(app, org, auth, client):
    auth.login(org.org_dept_user)
    m = org.member2.member_id
    page = client.get(f"/org/members/{m}/status").get_data(as_text=True)
    assert 'hx-confirm="' in page and '<option value="suspended">停止党籍</option>' in page
    assert 'value="normal"' not in page
    html = client.post(f"/org/members/{m}/status", data={"status": "suspended", "status_on": "2025-11-01"}
                       ).get_data(as_text=True)
    assert "停止党籍须填写依据（如党组织决定的文号）" in field_errors(html, "note")
    assert client.post(f"/org/members/{m}/status", data={"status": "suspended", "status_on": "2025-11-01",
                                                         "note": "支部大会决定"}).status_code == 302
    assert (_member(org.member2).status, _member(org.member2).status_on) == (MemberStatus.SUSPENDED, date(2025, 11, 1))
    html = client.post(f"/org/members/{m}/status", data={"status": "normal", "status_on": "2025-10-01"}
                       ).get_data(as_text=True)
    assert "生效日期不能早于上一次状态变更（2025年11月1日）" in field_errors(html, "status_on")
    assert client.post(f"/org/members/{m}/status", data={"status": "normal", "status_on": "2026-01-05"}).status_code == 302
    assert _member(org.member2).status is MemberStatus.NORMAL
    page = client.get(f"/org/members/{m}").get_data(as_text=True)
    history = page[page.index('id="status-history"'):]
    assert history.index("恢复党籍") < history.index("停止党籍") and "支部大会决定" in history
    # 去世 is final.
    assert client.post(f"/org/members/{m}/status", data={"status": "deceased", "status_on": "2026-01-06"}).status_code == 302
    assert client.post(f"/org/members/{m}/status", data={"status": "normal", "status_on": "2026-01-07"}).status_code == 200
    assert _member(org.member2).status is MemberStatus.DECEASED
    assert [json.loads(e.detail)["status"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.status_changed").order_by(AuditEvent.id))] == [
        "suspended", "normal", "deceased"]


def _set_status(user, status, on=date(2026, 1, 2)):
    m = _member(user)
    m.status, m.status_on = status, on
    db.session.commit()
    return m


def test_an_expelled_member_cannot_apply_for_a_dues_waiver(app, org, auth, client):
    _set_status(org.member, MemberStatus.EXPELLED)
    auth.login(org.member)
    resp = client.get("/dues-waivers/new")
    assert resp.status_code == 302
    assert "您的党籍状态为「出党」，不能提交申请" in client.get(resp.headers["Location"], follow_redirects=True
                                                            ).get_data(as_text=True)


def test_a_secretary_cannot_apply_for_a_suspended_or_deceased_member(app, org, auth, client):
    _set_status(org.member, MemberStatus.SUSPENDED)
    _set_status(org.member2, MemberStatus.DECEASED)
    auth.login(org.secretary)
    page = client.get("/dues-waivers/new").get_data(as_text=True)
    assert "王喆" not in page and "张堃" not in page
    for user, phrase in ((org.member, "已于2026年1月2日停止党籍"), (org.member2, "已于2026年1月2日去世")):
        html = client.post("/dues-waivers/new", content_type="multipart/form-data", data={
            "member_id": user.member_id, "mode": "partial", "monthly_amount": "10.00", "start_month": "2026-01",
            "end_month": "2026-02", "hardship_category": "living", "hardship_description": "家庭经济困难，爱人患病住院。",
            "evidence": [(io.BytesIO(PDF), "证明.pdf")], "signed_application": [(io.BytesIO(PDF), "申请书.pdf")]}
        ).get_data(as_text=True)
        assert any(phrase in e for e in field_errors(html, "member_id")), phrase
    assert db.session.scalar(select(func.count(Request.id))) == 0


def _condolence(member_id, **overrides):
    data = {"member_id": str(member_id), "category": "hospitalized", "event_date": (TODAY - timedelta(days=2)).isoformat(),
            "event_description": "因急性阑尾炎住院手术，家庭经济困难。", "amount": "1000.00", "funding_source": "unit",
            "planned_visitors": "李书记、赵支委", "planned_date": TODAY.isoformat(), "payee_kind": "member"}
    data.update(overrides)
    return data


def test_a_deceased_member_only_in_the_condolence_for_the_death(app, org, auth, client):
    setup_settings(org)
    set_budget("10000.00")
    _set_status(org.member, MemberStatus.DECEASED, TODAY - timedelta(days=1))
    _set_status(org.member2, MemberStatus.EXPELLED)
    auth.login(org.secretary)
    page = client.get("/condolence/new").get_data(as_text=True)
    assert "王喆" in page and "（已去世）" in page and "张堃" not in page
    html = client.post("/condolence/new", data=_condolence(org.member.member_id), content_type="multipart/form-data"
                       ).get_data(as_text=True)
    assert any("去世，不能作为申请对象（亡故慰问请选择慰问类别「亡故」）" in e for e in field_errors(html, "member_id"))
    assert db.session.scalar(select(func.count(Request.id))) == 0
    resp = client.post("/condolence/new", content_type="multipart/form-data", data=_condolence(
        org.member.member_id, category="death", amount="", payee_kind="family", payee_name="王秀兰",
        payee_relation="配偶", event_date=(TODAY - timedelta(days=1)).isoformat(), event_description="党员因病去世。"))
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(Request.id))) == 1


def test_award_nominees_are_members_in_good_standing(app, org):
    _set_status(org.member, MemberStatus.DECEASED)
    _set_status(org.member2, MemberStatus.SUSPENDED)
    with app.test_request_context():
        options, _ = nominee_options(org.secretary)
    members = {m.name for m, _, _ in options.values() if m is not None}
    assert "王喆" not in members and "张堃" not in members and "赵支委" in members


def test_the_condolence_campaign_skips_members_not_in_good_standing(app, org, auth, client):
    setup_settings(org)
    m = _member(org.member)
    registered(m, "alone", situation="独居老人")  # in the 困难党员台账, which the campaign reads
    db.session.commit()
    _set_status(org.member, MemberStatus.DECEASED)
    auth.login(org.secretary)
    html = client.get(f"/condolence/campaign?unit={org.branch_a1.id}").get_data(as_text=True)
    assert "王喆" in html and "党籍状态为「去世」" in html


# --- 月缴党费 -------------------------------------------------------------------------------------------

def test_dues_history_and_a_waiver_spanning_a_rate_change(app, org, auth, client):
    auth.login(org.org_dept_user)
    m = org.member.member_id
    nxt = date(TODAY.year + (TODAY.month == 12), TODAY.month % 12 + 1, 1)
    resp = client.post(f"/org/members/{m}/dues", data={"effective_from": f"{nxt:%Y-%m}", "amount": "30.00",
                                                       "note": "工资调整"})
    assert resp.status_code == 302
    member = _member(org.member)
    # The old amount stays in force until then: Member.monthly_dues is this month's.
    assert [(r.effective_from, r.amount) for r in member.dues_rates] == [
        (date(2005, 7, 1), Decimal("45.00")), (nxt, Decimal("30.00"))]
    assert member.monthly_dues == Decimal("45.00") and member.dues_on(nxt) == Decimal("30.00")
    page = client.get(f"/org/members/{m}").get_data(as_text=True)
    assert "尚未生效" in page[page.index('id="dues"'):]
    # A waiver from this month to the next: 30.00 a month is the most (the lower month's dues) …
    auth.login(org.member)
    data = {"member_id": m, "mode": "partial", "monthly_amount": "35.00", "start_month": f"{TODAY:%Y-%m}",
            "end_month": f"{nxt:%Y-%m}", "hardship_category": "living",
            "hardship_description": "家庭经济困难，爱人患病住院。"}
    html = client.post("/dues-waivers/new", content_type="multipart/form-data",
                       data={**data, "evidence": [(io.BytesIO(PDF), "证明.pdf")]}).get_data(as_text=True)
    assert any(f"每月减免金额不能超过减免期间各月的月缴党费（{nxt.year}年{nxt.month}月为¥30.00）" in e
               for e in field_errors(html, "monthly_amount"))
    # … and a full waiver owes nothing in either month, its total the sum of the two months' dues.
    resp = client.post("/dues-waivers/new", content_type="multipart/form-data",
                       data={**data, "mode": "full", "monthly_amount": "45.00",
                             "evidence": [(io.BytesIO(PDF), "证明.pdf")]})
    assert resp.status_code == 302, re.findall(r'invalid-feedback d-block">([^<]*)', resp.get_data(as_text=True))
    waiver = db.session.scalars(select(DuesWaiver)).one()
    assert (waiver.monthly_dues_at_application, waiver.amount) == (Decimal("45.00"), Decimal("75.00"))
    for user in (org.secretary, org.secondary, org.school_user):
        approve(waiver, user)
    member = _member(org.member)
    assert dues_owed(member, TODAY.replace(day=1)) == Decimal("0.00") and dues_owed(member, nxt) == Decimal("0.00")
    after = date(nxt.year + (nxt.month == 12), nxt.month % 12 + 1, 1)
    assert dues_owed(member, after) == Decimal("30.00")


def test_a_partial_waiver_owes_each_months_own_dues_less_the_amount(app, org, auth, client):
    y = TODAY.year
    auth.login(org.org_dept_user)
    m = org.member.member_id
    assert client.post(f"/org/members/{m}/dues", data={"effective_from": f"{y}-04", "amount": "60.00"}).status_code == 302
    waiver = new_waiver(org.member, monthly_amount=Decimal("20.00"), start_month=date(y, 1, 1), end_month=date(y, 6, 1))
    for user in (org.secretary, org.secondary, org.school_user):
        approve(waiver, user)
    member = _member(org.member)
    assert [dues_owed(member, date(y, mo, 1)) for mo in range(1, 8)] == [
        Decimal("25.00")] * 3 + [Decimal("40.00")] * 3 + [Decimal("60.00")]
    # 我的信息 shows each month of this year: what is owed, and what was waived.
    auth.login(org.member)
    me = client.get("/me").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*><td>(\d+)年(\d+)月</td><td[^>]*>(¥[\d.,]+)</td><td[^>]*>(.*?)</td></tr>", me)
    owed = {int(mo): (amount, "−¥20.00" in waived) for _, mo, amount, waived in rows}
    assert owed[3] == ("¥25.00", True) and owed[4] == ("¥40.00", True) and owed[7] == ("¥60.00", False)


def test_dues_refusals(app, org, auth, client):
    auth.login(org.org_dept_user)
    m = org.member.member_id
    html = client.post(f"/org/members/{m}/dues", data={"effective_from": "2026-04", "amount": "-1"}).get_data(as_text=True)
    assert "金额不能为负数" in field_errors(html, "amount")
    html = client.post(f"/org/members/{m}/dues", data={"effective_from": "", "amount": "1"}).get_data(as_text=True)
    assert "请选择起始月份" in field_errors(html, "effective_from")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "member.dues_set")) == 0


def test_the_member_page_lists_requests_and_help_received(app, org, auth, client):
    helped = new_waiver(org.member)
    for user in (org.secretary, org.secondary, org.school_user):
        approve(helped, user)
    pending = new_waiver(org.member, start_month=date(2026, 7, 1), end_month=date(2026, 8, 1))
    other = new_waiver(org.member2)
    auth.login(org.supervisor)
    page = client.get(f"/org/members/{org.member.member_id}").get_data(as_text=True)
    help_box = page[page.index('id="help"'):page.index('id="requests"')]
    requests_box = page[page.index('id="requests"'):page.index('id="changes"')]
    assert helped.number in help_box and pending.number not in help_box and "已通过" in help_box
    assert helped.number in requests_box and pending.number in requests_box and other.number not in requests_box


def test_a_future_rate_takes_over_when_its_month_begins(app, org):
    from dangjian.org.operations import refresh_current_dues, set_dues
    nxt = date(TODAY.year + (TODAY.month == 12), TODAY.month % 12 + 1, 1)
    with app.test_request_context():
        set_dues(org.org_dept_user, _member(org.member), nxt, Decimal("30.00"))
    assert _member(org.member).monthly_dues == Decimal("45.00")
    assert refresh_current_dues(TODAY) == 0
    assert refresh_current_dues(nxt + timedelta(days=3)) == 1
    assert _member(org.member).monthly_dues == Decimal("30.00")
