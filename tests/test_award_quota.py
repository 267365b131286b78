"""名额 and 排序: the secondary unit forwards within its quota per category; going over is refused with
the quota and the count, also when two forwardings race; a slot comes back when a forwarded
nomination leaves (rejected, withdrawn, returned below the unit). A 直属党支部 uses its own quota
when it submits."""
import threading

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import RequestState, User
from dangjian.request_types.award_nomination import quota as quota_rules
from dangjian.request_types.award_nomination.model import AwardNomination, AwardQuota
from dangjian.workflow import Action, ActionRefused, AlreadyHandled, apply_action
from tests.factories_award import MEMBER, ORG, WORKER, aorg, forward, make_cycle, nominate  # noqa: F401


def used(cycle, org, category=MEMBER) -> tuple[int, int]:
    db.session.expire_all()
    q = db.session.scalar(select(AwardQuota).where(AwardQuota.cycle_id == cycle.id,
                                                   AwardQuota.organization_id == org.id,
                                                   AwardQuota.category == category))
    return q.used, q.quota


def test_forwarding_over_the_quota_is_refused_with_the_quota_and_the_count(app, aorg):
    cycle = make_cycle(aorg, quota=2)
    a, b, c = (nominate(cycle, aorg.secretary, MEMBER, member_user=u) for u in (aorg.member, aorg.member2, aorg.member3))
    forward(a, aorg.secondary)
    forward(b, aorg.secondary)
    with pytest.raises(ActionRefused) as exc:
        forward(c, aorg.secondary)
    assert exc.value.message == "会计学院党委「优秀共产党员」名额为 2 名，已报送 2 名，不能再报送"
    db.session.rollback()
    db.session.expire_all()
    assert (c.state, c.current_step, c.rank, c.quota_counted) == (RequestState.PENDING, "secondary", None, False)
    assert used(cycle, aorg.sec_a) == (2, 2)
    assert (a.rank, b.rank) == (1, 2)
    # Another category has its own quota.
    d = nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member)
    forward(d, aorg.secondary)
    assert used(cycle, aorg.sec_a, WORKER) == (1, 2)


def test_a_zero_quota_is_refused_plainly(app, aorg):
    cycle = make_cycle(aorg, quota=0)
    req = nominate(cycle, aorg.secretary, ORG, org=aorg.branch_a1)
    with pytest.raises(ActionRefused) as exc:
        forward(req, aorg.secondary)
    assert exc.value.message == "会计学院党委本次评选没有「先进基层党组织」名额，不能报送"


@pytest.mark.parametrize("leave", ["reject", "return_to_initiator", "return_to_secondary", "withdraw"])
def test_a_slot_comes_back_when_a_forwarded_nomination_leaves(app, aorg, leave):
    cycle = make_cycle(aorg, quota=1)
    a = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    b = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member2)
    forward(a, aorg.secondary)
    assert used(cycle, aorg.sec_a) == (1, 1)
    if leave == "reject":
        apply_action(a, aorg.org_dept_user, Action.REJECT, opinion="不符合条件")
    elif leave == "return_to_initiator":
        apply_action(a, aorg.org_dept_user, Action.RETURN, opinion="请补充事迹")
    elif leave == "return_to_secondary":
        apply_action(a, aorg.org_dept_user, Action.RETURN, opinion="请重新排序", return_to="secondary")
    else:
        apply_action(a, aorg.secretary, Action.WITHDRAW)
    assert used(cycle, aorg.sec_a) == (0, 1)
    db.session.expire_all()
    assert (a.quota_counted, a.rank) == (False, None)
    forward(b, aorg.secondary)
    assert used(cycle, aorg.sec_a) == (1, 1) and b.rank == 1


def test_a_return_between_later_steps_keeps_the_slot(app, aorg):
    cycle = make_cycle(aorg, quota=1)
    a = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    forward(a, aorg.secondary)
    apply_action(a, aorg.org_dept_user, Action.APPROVE, opinion="同意")
    apply_action(a, aorg.school_user, Action.RETURN, opinion="请组织部再核", return_to="org_dept")
    assert used(cycle, aorg.sec_a) == (1, 1) and a.quota_counted


def test_the_rank_follows_the_forwarded_ones_even_after_a_slot_came_back(app, aorg):
    cycle = make_cycle(aorg, quota=2)
    a, b, c = (nominate(cycle, aorg.secretary, MEMBER, member_user=u) for u in (aorg.member, aorg.member2, aorg.member3))
    forward(a, aorg.secondary)
    forward(b, aorg.secondary)
    apply_action(a, aorg.org_dept_user, Action.REJECT, opinion="不符合条件")
    forward(c, aorg.secondary)
    db.session.expire_all()
    assert (b.rank, c.rank) == (2, 3)  # reported after b; never the same rank twice


def test_a_direct_branch_uses_its_own_quota_when_it_submits(app, aorg):
    cycle = make_cycle(aorg, direct_quota=1)
    other = make_other_direct_member(aorg)
    nominate(cycle, aorg.direct_secretary, MEMBER, member_user=aorg.direct_member)
    assert used(cycle, aorg.direct) == (1, 1)
    req = nominate(cycle, aorg.direct_secretary, MEMBER, member_user=other, submit=False)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, aorg.direct_secretary, Action.SUBMIT)
    assert exc.value.message == "图书馆直属党支部「优秀共产党员」名额为 1 名，已报送 1 名，不能再报送"
    db.session.rollback()
    assert used(cycle, aorg.direct) == (1, 1)


def make_other_direct_member(o):
    from tests.factories import make_member, make_user
    user = make_user("direct_member2", make_member(o.direct, "郑彧"))
    db.session.commit()
    return user


def test_the_unit_orders_its_waiting_nominations(app, aorg):
    cycle = make_cycle(aorg, quota=2)
    a, b, c = (nominate(cycle, aorg.secretary, MEMBER, member_user=u) for u in (aorg.member, aorg.member2, aorg.member3))

    def order():
        db.session.expire_all()
        return [n.id for n in db.session.scalars(quota_rules.awaiting_unit(cycle, aorg.sec_a.id, MEMBER))]

    assert order() == [a.id, b.id, c.id]
    assert quota_rules.move(db.session.get(AwardNomination, c.id), "up")
    db.session.commit()
    assert order() == [a.id, c.id, b.id]
    assert not quota_rules.move(db.session.get(AwardNomination, a.id), "up")  # already first
    assert quota_rules.move(db.session.get(AwardNomination, a.id), "down")
    db.session.commit()
    assert order() == [c.id, a.id, b.id]


# --- concurrency ------------------------------------------------------------------------------------

def race(app, moves):
    """Each (request id, user id) forwards in its own thread, released together at a barrier."""
    db.session.commit()
    barrier = threading.Barrier(len(moves))
    results = [None] * len(moves)

    def run(i, req_id, user_id):
        with app.app_context():
            try:
                req = db.session.get(AwardNomination, req_id)
                user = db.session.get(User, user_id)
                seen = req.version
                barrier.wait(timeout=30)
                apply_action(req, user, Action.APPROVE, opinion="同意推荐。", seen_version=seen)
                results[i] = "ok"
            except Exception as exc:  # noqa: BLE001 — reported below
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *m)) for i, m in enumerate(moves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_forwardings_never_exceed_the_quota(app, aorg, round_):
    """Three nominations forwarded at the same moment for two slots: two win, one is refused with
    the quota message, and the counter matches the nominations that hold a slot."""
    cycle = make_cycle(aorg, quota=2)
    reqs = [nominate(cycle, aorg.secretary, MEMBER, member_user=u) for u in (aorg.member, aorg.member2, aorg.member3)]
    results = race(app, [(r.id, aorg.secondary.id) for r in reqs])
    winners = [r for r in results if r == "ok"]
    losers = [r for r in results if r != "ok"]
    assert len(winners) == 2, results
    assert len(losers) == 1 and isinstance(losers[0], ActionRefused) and not isinstance(losers[0], AlreadyHandled)
    assert losers[0].message == "会计学院党委「优秀共产党员」名额为 2 名，已报送 2 名，不能再报送"
    db.session.expire_all()
    counted = db.session.scalars(select(AwardNomination).where(AwardNomination.quota_counted.is_(True))).all()
    assert used(cycle, aorg.sec_a) == (2, 2) and len(counted) == 2
    assert sorted(n.rank for n in counted) == [1, 2]
    assert sorted(n.current_step for n in db.session.scalars(select(AwardNomination))) == \
        ["org_dept", "org_dept", "secondary"]


@pytest.mark.parametrize("round_", range(2))
def test_two_branches_nominating_the_same_person_at_once_make_one_nomination(app, aorg, round_):
    """The unique key (cycle, category, nominee) decides, whatever the timing: one wins, the other
    gets an IntegrityError (the form turns it into its message) and nothing of it is saved."""
    cycle = make_cycle(aorg)
    db.session.commit()
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i, initiator_id):
        with app.app_context():
            try:
                initiator = db.session.get(User, initiator_id)
                member_user = db.session.get(User, aorg.member.id)
                c = db.session.get(type(cycle), cycle.id)
                barrier.wait(timeout=30)
                nominate(c, initiator, MEMBER, member_user=member_user)
                results[i] = "ok"
            except Exception as exc:  # noqa: BLE001 — reported below
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, u.id)) for i, u in enumerate((aorg.secretary, aorg.committee))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results.count("ok") == 1, results
    from sqlalchemy.exc import IntegrityError
    assert isinstance(next(r for r in results if r != "ok"), IntegrityError)
    db.session.expire_all()
    assert len(db.session.scalars(select(AwardNomination)).all()) == 1
