"""Decisions that agree with the meeting (issue 8 §6): at a step that records a meeting's vote,
同意 needs more than half of the votes cast in favour, and 不同意 is open only when the motion did
not carry; 退回修改 is always open. A mismatch is refused with the votes quoted, changing nothing."""
from datetime import date

import pytest

from dangjian.extensions import db
from dangjian.models import Request, RequestState
from dangjian.workflow import Action, ActionRefused, MeetingRecord, apply_action
from tests.factories import new_waiver
from tests.test_csrf import form_token, login

A, R, RET = Action.APPROVE, Action.REJECT, Action.RETURN


def meeting(for_, against, abstain):
    return MeetingRecord("branch_committee", date(2026, 1, 5), for_, against, abstain)


@pytest.mark.parametrize("votes,action,outcome", [
    ((3, 2, 0), A, RequestState.PENDING),  # 3 of 5: more than half
    ((3, 1, 1), A, RequestState.PENDING),
    ((1, 0, 0), A, RequestState.PENDING),
    ((3, 3, 0), A, "同意3票、反对3票、弃权0票，同意票未过半数，不能作出同意的决定"),  # a tie is not a majority
    ((2, 1, 2), A, "同意2票、反对1票、弃权2票，同意票未过半数"),  # abstentions count among the votes cast
    ((0, 5, 0), A, "同意票未过半数"),
    ((3, 3, 0), R, RequestState.REJECTED),
    ((2, 1, 2), R, RequestState.REJECTED),
    ((4, 3, 0), R, "同意4票、反对3票、弃权0票，同意票已过半数，不能作出不同意的决定"),
    ((0, 5, 0), RET, RequestState.RETURNED),
    ((5, 0, 0), RET, RequestState.RETURNED),
])
def test_the_decision_must_agree_with_the_vote(app, org, votes, action, outcome):
    req = new_waiver(org.member)
    before = (req.state, req.current_step, req.version, len(req.timeline))
    kw = {"meeting": meeting(*votes), "opinion": "经支委会研究"}
    if isinstance(outcome, RequestState):
        apply_action(req, org.secretary, action, **kw)
        assert req.state is outcome
        if action is not RET:
            e = req.timeline[-1]
            assert (e.votes_for, e.votes_against, e.votes_abstain) == votes
        return
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.secretary, action, **kw)
    assert outcome in exc.value.message and exc.value.field == "votes"
    db.session.rollback()
    db.session.expire_all()
    assert (req.state, req.current_step, req.version, len(req.timeline)) == before


def test_steps_without_a_meeting_are_not_bound(app, org):
    """Only the step that records the meeting is bound: the secondary unit decides without votes."""
    req = new_waiver(org.member)
    apply_action(req, org.secretary, A, meeting=meeting(4, 1, 0))
    apply_action(req, org.secondary, R, opinion="不符合减免条件")
    assert req.state is RequestState.REJECTED


def test_the_panel_shows_the_refusal_next_to_the_votes(app, org, client):
    """Through the page, with CSRF on: the message sits by the vote counts and nothing changes."""
    req = new_waiver(org.member)
    token = login(client, org.secretary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    resp = client.post(f"/requests/{req.id}/act", headers={"HX-Request": "true", "X-CSRFToken": token}, data={
        "csrf_token": form_token(page), "action": "approve", "version": str(req.version), "context": "page",
        "opinion": "同意", "meeting_type": "branch_committee", "meeting_date": "2026-01-05",
        "votes_for": "2", "votes_against": "3", "votes_abstain": "0"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    votes_error = html.split('class="invalid-feedback d-block dj-votes-error">', 1)[1].split("</div>", 1)[0]
    assert votes_error == "会议表决同意2票、反对3票、弃权0票，同意票未过半数，不能作出同意的决定"
    assert 'value="2"' in html  # the counts stay as typed, to correct or to choose 不同意
    db.session.expire_all()
    fresh = db.session.get(Request, req.id)
    assert (fresh.state, fresh.current_step, fresh.version) == (RequestState.PENDING, "branch", 1)
