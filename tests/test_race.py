"""Two clicks at the same moment: exactly one state change, and a clear 「该申请已被处理」 for the other.

Each thread has its own app context (so its own session and connection) and waits on a barrier
just before `apply_action`. Runs on SQLite (file database in WAL mode) and on PostgreSQL.
"""
import threading

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import Request, RequestState, TimelineEntry, User
from dangjian.workflow import Action, AlreadyHandled, apply_action, available_actions
from tests.factories import MEETING, approve, new_waiver

ROUNDS = 3


def race(app, req_id, moves):
    """Run each (user_id, action, kwargs) in its own thread, released together at a barrier."""
    db.session.commit()  # the test's own session holds nothing while the threads write
    barrier = threading.Barrier(len(moves))
    results = [None] * len(moves)

    def run(i, user_id, action, kw):
        with app.app_context():
            try:
                req = db.session.get(Request, req_id)
                user = db.session.get(User, user_id)
                seen = req.version
                assert action in available_actions(req, user)  # both see the button
                barrier.wait(timeout=30)
                apply_action(req, user, action, seen_version=seen, **kw)
                results[i] = "ok"
            except Exception as exc:  # noqa: BLE001 — reported below
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *move)) for i, move in enumerate(moves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def one_winner(results):
    winners = [r for r in results if r == "ok"]
    losers = [r for r in results if r != "ok"]
    assert len(winners) == 1, results
    assert len(losers) == len(results) - 1
    for exc in losers:
        assert isinstance(exc, AlreadyHandled), repr(exc)
        assert "该申请已被处理" in exc.message
    return results.index("ok")


def _count(req_id, action):
    return db.session.scalar(select(func.count(TimelineEntry.id))
                             .where(TimelineEntry.request_id == req_id, TimelineEntry.action == action))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_approvals_of_the_branch_step(app, org, round_):
    req = new_waiver(org.member)
    meeting = {"opinion": "同意", "meeting": MEETING}
    results = race(app, req.id, [(org.secretary.id, Action.APPROVE, meeting),
                                 (org.committee.id, Action.APPROVE, meeting)])
    one_winner(results)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.state, req.current_step, req.version) == (RequestState.PENDING, "secondary", 2)
    assert _count(req.id, "approve") == 1


def test_two_final_approvals_create_one_document(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)
    results = race(app, req.id, [(org.school_user.id, Action.APPROVE, {"opinion": "同意"}),
                                 (org.school_user2.id, Action.APPROVE, {"opinion": "同意"})])
    one_winner(results)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.state, req.version) == (RequestState.APPROVED, 4)
    assert _count(req.id, "approve") == 3
    assert sorted(d.kind for d in req.documents) == ["dues_waiver_form", "dues_waiver_reply"]  # once each


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_approve_against_withdraw(app, org, round_):
    req = new_waiver(org.member)
    results = race(app, req.id, [(org.secretary.id, Action.APPROVE, {"opinion": "同意", "meeting": MEETING}),
                                 (org.member.id, Action.WITHDRAW, {})])
    winner = one_winner(results)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.version == 2
    if winner == 0:
        assert (req.state, req.current_step) == (RequestState.PENDING, "secondary")
        assert (_count(req.id, "approve"), _count(req.id, "withdraw")) == (1, 0)
    else:
        assert (req.state, req.current_step) == (RequestState.WITHDRAWN, None)
        assert (_count(req.id, "approve"), _count(req.id, "withdraw")) == (0, 1)


def test_reject_against_return(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    results = race(app, req.id, [(org.secondary.id, Action.REJECT, {"opinion": "不符合条件"}),
                                 (org.secondary.id, Action.RETURN, {"opinion": "请补充材料"})])
    one_winner(results)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert req.version == 3
    assert req.state in (RequestState.REJECTED, RequestState.RETURNED)
    assert _count(req.id, "reject") + _count(req.id, "return") == 1


def test_two_approvers_posting_at_once_over_http(app, org):
    app.config["WTF_CSRF_ENABLED"] = False
    req = new_waiver(org.member)
    clients = []
    for user in (org.secretary, org.committee):  # two browsers, each with its own session
        client = app.test_client()
        assert client.post("/login", data={"username": user.username, "password": "pw"}).status_code == 302
        panel = client.get(f"/requests/{req.id}/panel?context=inbox", headers={"HX-Request": "true"})
        assert 'name="version" type="hidden" value="1"' in panel.get_data(as_text=True)
        clients.append(client)
    data = {"action": "approve", "version": "1", "context": "inbox", "opinion": "同意",
            "meeting_type": "branch_committee", "meeting_date": "2026-01-05", "votes_for": "5",
            "votes_against": "0", "votes_abstain": "0"}
    url = f"/requests/{req.id}/act"
    db.session.commit()
    barrier = threading.Barrier(2)
    responses = [None, None]

    def post(i):
        barrier.wait(timeout=30)
        responses[i] = clients[i].post(url, data=data, headers={"HX-Request": "true"})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None and r.status_code == 200 for r in responses)
    won = [r for r in responses if r.headers.get("HX-Retarget") == f"#inbox-item-{req.id}"]
    lost = [r for r in responses if "HX-Retarget" not in r.headers]
    assert len(won) == 1 and len(lost) == 1
    assert "已同意" in won[0].get_data(as_text=True)
    body = lost[0].get_data(as_text=True)
    assert "该申请已被处理" in body and "<html" not in body
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.current_step, req.version) == ("secondary", 2)
    assert _count(req.id, "approve") == 1
