"""批量同意 (issue 8 §1): several requests at one step approved with one opinion from 待办.

Each request goes through apply_action on its own, with the version its card showed: the result
lists what succeeded and what failed and why (已被处理, 回避, 预算不足, not in 待办); requests at
different steps, or at a step that needs work on each request, are refused before anything is done;
at a branch step one meeting record serves them all and its vote binds.
"""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Request, RequestState, Role, RoleAssignment, TimelineEntry
from dangjian.request_types.condolence.model import FundingSource
from dangjian.workflow import MeetingRecord
from dangjian.workflow.batch import BatchRefused, Selected, approve_all, parse_items
from tests.factories import MEETING, MEETING_AGAINST, approve, make_member, make_user, new_waiver
from tests.factories_condolence import new_condolence, set_budget, setup_settings
from tests.test_csrf import form_token, login

HX = {"HX-Request": "true"}
SCHOOL = FundingSource.SCHOOL


def picked(*reqs):
    """The cards as the inbox shows them: each request with the version on its card."""
    return [Selected(r.id, r.version) for r in reqs]


def state(req_id):
    db.session.expire_all()
    req = db.session.get(Request, req_id)
    return req.state, req.current_step, req.version


def audit_rows(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_one_meeting_and_one_opinion_serve_every_request_each_approved_on_its_own(app, org):
    reqs = [new_waiver(org.member), new_waiver(org.member2),
            new_waiver(org.member, start_month=date(2026, 7, 1), end_month=date(2026, 9, 1))]
    meeting = MeetingRecord("branch_committee", date(2026, 1, 8), 4, 1, 0)
    result = approve_all(org.secretary, picked(*reqs), opinion="经支委会研究，同意减免。", meeting=meeting)

    assert [o.ok for o in result.outcomes] == [True, True, True]
    assert result.group.label == "党费减免申请 · 党支部讨论（会计学院教工第一党支部）"
    for req, outcome in zip(reqs, result.outcomes):
        assert state(req.id) == (RequestState.PENDING, "secondary", 2)
        assert outcome.number == req.number
        assert outcome.message == "已同意，现为「审批中」，当前环节：二级党组织意见（会计学院党委）"
        entry = db.session.scalars(select(TimelineEntry).where(
            TimelineEntry.request_id == req.id, TimelineEntry.action == "approve")).one()
        assert (entry.actor_id, entry.opinion, entry.step) == (org.secretary.id, "经支委会研究，同意减免。", "branch")
        assert (entry.meeting_type, entry.meeting_date, entry.votes_for, entry.votes_against,
                entry.votes_abstain) == ("branch_committee", date(2026, 1, 8), 4, 1, 0)
    # Each approval has its own audit row; one more sums the batch up.
    assert len(audit_rows("request.approve")) == 3
    (summary,) = audit_rows("request.batch_approve")
    assert summary.user_id == org.secretary.id
    assert all(r.number in summary.detail for r in reqs) and "支委会" in summary.detail


def test_the_shared_vote_binds_a_motion_that_did_not_carry_approves_nothing(app, org):
    reqs = [new_waiver(org.member), new_waiver(org.member2)]
    with pytest.raises(BatchRefused) as exc:
        approve_all(org.secretary, picked(*reqs), meeting=MEETING_AGAINST)
    assert exc.value.field == "votes"
    assert "会议表决同意1票、反对4票、弃权0票，同意票未过半数，不能作出同意的决定" in exc.value.message
    db.session.rollback()
    assert [state(r.id) for r in reqs] == [(RequestState.PENDING, "branch", 1)] * 2
    assert audit_rows("request.batch_approve") == []


def test_at_a_branch_step_the_meeting_record_is_required(app, org):
    req = new_waiver(org.member)
    with pytest.raises(BatchRefused) as exc:
        approve_all(org.secretary, picked(req))
    assert exc.value.message == "请填写党支部讨论的会议记录（会议类型、日期和表决情况）"
    assert state(req.id) == (RequestState.PENDING, "branch", 1)


def test_mixed_results_say_which_failed_and_why_and_touch_nothing_outside_the_todo(app, org):
    ok = new_waiver(org.member)
    stale = new_waiver(org.member2)
    card = picked(stale)[0]  # the card was shown …
    approve(stale, org.committee)  # … and the other committee member approved first
    own = new_waiver(org.member, initiator=org.secretary, start_month=date(2026, 7, 1), end_month=date(2026, 9, 1))
    outside = new_waiver(org.member_b)  # another unit's branch: the secretary may not even see it
    items = [*picked(ok), card, *picked(own, outside)]

    result = approve_all(org.secretary, items, opinion="同意", meeting=MEETING)

    by_id = {o.request_id: o for o in result.outcomes}
    assert [o.request_id for o in result.succeeded] == [ok.id]
    assert by_id[stale.id].message == "已被处理，现为「审批中」，当前环节：二级党组织意见（会计学院党委）"
    assert by_id[own.id].message.startswith("您是本申请的发起人，按回避规定不能审批本申请")
    assert (by_id[outside.id].message, by_id[outside.id].number, by_id[outside.id].title) == (
        "不在您的待办中，未处理", None, None)
    assert state(stale.id) == (RequestState.PENDING, "secondary", 2)  # only the committee's approval
    assert state(own.id) == (RequestState.PENDING, "branch", 1)
    assert state(outside.id) == (RequestState.PENDING, "branch", 1)
    (summary,) = audit_rows("request.batch_approve")
    assert ok.number in summary.detail and "回避" in summary.detail and "不在您的待办中" in summary.detail


def test_a_request_moved_between_the_check_and_its_turn_is_already_handled(app, org, monkeypatch):
    """The version the card showed decides: an approval that lands after the batch's check loses."""
    from dangjian.workflow import batch

    first, second = new_waiver(org.member), new_waiver(org.member2)
    real_plan = batch.plan

    def plan_then_someone_acts(user, items):
        p = real_plan(user, items)
        approve(db.session.get(Request, second.id), org.committee)
        return p

    monkeypatch.setattr(batch, "plan", plan_then_someone_acts)
    result = approve_all(org.secretary, picked(first, second), meeting=MEETING)
    assert [o.ok for o in result.outcomes] == [True, False]
    assert result.outcomes[1].message.startswith("已被处理，现为「审批中」，当前环节：二级党组织意见")
    assert db.session.scalar(select(func.count(TimelineEntry.id)).where(
        TimelineEntry.request_id == second.id, TimelineEntry.action == "approve")) == 1


def test_budget_refusals_are_listed_and_the_others_go_through(app, org):
    """校党委's final approvals reserve school money: the second no longer fits the year's line."""
    setup_settings(org)
    set_budget("1500.00")
    reqs = [new_condolence(user, org.secretary, amount="1000.00", funding=SCHOOL) for user in (org.member, org.member2)]
    for req in reqs:
        approve(req, org.secondary)
        approve(req, org.org_dept_user)
    assert {r.current_step for r in reqs} == {"school"}

    result = approve_all(org.school_user, picked(*reqs), opinion="同意")
    assert [o.ok for o in result.outcomes] == [True, False]
    assert "校级预算余额不足" in result.outcomes[1].message
    assert state(reqs[0].id)[0] is RequestState.APPROVED
    assert state(reqs[1].id) == (RequestState.PENDING, "school", reqs[1].version)


def make_role(branch):
    return RoleAssignment(role=Role.BRANCH_SECRETARY, organization=branch)


def test_requests_at_different_steps_are_refused_up_front(app, org):
    org.secretary.role_assignments.append(make_role(org.branch_a2))
    db.session.commit()
    a1 = new_waiver(org.member)
    a2_member = make_user("a2member", make_member(org.branch_a2, "郑彧"))
    db.session.commit()
    a2 = new_waiver(a2_member)
    with pytest.raises(BatchRefused) as exc:
        approve_all(org.secretary, picked(a1, a2), meeting=MEETING)
    assert exc.value.message == (
        "批量同意只能用于同一类申请的同一审批环节，所选申请分别处于「党费减免申请 · 党支部讨论（会计学院教工第一党支部）」、"
        "「党费减免申请 · 党支部讨论（会计学院本科生党支部）」。请按类别和环节分别选择。")
    assert state(a1.id)[2] == 1 and state(a2.id)[2] == 1


def test_two_types_at_the_school_step_are_two_batches(app, org):
    setup_settings(org)
    set_budget("5000.00")
    waiver = new_waiver(org.member)
    approve(waiver, org.secretary)
    approve(waiver, org.secondary)
    payment = new_condolence(org.member2, org.secretary, amount="1000.00", funding=SCHOOL)
    approve(payment, org.secondary)
    approve(payment, org.org_dept_user)
    with pytest.raises(BatchRefused) as exc:
        approve_all(org.school_user, picked(waiver, payment))
    assert "「党费减免申请 · 校党委审批（中共测试大学委员会）」、「慰问金申请 · 校党委审批（中共测试大学委员会）」" in exc.value.message


def test_a_step_that_needs_work_on_each_request_is_not_offered(app, org):
    """组织部核定 checks and adjusts each allowance batch line by line: never in bulk."""
    from tests.factories_allowance import allowance_world, new_batch

    allowance_world(org)
    batch_a = new_batch(org.sec_a, org.secondary)
    with pytest.raises(BatchRefused) as exc:
        approve_all(org.org_dept2, picked(batch_a))
    assert exc.value.message == "「组织部核定」须逐个批次核对、调整补贴金额，不能批量同意，请逐个打开办理"
    assert state(batch_a.id)[2] == 1


@pytest.mark.parametrize("values,message", [
    ([], "请先勾选要批量同意的申请"),
    (["12"], "所选申请的数据有误，请刷新页面后重新选择"),
    (["x:1"], "所选申请的数据有误，请刷新页面后重新选择"),
    ([f"{i}:1" for i in range(1, 102)], "一次最多批量同意100项申请，当前选择了101项"),
])
def test_what_the_form_sends_is_checked(values, message):
    with pytest.raises(BatchRefused) as exc:
        parse_items(values)
    assert exc.value.message == message


def test_a_repeated_card_is_approved_once():
    assert parse_items(["5:1", "5:1", "7:2"]) == [Selected(5, 1), Selected(7, 2)]


# --- through the pages -------------------------------------------------------------------------

def test_the_todo_cards_offer_a_checkbox_where_batch_makes_sense(app, org, client):
    from tests.factories_allowance import allowance_world, new_batch

    allowance_world(org)
    new_batch(org.sec_a, org.secondary)  # at 组织部核定: no checkbox
    setup_settings(org)
    set_budget("5000.00")
    payment = new_condolence(org.member, org.secretary, amount="1000.00", funding=SCHOOL)
    approve(payment, org.secondary)  # at 组织部审核: a checkbox
    login(client, org.org_dept2)
    html = client.get("/inbox/todo").get_data(as_text=True)
    assert re.findall(r'name="item" value="(\d+):(\d+)"', html) == [(str(payment.id), str(payment.version))]
    assert "全选本页" in html and "已选 <strong data-dj-batch-count>0</strong> 项" in html


def test_the_form_lists_the_requests_and_asks_with_the_count(app, org, client):
    reqs = [new_waiver(org.member), new_waiver(org.member2)]
    login(client, org.secretary)
    query = "&".join(f"item={r.id}:{r.version}" for r in reqs)
    html = client.get(f"/inbox/batch?{query}", headers=HX).get_data(as_text=True)
    assert "批量同意 · 党费减免申请 · 党支部讨论（会计学院教工第一党支部）" in html
    assert all(r.number in html for r in reqs)
    assert 'hx-confirm="确定批量同意这 2 项申请吗？' in html
    assert 'name="batch-meeting_type"' in html and "支委会" in html
    assert "<html" not in html  # the partial, for #batch-panel


def test_different_steps_are_refused_when_the_form_is_asked_for(app, org, client):
    waiver = new_waiver(org.member)
    approve(waiver, org.secretary)
    other = new_waiver(org.member2)
    org.secondary.role_assignments.append(make_role(org.branch_a1))  # secretary of a1 as well
    db.session.commit()
    login(client, org.secondary)
    html = client.get(f"/inbox/batch?item={waiver.id}:{waiver.version}&item={other.id}:{other.version}",
                      headers=HX).get_data(as_text=True)
    assert "批量同意只能用于同一类申请的同一审批环节" in html and "hx-post" not in html


def test_posting_the_batch_with_csrf_approves_and_replaces_the_cards(app, org, client):
    reqs = [new_waiver(org.member), new_waiver(org.member2)]
    login(client, org.secretary)
    page = client.get(f"/inbox/batch?item={reqs[0].id}:1&item={reqs[1].id}:1", headers=HX).get_data(as_text=True)
    data = {"csrf_token": form_token(page), "item": [f"{reqs[0].id}:1", f"{reqs[1].id}:1"],
            "batch-opinion": "同意减免。", "batch-meeting_type": "branch_committee",
            "batch-meeting_date": "2026-01-05", "batch-votes_for": "5", "batch-votes_against": "0",
            "batch-votes_abstain": "0"}
    resp = client.post("/inbox/batch", data=data, headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "批量同意结果" in html and "已同意 <strong class=\"text-success\">2</strong> 项" in html
    for r in reqs:  # each card turns into a 已同意 card, out of band
        assert f'id="inbox-item-{r.id}" role="status" hx-swap-oob="true"' in html
        assert state(r.id) == (RequestState.PENDING, "secondary", 2)
    assert 'id="todo-badge"' in html


def test_a_vote_that_did_not_carry_is_shown_by_the_votes_and_nothing_is_done(app, org, client):
    req = new_waiver(org.member)
    login(client, org.secretary)
    page = client.get(f"/inbox/batch?item={req.id}:1", headers=HX).get_data(as_text=True)
    data = {"csrf_token": form_token(page), "item": [f"{req.id}:1"], "batch-meeting_type": "branch_committee",
            "batch-meeting_date": "2026-01-05", "batch-votes_for": "2", "batch-votes_against": "3",
            "batch-votes_abstain": "0"}
    html = client.post("/inbox/batch", data=data, headers=HX).get_data(as_text=True)
    assert "同意票未过半数，不能作出同意的决定" in html and "dj-votes-error" in html
    assert state(req.id) == (RequestState.PENDING, "branch", 1)


def test_without_the_csrf_token_the_batch_is_refused(app, org, client):
    req = new_waiver(org.member)
    login(client, org.secretary)
    data = {"item": [f"{req.id}:1"], "batch-meeting_type": "branch_committee", "batch-meeting_date": "2026-01-05",
            "batch-votes_for": "5", "batch-votes_against": "0", "batch-votes_abstain": "0"}
    assert client.post("/inbox/batch", data=data, headers=HX).status_code == 400
    assert state(req.id) == (RequestState.PENDING, "branch", 1)
    assert audit_rows("request.batch_approve") == []


def test_without_htmx_the_results_are_a_page(app, org, client):
    setup_settings(org)
    set_budget("5000.00")
    payment = new_condolence(org.member, org.secretary, amount="1000.00", funding=SCHOOL)
    approve(payment, org.secondary)
    login(client, org.org_dept_user)
    page = client.get(f"/inbox/batch?item={payment.id}:{payment.version}").get_data(as_text=True)
    assert "<html" in page and "同意这 1 项" in page
    resp = client.post("/inbox/batch", data={"csrf_token": form_token(page), "item": f"{payment.id}:{payment.version}",
                                             "batch-opinion": "经费核查无误，同意。"})
    html = resp.get_data(as_text=True)
    assert "<html" in html and "批量同意结果" in html and payment.number in html
    assert state(payment.id)[1] == "school"
