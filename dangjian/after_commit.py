"""Run side effects (enqueueing jobs) only after the transaction that caused them commits."""
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "after_commit_callbacks"


def on_commit(session, fn, *args) -> None:
    session.info.setdefault(_KEY, []).append((fn, args))


@event.listens_for(Session, "after_commit")
def _run(session):
    callbacks = session.info.pop(_KEY, [])
    for fn, args in callbacks:
        fn(*args)


@event.listens_for(Session, "after_soft_rollback")
def _discard(session, previous_transaction):
    session.info.pop(_KEY, None)
