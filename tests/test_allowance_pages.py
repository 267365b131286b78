"""The allowance pages as users use them: the start page (year → eligible branches with their
computation, the others with the reason → create and submit), resubmitting a returned batch, 组织部's
核定调整 form (htmx, errors next to the fields), and the record pages (the grades shown, secretary terms,
branch dates), each change with an audit row."""
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Organization, RequestState
from dangjian.assessment.models import Assessment
from dangjian.request_types.secretary_allowance.model import BranchSecretaryTerm, SecretaryAllowance
from dangjian.workflow import Action, apply_action
from tests.factories_allowance import YEAR, allowance_world, line_of, new_batch

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app, org):
    return allowance_world(org)


def audits(action):
    return db.session.execute(select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def field_errors(html, name):
    """The error texts in the <div class="mb-3"> block of field `name`."""
    m = re.search(rf'<div class="mb-3">(?:(?!<div class="mb-3">).)*?name="{re.escape(name)}".*?(?=<div class="mb-3">|</form>)',
                  html, re.S)
    return re.findall(r'invalid-feedback d-block">([^<]+)<', m.group(0)) if m else []


# --- start ---------------------------------------------------------------------------------------

def test_the_start_page_previews_every_branch_with_its_computation_or_reason(world, auth, client):
    auth.login(world.secondary)
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    eligible = page[page.index('id="eligible-branches"'):page.index('id="ineligible-branches"')]
    assert "会计学院教工第一党支部" in eligible and "李书记" in eligible
    assert "2025年度考核「优秀」" in eligible and "支部存续 1–12月（12个月）" in eligible
    assert "¥3,000.00 × 12/12 = ¥3,000.00" in eligible
    ineligible = page[page.index('id="ineligible-branches"'):]
    assert "会计学院本科生党支部" in ineligible and "学生党支部，不属于教职工党支部" in ineligible
    assert "创建并提交（1 个支部，¥3,000.00）" in page


def test_creating_the_batch_submits_it_to_org_dept(world, auth, client):
    auth.login(world.secondary)
    resp = client.post("/secretary-allowances/new", data={"unit_id": world.sec_a.id, "year": YEAR})
    assert resp.status_code == 302
    batch = db.session.scalars(select(SecretaryAllowance)).one()
    assert resp.headers["Location"].endswith(f"/requests/{batch.id}")
    assert (batch.state, batch.current_step, batch.year, batch.amount) == (
        RequestState.PENDING, "org_dept", YEAR, Decimal("3000.00"))
    assert batch.initiator_id == world.secondary.id and batch.organization_id == world.sec_a.id
    assert json.loads(batch.exclusions) == [{"branch": "会计学院本科生党支部", "type": "学生党支部",
                                             "reason": "学生党支部，不属于教职工党支部"}]
    page = client.get(f"/requests/{batch.id}").get_data(as_text=True)
    assert "会计学院党委2025年度兼职支部书记补贴" in page and "¥3,000.00" in page and "叁仟元整" in page
    assert "¥600.00" in page and "计算依据：教职工党支部" in page
    # A second start for the same year is refused and points at the batch.
    again = client.post("/secretary-allowances/new", data={"unit_id": world.sec_a.id, "year": YEAR},
                        follow_redirects=True)
    assert "已有补贴批次" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SecretaryAllowance.id))) == 1


def test_a_year_out_of_range_is_refused_with_a_message(world, auth, client):
    auth.login(world.secondary)
    page = client.get("/secretary-allowances/new?year=1999").get_data(as_text=True)
    assert "只能申报" in page
    assert client.post("/secretary-allowances/new", data={"unit_id": world.sec_a.id, "year": "1999"}).status_code == 200
    assert db.session.scalar(select(func.count(SecretaryAllowance.id))) == 0


def test_org_dept_starts_the_batch_of_direct_branches(world, auth, client):
    auth.login(world.org_dept_user)
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    assert "图书馆直属党支部" in page and "会计学院教工第一党支部" not in page
    client.post("/secretary-allowances/new", data={"unit_id": world.school.id, "year": YEAR})
    batch = db.session.scalars(select(SecretaryAllowance)).one()
    assert batch.organization_id == world.school.id and batch.is_direct and batch.amount == Decimal("3000.00")


def test_a_unit_with_nothing_eligible_gets_an_empty_state_and_no_button(world, auth, client):
    db.session.execute(Assessment.__table__.update().values(grade="poor"))
    db.session.commit()
    auth.login(world.secondary)
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    assert "没有符合条件的支部" in page and "创建并提交" not in page
    assert "2025年度党建考核等次为「差」，须为「一般」及以上（考核合格）" in page


def test_a_returned_batch_is_recomputed_and_resubmitted(world, auth, client):
    batch = new_batch(world.sec_a, world.secondary)
    apply_action(batch, world.org_dept_user, Action.RETURN, opinion="请补录第二党支部的书记任职")
    # Meanwhile the branch got a new secretary from July.
    term = db.session.scalars(select(BranchSecretaryTerm).where(BranchSecretaryTerm.branch_id == world.branch_a1.id)).one()
    term.end_on = date(YEAR, 6, 30)
    db.session.add(BranchSecretaryTerm(branch_id=world.branch_a1.id, member_id=world.committee.member_id,
                                       start_on=date(YEAR, 7, 1), part_time=True, recorded_by_id=world.secondary.id))
    db.session.commit()
    auth.login(world.secondary)
    page = client.get(f"/secretary-allowances/{batch.id}/edit").get_data(as_text=True)
    assert "赵支委" in page and "7–12月" in page and "重新提交" in page
    resp = client.post(f"/secretary-allowances/{batch.id}/edit", data={"version": batch.version})
    assert resp.status_code == 302
    db.session.expire_all()
    batch = db.session.get(SecretaryAllowance, batch.id)
    assert (batch.state, batch.current_step) == (RequestState.PENDING, "org_dept")
    assert [(ln.member.name, ln.amount) for ln in batch.lines] == [("李书记", Decimal("1500.00")),
                                                                   ("赵支委", Decimal("1500.00"))]


# --- 核定调整 ----------------------------------------------------------------------------------------

def adjust_form(line, version, **change):
    data = {"adj-line_id": line.id, "adj-version": version, "adj-amount": str(line.amount),
            "adj-payment_method": line.payment_method.value, "adj-opinion": ""}
    for key in ("phone", "transport", "materials", "post", "reward"):
        data[f"adj-{key}"] = str(getattr(line, key))
    data.update({f"adj-{k}": v for k, v in change.items()})
    return data


def test_the_adjust_form_shows_errors_next_to_the_fields_and_saves_nothing(world, auth, client):
    batch = new_batch(world.sec_a, world.secondary)
    line = line_of(batch, world.branch_a1)
    auth.login(world.org_dept_user)
    page = client.get(f"/requests/{batch.id}").get_data(as_text=True)
    assert 'id="allowance-adjust"' in page and "核定调整" in page
    form = client.get(f"/secretary-allowances/{batch.id}/adjust?line_id={line.id}", headers=HX).get_data(as_text=True)
    assert 'name="adj-amount"' in form and 'value="3000.00"' in form and "<html" not in form

    resp = client.post(f"/secretary-allowances/{batch.id}/adjust", headers=HX,
                       data=adjust_form(line, batch.version, reward="100.00"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "HX-Retarget" not in resp.headers
    assert field_errors(html, "adj-amount") == [
        "五项明细合计 ¥2,500.00 与补贴金额 ¥3,000.00 不一致，请核对电话补助、交通补助、资料费、岗位补贴和考核奖励"]
    resp = client.post(f"/secretary-allowances/{batch.id}/adjust", headers=HX,
                       data=adjust_form(line, batch.version, amount="3100.00", reward="700.00", phone="abc"))
    html = resp.get_data(as_text=True)
    assert field_errors(html, "adj-phone") == ["电话补助：金额格式不正确，请输入数字，例如 20.50"]
    resp = client.post(f"/secretary-allowances/{batch.id}/adjust", headers=HX,
                       data=adjust_form(line, batch.version, amount="3100.00", reward="700.00"))
    assert "补贴合计不能超过 ¥3,000.00" in field_errors(resp.get_data(as_text=True), "adj-amount")[0]
    db.session.expire_all()
    assert db.session.get(SecretaryAllowance, batch.id).version == 1


def test_a_valid_adjustment_refreshes_the_page_and_the_timeline_shows_it(world, auth, client):
    batch = new_batch(world.sec_a, world.secondary)
    line = line_of(batch, world.branch_a1)
    auth.login(world.org_dept_user)
    resp = client.post(f"/secretary-allowances/{batch.id}/adjust", headers=HX,
                       data=adjust_form(line, batch.version, amount="2500.00", reward="100.00",
                                        payment_method="activity_funds", opinion="考核奖励按考核情况核减"))
    assert resp.headers["HX-Retarget"] == "#request-main"
    html = resp.get_data(as_text=True)
    detail = ("会计学院教工第一党支部 李书记：¥3,000.00 → ¥2,500.00；考核奖励 ¥600.00 → ¥100.00；"
              "发放方式 发放给书记本人 → 补贴党建活动经费")
    assert f"已保存核定调整：{detail}" in html
    assert f'<div class="dj-tl-detail">{detail}</div>' in html
    assert "考核奖励按考核情况核减" in html and "补贴党建活动经费" in html and "贰仟伍佰元整" in html
    # A stale form (the version moved on) is told so and shows the current values.
    resp = client.post(f"/secretary-allowances/{batch.id}/adjust", headers=HX,
                       data=adjust_form(line, 1, amount="2000.00", reward="0.00", post="0.00", phone="800.00",
                                        transport="600.00", materials="600.00"))
    body = resp.get_data(as_text=True)
    assert "刚被其他人调整或处理" in body and 'value="2500.00"' in body
    db.session.expire_all()
    assert db.session.get(SecretaryAllowance, batch.id).amount == Decimal("2500.00")


def test_a_recused_org_dept_holder_gets_the_recusal_message(world, auth, client):
    batch = new_batch(world.sec_b, world.secondary_b)  # pays 刘组织部
    auth.login(world.org_dept_user)
    page = client.get(f"/requests/{batch.id}").get_data(as_text=True)
    assert "您是本申请的受益人，按回避规定不能审批本申请" in page and 'id="allowance-adjust"' not in page
    line = batch.lines[0]
    resp = client.post(f"/secretary-allowances/{batch.id}/adjust", headers=HX,
                       data=adjust_form(line, batch.version, amount="1000.00", reward="0.00"))
    assert "您是本申请的受益人" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SecretaryAllowance, batch.id).version == 1


# --- record pages ----------------------------------------------------------------------------------

def test_the_branch_page_shows_the_grades_of_its_party_building_assessment(world, auth, client):
    """One grade, one place: the allowance records no grade of its own any more; the branch page
    shows the branch's 党建考核 grades, and the former record page is gone."""
    auth.login(world.secondary)
    assert client.get(f"/secretary-allowances/assessments?year={YEAR}").status_code == 404
    page = client.get(f"/secretary-allowances/branches/{world.branch_a1.id}").get_data(as_text=True)
    assert f"{YEAR}年度" in page and "优秀" in page
    assert "等次由组织部在「党建考核」中评定" in page


def test_secretary_terms_are_added_checked_ended_and_deleted(world, auth, client):
    auth.login(world.secondary)
    url = f"/secretary-allowances/branches/{world.branch_a1.id}/terms"
    overlapping = client.post(url, data={"member_id": world.committee.member_id, "start_on": f"{YEAR}-03-01",
                                         "part_time": "1"})
    html = overlapping.get_data(as_text=True)
    assert overlapping.status_code == 200
    assert "与李书记的任职（2019-09-01 至今）重叠：同一支部同一时间只能有一位书记" in html
    assert "请选择本支部的一名党员" in client.post(url, data={"member_id": world.member_b.member_id,
                                                         "start_on": "2030-01-01", "part_time": "1"}).get_data(as_text=True)
    assert "任职结束日期不能早于开始日期" in client.post(url, data={
        "member_id": world.committee.member_id, "start_on": "2030-02-01", "end_on": "2030-01-01",
        "part_time": "1"}).get_data(as_text=True)

    term = db.session.scalars(select(BranchSecretaryTerm).where(BranchSecretaryTerm.branch_id == world.branch_a1.id)).one()
    resp = client.post(f"/secretary-allowances/terms/{term.id}/end", data={"end_on": f"{YEAR}-05-31"},
                       follow_redirects=True)
    assert f"已将李书记的任期结束日期设为{YEAR}年5月31日" in resp.get_data(as_text=True)
    resp = client.post(url, data={"member_id": world.committee.member_id, "start_on": f"{YEAR}-06-01",
                                  "part_time": "0"}, follow_redirects=True)
    assert f"已录入会计学院教工第一党支部书记 赵支委（专职，{YEAR}-06-01 至今）" in resp.get_data(as_text=True)
    # Now 李书记 is paid Jan–May only: the June–Dec secretary is 专职.
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    assert "1–5月（5个月）" in page and "¥1,250.00" in page and "6–12月为专职书记，不计补贴" in page

    new_term = db.session.scalars(select(BranchSecretaryTerm).where(
        BranchSecretaryTerm.member_id == world.committee.member_id)).one()
    client.post(f"/secretary-allowances/terms/{new_term.id}/delete")
    assert db.session.get(BranchSecretaryTerm, new_term.id) is None
    assert [a for a, _ in db.session.execute(select(AuditEvent.action, AuditEvent.id)
                                              .where(AuditEvent.action.like("allowance.term.%"))
                                              .order_by(AuditEvent.id))] == [
        "allowance.term.end", "allowance.term.create", "allowance.term.delete"]


def test_org_dept_sets_branch_dates_and_a_secondary_unit_may_not(world, auth, client):
    url = f"/secretary-allowances/branches/{world.branch_a1.id}/dates"
    auth.login(world.secondary)
    assert client.post(url, data={"founded_on": f"{YEAR}-04-01"}).status_code == 403
    auth.login(world.org_dept_user)
    bad = client.post(url, data={"founded_on": f"{YEAR}-04-01", "dissolved_on": f"{YEAR}-03-01"})
    assert "撤销日期应晚于成立日期" in bad.get_data(as_text=True)
    client.post(url, data={"founded_on": f"{YEAR}-04-01"})
    db.session.expire_all()
    assert db.session.get(Organization, world.branch_a1.id).founded_on == date(YEAR, 4, 1)
    assert [json.loads(d)["founded_on"] for _, d in audits("org.dates.set")] == [f"{YEAR}-04-01"]
    # The months existed follow: Apr–Dec, 9 months, ¥2,250.00.
    auth.login(world.secondary)
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    assert "支部存续 4–12月（9个月）" in page and "¥2,250.00" in page


def test_the_manage_and_start_grids_list_the_pages(world, auth, client):
    auth.login(world.secondary)
    assert "兼职支部书记补贴" in client.get("/new").get_data(as_text=True)
    manage = client.get("/manage").get_data(as_text=True)
    assert "党建考核" in manage and "支部书记任职" in manage
    auth.login(world.member)
    assert "兼职支部书记补贴" not in client.get("/new").get_data(as_text=True)
