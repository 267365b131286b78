"""No request stuck (issue 8 §7): when nobody can act on a step — the role is vacant, every holder
is recused, or every holder's account is disabled — the step goes to the holder of the same kind
at the organization above (a branch step to its 二级党组织), else to 组织部. The reason is a system
entry in the timeline; the request page says 「本环节暂无可处理人」 until it moves; `flask ticker`
moves requests already waiting; 组织部 may 转办 a step to a named holder.

The org fixture: 会计学院本科生党支部 (branch_a2) has one secretary, 钱书记; 会计学院教工第一党支部
(branch_a1) has two (李书记, 赵支委); 陈组织员 holds 会计学院党委; 刘组织部 is 组织部; the
图书馆直属党支部 (direct) has one secretary, 周书记, and no secondary level.
"""
import json

import pytest
from sqlalchemy import select

from dangjian import inbox
from dangjian.extensions import db
from dangjian.models import AuditEvent, Organization, OrgKind, Request, RequestState, Role, TimelineEntry, User
from dangjian.models.base import utcnow
from dangjian.workflow import Action, ActionRefused, apply_action, available_actions
from dangjian.workflow.history import opinion_boxes
from dangjian.workflow.routing import reroute_stuck, waiting_problem
from tests.factories import MEETING, approve, make_member, make_user, new_waiver

STEP_ACTIONS = {Action.APPROVE, Action.REJECT, Action.RETURN}
PENDING = RequestState.PENDING


def todo_ids(user) -> set[int]:
    return set(db.session.scalars(select(Request.id).where(inbox.todo_condition(user))))


def acting_ids(user) -> set[int]:
    return {r.id for r in db.session.scalars(select(Request)).all() if STEP_ACTIONS & set(available_actions(r, user))}


def who_has_it(org) -> set[str]:
    users = db.session.scalars(select(User)).all()
    return {u.username for u in users if todo_ids(u)}


def system_entries(req) -> list[TimelineEntry]:
    db.session.expire_all()
    return [e for e in db.session.get(Request, req.id).timeline if e.actor_id is None]


def where(req):
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    return req.current_step, req.current_role, req.current_org_id, req.current_assignee_id


def member_of_a2(org):
    user = make_user("member_a2", make_member(org.branch_a2, "林同学"))
    db.session.commit()
    return user


def disable(*users):
    for u in users:
        u.active = False
    db.session.commit()


def revoke(user, role):
    for ra in user.roles:
        if ra.role is role:
            ra.revoked_at = utcnow()
    db.session.commit()


# --- When a request enters a step ----------------------------------------------------------------

def test_the_branch_whose_only_secretary_files_for_a_member_lands_in_the_secondary_units_todo(app, org):
    member = member_of_a2(org)
    req = new_waiver(member, initiator=org.secretary_a2)

    assert where(req) == ("branch", Role.SECONDARY.value, org.sec_a.id, None)
    assert todo_ids(org.secondary) == {req.id}
    assert req.id not in todo_ids(org.secretary_a2)
    [note] = system_entries(req)
    assert note.action == "reroute"
    assert note.detail == ("「会计学院本科生党支部」的支部书记/支委均须回避（本申请的发起人或受益人），"
                           "本环节转由「会计学院党委」二级党组织书记/组织员办理")
    routed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.routed")).one()
    assert json.loads(routed.detail)["role"] == "secondary"

    # 陈组织员 decides the branch step (with its meeting), and the box on the 审批表 says who signed.
    entry = apply_action(req, org.secondary, Action.APPROVE, opinion="同意", meeting=MEETING)
    assert (entry.step, entry.actor_role, entry.actor_org_id) == ("branch", "secondary", org.sec_a.id)
    assert where(req)[:3] == ("secondary", "secondary", org.sec_a.id)
    assert opinion_boxes(req)[0]["signer"] == "陈组织员（二级党组织书记/组织员）"


def test_a_vacant_branch_role_goes_to_the_secondary_unit(app, org):
    branch = Organization(name="会计学院研究生党支部", kind=OrgKind.BRANCH, path="")
    db.session.add(branch)
    db.session.flush()
    branch.set_parent(org.sec_a)
    member = make_user("grad", make_member(branch, "何同学"))
    db.session.commit()
    req = new_waiver(member)
    assert where(req) == ("branch", "secondary", org.sec_a.id, None)
    assert "「会计学院研究生党支部」暂无在任的支部书记/支委" in system_entries(req)[0].detail


def test_disabled_holders_are_passed_over(app, org):
    disable(org.secretary, org.committee)
    req = new_waiver(org.member)
    assert where(req)[:3] == ("branch", "secondary", org.sec_a.id)
    assert "支部书记/支委账号均已停用" in system_entries(req)[0].detail


def test_a_direct_branch_goes_to_org_dept(app, org):
    """A 直属党支部 has no secondary level: its stuck branch step goes to 组织部."""
    req = new_waiver(org.direct_member, initiator=org.direct_secretary)
    assert where(req) == ("branch", "org_dept", org.org_dept.id, None)
    assert todo_ids(org.org_dept_user) == {req.id}


def test_a_step_with_its_own_able_holder_stays(app, org):
    req = new_waiver(org.member, initiator=org.committee)  # 李书记 can act
    assert where(req)[:3] == ("branch", "branch_secretary", org.branch_a1.id)
    assert system_entries(req) == []


def test_when_nobody_anywhere_can_act_the_page_says_so_and_the_ticker_moves_it_later(app, org, auth, client):
    disable(org.org_dept_user)
    req = new_waiver(org.direct_member, initiator=org.direct_secretary)
    assert where(req) == ("branch", "branch_secretary", org.direct.id, None)
    [note] = system_entries(req)
    assert note.action == "stuck" and note.detail.startswith("本环节暂无可处理人：")
    assert who_has_it(org) == set()
    assert "均须回避" in waiting_problem(db.session.get(Request, req.id))

    auth.login(org.school_user)  # 校党委 reads every request
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "本环节暂无可处理人" in page and "本环节暂无可处理人：" in page

    assert reroute_stuck() == ""  # nowhere better yet: nothing written
    assert len(system_entries(req)) == 1
    org.org_dept_user.active = True
    db.session.commit()
    assert reroute_stuck() == "1 stuck request(s) rerouted"
    assert where(req) == ("branch", "org_dept", org.org_dept.id, None)
    assert todo_ids(org.org_dept_user) == {req.id}


# --- Requests already waiting: the ticker ---------------------------------------------------------

@pytest.mark.parametrize("how", ["revoked", "disabled"])
def test_the_ticker_moves_a_waiting_step_when_its_holders_go(app, org, how):
    req = new_waiver(org.member)
    version = db.session.get(Request, req.id).version
    if how == "revoked":
        revoke(org.secretary, Role.BRANCH_SECRETARY)
        revoke(org.committee, Role.BRANCH_SECRETARY)
    else:
        disable(org.secretary, org.committee)
    assert waiting_problem(db.session.get(Request, req.id))
    assert who_has_it(org) == set()

    assert reroute_stuck() == "1 stuck request(s) rerouted"
    assert where(req) == ("branch", "secondary", org.sec_a.id, None)
    assert db.session.get(Request, req.id).version == version + 1
    [note] = system_entries(req)
    assert note.action == "reroute" and "转由「会计学院党委」二级党组织书记/组织员办理" in note.detail
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.reroute")).one()
    assert todo_ids(org.secondary) == {req.id}

    assert reroute_stuck() == ""  # once only
    assert len(system_entries(req)) == 1


def test_a_request_someone_can_act_on_is_left_alone(app, org):
    req = new_waiver(org.member)
    disable(org.secretary)  # 赵支委 still can
    assert reroute_stuck() == ""
    assert where(req)[:3] == ("branch", "branch_secretary", org.branch_a1.id)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, None, Action.REROUTE)
    assert "无需转上级办理" in exc.value.message


# --- 转办 -----------------------------------------------------------------------------------------

def test_org_dept_hands_a_step_to_a_named_holder(app, org):
    req = new_waiver(org.member)
    entry = apply_action(req, org.org_dept_user, Action.TRANSFER, opinion="李书记出差，请赵支委办理",
                         payload={"assignee": org.committee})
    assert where(req) == ("branch", "branch_secretary", org.branch_a1.id, org.committee.id)
    assert entry.detail == "转办给赵支委（会计学院教工第一党支部 · 支部书记/支委）"
    assert todo_ids(org.committee) == {req.id} and todo_ids(org.secretary) == set()
    with pytest.raises(ActionRefused) as exc:
        approve(db.session.get(Request, req.id), org.secretary)
    assert "本环节已转办给赵支委处理" in exc.value.message
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.transfer")).one()
    assert "转办给赵支委" in json.loads(audit.detail)["note"]
    # The initiator may still withdraw: a 转办 is not acting on the step.
    assert Action.WITHDRAW in available_actions(db.session.get(Request, req.id), org.member)
    approve(db.session.get(Request, req.id), org.committee)
    assert where(req) == ("secondary", "secondary", org.sec_a.id, None)  # the next step is everyone's again


def test_a_stuck_step_is_handed_up_the_chain(app, org):
    member = member_of_a2(org)
    req = new_waiver(member, initiator=org.secretary_a2)  # waits at 会计学院党委
    apply_action(req, org.org_dept_user, Action.TRANSFER, opinion="由组织部直接办理", payload={"assignee": org.org_dept_user})
    assert where(req) == ("branch", "org_dept", org.org_dept.id, org.org_dept_user.id)
    assert todo_ids(org.org_dept_user) == {req.id} and todo_ids(org.secondary) == set()


@pytest.mark.parametrize("who,assignee,opinion,message", [
    ("org_dept_user", "secretary_a2", "转办", "钱书记须回避本申请"),  # the initiator
    ("org_dept_user", "secretary_b", "转办", "不担任本环节可处理的角色"),  # another unit's branch
    ("org_dept_user", "member", "转办", "不担任本环节可处理的角色"),
    ("org_dept_user", None, "转办", "请选择转办给谁"),
    ("org_dept_user", "secondary", "", "转办时必须填写意见"),
    ("secondary", "secondary", "转办", "您无权转办"),  # only 组织部 hands steps over
    ("secretary_a2", "secondary", "转办", "您无权转办"),
])
def test_transfer_refusals(app, org, who, assignee, opinion, message):
    member = member_of_a2(org)
    req = new_waiver(member, initiator=org.secretary_a2)
    before = where(req)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, getattr(org, who), Action.TRANSFER, opinion=opinion,
                     payload={"assignee": getattr(org, assignee) if assignee else None})
    assert message in exc.value.message
    db.session.rollback()
    assert where(req) == before


def test_org_dept_may_not_transfer_what_it_filed(app, org):
    """A 直属党支部 allowance-like case: 组织部 initiated, so it does not pick who decides."""
    req = new_waiver(org.member, initiator=org.org_dept_user)
    assert Action.TRANSFER not in available_actions(req, org.org_dept_user)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.org_dept_user, Action.TRANSFER, opinion="转办", payload={"assignee": org.committee})
    assert "您是本申请的发起人" in exc.value.message


def test_the_ticker_returns_a_step_whose_assignee_left(app, org):
    req = new_waiver(org.member)
    apply_action(req, org.org_dept_user, Action.TRANSFER, opinion="请赵支委办理", payload={"assignee": org.committee})
    disable(org.committee)
    assert waiting_problem(db.session.get(Request, req.id)) == "「会计学院教工第一党支部」的支部书记/支委账号均已停用"
    assert reroute_stuck() == "1 stuck request(s) rerouted"
    assert where(req) == ("branch", "branch_secretary", org.branch_a1.id, None)
    assert todo_ids(org.secretary) == {req.id}


# --- 待办 is exactly where available_actions offers a decision ---------------------------------------

def test_todo_equals_available_actions_for_fallbacks_and_assignees(app, org):
    member = member_of_a2(org)
    fallback = new_waiver(member, initiator=org.secretary_a2)  # at 会计学院党委
    direct = new_waiver(org.direct_member, initiator=org.direct_secretary)  # at 组织部
    handed = new_waiver(org.member)
    apply_action(handed, org.org_dept_user, Action.TRANSFER, opinion="转办", payload={"assignee": org.committee})
    plain = new_waiver(org.member2)
    users = db.session.scalars(select(User)).all()
    for user in users:
        assert todo_ids(user) == acting_ids(user), user.username
    assert todo_ids(org.secondary) == {fallback.id}
    assert todo_ids(org.org_dept_user) == {direct.id}
    assert todo_ids(org.committee) == {handed.id, plain.id}
    assert todo_ids(org.secretary) == {plain.id}


# --- The web: 转办 from the request page -------------------------------------------------------------

def test_transfer_from_the_request_page(app, org, auth, client):
    member = member_of_a2(org)
    req = new_waiver(member, initiator=org.secretary_a2)
    disable(org.secondary)  # now nobody at all but 组织部 … who has not been routed to yet
    auth.login(org.org_dept_user)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "本环节暂无可处理人" in page and "转办" in page and 'class="dj-transfer" open' in page
    assert "刘组织部（党委组织部 · 组织部）" in page and "钱书记（" not in page  # recused: not offered

    headers = {"HX-Request": "true"}
    resp = client.post(f"/requests/{req.id}/transfer", headers=headers,
                       data={"assignee": str(org.org_dept_user.id), "opinion": "", "version": "1", "context": "page"})
    assert "请填写转办说明" in resp.get_data(as_text=True)
    assert where(req)[3] is None

    resp = client.post(f"/requests/{req.id}/transfer", headers=headers, data={
        "assignee": str(org.org_dept_user.id), "opinion": "二级党组织无人可处理，由组织部办理",
        "version": str(db.session.get(Request, req.id).version), "context": "page"})
    assert resp.status_code == 200 and "已转办" in resp.get_data(as_text=True)
    assert where(req) == ("branch", "org_dept", org.org_dept.id, org.org_dept_user.id)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "转办给刘组织部" in page and "本环节暂无可处理人：" not in page


def test_only_org_dept_gets_the_transfer_form_and_scope_still_holds(app, org, auth, client):
    req = new_waiver(org.member)
    auth.login(org.secondary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "dj-transfer" not in page
    resp = client.post(f"/requests/{req.id}/transfer", data={"assignee": str(org.committee.id), "opinion": "转办",
                                                              "version": "1", "context": "page"})
    assert "您无权转办" in resp.get_data(as_text=True)
    auth.login(org.secretary_b)  # another unit: cannot see the request at all
    assert client.post(f"/requests/{req.id}/transfer", data={"assignee": str(org.committee.id), "opinion": "转办",
                                                              "version": "1"}).status_code == 404
    assert where(req)[3] is None


# --- 待办 notices go where the step went ------------------------------------------------------------

def test_the_todo_notice_goes_to_the_fallback_the_assignee_and_deputies(app, org):
    from dangjian.notifications.models import Message
    from tests.delegation_support import delegate

    def told(kind="todo"):
        db.session.expire_all()
        return {m.recipient_id for m in db.session.scalars(select(Message).where(Message.kind == kind))}

    member = member_of_a2(org)
    req = new_waiver(member, initiator=org.secretary_a2)
    assert told() == {org.secondary.id}  # not 钱书记, who is recused

    delegate(org.secretary, org.member2)
    plain = new_waiver(org.member)
    assert org.member2.id in told() and {org.secretary.id, org.committee.id} <= told()

    db.session.execute(Message.__table__.delete())
    db.session.commit()
    apply_action(db.session.get(Request, plain.id), org.org_dept_user, Action.TRANSFER, opinion="转办",
                 payload={"assignee": org.committee})
    assert told() == {org.committee.id}
