"""Sessions that end when they should.

Choice: a per-user session version, not server-side sessions. The signed session cookie carries
"<user id>.<session_version>" (User.get_id); the user loader accepts it only while the database
holds the same version. Raising the version (退出, a password change or reset, disabling the
account) therefore ends every session of that user at once, on every web process and machine,
with no session store to share or clean: the database that every process already reads is the
one place the truth lives.
"""
from ..extensions import db
from ..models import User


def load_user(session_id: str):
    """Flask-Login's user loader: the user, if the session's version is still current."""
    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None  # a cookie from before session versions, or forged: sign in again
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Every session of `user` ends (inside the caller's transaction; effective at commit)."""
    user.session_version = (user.session_version or 0) + 1
