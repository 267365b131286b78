"""Jobs scheduled in a transaction run after it commits, and only then. A savepoint that rolls back
(a unique key tried and refused, as `NumberSequence.next_number` and the allowance claims do) drops
only what was scheduled inside it, never the documents the transaction made before it."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dangjian.after_commit import on_commit
from dangjian.documents import jobs
from dangjian.extensions import db
from dangjian.models import Document, NumberSequence
from dangjian.queue import documents_queue
from tests.factories import approve, new_waiver


def _decided_waiver(org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)
    approve(req, org.school_user)  # approved: its 审批表 is made and enqueued
    return req


def _refused_savepoint():
    """A savepoint whose insert hits a unique key and rolls back, as next_number's does in a race."""
    db.session.add(NumberSequence(prefix="ZZ", year=2026, last_value=0))
    db.session.flush()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(NumberSequence(prefix="ZZ", year=2026, last_value=0))


def _new_version_of_the_form(req):
    form = next(d for d in type(req).workflow.documents if d.kind == "dues_waiver_form")
    return jobs.create_documents(req, [form])[0]


def test_documents_scheduled_before_a_savepoint_rolls_back_are_enqueued_at_commit(app, org, redis_conn):
    req = _decided_waiver(org)
    documents_queue().empty()
    doc = _new_version_of_the_form(req)
    _refused_savepoint()
    db.session.commit()
    doc = db.session.get(Document, doc.id)
    assert doc.version == 2
    assert doc.enqueued_at is not None
    assert len(documents_queue()) == 1


def test_what_a_rolled_back_savepoint_scheduled_is_dropped_and_the_rest_runs(app, org):
    ran = []
    db.session.add(NumberSequence(prefix="ZZ", year=2026, last_value=0))
    db.session.flush()
    on_commit(db.session, ran.append, "before")
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            on_commit(db.session, ran.append, "inside the refused savepoint")
            with db.session.begin_nested():
                on_commit(db.session, ran.append, "inside a savepoint inside it")
            db.session.add(NumberSequence(prefix="ZZ", year=2026, last_value=0))
    with db.session.begin_nested():
        on_commit(db.session, ran.append, "inside a savepoint released")
    assert ran == []  # nothing runs before the commit
    db.session.commit()
    assert ran == ["before", "inside a savepoint released"]


def test_a_rollback_of_the_transaction_drops_its_jobs(app, org, redis_conn):
    req = _decided_waiver(org)
    documents_queue().empty()
    doc_id = _new_version_of_the_form(req).id
    db.session.rollback()
    db.session.commit()  # a later, empty commit enqueues nothing left over
    assert db.session.get(Document, doc_id) is None
    assert len(documents_queue()) == 0
    assert db.session.scalars(select(Document.version).where(Document.request_id == req.id,
                                                             Document.kind == "dues_waiver_form")).all() == [1]
