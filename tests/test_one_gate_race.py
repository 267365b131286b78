"""The gate's rules hold when two submissions arrive at the same moment (issue 8 §9).

Each thread has its own app context (its own session and connection) and waits on a barrier just
before it acts, as in test_race.py. The rules are checked inside the action's transaction after it
has written (SQLite: the database's write lock is held; PostgreSQL: the member's row is locked), so
the second submission always sees the first. Both databases run every test here: on SQLite the
order (write, then check) is what is tested, on PostgreSQL the row lock as well. (Two *new* requests
of one type also take turns on PostgreSQL at the 编号 sequence's row; two resubmissions do not, and
there the member's lock alone decides: without it both withdrawn waivers below are resubmitted.)
"""
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import Request, RequestState, User
from dangjian.request_types.condolence.model import CondolenceCategory, CondolencePayment, PayeeKind
from dangjian.request_types.dues_waiver.model import DuesWaiver, HardshipCategory, WaiverMode
from dangjian.workflow import Action, ActionRefused, AlreadyHandled, apply_action, create_request
from tests.factories import new_waiver
from tests.factories_condolence import new_condolence, set_budget, setup_settings

ROUNDS = 3


def race(app, *moves):
    """Run each move (a function of nothing, run in its own app context) in its own thread,
    released together at a barrier. Returns "ok" or the exception, per move."""
    db.session.commit()  # the test's own session holds nothing while the threads write
    barrier = threading.Barrier(len(moves))
    results = [None] * len(moves)

    def run(i, move):
        with app.app_context():
            try:
                act = move()  # loads what it needs, returns the action to take at the barrier
                barrier.wait(timeout=30)
                act()
                results[i] = "ok"
            except Exception as exc:  # noqa: BLE001 — reported below
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(moves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads)
    return results


def one_refused(results, message_part):
    """Exactly one move won; the other was refused by the gate with `message_part` in its message."""
    assert sorted(r == "ok" for r in results) == [False, True], results
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, ActionRefused), repr(loser)
    assert message_part in loser.message
    return results.index("ok")


def _live_count(model, member_id, states):
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)).where(model.beneficiary_id == member_id,
                                                                model.state.in_(states)))


# --- 党费减免: no overlap of months -----------------------------------------------------------

def _file_waiver(user_id, start, end):
    """What the 申请 page does after its form passed: create the request and submit it."""
    def load():
        user = db.session.get(User, user_id)
        member = user.member

        def act():
            req = DuesWaiver(organization=member.branch, beneficiary=member, mode=WaiverMode.PARTIAL,
                             monthly_amount=member.monthly_dues / 2, monthly_dues_at_application=member.monthly_dues,
                             start_month=start, end_month=end, hardship_category=HardshipCategory.LIVING,
                             hardship_description="家庭经济困难，爱人患病住院，需长期治疗。")
            req.amount = req.monthly_amount * req.months
            create_request(req, user)
            apply_action(req, user, Action.SUBMIT)
        return act
    return load


def _submit(model, req_id, user_id, action=Action.SUBMIT):
    def load():
        req = db.session.get(model, req_id)
        user = db.session.get(User, user_id)
        seen = req.version
        _ = req.beneficiary, req.timeline  # what the engine reads, loaded before the start
        return lambda: apply_action(req, user, action, seen_version=seen)
    return load


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_overlapping_waivers_filed_at_once(app, org, round_):
    """The member applies and the secretary applies on their behalf, for overlapping months."""
    uid = org.member.id
    results = race(app, _file_waiver(uid, date(2026, 1, 1), date(2026, 6, 1)),
                   _file_waiver(uid, date(2026, 4, 1), date(2026, 9, 1)))
    one_refused(results, "期间不能重叠")
    assert _live_count(DuesWaiver, org.member.member_id, (RequestState.PENDING, RequestState.DRAFT)) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_withdrawn_waivers_resubmitted_at_once(app, org, round_):
    """Both withdrawn (a withdrawn waiver holds no months), both resubmitted at the same moment:
    each transaction alone sees the other still withdrawn. Only the lock makes them take turns."""
    first = new_waiver(org.member, start_month=date(2026, 1, 1), end_month=date(2026, 6, 1))
    apply_action(first, org.member, Action.WITHDRAW)
    second = new_waiver(org.member, start_month=date(2026, 3, 1), end_month=date(2026, 8, 1))
    apply_action(second, org.member, Action.WITHDRAW)
    results = race(app, _submit(DuesWaiver, first.id, org.member.id), _submit(DuesWaiver, second.id, org.member.id))
    winner = one_refused(results, "期间不能重叠")
    db.session.expire_all()
    states = [db.session.get(DuesWaiver, i).state for i in (first.id, second.id)]
    assert states[winner] is RequestState.PENDING and states[1 - winner] is RequestState.WITHDRAWN


# --- 慰问金: one 七一/春节 visit per member and year, one 亡故 -------------------------------------

@pytest.fixture
def o(app, org):
    setup_settings(org)
    set_budget("10000.00")
    return org


def _file_condolence(member_user_id, initiator_id, category, **kw):
    """What the 慰问金 page does after its form passed."""
    def load():
        member = db.session.get(User, member_user_id).member
        initiator = db.session.get(User, initiator_id)
        _ = member.branch, initiator.roles

        def act():
            # The factory creates and submits, as the page does; its own commit is part of the move.
            new_condolence(member, initiator, category=category, **kw)
        return act
    return load


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_july_first_visits_for_one_member_filed_at_once(o, app, round_):
    """The branch and the secondary unit both start the member's 七一 visit."""
    day = date(date.today().year, 6, 28)
    results = race(app, _file_condolence(o.member.id, o.secretary.id, CondolenceCategory.JULY_FIRST, event_date=day),
                   _file_condolence(o.member.id, o.secondary.id, CondolenceCategory.JULY_FIRST, event_date=day))
    one_refused(results, "已有七一走访慰问")
    assert _live_count(CondolencePayment, o.member.member_id, (RequestState.PENDING, RequestState.DRAFT)) == 1


def test_two_death_payments_for_one_member_filed_at_once(o, app):
    family = dict(payee_kind=PayeeKind.FAMILY, payee_name="王某某", payee_relation="配偶")
    results = race(app, _file_condolence(o.member.id, o.secretary.id, CondolenceCategory.DEATH, **family),
                   _file_condolence(o.member.id, o.secondary.id, CondolenceCategory.DEATH, **family))
    one_refused(results, "已有亡故慰问申请")
    assert _live_count(CondolencePayment, o.member.member_id, (RequestState.PENDING, RequestState.DRAFT)) == 1


# --- 删除草稿 against 提交 -----------------------------------------------------------------------

@pytest.mark.parametrize("round_", range(ROUNDS))
def test_deleting_a_draft_while_submitting_it_elsewhere(o, app, round_):
    """Two tabs: one submits the campaign's draft, the other deletes it. One wins; the other is told
    the request was handled."""
    draft_id = new_condolence(o.member, o.secretary, submit=False).id
    results = race(app, _submit(CondolencePayment, draft_id, o.secretary.id),
                   _submit(CondolencePayment, draft_id, o.secretary.id, Action.DELETE_DRAFT))
    assert sorted(r == "ok" for r in results) == [False, True], results
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, AlreadyHandled), repr(loser)
    db.session.expire_all()
    req = db.session.get(Request, draft_id)
    if results[0] == "ok":
        assert req.state is RequestState.PENDING
    else:
        assert req is None
