"""What the sign-in tests share: the clock seam, a second app behind a proxy, small helpers."""
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from dangjian import create_app
from dangjian.accounts import sessions
from dangjian.extensions import db
from dangjian.models import AuditEvent

WRONG = "wrong-password"


class Clock:
    """Sign-in's clock (accounts.sessions.now), moved by the test: never a sleep."""

    def __init__(self):
        self.moment = datetime(2026, 3, 2, 1, 0, 0)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(sessions, "now", c)
    return c


def events(action=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    db.session.expire_all()
    return db.session.scalars(query).all()


def detail(event) -> dict:
    return json.loads(event.detail) if event.detail else {}


def post_login(client, username, password, **kw):
    return client.post("/login", data={"username": username, "password": password}, **kw)


def sibling_app(app, **overrides):
    """A second app on the same database and Redis namespace (e.g. with PROXY_COUNT=1, which is
    read when the app is built). CSRF off, as in the `auth` fixture."""
    keys = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RQ_QUEUE", "ARCHIVE_DIR",
            "UPLOAD_DIR", "DEMO_MODE", "DATA_KEYS", "LOGIN_RATE_LIMIT_NAMESPACE", "CACHE_NAMESPACE")
    config = {k: app.config[k] for k in keys}
    config["WTF_CSRF_ENABLED"] = False
    config.update(overrides)
    return create_app(config)
