"""Database engine settings: SQLite needs WAL and a busy timeout when web and worker processes
write at once, and foreign keys switched on. Every engine counts its committed writes into the
global data version (data_version.py), which the page cache keys its pages by."""
from sqlalchemy import event

from . import data_version
from .extensions import db


def configure(app) -> None:
    with app.app_context():
        engine = db.engine
        data_version.install(app, engine)
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
