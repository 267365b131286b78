"""撤销申请: the initiator gives up a request that was returned (退回修改) or withdrawn (撤回), instead
of leaving it open in 我发起的 for ever. It ends in 已撤销申请 (closed, with the reason in the
timeline and the audit log), gives back what the request still held in its type (months of a dues
waiver, a member's 七一/春节 visit, a unit's batch for the year, a quota slot), makes no document,
tells the people who took part, and copies nobody by rule. Who may and who may not, from which
states: the workflow tables (tests/test_*_workflow.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.inbox import done, mine
from dangjian.models import (AuditEvent, BudgetEntry, CcRule, CcTarget, CcWhen, Document, Request, RequestCopy,
                             RequestState, TimelineEntry)
from dangjian.notifications.models import Message
from dangjian.request_types.award_nomination.model import AwardQuota
from dangjian.request_types.condolence.model import CondolenceCategory, FundingSource
from dangjian.request_types.secretary_allowance.compute import standing_batch
from dangjian.request_types.secretary_allowance.model import AllowanceClaim
from dangjian.timeutil import local_today
from dangjian.workflow import Action, ActionRefused, AlreadyHandled, apply_action
from dangjian.workflow.comments import add_comment
from tests.factories import approve, new_waiver
from tests.factories_allowance import YEAR, allowance_world, new_batch
from tests.factories_award import MEMBER, make_cycle, nominate
from tests.factories_condolence import budget_line, new_condolence, set_budget, setup_settings
from tests.test_csrf import form_token, login

AB = Action.ABANDON
REASON = "家庭情况已好转，不再申请。"
HX = {"HX-Request": "true"}


def returned_waiver(o, **kw):
    req = new_waiver(o.member, **kw)
    approve(req, o.secretary)
    apply_action(req, o.secondary, Action.RETURN, opinion="请补充医院证明。")
    return req


def abandon(req, user, reason=REASON):
    return apply_action(req, user, AB, opinion=reason)


# --- the engine -------------------------------------------------------------------------------------

def test_the_request_ends_with_the_reason_in_the_timeline_and_the_audit_log(app, org):
    req = returned_waiver(org)
    version = req.version
    entry = abandon(req, org.member)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.state is RequestState.ABANDONED and req.state.label == "已撤销申请"
    assert req.closed_at is not None and req.version == version + 1
    assert (req.current_step, req.current_role, req.current_org_id) == (None, None, None)
    assert (entry.actor_id, entry.actor_role, entry.action, entry.opinion) == (org.member.id, "applicant",
                                                                              "abandon", REASON)
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.abandon")).one()
    assert '"from_state": "returned"' in audit.detail and '"to_state": "abandoned"' in audit.detail
    assert req.number in audit.detail
    # Nothing was decided: no 审批表, no 批复.
    assert db.session.scalar(select(func.count(Document.id)).where(Document.request_id == req.id)) == 0


def test_a_missing_reason_is_refused_and_changes_nothing(app, org):
    req = returned_waiver(org)
    before = (req.state, req.version)
    with pytest.raises(ActionRefused) as exc:
        abandon(req, org.member, reason="   ")
    db.session.rollback()
    assert exc.value.message == "撤销申请时必须填写撤销原因" and exc.value.field == "opinion"
    db.session.expire_all()
    assert (req.state, req.version) == before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "request.abandon")) == 0


def test_a_second_click_on_a_stale_page_is_already_handled(app, org):
    req = returned_waiver(org)
    seen = req.version
    abandon(req, org.member)
    with pytest.raises(AlreadyHandled):
        apply_action(req, org.member, AB, opinion=REASON, seen_version=seen)
    db.session.rollback()
    assert db.session.scalar(select(func.count(TimelineEntry.id)).where(
        TimelineEntry.request_id == req.id, TimelineEntry.action == "abandon")) == 1


def test_the_people_who_took_part_are_told_and_nobody_is_copied(app, org):
    """The approvers who handled it, a commenter and the member it was for hear of it (消息); the
    initiator does not; a 办结时 抄送 rule copies nobody: nothing was decided."""
    db.session.add(CcRule(request_type="dues_waiver", target=CcTarget.SUPERVISOR, timing=CcWhen.CLOSED))
    db.session.commit()
    req = new_waiver(org.member, initiator=org.committee)  # 赵支委 files for 王喆
    approve(req, org.secretary)
    add_comment(req, org.school_user, "请二级党组织核实。")
    apply_action(req, org.secondary, Action.RETURN, opinion="请补充医院证明。")
    abandon(req, org.committee)
    messages = db.session.scalars(select(Message).where(Message.kind == "abandoned")).all()
    assert sorted(m.recipient_id for m in messages) == sorted(
        [org.secretary.id, org.secondary.id, org.school_user.id, org.member.id])
    assert {m.text for m in messages} == {f"赵支委撤销了党费减免申请 {req.number}，该申请已结束，无需再处理"}
    assert REASON not in "".join(m.text for m in messages)  # free text never goes into a message
    assert db.session.scalar(select(func.count(RequestCopy.id))) == 0


def test_abandoning_is_not_handling_the_initiators_done_list_stays_clear(app, org):
    req = returned_waiver(org)
    abandon(req, org.member)
    assert req.id not in db.session.scalars(done(org.member)).all()
    assert req.id in [r.id for r in db.session.scalars(done(org.secondary)).all()]
    assert req.id in [r.id for r in db.session.scalars(mine(org.member)).all()]


# --- what each type gives back ---------------------------------------------------------------------

def test_dues_waiver_a_returned_waiver_holds_its_months_until_it_is_abandoned(app, org):
    req = returned_waiver(org)
    with pytest.raises(ActionRefused) as exc:
        new_waiver(org.member, start_month=req.start_month, end_month=req.end_month)
    db.session.rollback()
    assert "期间不能重叠" in exc.value.message and req.number in exc.value.message
    abandon(req, org.member)
    again = new_waiver(org.member, start_month=req.start_month, end_month=req.end_month)
    assert again.state is RequestState.PENDING


def test_condolence_the_members_july_first_visit_can_be_filed_again(app, org):
    setup_settings(org)
    first = new_condolence(org.member, org.secretary, category=CondolenceCategory.JULY_FIRST)
    apply_action(first, org.secondary, Action.RETURN, opinion="请核实走访时间。")
    with pytest.raises(ActionRefused) as exc:
        new_condolence(org.member, org.secondary, category=CondolenceCategory.JULY_FIRST)
    db.session.rollback()
    assert "已有七一走访慰问" in exc.value.message
    abandon(first, org.secretary)
    second = new_condolence(org.member, org.secondary, category=CondolenceCategory.JULY_FIRST)
    assert second.state is RequestState.PENDING


def test_condolence_school_funds_stay_untouched(app, org):
    """School money is reserved only at the final approval: a returned request holds none, and
    giving it up writes nothing on the budget line."""
    setup_settings(org)
    set_budget("10000.00")
    req = new_condolence(org.member, org.secretary, funding=FundingSource.SCHOOL)
    approve(req, org.secondary)
    apply_action(req, org.org_dept_user, Action.RETURN, opinion="请补充材料。")
    abandon(req, org.secretary)
    line = budget_line()
    assert (line.reserved, line.spent) == (0, 0)
    assert db.session.scalar(select(func.count(BudgetEntry.id))) == 0


def test_allowance_an_abandoned_batch_no_longer_stands_so_the_unit_starts_a_new_one(app, org):
    o = allowance_world(org)
    batch = new_batch(o.sec_a, o.secondary)
    apply_action(batch, o.org_dept_user, Action.RETURN, opinion="请核对任职月份。")
    assert standing_batch(o.sec_a.id, YEAR).id == batch.id  # edit and resubmit, or give it up
    abandon(batch, o.secondary)
    assert standing_batch(o.sec_a.id, YEAR) is None
    assert db.session.scalar(select(func.count(AllowanceClaim.id)).where(AllowanceClaim.batch_id == batch.id)) == 0
    fresh = new_batch(o.sec_a, o.secondary)  # claims the same branches for the year
    assert fresh.state is RequestState.PENDING
    assert db.session.scalar(select(func.count(AllowanceClaim.id)).where(
        AllowanceClaim.batch_id == fresh.id)) == len(fresh.branch_ids) > 0


def test_award_a_direct_branchs_slot_is_free_and_the_nominee_still_counts_once(app, org):
    """A 直属党支部's submission takes its quota slot; returned and given up, the slot is free for
    another nominee. Like a rejected nomination, it stays the nominee's one nomination in the
    category (the unique key): the branch edits and resubmits a nomination it still wants."""
    cycle = make_cycle(org, direct_quota=1)
    req = nominate(cycle, org.direct_secretary, MEMBER, member_user=org.direct_member)
    quota = db.session.scalar(select(AwardQuota).where(AwardQuota.cycle_id == cycle.id,
                                                       AwardQuota.organization_id == org.direct.id,
                                                       AwardQuota.category == MEMBER))
    assert quota.used == 1
    apply_action(req, org.org_dept_user, Action.RETURN, opinion="事迹材料不全。")
    abandon(req, org.direct_secretary)
    db.session.refresh(quota)
    assert quota.used == 0 and req.quota_counted is False and req.rank is None


# --- through the web, CSRF on ------------------------------------------------------------------------

def _act(client, req, page, **data):
    return client.post(f"/requests/{req.id}/act", headers=HX, data={
        "csrf_token": form_token(page), "action": "abandon", "version": str(req.version), "context": "page",
        **data}).get_data(as_text=True)


def test_the_initiator_abandons_from_the_request_page(app, org, client):
    req = returned_waiver(org)
    login(client, org.member)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "不再申请？撤销申请" in page and "dj-btn-abandon" in page
    assert 'hx-confirm="确定撤销该申请吗？撤销后申请即告结束，不能恢复，也不能再修改提交。"' in page
    # Without the token: refused, nothing changed.
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "abandon", "version": str(req.version), "opinion": REASON})
    assert resp.status_code == 400
    # Without a reason: the panel says so by the field, nothing changed.
    html = _act(client, req, page, opinion="")
    assert "撤销申请时必须填写撤销原因" in html and "<details class=\"dj-abandon\" open>" in html
    db.session.expire_all()
    assert db.session.get(Request, req.id).state is RequestState.RETURNED
    # With one: the request is closed; the page says so and offers nothing more.
    html = _act(client, req, page, opinion=REASON)
    assert f"已撤销申请：{req.number}" in html
    assert "dj-state-abandoned" in html and "申请已由发起人撤销，不生成审批文档。" in html
    assert "dj-btn-abandon" not in html and "修改并重新提交" not in html
    assert REASON in html  # the reason, in the timeline
    db.session.expire_all()
    assert db.session.get(Request, req.id).state is RequestState.ABANDONED
    # 我发起的 shows the state.
    listing = client.get("/inbox/mine").get_data(as_text=True)
    assert req.number in listing and "dj-state-abandoned" in listing and "已撤销申请" in listing


def test_nobody_else_gets_the_form_or_gets_through(app, org, client):
    req = returned_waiver(org)
    login(client, org.secondary)  # the approver who returned it
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "dj-btn-abandon" not in page
    html = _act(client, req, page, opinion=REASON)
    assert "只有发起人可以撤销申请" in html
    client.post("/logout", data={"csrf_token": form_token(page)})
    token = login(client, org.secretary_b)  # another unit's secretary: the request is not theirs to see
    resp = client.post(f"/requests/{req.id}/act", headers={**HX, "X-CSRFToken": token},
                       data={"action": "abandon", "version": str(req.version), "opinion": REASON})
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(Request, req.id).state is RequestState.RETURNED


def test_a_nomination_returned_after_the_deadline_says_why_and_offers_only_abandoning(app, org, client):
    """It can no longer be resubmitted (the cycle closed): without 撤销申请 it would stay open for ever."""
    cycle = make_cycle(org)
    req = nominate(cycle, org.secretary, MEMBER, member_user=org.member)
    apply_action(req, org.secondary, Action.RETURN, opinion="事迹材料不全。")
    cycle.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    login(client, org.secretary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "截止，不能再推荐或报送。本申请已不能重新提交，可撤销申请以结束办理。" in page
    assert "修改并重新提交" not in page and "dj-btn-abandon" in page
    html = _act(client, req, page, opinion="已过推荐截止时间，撤销。")
    assert f"已撤销申请：{req.number}" in html
    db.session.expire_all()
    assert db.session.get(Request, req.id).state is RequestState.ABANDONED
