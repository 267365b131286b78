"""Database engine settings: SQLite needs WAL and a busy timeout when web and worker processes
write at once, and foreign keys switched on."""
from sqlalchemy import event

from .extensions import db


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def configure(app) -> None:
    with app.app_context():
        engine = db.engine
        # Once per engine: an engine serving several apps (the tests reuse one per database) is
        # configured once.
        if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
            event.listen(engine, "connect", _sqlite_pragmas)
