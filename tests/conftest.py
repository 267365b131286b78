"""Fixtures: a real app on SQLite (or PostgreSQL when TEST_DATABASE_URL is set), a real Redis
(TEST_REDIS_URL, started by `make test`), and a small but real organization tree."""
import inspect as pyinspect
import os
import shutil
import uuid
from types import SimpleNamespace

import pytest
from flask import g
from redis import Redis
from sqlalchemy import MetaData, create_engine, event, inspect, make_url, or_, text

from dangjian import create_app
from dangjian.extensions import db
from tests.factories import build_org

def _memoize_url_builders() -> None:
    """Every test builds a new app, and werkzeug compiles two Python functions per URL rule for
    url_for (AST + compile(): ~70 % of create_app). The generated code depends only on the rule's
    parsed parts and defaults (the rule instance is passed in as its first argument), so the tests
    compile each shape once per process. Production builds one app and is not touched."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    cache: dict = {}

    def cached(self, append_unknown=True):
        defaults = self.defaults or {}
        key = (tuple(self._trace), append_unknown, repr(sorted(defaults.items())),
               tuple((name, type(conv)) for name, conv in self._converters.items() if name in defaults))
        func = cache.get(key)
        if func is None:
            func = cache[key] = compile_builder(self, append_unknown)
        return func

    Rule._compile_builder = cached


_memoize_url_builders()


def _memoize_template_compilation() -> None:
    """Every test builds a new app, so a new Jinja environment, and compiled every template it
    rendered again (parse + generate + compile(): a third of the time of a short test). The compiled
    code depends only on the source and the environment's settings, the same for every test app
    (the filters and globals are looked up when the template runs); the tests compile each template
    once per process. Production builds one app and is not touched."""
    from jinja2 import Environment

    compile_template = Environment.compile
    cache: dict = {}

    def cached(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not isinstance(source, str):  # an already parsed template (nodes): not keyed
            return compile_template(self, source, name, filename, raw, defer_init)
        # Flask's autoescape is a bound method of each app: key by its answer for this template.
        autoescape = self.autoescape(name) if callable(self.autoescape) else self.autoescape
        key = (source, name, filename, raw, defer_init, autoescape, self.optimized,
               tuple(sorted(self.extensions)), frozenset(self.filters), frozenset(self.tests))
        code = cache.get(key)
        if code is None:
            code = cache[key] = compile_template(self, source, name, filename, raw, defer_init)
        return code

    Environment.compile = cached


_memoize_template_compilation()

#: The database URLs of the `app` fixture: one per worker and database, the same for every test.
_REUSED_URLS: set = set()
_ENGINES: dict = {}


def _no_sync(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    cur.close()


def _reuse_engines() -> None:
    """Every test builds a new app, and Flask-SQLAlchemy a new engine for it; SQLAlchemy caches
    compiled SQL per engine (per dialect instance), so every test compiled every statement again.
    The `app` fixture's database URL is the same for every test of a worker (SQLite: a fresh copy of
    the schema file at one path; PostgreSQL: the worker's database), so the tests reuse one engine
    per URL, and with it the compiled statements and (PostgreSQL) the pooled connections. Other
    URLs (a test's own database) get their own engine, as in production."""
    from flask_sqlalchemy import SQLAlchemy

    make_engine = SQLAlchemy._make_engine

    def reused(self, bind_key, options, app):
        url = make_url(options["url"]).render_as_string(hide_password=False)
        if url not in _REUSED_URLS:
            return make_engine(self, bind_key, options, app)
        if url not in _ENGINES:
            engine = _ENGINES[url] = make_engine(self, bind_key, options, app)
            if engine.dialect.name == "sqlite":
                # A throwaway file: no fsync at each commit (2–3 ms each on this disk), as the test
                # PostgreSQL runs with fsync off (scripts/lib.sh). Production keeps SQLite's default.
                event.listen(engine, "connect", _no_sync)
        return _ENGINES[url]

    SQLAlchemy._make_engine = reused


_reuse_engines()

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6391/0")
# A fixed Fernet key for the tests (personal_data); production generates its own.
TEST_DATA_KEY = "q9Jc0c0VfQ0VbUeF6sM3X1iYB7h7cC2m0m0b7cH3S4A="


def _worker_database(url: str) -> str:
    """With pytest-xdist, each worker gets its own PostgreSQL database (<name>_gw0, …), created on
    first use, so parallel workers never drop each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium (tests/browser_support.chromium); "
                                       "marked automatically")
    config.addinivalue_line("markers", "once: needs one database pass only: a test that opens no database "
                                       "(marked automatically), or one that measures a rendered document's "
                                       "layout, where the database plays no part (marked by its module)")


def pytest_collection_modifyitems(config, items):
    """Mark every test whose body opens Chromium (`browser`), and every test that uses no database
    fixture (`once`), so a pass can choose them: scripts/test.sh runs both in one database pass only
    (see there)."""
    seen: dict = {}
    for item in items:
        if not {"app", "postgres_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.once)
        fn = getattr(item, "function", None)
        if fn is None:
            continue
        if fn not in seen:
            try:
                seen[fn] = "chromium(" in pyinspect.getsource(fn)
            except (OSError, TypeError):
                seen[fn] = False
        if seen[fn]:
            item.add_marker(pytest.mark.browser)
    # The long tests (the browser journeys) first: pytest-xdist hands tests out in this order, so the
    # last minute of a pass is many short tests that keep both workers busy, not one journey alone.
    items.sort(key=lambda item: item.get_closest_marker("browser") is None)


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("TEST_DATABASE_URL")
    return _worker_database(url) if url else None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, postgres_url):
    """SQLite: one file with the models' empty schema per worker, built once. Each test starts from
    a copy of it (a file copy costs ~1 ms; create_all costs ~75 ms per test)."""
    if postgres_url:
        return None
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DEMO_MODE": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "REDIS_URL": TEST_REDIS_URL,
                      "DATA_KEYS": [TEST_DATA_KEY]})
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


def _database_url(postgres_url, sqlite_template) -> str:
    """The worker's database for the next test. SQLite: a fresh copy of the schema file, always at
    the same path (so the tests can share one engine: see _reuse_engines); the engine's pooled
    connections to the previous copy are closed first."""
    if postgres_url:
        _REUSED_URLS.add(make_url(postgres_url).render_as_string(hide_password=False))
        return postgres_url
    path = sqlite_template.with_name("test.sqlite3")
    url = f"sqlite:///{path}"
    _REUSED_URLS.add(url)
    if url in _ENGINES:
        _ENGINES[url].dispose()
    for leftover in path.parent.glob("test.sqlite3*"):
        leftover.unlink()
    shutil.copyfile(sqlite_template, path)
    return url


@pytest.fixture
def app(tmp_path, postgres_url, sqlite_template):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(postgres_url, sqlite_template),
        "REDIS_URL": TEST_REDIS_URL,
        # Each test has its own queue, so a worker in one test never sees another test's jobs.
        "RQ_QUEUE": f"test-documents-{uuid.uuid4().hex[:8]}",
        "NOTIFY_QUEUE": f"test-notifications-{uuid.uuid4().hex[:8]}",
        "ARCHIVE_DIR": str(tmp_path / "archive"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "DEMO_MODE": False,
        "DATA_KEYS": [TEST_DATA_KEY],
        # The login rate limit counts in the real Redis: each test counts on its own.
        "LOGIN_RATE_LIMIT_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
        # The data version and the page cache too (dangjian.web.page_cache).
        "CACHE_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
    })

    # Flask reuses the test's app context for every request made from this thread, so `g` would
    # outlive a request: Flask-Login's cached user and Flask-WTF's cached token would answer the
    # next request, even from another client. As in production, `g` lives for one request.
    @app.teardown_request
    def _forget_request_globals(exc):
        for name in list(vars(g)):
            g.pop(name, None)

    # The masthead's issuer names are cached per database URL for a few minutes; the tests replace
    # the database behind one URL for every test (production never does).
    from dangjian.web import masthead
    masthead._cache.clear()

    with app.app_context():
        _fresh_schema()
        yield app
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()  # the next test replaces the file


def _fresh_schema() -> None:
    """An empty database with exactly the models' tables, before each test.

    SQLite: each test has its own copy of the worker's template file: nothing to do. PostgreSQL: each
    xdist worker keeps its database, and the previous test's rows are deleted. One statement finds
    the tables that hold rows (a test fills a handful of the schema's tables), those are emptied with
    DELETE and every sequence restarts at 1: for the few rows a test leaves, this costs half of one
    TRUNCATE … RESTART IDENTITY over every table (TRUNCATE has a fixed cost per table). Triggers are
    off for that one transaction (foreign keys, and the audit log's append-only trigger, which
    refuses deletes, as it should for the application). A test that changed the schema (the
    migration tests drop everything and migrate) leaves another set of tables: then everything is
    dropped and created.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    expected = set(db.metadata.tables)
    with engine.begin() as conn:
        if set(inspect(conn).get_table_names()) == expected and _columns_checked(conn):
            probe, restart = _pg_cleanup_statements(conn, sorted(expected))
            filled = [row[0] for row in conn.exec_driver_sql(probe)]
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            if filled:
                conn.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in filled))
            if restart:
                conn.exec_driver_sql(restart)
            return
    meta = MetaData()
    meta.reflect(bind=engine)
    meta.drop_all(bind=engine)
    db.create_all()


_PG_CLEANUP: dict = {}
_PG_COLUMNS_CHECKED: set = set()


def _columns_checked(conn) -> bool:
    """Once per process and database: do the tables have the models' columns? (A database left by
    an older checkout has the same tables with other columns.) Later tests compare table names only."""
    url = str(conn.engine.url)
    if url not in _PG_COLUMNS_CHECKED:
        insp = inspect(conn)
        for name, table in db.metadata.tables.items():
            if {c["name"] for c in insp.get_columns(name)} != set(table.columns.keys()):
                return False
        _PG_COLUMNS_CHECKED.add(url)
    return True


def _pg_cleanup_statements(conn, tables: list[str]) -> tuple[str, str]:
    """(a query naming the tables that hold a row, a statement restarting every sequence), built
    once per schema."""
    key = tuple(tables)
    if key not in _PG_CLEANUP:
        probe = " UNION ALL ".join(f"(SELECT '{t}' FROM \"{t}\" LIMIT 1)" for t in tables)
        sequences = [r[0] for r in conn.exec_driver_sql(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = current_schema()")]
        restart = ("SELECT " + ", ".join(f"setval('\"{q}\"', 1, false)" for q in sequences)) if sequences else ""
        _PG_CLEANUP[key] = (probe, restart)
    return _PG_CLEANUP[key]


@pytest.fixture
def org(app):
    """School, 组织部, two secondary units with branches, a 直属党支部, and a user per role."""
    return _restore_org() or _snapshot_org(build_org())


# The org of build_org(), as rows, once per process (SQLite): building it through the ORM costs ~30 ms
# a test (some 40 objects flushed one by one); writing its rows back costs a few statements (two test
# files: 26 s -> 20 s). Taken from a database that held nothing else; restored only into one that
# holds nothing yet, with fresh created_at stamps. SQLite gives the next row max(id) + 1.
_ORG_ROWS: dict = {}


def _snapshot_org(o: SimpleNamespace) -> SimpleNamespace:
    from sqlalchemy import select

    key = str(db.engine.url)
    if key in _ORG_ROWS or db.engine.dialect.name != "sqlite":
        return o  # taken already, or never restored (PostgreSQL): read nothing
    tables = db.metadata.sorted_tables
    rows = {t.name: [dict(r) for r in db.session.execute(select(t)).mappings()] for t in tables}
    db.session.rollback()
    if all(rows[name] for name in ("organizations", "users")):
        attrs = {name: (type(obj), obj.id) for name, obj in vars(o).items()}
        _ORG_ROWS[key] = ([(t, rows[t.name]) for t in tables if rows[t.name]], attrs)
    return o


def _restore_org() -> SimpleNamespace | None:
    from sqlalchemy import exists, insert, select

    from dangjian.models.base import utcnow

    snapshot = _ORG_ROWS.get(str(db.engine.url))
    if snapshot is None or db.engine.dialect.name != "sqlite":
        return None  # PostgreSQL: measured no faster (a round trip per statement either way)
    tables, attrs = snapshot
    if db.session.scalar(select(or_(*(exists().select_from(t) for t, _ in tables)))):
        db.session.rollback()
        return None  # a fixture wrote before this one: build the org the slow way
    now = utcnow()
    for table, rows in tables:
        stamps = [c for c in ("created_at", "updated_at") if c in table.c]
        db.session.execute(insert(table), [{**r, **{c: now for c in stamps if r.get(c)}} for r in rows])
    db.session.commit()
    by_model: dict = {}
    for model, pk in attrs.values():
        by_model.setdefault(model, set()).add(pk)
    loaded = {(model, obj.id): obj for model, ids in by_model.items()
              for obj in db.session.scalars(select(model).where(model.id.in_(ids)))}
    return SimpleNamespace(**{name: loaded[key] for name, key in attrs.items()})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(app):
    """The app as users get it: CSRF checked (tests post the token from the page)."""
    return app


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user, password="pw"):
        if self.client.get_cookie("session") is not None:  # someone is signed in on this client
            self.client.post("/logout")
        resp = self.client.post("/login", data={"username": user.username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp


@pytest.fixture
def auth(client, app):
    app.config["WTF_CSRF_ENABLED"] = False
    return Auth(client)


@pytest.fixture
def redis_conn():
    """The real Redis the tests run against. A missing server is an error, never a skip."""
    conn = Redis.from_url(TEST_REDIS_URL)
    conn.ping()
    yield conn
    conn.close()


@pytest.fixture
def ns():
    return SimpleNamespace()
