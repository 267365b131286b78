"""Who may sign in, with which password: the decisions behind the login form and the password
change, kept apart from the web (no request, no flash; each function commits what it decided).

The rule for a username and a password:
1. An unknown username, a disabled account and a locked account are refused with the same message
   as a wrong password (lockout.failure_message), after a password hash check of the same cost.
2. A 系统管理员 always signs in with the local password: the directory can neither lock the
   administrators out nor let anybody in as one.
3. Everybody else, when LDAP is configured (accounts.ldap): the directory first. If it knows the
   username, its answer decides (a wrong directory password is a failure, the local password is not
   tried). If it does not know the username, or cannot be reached, the local password decides.
4. Every failure with a known account counts towards the lockout, LDAP failures too; a success
   resets the count. Every attempt is audited: auth.login, auth.login_failed (the username tried
   and the reason, never the password), auth.locked.

The forced password change (User.must_change_password) concerns the local password only: a
sign-in through the directory or the single sign-on proxy is not held by it.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import Member, Role, User
from . import ldap, lockout, sessions
from .passwords import policy_problems

MAX_USERNAME = 50


@dataclass
class Outcome:
    user: User | None = None
    method: str | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def find_user(username: str) -> User | None:
    """The account with this username (letter case ignored: accounts are unique regardless of it)."""
    username = (username or "").strip()
    if not username or len(username) > MAX_USERNAME:
        return None
    return db.session.scalars(select(User).where(func.lower(User.username) == username.lower())
                              .order_by(User.id)).first()


def is_administrator(user: User) -> bool:
    """系统管理员 accounts: local password only. Any assignment counts, ended ones too, so an
    administrator whose term has lapsed can still sign in (and be turned away by the pages)."""
    return any(ra.role is Role.SYSADMIN and ra.revoked_at is None for ra in user.role_assignments)


def _refuse(username: str, reason: str) -> Outcome:
    audit.record("auth.login_failed", username=username[:MAX_USERNAME], reason=reason)
    db.session.commit()
    return Outcome()


def _accept(user: User, method: str) -> Outcome:
    lockout.register_success(user)
    audit.record("auth.login", user, user=user, method=method)
    db.session.commit()
    return Outcome(user, method)


def authenticate(username: str, password: str) -> Outcome:
    """Check a username and password typed into the login form (see the module docstring)."""
    username = (username or "").strip()
    user = find_user(username)
    if user is None:
        return _unknown_user(username, password)
    if not user.active:
        user.check_password(password)  # the same work as any attempt; the answer does not matter
        return _refuse(user.username, "inactive")
    if lockout.is_locked(user):
        user.check_password(password)
        audit.record("auth.login_failed", user, username=user.username, reason="locked")
        db.session.commit()
        return Outcome()
    if ldap.enabled() and not is_administrator(user):
        answer = ldap.check_password(user.username, password)
        if answer.outcome == ldap.OK:
            return _accept(user, sessions.METHOD_LDAP)
        if answer.outcome == ldap.BAD_PASSWORD:
            lockout.register_failure(user, "ldap_bad_password")
            db.session.commit()
            return Outcome()
        # Not in the directory, or the directory is down: the local password decides.
    if user.check_password(password):
        return _accept(user, sessions.METHOD_PASSWORD)
    lockout.register_failure(user, "bad_password")
    db.session.commit()
    return Outcome()


def _unknown_user(username: str, password: str) -> Outcome:
    if not ldap.enabled():
        lockout.waste_a_hash_check(password)
        return _refuse(username, "unknown_user")
    answer = ldap.check_password(username, password)
    if answer.outcome != ldap.OK:
        lockout.waste_a_hash_check(password)  # a known user not in the directory costs a hash check
        return _refuse(username, "unknown_user")
    if not current_app.config.get("AUTH_LDAP_CREATE_USERS"):
        return _refuse(username, "no_local_account")
    user = _account_from_directory(username, answer)
    return _accept(user, sessions.METHOD_LDAP)


def _account_from_directory(username: str, answer: "ldap.Result") -> User:
    """AUTH_LDAP_CREATE_USERS: an account for a directory user, linked to the member with that
    工号 when there is one (and it has no account yet). No roles: the 系统管理员 grants them."""
    member = db.session.scalar(select(Member).where(Member.staff_no == username))
    if member is not None and member.user is not None:
        member = None
    display = (member.name if member else "") or answer.first("displayName") or answer.first("cn") or username
    user = User(username=username, display_name=display[:50], password_hash="", member=member,
                email=answer.first("mail")[:120], active=True, must_change_password=False)
    db.session.add(user)
    db.session.flush()
    audit.record("auth.account_created_from_directory", user, user=user, username=username,
                 member_id=member.id if member else None)
    return user


class PasswordChangeRefused(Exception):
    """The change was refused: `errors` maps a form field to its Chinese messages."""

    def __init__(self, errors: dict[str, list[str]], locked: bool = False):
        super().__init__(errors)
        self.errors = errors
        self.locked = locked


def change_own_password(user: User, current: str, new: str, confirm: str) -> None:
    """修改密码: the current password is required; the policy applies; every session of the user
    ends (the caller keeps the current one with sessions.renew). A wrong current password counts
    towards the lockout like a failed sign-in, so a stolen session cannot guess it at leisure."""
    if not user.check_password(current or ""):
        locked = lockout.register_failure(user, "password_change_bad_current")
        if locked:
            sessions.end_all_sessions(user)
        db.session.commit()
        raise PasswordChangeRefused({"current_password": ["当前密码不正确"]}, locked=locked)
    errors: dict[str, list[str]] = {}
    problems = policy_problems(new or "", user.username)
    if problems:
        errors["new_password"] = problems
    elif user.check_password(new):
        errors["new_password"] = ["新密码不能与当前密码相同"]
    if (new or "") != (confirm or ""):
        errors["confirm_password"] = ["两次输入的新密码不一致"]
    if errors:
        raise PasswordChangeRefused(errors)
    was_forced = user.must_change_password
    user.set_password(new)
    user.must_change_password = False
    user.password_changed_at = sessions.now()
    user.failed_logins = 0
    sessions.end_all_sessions(user)
    audit.record("auth.password_changed", user, user=user, username=user.username, forced=was_forced)
    db.session.commit()
