"""The audit log is append-only in the database itself (issue 6 §7): 纪委 reads it, nobody edits it.

A trigger refuses UPDATE and DELETE on audit_events (and TRUNCATE on PostgreSQL), whoever sends
them: the ORM, raw SQL, or someone at a database prompt with the application's credentials.
These tests run on SQLite, and on PostgreSQL in the PostgreSQL pass of `make test`
(TEST_DATABASE_URL); a case that only exists on one database skips on the other, saying why.
"""
import json
from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from dangjian import audit
from dangjian.extensions import db
from dangjian.models import AuditEvent
from tests.test_migrations import empty_app, logging_kept  # noqa: F401  (fixture)

BEFORE_TRIGGERS = "23416fba6e40"  # the revision before the triggers (f6cf8fa5a808) were added


def dialect() -> str:
    return db.engine.dialect.name


def _one_row(user=None) -> int:
    with_request = {"user": user} if user else {}
    event = audit.record("budget.set", None, **with_request, year=2026, amount="1000.00")
    db.session.flush()
    event_id = event.id
    db.session.commit()
    return event_id


def _row(event_id):
    db.session.expire_all()
    return db.session.execute(select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.id == event_id)).one()


def _refused(statement, params=None):
    """Run one statement in its own transaction; it must be refused by the database. The
    session's own read transaction ends first (a TRUNCATE would wait for its lock forever)."""
    db.session.commit()
    with pytest.raises(DBAPIError) as caught:
        with db.engine.begin() as conn:
            conn.execute(text(statement), params or {})
    return str(caught.value.orig)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET detail = '{}' WHERE id = :id",
    "UPDATE audit_events SET user_id = NULL",
    "DELETE FROM audit_events WHERE id = :id",
    "DELETE FROM audit_events",
])
def test_sql_update_and_delete_are_refused(app, org, statement):
    event_id = _one_row(org.org_dept_user)
    message = _refused(statement, {"id": event_id})
    assert "append-only" in message
    assert _row(event_id) == ("budget.set", json.dumps({"year": 2026, "amount": "1000.00"}))
    assert db.session.scalar(select(AuditEvent.user_id).where(AuditEvent.id == event_id)) == org.org_dept_user.id


def test_the_orm_cannot_change_or_delete_a_row_either(app, org):
    event_id = _one_row(org.org_dept_user)
    event = db.session.get(AuditEvent, event_id)
    event.detail = "edited"
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event_id))
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()
    assert _row(event_id)[1] == json.dumps({"year": 2026, "amount": "1000.00"})


def test_rows_are_still_appended(app, org):
    """The triggers refuse changes, never new rows: the log keeps growing."""
    first = _one_row()
    db.session.execute(insert(AuditEvent).values(action="auth.login", created_at=datetime(2026, 1, 1), detail=""))
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == 2
    assert first < db.session.scalar(select(db.func.max(AuditEvent.id)))


def test_emptying_the_whole_log_at_once_is_refused(app, org):
    """PostgreSQL's TRUNCATE skips row triggers, so it has its own; SQLite has no TRUNCATE, and its
    whole-table DELETE (the "truncate optimisation") must still fire the row trigger."""
    event_id = _one_row()
    if dialect() == "postgresql":
        assert "append-only" in _refused("TRUNCATE audit_events")
        assert "append-only" in _refused("TRUNCATE audit_events CASCADE")
    else:
        assert "append-only" in _refused("DELETE FROM audit_events")
    assert _row(event_id)[0] == "budget.set"


# --- the migrations build the same protection ---------------------------------------------

def _triggers() -> set[str]:
    if dialect() == "postgresql":
        sql = ("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal")
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
    with db.engine.connect() as conn:
        return set(conn.execute(text(sql)).scalars())


EXPECTED = {"postgresql": {"audit_events_append_only", "audit_events_no_truncate"},
            "sqlite": {"audit_events_no_update", "audit_events_no_delete"}}


def test_flask_db_upgrade_from_nothing_creates_the_triggers(empty_app):  # noqa: F811
    with logging_kept():
        upgrade()
    assert _triggers() == EXPECTED[dialect()]
    with db.engine.begin() as conn:
        conn.execute(insert(AuditEvent).values(action="auth.login", created_at=datetime(2026, 1, 1), detail=""))
    assert "append-only" in _refused("UPDATE audit_events SET action = 'x'")
    assert "append-only" in _refused("DELETE FROM audit_events")
    if dialect() == "postgresql":
        assert "append-only" in _refused("TRUNCATE audit_events")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_events")).scalars().all() == ["auth.login"]


def test_the_models_create_all_path_matches_the_migration(app):
    """Tests and `flask demo load` build tables with create_all: the same triggers must exist."""
    assert _triggers() == EXPECTED[dialect()]


def test_downgrading_below_the_revision_removes_the_triggers(empty_app):  # noqa: F811
    with logging_kept():
        upgrade()
        downgrade(revision=BEFORE_TRIGGERS)
    assert _triggers() == set()
