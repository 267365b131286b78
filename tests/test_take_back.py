"""取回 (issue 8 §6): the approver whose 同意 moved the request on takes it back while the next step
has not acted. The request returns to their step; the timeline, the audit log and the per-step
decisions show it. A decision that ended the workflow cannot be taken back (its documents may be
out). The who-may rows per type live in the four workflow tables; these are the rest."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Request, RequestState
from dangjian.timeutil import local_today
from dangjian.workflow import Action, ActionRefused, AlreadyHandled, apply_action, available_actions
from dangjian.workflow.comments import add_comment
from dangjian.workflow.history import opinion_boxes, step_outcomes
from tests.factories import approve, new_waiver
from tests.factories_award import MEMBER, aorg, forward, make_cycle, nominate  # noqa: F401
from tests.test_csrf import form_token, login

TB = Action.TAKE_BACK
P = RequestState.PENDING


def test_take_back_returns_the_request_to_the_deciders_step_and_shows_it(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary, opinion="同意减免")
    entry = apply_action(req, org.secretary, TB)
    assert (req.state, req.current_step, req.current_org_id, req.version) == (P, "branch", org.branch_a1.id, 3)
    assert (entry.action, entry.step, entry.actor_role, entry.actor_org_id) == (
        "take_back", "branch", "branch_secretary", org.branch_a1.id)
    # The 同意 no longer counts: the 审批进度 and the 审批表 show the branch as undecided.
    assert [o.entry for o in step_outcomes(req)] == [None, None, None]
    assert opinion_boxes(req)[0]["opinion"] == ""
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == req.id,
                                                          AuditEvent.action == "request.take_back").order_by(AuditEvent.id)).all()
    assert len(audited) == 1 and '"to_state": "pending"' in audited[0].detail
    # The step decides again, possibly otherwise; the secondary unit no longer has it in 待办.
    assert Action.APPROVE not in available_actions(req, org.secondary)
    apply_action(req, org.committee, Action.RETURN, opinion="请补充诊断证明")
    assert req.state is RequestState.RETURNED


def test_once_the_next_step_acted_it_cannot_be_taken_back(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    apply_action(req, org.secondary, Action.RETURN, opinion="请支部重新核实", return_to="branch")
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.secretary, TB)
    assert "下一环节已经处理，不能取回" in exc.value.message
    db.session.rollback()
    assert (req.state, req.current_step, req.version) == (P, "branch", 3)


def test_a_comment_at_the_next_step_does_not_stop_a_take_back(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    add_comment(req, org.secondary, "材料已收到，本周内研究。")
    assert TB in available_actions(req, org.secretary)
    apply_action(req, org.secretary, TB)
    assert req.current_step == "branch"


def test_the_next_step_and_the_take_back_race_one_wins(app, org):
    """Both act on the version they saw: the conditional UPDATE lets exactly one through."""
    req = new_waiver(org.member)
    approve(req, org.secretary)
    seen = req.version
    approve(req, org.secondary, seen_version=seen)
    with pytest.raises(AlreadyHandled):
        apply_action(req, org.secretary, TB, seen_version=seen)
    db.session.rollback()
    db.session.expire_all()
    fresh = db.session.get(Request, req.id)
    assert (fresh.current_step, fresh.version) == ("school", seen + 1)
    assert [e.action for e in fresh.timeline].count("take_back") == 0


def test_a_stale_take_back_is_already_handled(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    seen = req.version
    apply_action(req, org.secretary, TB)
    with pytest.raises(AlreadyHandled):
        apply_action(req, org.secretary, TB, seen_version=seen)


def test_a_decider_whose_role_ended_cannot_take_back(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    for ra in org.secretary.role_assignments:
        ra.ends_on = local_today() - timedelta(days=1)
    db.session.commit()
    assert TB not in available_actions(req, org.secretary)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.secretary, TB)
    assert "您已不是「党支部讨论」环节的处理人" in exc.value.message


def test_a_final_decision_cannot_be_taken_back(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)
    approve(req, org.school_user)
    assert req.state is RequestState.APPROVED and req.documents
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.school_user, TB)
    assert "不能取回" in exc.value.message


def test_an_award_take_back_gives_the_quota_slot_back(app, aorg):  # noqa: F811
    cycle = make_cycle(aorg, quota=1)
    first = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    forward(first, aorg.secondary)
    assert first.quota_counted
    apply_action(first, aorg.secondary, TB)
    assert (first.current_step, first.quota_counted, first.rank) == ("secondary", False, None)
    # The slot is free again: the unit may forward another nomination in its place.
    second = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member2)
    forward(second, aorg.secondary)
    assert second.quota_counted and second.current_step == "org_dept"


def test_the_decider_takes_back_from_the_request_page(app, org, client):
    """Through the page with CSRF on: the button shows for the decider only, a POST without the
    token changes nothing, and with it the request is back at the branch."""
    req = new_waiver(org.member)
    approve(req, org.secretary)
    token = login(client, org.committee)
    assert "dj-btn-take-back" not in client.get(f"/requests/{req.id}").get_data(as_text=True)
    client.post("/logout", headers={"X-CSRFToken": token})

    token = login(client, org.secretary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "dj-btn-take-back" in page and "可以取回后重新审批" in page
    data = {"action": "take_back", "version": str(req.version), "context": "page"}
    assert client.post(f"/requests/{req.id}/act", data=data).status_code == 400
    db.session.expire_all()
    assert db.session.get(Request, req.id).current_step == "secondary"

    resp = client.post(f"/requests/{req.id}/act", headers={"HX-Request": "true", "X-CSRFToken": token},
                       data={**data, "csrf_token": form_token(page)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["HX-Retarget"] == "#request-main"
    assert "已取回" in html and "取回决定" in html
    db.session.expire_all()
    fresh = db.session.get(Request, req.id)
    assert (fresh.state, fresh.current_step) == (P, "branch")
    # Back in the secretary's 待办 with the decision buttons.
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert 'value="approve"' in page and "dj-btn-take-back" not in page
