"""催办 at the same moment: the 24-hour rule holds in the database. The initiator and 组织部 urge the
same request at once (each thread its own session, released together at a barrier): exactly one
urge is recorded and notified, the other is told when the next one is possible. Runs on SQLite and
on PostgreSQL, where the conditional UPDATE waits for the row lock and re-checks."""
import threading

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Request, TimelineEntry, User
from dangjian.workflow.urge import UrgeRefused, urge
from tests.factories import new_waiver

ROUNDS = 3


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_urges_at_once_record_one(app, org, monkeypatch, round_):
    notified = []
    monkeypatch.setattr("dangjian.workflow.urge.notify",
                        lambda kind, request, recipients, **kw: notified.append(request.id))
    req = new_waiver(org.member)
    req_id = req.id
    db.session.commit()
    urgers = [org.member.id, org.org_dept_user.id]
    barrier = threading.Barrier(len(urgers))
    results = [None] * len(urgers)

    def run(i, user_id):
        with app.app_context():
            try:
                mine = db.session.get(Request, req_id)
                user = db.session.get(User, user_id)
                assert mine.last_urged_at is None  # both read the request before either urged
                barrier.wait(timeout=30)
                urge(mine, user)
                results[i] = "ok"
            except Exception as exc:  # noqa: BLE001 — reported below
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, uid)) for i, uid in enumerate(urgers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    assert results.count("ok") == 1, results
    (loser,) = [r for r in results if r != "ok"]
    assert isinstance(loser, UrgeRefused), repr(loser)
    assert "已催办，可于" in loser.message
    db.session.expire_all()
    count = select(func.count()).select_from
    assert db.session.scalar(count(TimelineEntry).where(TimelineEntry.request_id == req_id,
                                                        TimelineEntry.action == "urge")) == 1
    assert db.session.scalar(count(AuditEvent).where(AuditEvent.action == "request.urge")) == 1
    assert notified == [req_id]
    fresh = db.session.get(Request, req_id)
    assert fresh.version == 1 and fresh.last_urged_at is not None
