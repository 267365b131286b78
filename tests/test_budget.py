"""经费保障 (§四): the school-level budget per year and line, and the operations on it.

An approval that would overspend is refused with the balance in the message; a rejection, withdrawal
or cancellation releases what was reserved; a payment spends it. Above all: approvals that arrive at
the same moment never reserve more than the line holds (threads released at a barrier; this runs on
SQLite and, in `make test`'s second pass, on PostgreSQL).
"""
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dangjian.budget import BudgetRefused, release, reserve, reserved_for, spend
from dangjian.extensions import db
from dangjian.models import BudgetEntry, BudgetLine, BudgetLineKind, Request, RequestState, User
from dangjian.request_types.condolence.model import FundingSource
from dangjian.timeutil import local_today
from dangjian.workflow import Action, ActionRefused, apply_action
from tests.factories_condolence import budget_line, new_condolence, set_budget, setup_settings

YEAR = local_today().year


def _line(kind=BudgetLineKind.CONDOLENCE):
    db.session.expire_all()
    return db.session.scalar(select(BudgetLine).where(BudgetLine.year == YEAR, BudgetLine.kind == kind))


def _entries(request_id):
    return db.session.execute(select(BudgetEntry.kind, BudgetEntry.amount).where(BudgetEntry.request_id == request_id)
                              .order_by(BudgetEntry.id)).all()


@pytest.fixture
def req(app, org):
    """A request to hang ledger rows on (the budget functions take its id)."""
    setup_settings(org)
    return new_condolence(org.member, org.secretary, funding=FundingSource.SCHOOL)


def test_reserve_refuses_to_overspend_with_the_balance_in_the_message(app, org, req):
    set_budget("1000.00")
    reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("999.99"), req.id, org.school_user.id)
    db.session.commit()
    with pytest.raises(BudgetRefused) as exc:
        reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("0.02"), req.id, org.school_user.id)
    assert exc.value.message == f"{YEAR}年度「慰问金」校级预算余额不足：本次需 ¥0.02，当前余额 ¥0.01"
    db.session.rollback()
    reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("0.01"), req.id, org.school_user.id)  # exactly the balance
    db.session.commit()
    line = _line()
    assert (line.reserved, line.balance) == (Decimal("1000.00"), Decimal("0.00"))


def test_reserve_on_a_line_that_was_never_set(app, org, req):
    with pytest.raises(BudgetRefused) as exc:
        reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("1.00"), req.id, None)
    assert "预算尚未设置" in exc.value.message


def test_lines_are_separate(app, org, req):
    set_budget("100.00")
    set_budget("5000.00", kind=BudgetLineKind.AWARD)
    with pytest.raises(BudgetRefused):
        reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("200.00"), req.id, None)
    db.session.rollback()
    reserve(YEAR, BudgetLineKind.AWARD, Decimal("200.00"), req.id, None)
    db.session.commit()
    assert _line().reserved == Decimal("0.00") and _line(BudgetLineKind.AWARD).reserved == Decimal("200.00")


def test_release_gives_back_exactly_what_is_held(app, org, req):
    set_budget("1000.00")
    reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("333.33"), req.id, None)
    db.session.commit()
    assert reserved_for(req.id) == [(_line().id, Decimal("333.33"))]
    release(req.id, org.secretary.id, note="取消")
    release(req.id, org.secretary.id)  # nothing left: a second release is a no-op
    db.session.commit()
    line = _line()
    assert (line.reserved, line.spent, line.balance) == (Decimal("0.00"), Decimal("0.00"), Decimal("1000.00"))
    assert _entries(req.id) == [("reserve", Decimal("333.33")), ("release", Decimal("333.33"))]


def test_spend_moves_the_reservation_to_spent(app, org, req):
    set_budget("1000.00")
    reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("600.00"), req.id, None)
    spend(req.id, org.secretary.id)
    db.session.commit()
    line = _line()
    assert (line.reserved, line.spent, line.balance) == (Decimal("0.00"), Decimal("600.00"), Decimal("400.00"))
    assert reserved_for(req.id) == []


def test_a_partial_spend_releases_the_rest(app, org, req):
    set_budget("1000.00")
    reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("600.00"), req.id, None)
    spend(req.id, None, amount=Decimal("450.10"))
    db.session.commit()
    line = _line()
    assert (line.reserved, line.spent, line.balance) == (Decimal("0.00"), Decimal("450.10"), Decimal("549.90"))
    assert _entries(req.id) == [("reserve", Decimal("600.00")), ("spend", Decimal("450.10")),
                                ("release", Decimal("149.90"))]


def test_amounts_stay_exact(app, org, req):
    """0.1 + 0.2 is 0.3 here: fen in the database, Decimal in Python."""
    set_budget("0.30")
    reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("0.10"), req.id, None)
    reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("0.20"), req.id, None)
    db.session.commit()
    assert _line().balance == Decimal("0.00") and isinstance(_line().reserved, Decimal)


# --- the budget page ----------------------------------------------------------------------------------

def _approved(org, member_user, amount="1000.00"):
    r = new_condolence(member_user, org.secretary, funding=FundingSource.SCHOOL, amount=amount,
                       over_standard_reason="病情较重，家庭特别困难。" if Decimal(amount) > 1000 else None)
    for user in (org.secondary, org.org_dept_user, org.school_user):
        apply_action(r, user, Action.APPROVE, opinion="同意")
    return r


def test_the_budget_page_shows_budget_reserved_spent_and_balance(app, org, auth, client):
    setup_settings(org)
    set_budget("200000.00")
    paid = _approved(org, org.member, "1500.00")
    from tests.factories_condolence import payment_payload
    apply_action(paid, org.secretary, Action.RECORD_PAYMENT, payload=payment_payload(paid))
    _approved(org, org.member2)
    auth.login(org.org_dept_user)
    page = client.get("/budget/").get_data(as_text=True)
    for text in ["¥200,000.00", "¥1,000.00", "¥1,500.00", "¥197,500.00", paid.number]:
        assert text in page, text
    # 组织部 may raise the line (and lower it, but never below what is reserved and spent).
    assert client.post("/budget/", data={"kind": "condolence", "amount": "2500.00"}).status_code == 302
    assert _line().amount == Decimal("2500.00")
    refused = client.post("/budget/", data={"kind": "condolence", "amount": "2499.99"}).get_data(as_text=True)
    assert "预算不能低于已预留与已支出之和（¥2,500.00）" in refused
    assert _line().amount == Decimal("2500.00")


# --- THE RACE: final approvals at the same moment ------------------------------------------------------

ROUNDS = 2


def _race(app, moves):
    """Each (request id, user id) approves in its own thread, all released together at a barrier."""
    db.session.commit()
    barrier = threading.Barrier(len(moves))
    results = [None] * len(moves)

    def run(i, req_id, user_id):
        with app.app_context():
            try:
                r = db.session.get(Request, req_id)
                user = db.session.get(User, user_id)
                seen = r.version
                barrier.wait(timeout=30)
                apply_action(r, user, Action.APPROVE, opinion="同意", seen_version=seen)
                results[i] = "ok"
            except Exception as exc:  # noqa: BLE001 — reported below
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *m)) for i, m in enumerate(moves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_final_approvals_never_reserve_more_than_the_budget(app, org, round_):
    """Four requests of ¥1,000.00 passed 组织部's check against a ¥2,500.00 line; four 校党委 approvals
    arrive at once. Exactly two fit: the others are refused with the balance, and change nothing."""
    setup_settings(org)
    set_budget("2500.00")
    chains = [(org.member, org.secretary, org.secondary), (org.member2, org.secretary, org.secondary),
              (org.committee, org.secretary, org.secondary), (org.member_b, org.secretary_b, org.secondary_b)]
    reqs = []
    for member, initiator, secondary in chains:
        r = new_condolence(member, initiator, funding=FundingSource.SCHOOL)
        apply_action(r, secondary, Action.APPROVE, opinion="同意")
        apply_action(r, org.org_dept_user, Action.APPROVE, opinion="经费核查通过")
        assert r.current_step == "school"
        reqs.append(r.id)
    approvers = [org.school_user, org.school_user2, org.school_user, org.school_user2]
    results = _race(app, [(rid, u.id) for rid, u in zip(reqs, approvers)])

    won = [rid for rid, res in zip(reqs, results) if res == "ok"]
    lost = [(rid, res) for rid, res in zip(reqs, results) if res != "ok"]
    assert len(won) == 2, results
    for rid, exc in lost:
        assert isinstance(exc, ActionRefused), repr(exc)
        assert "余额不足" in exc.message and "本次需 ¥1,000.00" in exc.message
        assert "当前余额 ¥500.00" in exc.message
    db.session.expire_all()
    line = budget_line()
    assert line.reserved == Decimal("2000.00") <= line.amount
    assert line.balance == Decimal("500.00")
    reserved = db.session.scalar(select(func.sum(BudgetEntry.amount)).where(
        BudgetEntry.line_id == line.id, BudgetEntry.kind == "reserve"))
    assert reserved == line.reserved
    for rid in won:
        r = db.session.get(Request, rid)
        assert r.state is RequestState.APPROVED and _entries(rid) == [("reserve", Decimal("1000.00"))]
    for rid, _ in lost:
        r = db.session.get(Request, rid)
        assert (r.state, r.current_step) == (RequestState.PENDING, "school")
        assert _entries(rid) == [] and r.documents == []
        assert [e.action for e in r.timeline] == ["submit", "approve", "approve"]


def test_a_cancel_racing_a_payment_record_settles_one_way(app, org):
    """Cancel and 登记发放 of the same approved request at once: one wins; the money is either spent or
    released, never both."""
    from tests.factories_condolence import payment_payload

    setup_settings(org)
    set_budget("5000.00")
    r = _approved(org, org.member)
    db.session.commit()
    barrier = threading.Barrier(2)
    results = {}

    def run(name, user_id):
        with app.app_context():
            try:
                req = db.session.get(Request, r.id)
                user = db.session.get(User, user_id)
                seen = req.version
                barrier.wait(timeout=30)
                if name == "pay":
                    apply_action(req, user, Action.RECORD_PAYMENT, seen_version=seen, payload=payment_payload(req))
                else:
                    apply_action(req, user, Action.CANCEL, opinion="本人婉拒", seen_version=seen)
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001
                results[name] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=("pay", org.secretary.id)),
               threading.Thread(target=run, args=("cancel", org.committee.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(v == "ok" for v in results.values()) == [False, True], results
    db.session.expire_all()
    line = budget_line()
    r = db.session.get(Request, r.id)
    if results["pay"] == "ok":
        assert r.state is RequestState.COMPLETED and (line.reserved, line.spent) == (0, Decimal("1000.00"))
    else:
        assert r.state is RequestState.CANCELLED and (line.reserved, line.spent) == (0, 0)
