"""委托代理 (issue 8 §5): a role holder names a deputy for a date range; the deputy sees those items
in 待办 and acts 「代为处理」, recorded as such in the timeline, the audit log and the PDF. Recusal
applies to the deputy and to the holder they act for, so a delegation never produces self-approval.

The org fixture: 会计学院教工第一党支部 has two holders of the branch role (李书记, 赵支委) and the
members 王喆 and 张堃 (account member2); 陈组织员 holds the secondary role above it.
"""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dangjian import inbox
from dangjian.extensions import db
from dangjian.models import AuditEvent, Delegation, Request, RequestState, Role, RoleAssignment
from dangjian.models.base import utcnow
from dangjian.timeutil import local_today
from dangjian.workflow import Action, ActionRefused, apply_action, available_actions, delegation
from dangjian.workflow.history import actor_name, opinion_boxes
from tests.delegation_support import delegate, role_of
from tests.factories import MEETING, approve, make_member, make_user, new_waiver
from tests.org_support import field_errors, token

STEP_ACTIONS = {Action.APPROVE, Action.REJECT, Action.RETURN}


def todo_ids(user) -> set[int]:
    return set(db.session.scalars(select(Request.id).where(inbox.todo_condition(user))))


def acting_ids(user) -> set[int]:
    """The requests where available_actions offers this user a decision on the step."""
    reqs = db.session.scalars(select(Request)).all()
    return {r.id for r in reqs if STEP_ACTIONS & set(available_actions(r, user))}


# --- The deputy acts 「代为处理」 -------------------------------------------------------------------

def test_the_deputy_sees_the_item_in_todo_and_acts_on_behalf(app, org):
    req = new_waiver(org.member)
    delegate(org.secretary, org.member2)
    assert req.id in todo_ids(org.member2)
    assert STEP_ACTIONS <= set(available_actions(req, org.member2))

    entry = apply_action(req, org.member2, Action.APPROVE, opinion="情况属实，同意。", meeting=MEETING)

    assert (req.state, req.current_step) == (RequestState.PENDING, "secondary")
    assert entry.actor_id == org.member2.id and entry.on_behalf_of_id == org.secretary.id
    assert entry.actor_role == Role.BRANCH_SECRETARY.value and entry.actor_org_id == org.branch_a1.id
    assert actor_name(entry) == "张堃（代李书记处理）"
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.approve")).one()
    assert audit.user_id == org.member2.id
    assert json.loads(audit.detail)["on_behalf_of"] == "李书记"
    branch_box = opinion_boxes(req)[0]
    assert branch_box["signer"] == "张堃（代李书记处理）" and branch_box["action_label"] == "同意"


def test_the_holder_still_acts_in_person_and_is_recorded_without_a_deputy(app, org):
    req = new_waiver(org.member)
    delegate(org.secretary, org.member2)
    entry = approve(req, org.secretary)
    assert entry.on_behalf_of_id is None and actor_name(entry) == "李书记"


@pytest.mark.parametrize("when", ["not_started", "expired", "ended_early"])
def test_a_delegation_outside_its_dates_gives_nothing(app, org, when):
    req = new_waiver(org.member)
    kw = {"not_started": dict(starts=1, ends=5), "expired": dict(starts=-10, ends=-1),
          "ended_early": dict(starts=-1, ends=5, ended=True)}[when]
    row = delegate(org.secretary, org.member2, **kw)
    assert row.status == {"not_started": "upcoming", "expired": "expired", "ended_early": "ended"}[when]
    assert req.id not in todo_ids(org.member2)
    assert available_actions(req, org.member2) == []
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.member2, Action.APPROVE, opinion="同意", meeting=MEETING)
    assert "不是当前审批环节的处理人" in exc.value.message


def test_the_first_and_last_day_are_included(app, org):
    req = new_waiver(org.member)
    delegate(org.secretary, org.member2, starts=-3, ends=0)
    assert req.id in todo_ids(org.member2)
    delegation_row = db.session.scalars(select(Delegation)).one()
    delegation_row.starts_on, delegation_row.ends_on = local_today(), local_today() + timedelta(days=2)
    db.session.commit()
    assert req.id in todo_ids(org.member2)


def test_a_delegation_lapses_when_the_holder_loses_the_role_or_the_account(app, org):
    req = new_waiver(org.member)
    delegate(org.secretary, org.member2)
    role_of(org.secretary, Role.BRANCH_SECRETARY).revoked_at = utcnow()
    db.session.commit()
    assert req.id not in todo_ids(org.member2) and available_actions(req, org.member2) == []

    req2 = new_waiver(org.member, start_month=date(2027, 1, 1), end_month=date(2027, 6, 1))  # no overlap
    delegate(org.committee, org.member2)
    org.committee.active = False
    db.session.commit()
    assert req2.id not in todo_ids(org.member2) and available_actions(req2, org.member2) == []


def test_a_delegation_covers_only_the_delegated_role(app, org):
    """陈组织员 delegates the secondary role: the deputy acts at the secondary step, not at the branch."""
    deputy = make_user("deputy_sec", make_member(org.branch_a2, "冯代理"))
    db.session.commit()
    at_branch = new_waiver(org.member)
    at_secondary = new_waiver(org.member2)
    approve(at_secondary, org.secretary)
    delegate(org.secondary, deputy, role=Role.SECONDARY)
    assert todo_ids(deputy) == {at_secondary.id}
    assert available_actions(at_branch, deputy) == []
    entry = approve(at_secondary, deputy)
    assert entry.on_behalf_of_id == org.secondary.id and at_secondary.current_step == "school"


# --- Recusal binds the deputy and the holder ---------------------------------------------------

def test_the_deputy_may_not_approve_what_they_filed(app, org):
    """张堃 files for themself; the secretary's deputy is 张堃: refused as the initiator."""
    req = new_waiver(org.member2)
    delegate(org.secretary, org.member2)
    assert req.id not in todo_ids(org.member2)
    assert available_actions(req, org.member2) == [Action.WITHDRAW]
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.member2, Action.APPROVE, opinion="同意", meeting=MEETING)
    assert "您是本申请的发起人" in exc.value.message


def test_the_deputy_may_not_approve_what_benefits_them(app, org):
    """赵支委 files on behalf of 张堃 (the beneficiary), who is the secretary's deputy."""
    req = new_waiver(org.member2, initiator=org.committee)
    delegate(org.secretary, org.member2)
    assert req.id not in todo_ids(org.member2)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.member2, Action.APPROVE, opinion="同意", meeting=MEETING)
    assert "您是本申请的受益人" in exc.value.message
    # The secretary, who is not recused, still acts in person.
    assert approve(req, org.secretary).on_behalf_of_id is None


def test_a_holder_who_must_recuse_cannot_have_a_deputy_approve_in_their_name(app, org):
    """赵支委 files for 王喆 and delegates the branch role to 张堃: 张堃 may not approve for 赵支委."""
    req = new_waiver(org.member, initiator=org.committee)
    delegate(org.committee, org.member2)
    assert req.id not in todo_ids(org.member2)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.member2, Action.APPROVE, opinion="同意", meeting=MEETING)
    assert "赵支委须回避本申请" in exc.value.message


def test_a_holder_cannot_delegate_to_the_initiator_to_get_around_recusal(app, org):
    """王喆 filed; the secretary names 王喆 as deputy: 王喆 still may not approve their own request."""
    req = new_waiver(org.member)
    delegation.create(org.secretary, assignment=str(role_of(org.secretary, Role.BRANCH_SECRETARY).id),
                      deputy_id=org.member.id, starts_on=local_today(), ends_on=local_today(), reason="休假")
    assert req.id not in todo_ids(org.member)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.member, Action.APPROVE, opinion="同意", meeting=MEETING)
    assert "您是本申请的发起人" in exc.value.message


# --- 待办 is exactly where available_actions offers a decision ---------------------------------------

def test_todo_equals_available_actions_for_deputies(app, org):
    deputy = make_user("deputy_all", make_member(org.branch_a1, "郑代理"))
    db.session.commit()
    requests = [new_waiver(org.member), new_waiver(org.member2),
                new_waiver(org.member, initiator=org.committee, start_month=date(2027, 1, 1), end_month=date(2027, 6, 1)),
                new_waiver(deputy)]
    approve(requests[1], org.secretary)  # at the secondary step
    delegate(org.secretary, deputy)
    delegate(org.committee, org.member2)
    delegate(org.secondary, org.member, role=Role.SECONDARY)
    delegate(org.school_user, org.member2, role=Role.SCHOOL, starts=-5, ends=-1)  # expired
    users = [deputy, org.member, org.member2, org.secretary, org.committee, org.secondary, org.school_user,
             org.org_dept_user]
    for user in users:
        assert todo_ids(user) == acting_ids(user), user.username
    assert todo_ids(deputy) == {requests[0].id, requests[2].id}  # not their own (requests[3])


# --- The audit and the PDF ----------------------------------------------------------------------

def test_the_pdf_says_who_acted_for_whom(app, org, redis_conn):
    from tests.test_document_jobs import assert_done_and_intact, document_of, pdf_text, run_worker

    req = new_waiver(org.member)
    delegate(org.secretary, org.member2)
    approve(req, org.member2, opinion="经支委会讨论，同意减交。")
    approve(req, org.secondary)
    approve(req, org.school_user)
    run_worker()
    text = pdf_text(assert_done_and_intact(document_of(req.id)))
    assert "张堃（代李书记处理）" in text


# --- The 委托代理 page ----------------------------------------------------------------------------

def test_the_page_names_a_deputy_and_ends_the_delegation_early(app, org, client, csrf_app):
    from tests.test_csrf import login

    login(client, org.secretary)
    page = client.get("/me/delegations").get_data(as_text=True)
    assert "委托代理" in page and "张堃" in page and "王喆" in page
    assert "孙书记" not in page  # a member of another unit is not offered
    ra = role_of(org.secretary, Role.BRANCH_SECRETARY)
    today = local_today()
    data = {"assignment": str(ra.id), "deputy": str(org.member2.id), "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=3)).isoformat(), "reason": "赴外地出差"}
    assert client.post("/me/delegations", data=data).status_code == 400  # no CSRF token
    assert db.session.scalars(select(Delegation)).all() == []
    resp = client.post("/me/delegations", data={"csrf_token": token(page), **data})
    assert resp.status_code == 302
    page = client.get("/me/delegations").get_data(as_text=True)
    assert "已委托张堃" in page and "生效中" in page and "赴外地出差" in page
    end = today + timedelta(days=3)
    # The message is prose (2026年8月16日), the table a list (2026-08-16): dangjian/dates.py.
    assert f"已委托张堃在{today.year}年{today.month}月{today.day}日至{end.year}年{end.month}月{end.day}日代为处理" in page
    assert f"{today.isoformat()} 至 {end.isoformat()}" in page
    row = db.session.scalars(select(Delegation)).one()
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.created")).one()

    resp = client.post(f"/me/delegations/{row.id}/end", data={"csrf_token": token(page)})
    assert resp.status_code == 302
    page = client.get("/me/delegations").get_data(as_text=True)
    assert "已提前结束" in page
    db.session.expire_all()
    assert db.session.get(Delegation, row.id).ended_at is not None
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.ended")).one()


def test_the_page_refuses_bad_input_in_chinese_and_writes_nothing(app, org, auth, client):
    auth.login(org.secretary)
    ra = role_of(org.secretary, Role.BRANCH_SECRETARY)
    today = local_today()
    cases = [
        ({"deputy": str(org.secretary.id)}, "deputy", "不能委托给本人"),
        ({"deputy": str(org.secretary_b.id)}, "deputy", "不在所委托角色的组织范围内"),
        ({"deputy": str(org.sysadmin.id)}, "deputy", "不在所委托角色的组织范围内"),
        ({"deputy": ""}, "deputy", "请选择代理人"),
        ({"starts_on": (today - timedelta(days=1)).isoformat()}, "starts_on", "开始日期不能早于今天"),
        ({"ends_on": (today - timedelta(days=1)).isoformat()}, "ends_on", "结束日期不能早于开始日期"),
        ({"ends_on": (today + timedelta(days=200)).isoformat()}, "ends_on", "委托期限不能超过180天"),
        ({"reason": " "}, "reason", "请填写委托事由"),
        ({"assignment": "999999"}, "assignment", "请选择要委托的角色"),
    ]
    for change, name, message in cases:
        data = {"assignment": str(ra.id), "deputy": str(org.member2.id), "starts_on": today.isoformat(),
                "ends_on": (today + timedelta(days=3)).isoformat(), "reason": "出差", **change}
        resp = client.post("/me/delegations", data=data)
        assert resp.status_code == 200, change
        assert message in " ".join(field_errors(resp.get_data(as_text=True), name)), change
    assert db.session.scalars(select(Delegation)).all() == []


def test_periods_of_one_role_may_not_overlap(app, org):
    ra = str(role_of(org.secretary, Role.BRANCH_SECRETARY).id)
    today = local_today()
    delegation.create(org.secretary, assignment=ra, deputy_id=org.member2.id, starts_on=today + timedelta(days=2),
                      ends_on=today + timedelta(days=5), reason="出差")
    with pytest.raises(delegation.DelegationInvalid) as exc:
        delegation.create(org.secretary, assignment=ra, deputy_id=org.committee.id, starts_on=today,
                          ends_on=today + timedelta(days=2), reason="休假")
    assert "已委托给张堃" in exc.value.errors["starts_on"]
    db.session.rollback()
    # Back to back is fine.
    delegation.create(org.secretary, assignment=ra, deputy_id=org.committee.id, starts_on=today,
                      ends_on=today + timedelta(days=1), reason="休假")


def test_all_roles_makes_one_delegation_per_role(app, org):
    org.secretary.role_assignments.append(RoleAssignment(role=Role.SECONDARY, organization=org.sec_a))
    db.session.commit()
    rows = delegation.create(org.secretary, assignment=delegation.ALL, deputy_id=org.committee.id,
                             starts_on=local_today(), ends_on=local_today(), reason="出差")
    assert sorted(r.role_assignment.role.value for r in rows) == ["branch_secretary", "secondary"]


def test_only_the_holder_ends_their_delegation(app, org, auth, client):
    row = delegate(org.secretary, org.member2)
    auth.login(org.committee)
    assert client.post(f"/me/delegations/{row.id}/end").status_code == 404
    db.session.expire_all()
    assert db.session.get(Delegation, row.id).ended_at is None


def test_the_deputy_sees_whom_they_act_for_and_the_todo_card_says_so(app, org, auth, client):
    req = new_waiver(org.member)
    delegate(org.secretary, org.member2)
    auth.login(org.member2)
    page = client.get("/me/delegations").get_data(as_text=True)
    assert "我是代理人" in page and "李书记" in page
    todo = client.get("/inbox/todo").get_data(as_text=True)
    assert req.number in todo and "代李书记处理" in todo
    view = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "代为处理" in view and "张堃（代李书记处理）" in view
    # Once it ends, the deputy no longer sees the request.
    db.session.scalars(select(Delegation)).one().ended_at = utcnow()
    db.session.commit()
    assert client.get(f"/requests/{req.id}").status_code == 404
