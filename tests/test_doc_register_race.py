"""The 文号 register under real concurrent transactions (issue 9 §2): approvals at the same moment
take distinct, consecutive numbers; an action that fails gives its number back; no duplicate and
no gap except voided numbers. Each thread has its own app context, session and connection and
waits at a barrier (the house harness: tests/test_one_gate_race.race). On PostgreSQL the series'
row lock decides; on SQLite the database's write lock."""
from datetime import date

import pytest
from sqlalchemy import select

from dangjian.documents import numbers
from dangjian.extensions import db
from dangjian.models import DocKind, DocNumber, OrgKind, Request, User
from tests.factories import approve, new_waiver
from tests.test_one_gate_race import race

SCHOOL_REPLY = (OrgKind.SCHOOL, DocKind.REPLY)
ROUNDS = 2


def _at_school_step(org, starts):
    """Waivers of one member (successive periods) waiting for 校党委."""
    reqs = []
    for start in starts:
        req = new_waiver(org.member, start_month=start, end_month=start.replace(month=start.month + 1))
        approve(req, org.secretary)
        approve(req, org.secondary)
        reqs.append(req.id)
    return reqs


def _school_approves(req_id, user_id):
    def load():
        req, user = db.session.get(Request, req_id), db.session.get(User, user_id)
        return lambda: approve(req, user)
    return load


def _issues_then_fails():
    """An action that took a number and then failed before its commit."""
    def load():
        def act():
            numbers.issue(*SCHOOL_REPLY, "未成功的审批")
            db.session.rollback()
            raise RuntimeError("失败，已回滚")
        return act
    return load


def _serials():
    db.session.expire_all()
    return [(e.serial, e.is_void) for e in db.session.scalars(select(DocNumber).order_by(DocNumber.serial))]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_approvals_at_the_same_moment_take_consecutive_numbers(app, org, redis_conn, round_):
    year = date.today().year
    first = _at_school_step(org, [date(2026, m, 1) for m in (1, 3, 5)])
    results = race(app, *[_school_approves(r, org.school_user2.id) for r in first], _issues_then_fails())
    assert results[:3] == ["ok"] * 3 and isinstance(results[3], RuntimeError), results
    assert _serials() == [(1, False), (2, False), (3, False)]  # the failed action left no gap

    # A voided number stays in its place; the next approvals continue after the highest.
    numbers.void(db.session.scalars(select(DocNumber).where(DocNumber.serial == 2)).one().id, "误取号",
                 org.org_dept_user)
    second = _at_school_step(org, [date(2026, m, 1) for m in (7, 9, 11)])
    results = race(app, *[_school_approves(r, u) for r, u in zip(second, (org.school_user.id, org.school_user2.id,
                                                                         org.school_user.id))])
    assert results == ["ok"] * 3, results
    assert _serials() == [(1, False), (2, True), (3, False), (4, False), (5, False), (6, False)]
    taken = list(db.session.scalars(select(DocNumber.number)))
    assert len(set(taken)) == 6 and all(n.startswith(f"西财党复〔{year}〕") for n in taken)
    # Every approved waiver's 批复 carries its own number (the voided one still on its document).
    replies = db.session.scalars(select(Request).where(Request.id.in_(first + second))).all()
    carried = sorted(d.doc_number for r in replies for d in r.documents if d.kind == "dues_waiver_reply")
    assert carried == sorted(taken)
