"""`flask db upgrade` builds the schema from nothing, and the result matches the models.

Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (in that database, which this
test empties before and after, like the `app` fixture does).
"""
import logging
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect

from dangjian import create_app
from dangjian.extensions import db


def _drop_everything():
    """Every table in the database, the alembic_version table included."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    meta.drop_all(bind=db.engine)


@contextmanager
def logging_kept():
    """Alembic's env.py calls logging.config.fileConfig, which disables every existing logger;
    in a long-lived test process that would silence the app's loggers for later tests."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
             for name, lg in logging.root.manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, lg in logging.root.manager.loggerDict.items():
            if not isinstance(lg, logging.Logger):
                continue
            disabled, level, handlers, propagate = saved.get(name, (False, logging.NOTSET, [], True))
            lg.disabled, lg.propagate = disabled, propagate
            lg.setLevel(level)
            lg.handlers[:] = handlers


@pytest.fixture
def empty_app(tmp_path, postgres_url):
    url = postgres_url or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                      "ARCHIVE_DIR": str(tmp_path / "archive"), "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "DEMO_MODE": False})
    with app.app_context():
        _drop_everything()
        assert inspect(db.engine).get_table_names() == []
        yield app
        db.session.remove()
        _drop_everything()
        db.engine.dispose()


def _differences():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_schema_the_models_describe(empty_app):
    with logging_kept():
        upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) | {"alembic_version"} == tables
    assert _differences() == []


def test_the_migrations_have_one_head_and_downgrade_to_nothing(empty_app):
    script = ScriptDirectory.from_config(empty_app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1
    with logging_kept():
        upgrade()
        downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_app_works_on_the_migrated_schema(empty_app):
    """A migrated database (not create_all) takes a whole dues waiver through the engine."""
    from dangjian.models import RequestState
    from tests.factories import approve, build_org, new_waiver

    with logging_kept():
        upgrade()
    o = build_org()
    req = new_waiver(o.direct_member)
    approve(req, o.direct_secretary)
    approve(req, o.school_user)
    assert req.state is RequestState.APPROVED
    # The 审批表 and the 批复, whose 文号 the register issued in the approval's transaction.
    assert sorted((d.kind, d.status.value) for d in req.documents) == [
        ("dues_waiver_form", "pending"), ("dues_waiver_reply", "pending")]
    assert next(d for d in req.documents if d.kind == "dues_waiver_reply").doc_number.endswith("〕1号")
