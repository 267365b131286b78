"""Sessions that end when they should.

Choice: a per-user session version, not server-side sessions. The signed session cookie carries
"<user id>.<session_version>" (User.get_id); the user loader accepts it only while the database
holds the same version. Raising the version (退出, a password change or reset, disabling the
account) therefore ends every session of that user at once, on every web process and machine,
with no session store to share or clean: the database that every process already reads is the
one place the truth lives. Server-side sessions would need a store that every web process on every
machine shares (Redis, here only a message carrier that may be flushed or down), and a lost store
would sign everybody out or, worse, keep a revoked session alive on one machine.

Timeouts need no store either. The cookie carries, signed, the time of sign-in and of the last
request (`login_at`, `seen_at`, seconds since the epoch): an idle one (SESSION_IDLE_MINUTES, 30 by
default) or an old one (SESSION_ABSOLUTE_HOURS, 12) is ended on its next request, and replaying an
older cookie only brings back older times. A session without those stamps (a "remember me" cookie,
a cookie from before this code) is not accepted: remember-me cookies are never issued.

`now()` is the one clock of sign-in (sessions and lockout): tests move it with monkeypatch.
"""
from datetime import datetime, timedelta, timezone

from flask import current_app, request, session
from flask_login import login_user, logout_user
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import User

_EPOCH = datetime(1970, 1, 1)
# The last-seen stamp is rewritten at most this often, so a page's burst of requests does not
# resend the cookie each time (the idle timeout is exact to within this).
_SEEN_RESOLUTION = 30

# How the session was opened: the forced password change applies to a local password only.
METHOD_PASSWORD = "password"
METHOD_LDAP = "ldap"
METHOD_SSO = "sso"


def now() -> datetime:
    """The current time, naive UTC (as stored). The clock seam of the tests."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _seconds(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


def load_user(session_id: str):
    """Flask-Login's user loader: the user, if the session's version is still current."""
    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None  # a cookie from before session versions, or forged: sign in again
    # The roles load when a page first asks for them (one statement, as the eager load would cost):
    # a page served from the cache (web/page_cache.py) never does.
    user = db.session.get(User, int(user_id), options=[lazyload(User.role_assignments)])
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Every session of `user` ends (inside the caller's transaction; effective at commit)."""
    user.session_version = (user.session_version or 0) + 1


def start(user: User, method: str) -> None:
    """Sign `user` in on this browser: a fresh session (nothing carried over from before sign-in),
    stamped with the sign-in time. Never a remember-me cookie."""
    session.clear()
    login_user(user, remember=False)
    stamp = _seconds(now())
    session["login_at"] = stamp
    session["seen_at"] = stamp
    session["auth_method"] = method


def renew(user: User) -> None:
    """After the user's version was raised (own password change): this session goes on with the
    new version, keeping its sign-in time (the absolute timeout still counts from sign-in)."""
    kept = {k: session.get(k) for k in ("login_at", "auth_method")}
    login_user(user, remember=False)
    session.update(kept)
    session["seen_at"] = _seconds(now())


def end() -> None:
    """This browser's session ends (the user's others are ended by end_all_sessions)."""
    logout_user()
    session.clear()
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"  # Flask-Login deletes a remember-me cookie at the response


def method() -> str | None:
    return session.get("auth_method")


def expired() -> str | None:
    """Why the signed-in session of this request is over ("idle", "absolute" or "unstamped"), or
    None when it holds. Refreshes the last-seen stamp of a session that holds."""
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return "unstamped"
    current = _seconds(now())
    config = current_app.config
    if current - login_at >= config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return "absolute"
    if current - seen_at >= config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    if current - seen_at >= _SEEN_RESOLUTION:
        session["seen_at"] = current
    return None


def signed_in_at() -> datetime | None:
    login_at = session.get("login_at")
    return _EPOCH + timedelta(seconds=login_at) if isinstance(login_at, int) else None
