"""No branch gets two allowances for the same year, even when two batches are submitted at the same
moment: the claims table's unique (branch, year) key decides, in the database.

Each thread has its own app context (its own session and connection) and waits on a barrier just
before `apply_action`. Runs on SQLite (file database, WAL) and on PostgreSQL (TEST_DATABASE_URL).
"""
import threading
from datetime import date

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import BranchType, OrgKind, RequestState, Role, User
from dangjian.assessment.grades import AssessmentGrade
from dangjian.request_types.secretary_allowance.model import (AllowanceClaim,
                                                              SecretaryAllowance)
from dangjian.workflow import Action, ActionRefused, apply_action
from tests.factories import _org, make_member, make_user
from tests.factories_allowance import YEAR, allowance_world, new_batch, record_grade, record_term

ROUNDS = 3


def race_submissions(app, moves):
    """Submit each (batch id, user id) in its own thread, released together at a barrier."""
    db.session.commit()
    barrier = threading.Barrier(len(moves))
    results = [None] * len(moves)

    def run(i, batch_id, user_id):
        with app.app_context():
            try:
                req = db.session.get(SecretaryAllowance, batch_id)
                user = db.session.get(User, user_id)
                _ = list(req.lines), req.timeline  # what the engine reads, loaded before the start
                barrier.wait(timeout=30)
                apply_action(req, user, Action.SUBMIT)
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


@pytest.fixture
def two_staff_branches(app, org):
    """会计学院党委 with two eligible staff branches, and a second 组织员 of the unit."""
    allowance_world(org)
    org.branch_a3 = _org("会计学院教工第二党支部", OrgKind.BRANCH, org.sec_a, BranchType.STAFF)
    secretary = make_member(org.branch_a3, "陈珺")
    db.session.flush()
    record_term(org.branch_a3, secretary, date(2018, 1, 1), by=org.org_dept_user)
    record_grade(org.branch_a3, AssessmentGrade.GOOD, org.org_dept_user)
    org.secondary2 = make_user("secondary2", None, [(Role.SECONDARY, org.sec_a)])
    db.session.commit()
    return org


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_batches_submitted_at_once_exactly_one_claims_the_branches(two_staff_branches, app, round_):
    o = two_staff_branches
    # Both computed before either is submitted: both list the two branches.
    first = new_batch(o.sec_a, o.secondary, submit=False)
    second = new_batch(o.sec_a, o.secondary2, submit=False)
    assert len(first.branch_ids) == len(second.branch_ids) == 2
    ids = (first.id, second.id)
    numbers = {first.id: first.number, second.id: second.number}

    results = race_submissions(app, [(first.id, o.secondary.id), (second.id, o.secondary2.id)])

    winners = [i for i, r in enumerate(results) if r == "ok"]
    assert len(winners) == 1, results
    loser = results[1 - winners[0]]
    assert isinstance(loser, ActionRefused), repr(loser)
    won_id = ids[winners[0]]
    # Claims are taken in branch order, so the loser trips over the first branch, named.
    assert loser.message.startswith(f"会计学院教工第一党支部2025年度的兼职支部书记补贴已在 {numbers[won_id]} 中申报，"
                                    "同一支部每年只能享受一次")

    db.session.expire_all()
    claims = db.session.execute(select(AllowanceClaim.branch_id, AllowanceClaim.batch_id)
                                .where(AllowanceClaim.year == YEAR)).all()
    assert sorted(claims) == sorted([(o.branch_a1.id, won_id), (o.branch_a3.id, won_id)])
    states = {b.id: b.state for b in db.session.scalars(select(SecretaryAllowance))}
    assert states == {won_id: RequestState.PENDING, ids[1 - winners[0]]: RequestState.DRAFT}
