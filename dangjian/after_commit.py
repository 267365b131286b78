"""Run side effects (enqueueing jobs) only after the transaction that caused them commits.

SQLAlchemy's session events fire for savepoints as well as for the transaction: releasing a
savepoint is not the commit, and rolling one back is not the end of the transaction. So a callback
belongs to the transaction, or the savepoint, that scheduled it:
- a savepoint (`begin_nested`) that rolls back (a unique key tried and refused, say) drops only what
  was scheduled inside it; what the transaction scheduled before it stays;
- a rollback of the outermost transaction drops everything;
- everything left runs once, after the outermost transaction commits.
"""
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

_KEY = "after_commit_callbacks"


def on_commit(session, fn, *args) -> None:
    if isinstance(session, scoped_session):  # db.session: the session of this context
        session = session()
    # The innermost open savepoint, or None for the outermost transaction.
    scope = session.get_nested_transaction()
    session.info.setdefault(_KEY, []).append((scope, fn, args))


@event.listens_for(Session, "after_commit")
def _run(session):
    # after_commit fires when a savepoint is released too (the committing savepoint is still the
    # session's nested transaction then): that is not the commit the callbacks wait for.
    if session.get_nested_transaction() is not None:
        return
    callbacks = session.info.pop(_KEY, [])
    for _scope, fn, args in callbacks:
        fn(*args)


def _inside(scope, savepoint) -> bool:
    """Whether `scope` (a savepoint, or None for the outermost transaction) is `savepoint` or
    was opened inside it."""
    while scope is not None:
        if scope is savepoint:
            return True
        scope = scope.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _discard(session, previous_transaction):
    # after_soft_rollback fires for savepoints too, not only for the outermost transaction.
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)
        return
    if previous_transaction.nested and _KEY in session.info:
        session.info[_KEY] = [c for c in session.info[_KEY] if not _inside(c[0], previous_transaction)]
