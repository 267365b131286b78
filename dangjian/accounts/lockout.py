"""Account lockout after failed sign-ins (等保2.0 二级: 登录失败处理).

LOCKOUT_THRESHOLD (5) consecutive failures lock the account for LOCKOUT_MINUTES (15). While it is
locked even the right password is refused; the lock lifts by itself, or when the 系统管理员
unlocks the account or resets its password (accounts.operations: failed_logins = 0,
locked_until = None). A success resets the count. The count restarts at 0 when the lock is set,
so after the lock the user has the full number of tries again.

Counting is one conditional UPDATE in the database, so failures sent at the same moment to several
web processes are all counted.

What the visitor is told never depends on whether the account exists, is locked or disabled
(`FAILURE_MESSAGE`), and an unknown username costs a password hash check like a known one
(`waste_a_hash_check`), so the answer's timing does not tell either.
"""
from datetime import timedelta
from functools import lru_cache
import secrets

from flask import current_app
from sqlalchemy import update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db
from ..models import User
from . import sessions


def failure_message() -> str:
    config = current_app.config
    return (f"账号或密码不正确。连续输错{config['LOCKOUT_THRESHOLD']}次，账号将被锁定"
            f"{config['LOCKOUT_MINUTES']}分钟；如已锁定，请稍后再试或联系系统管理员。")


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > sessions.now()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Hashed like every real password (werkzeug's default method), so checking it costs the same.
    return generate_password_hash(secrets.token_urlsafe(16))


def waste_a_hash_check(password: str) -> None:
    """The cost of a password check, for an attempt that has no real hash to check."""
    check_password_hash(_dummy_hash(), password or "")


def register_failure(user: User, reason: str) -> bool:
    """Count a failed sign-in of `user` (audited); lock the account when the count reaches the
    threshold. Returns True when this failure locked it. The caller commits."""
    config = current_app.config
    threshold, minutes = config["LOCKOUT_THRESHOLD"], config["LOCKOUT_MINUTES"]
    count = db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)).scalar_one()
    audit.record("auth.login_failed", user, username=user.username, reason=reason, failed_logins=count)
    if count < threshold:
        db.session.refresh(user, ["failed_logins"])
        return False
    until = sessions.now() + timedelta(minutes=minutes)
    locked = db.session.execute(
        update(User).where(User.id == user.id, User.failed_logins >= threshold)
        .values(failed_logins=0, locked_until=until)).rowcount
    db.session.refresh(user, ["failed_logins", "locked_until"])
    if locked:
        audit.record("auth.locked", user, username=user.username, locked_until=until, minutes=minutes)
    return bool(locked)


def register_success(user: User) -> None:
    """A sign-in that counts as this user's: the failure count starts again. The caller commits."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = sessions.now()
