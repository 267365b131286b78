"""The global data version: one Redis counter that goes up after every committed transaction that
wrote to the database, in every process that opens the app's engine (web, RQ worker and its
work-horses, `flask ticker`, the CLI, migrations). The page cache (web/page_cache.py) keys pages by
it, so a cached page never outlives a change.

Writes are seen at the engine, not in the ORM, so raw statements count as much as the unit of work
(the workflow engine's conditional UPDATE, the jobs' `engine.begin()`, a migration):
- `before_cursor_execute` marks the connection when a statement is not a read (`is_write`);
- the mark is counted once the DBAPI commit has returned (the dialect's `do_commit`, wrapped).
  Not in the engine's `commit` event: it fires *before* the commit, and a page rendered between the
  two would read the old rows yet be cached under the new version;
- `begin` and `rollback` clear the mark. A statement run in AUTOCOMMIT is counted at once.

Redis down: the increment fails and is owed. The process pays it at its next chance (`settle`),
and until then its page cache serves nothing: pages are built, never stale.
Another process that reached Redis while this one could not may serve a page older than this
write for what is left of the minute (the cache's keys carry the minute).
"""
from __future__ import annotations

import logging
import re
import weakref

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event

log = logging.getLogger(__name__)

_MARK = "dangjian_data_written"
_AUTOCOMMITTED = "dangjian_autocommit_write"
# Statements that only read, by their first word. Anything else (INSERT, UPDATE, DELETE, REPLACE,
# MERGE, COPY, DDL, an unknown word) counts as a write: a wrong guess costs one needless
# increment, never a stale page.
_READS = frozenset({"SELECT", "SHOW", "EXPLAIN", "PRAGMA", "VALUES", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK",
                    "SET"})
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*([A-Za-z]*)", re.S)
_WRITE_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.I)


def is_write(statement: str) -> bool:
    """True unless the SQL statement only reads. A CTE (WITH …) writes if any part of it does;
    SELECT … FOR UPDATE reads (it locks, it does not change)."""
    if statement[:6] == "SELECT":  # the common case, without the regex
        return False
    word = _FIRST_WORD.match(statement).group(1).upper()
    if word == "WITH":
        return bool(_WRITE_WORD.search(statement))
    return word not in _READS


class DataVersion:
    """The counter of one app (its Redis and namespace, read from the config at each call)."""

    def __init__(self, app):
        self.app = app
        self.owed = False  # an increment that Redis did not take
        self._client: Redis | None = None
        self._client_url: str | None = None

    @property
    def key(self) -> str:
        return f"{self.app.config['CACHE_NAMESPACE']}:data-version"

    def redis(self) -> Redis:
        """A client with short timeouts: a commit or a page must not wait long for a Redis that is
        down (connection refused answers at once; an unreachable host within half a second)."""
        url = self.app.config["REDIS_URL"]
        if self._client is None or self._client_url != url:
            self._client = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
            self._client_url = url
        return self._client

    def bump(self) -> None:
        """After a committed write. Never raises: the write stands whatever happens to Redis."""
        try:
            self.redis().incr(self.key)
            self.owed = False
        except RedisError as exc:
            self.owed = True
            log.warning("data version not incremented (Redis: %s); the page cache is off in this process "
                        "until it is", exc)

    def settle(self) -> bool:
        """Pay an increment this process owes. False while it cannot: then no version read now can
        be trusted."""
        if not self.owed:
            return True
        try:
            self.redis().incr(self.key)
        except RedisError:
            return False
        self.owed = False
        return True


# The counter of each engine's last app: what a commit outside any app context counts into.
_LATEST: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _counter(engine) -> DataVersion:
    """The counter of the app at work (an engine may serve several apps: the tests reuse one)."""
    if has_app_context():
        version = current_app.extensions.get("data_version")
        if version is not None:
            return version
    return _LATEST[engine]


def install(app, engine) -> DataVersion:
    """Count the committed writes of `engine` into the app's data version (the engine's hooks are
    installed once, however many apps it serves)."""
    version = DataVersion(app)
    app.extensions["data_version"] = version
    _LATEST[engine] = version
    dialect = engine.dialect
    if getattr(dialect, "_dangjian_counts_writes", False):
        return version

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.info.pop(_MARK, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):
        if is_write(statement):
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                conn.info[_AUTOCOMMITTED] = True
            else:
                conn.info[_MARK] = True

    @event.listens_for(engine, "after_cursor_execute")
    def _executed(conn, cursor, statement, parameters, context, executemany):
        if conn.info.pop(_AUTOCOMMITTED, False):
            _counter(engine).bump()  # committed already, by the database

    @event.listens_for(engine, "rollback")
    def _rollback(conn):
        conn.info.pop(_MARK, None)

    do_commit = dialect.do_commit

    def commit_then_count(dbapi_connection):
        do_commit(dbapi_connection)
        info = getattr(dbapi_connection, "info", None)  # the pool's proxy: the same dict as conn.info
        if info is not None and info.pop(_MARK, False):
            _counter(engine).bump()

    dialect.do_commit = commit_then_count
    dialect._dangjian_counts_writes = True
    return version


def of(app) -> DataVersion:
    return app.extensions["data_version"]
