"""The 系统管理员's business steps: accounts and roles with terms.

Each operation checks, changes, audits and commits in one transaction, or raises AdminError with a
Chinese message (and the form field it belongs to) and writes nothing. No request, no flash here:
the views parse input, call one of these, and render.

Temporary passwords are returned to the caller to be shown once; only their hash is stored, and
no audit detail ever holds a password.

三员分立: the 系统管理员 role is held alone, on an account of its own. An account holding it gets
no business role; an account with a business role, or linked to a member record, does not become
系统管理员 (see _sysadmin_alone), nor is a 系统管理员 account linked to a member later
(update_account). So "holds 系统管理员" and "is only a 系统管理员" mean the same, its scope holds
no request at all (no member of its own, no reader role), and the business content it may not see
(request contents, 公示 事迹, objections, documents) is refused to the role as such.

Checks that read other rows before writing (overlapping terms, 三员分立, a member's one account)
run under the account's lock (lock_account), so they hold when two administrators act at once.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..dates import cn_day
from ..extensions import db
from ..models import Member, MemberStatus, Organization, Role, RoleAssignment, User
from ..models.base import utcnow
from ..models.people import check_role_organization
from ..timeutil import local_today
from . import lockout
from .passwords import generate_temporary_password
from .sessions import end_all_sessions

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,49}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AdminError(Exception):
    """A refusal for the administrator, in Chinese; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def is_locked(user: User) -> bool:
    """Locked after failed sign-ins (accounts.lockout sets locked_until; its clock is sessions.now)."""
    return lockout.is_locked(user)


# --- accounts -------------------------------------------------------------------------------------

def member_link_refusal(member: Member) -> str | None:
    """Why an account may not be newly linked to `member`, or None: a member who has died or left
    the party (去世, 出党) gets no account (停止党籍 may be restored, so it does). The admin pages and
    the accounts import both ask here."""
    if member.status not in (MemberStatus.DECEASED, MemberStatus.EXPELLED):
        return None
    when = f"已于{member.status_on.year}年{member.status_on.month}月{member.status_on.day}日" if member.status_on else "已"
    return f"党员{member.name}（{member.staff_no}）{when}{member.status.label}，不能为其建立或关联账号"


def create_account(actor: User, *, username: str, display_name: str = "", email: str = "",
                   member_id: int | None = None) -> tuple[User, str]:
    """新建账号, linked to a member record or not. Returns the account and its one-time temporary
    password (to show once); the user must change it at the first sign-in."""
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    email = (email or "").strip()
    if not username:
        raise AdminError("请填写账号", "username")
    if not USERNAME_PATTERN.match(username):
        raise AdminError("账号为2–50位，由字母、数字及 _ . - @ 组成，以字母或数字开头", "username")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AdminError(f"账号「{username}」已存在", "username")
    if email and not EMAIL_PATTERN.match(email):
        raise AdminError("电子邮箱格式不正确", "email")
    member = None
    if member_id:
        member = db.session.get(Member, member_id)
        if member is None:
            raise AdminError("所选党员不存在，请重新查找", "member_id")
        if member.user is not None:
            raise AdminError(f"党员{member.name}（{member.staff_no}）已有账号「{member.user.username}」，"
                             "一名党员只能有一个账号", "member_id")
        refusal = member_link_refusal(member)
        if refusal:
            raise AdminError(refusal, "member_id")
        display_name = display_name or member.name
    if not display_name:
        raise AdminError("请填写姓名（或关联一名党员）", "display_name")
    if len(display_name) > 50:
        raise AdminError("姓名不能超过50字", "display_name")
    password = generate_temporary_password()
    user = User(username=username, display_name=display_name, email=email, member=member, active=True,
                must_change_password=True)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same username or member, created at the same moment
        db.session.rollback()
        raise AdminError("该账号或该党员的账号刚刚已被创建，请刷新后查看", "username")
    audit.record("admin.account_created", user, user=actor, username=username, display_name=display_name,
                 member_id=member.id if member else None, staff_no=member.staff_no if member else None)
    db.session.commit()
    return user, password


# The fields an administrator may change after creation, with their labels (the audit's 修改字段).
ACCOUNT_FIELDS = {"display_name": "姓名", "email": "电子邮箱", "member": "关联党员"}


def _member_text(member: Member | None) -> str | None:
    return f"{member.name}（{member.staff_no}）" if member is not None else None


def update_account(actor: User, user: User, *, display_name: str = "", email: str = "",
                   member_id: int | None = None) -> list[str]:
    """修改账号信息: 姓名, 电子邮箱, and the member record it belongs to (link, change or unlink;
    `member_id` None unlinks). The username never changes: it is what the person signs in with and
    what the audit trail names. Returns the labels of the fields changed; nothing changed means
    nothing written and nothing audited.

    A member has at most one account, and a 系统管理员 account is never linked to a member (三员分立,
    see _sysadmin_alone); both are checked under the account's lock, so a role assigned at the
    same moment cannot slip past."""
    display_name = (display_name or "").strip()
    email = (email or "").strip()
    if email and not EMAIL_PATTERN.match(email):
        raise AdminError("电子邮箱格式不正确", "email")
    if len(email) > 120:
        raise AdminError("电子邮箱不能超过120位", "email")
    member = None
    if member_id:
        member = db.session.get(Member, member_id)
        if member is None:
            raise AdminError("所选党员不存在，请重新查找", "member_id")
    if not display_name:
        if member is None:
            raise AdminError("请填写姓名（或关联一名党员）", "display_name")
        display_name = member.name
    if len(display_name) > 50:
        raise AdminError("姓名不能超过50字", "display_name")

    lock_account(user)
    previous = user.member
    if member is not None and member.id != user.member_id:
        holder = db.session.scalar(select(User).where(User.member_id == member.id, User.id != user.id))
        if holder is not None:
            raise AdminError(f"党员{member.name}（{member.staff_no}）已有账号「{holder.username}」，"
                             "一名党员只能有一个账号", "member_id")
        if is_sysadmin_account(user):
            raise AdminError("按三员分立要求，系统管理员账号不能关联党员信息（关联党员的账号能看到本人的申请）。"
                             "请为该党员另建账号", "member_id")
        refusal = member_link_refusal(member)
        if refusal:
            raise AdminError(refusal, "member_id")
    before = {"display_name": user.display_name, "email": user.email or "", "member": _member_text(previous)}
    after = {"display_name": display_name, "email": email, "member": _member_text(member)}
    changed = [key for key in ("display_name", "email") if before[key] != after[key]]
    if (previous.id if previous else None) != (member.id if member else None):
        changed.append("member")
    if not changed:
        db.session.rollback()  # only the lock was taken
        return []
    user.display_name = display_name
    user.email = email
    user.member = member
    try:
        db.session.flush()
    except IntegrityError:  # the member linked to another account at the same moment
        db.session.rollback()
        raise AdminError("该党员刚刚已关联到其他账号，请刷新后重试", "member_id")
    audit.record("admin.account_updated", user, user=actor, username=user.username,
                 changed=[ACCOUNT_FIELDS[k] for k in changed],
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                 member_id=member.id if member else None)
    db.session.commit()
    return [ACCOUNT_FIELDS[k] for k in changed]


def set_active(actor: User, user: User, active: bool) -> None:
    """停用 / 启用. Disabling ends every session of the account at once."""
    if not active and user.id == actor.id:
        raise AdminError("不能停用自己的账号")
    if user.active == active:
        raise AdminError("该账号已是启用状态" if active else "该账号已是停用状态")
    user.active = active
    if not active:
        end_all_sessions(user)
    audit.record("admin.account_enabled" if active else "admin.account_disabled", user, user=actor,
                 username=user.username)
    db.session.commit()


def reset_password(actor: User, user: User) -> str:
    """重置密码: a new one-time temporary password (returned, to show once), to be changed at the
    next sign-in; every session of the account ends, and a lock from failed sign-ins is lifted."""
    if user.id == actor.id:
        raise AdminError("不能在此重置自己的密码，请使用「修改密码」")
    password = generate_temporary_password()
    user.set_password(password)
    user.must_change_password = True
    was_locked = is_locked(user)
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(user)
    audit.record("admin.password_reset", user, user=actor, username=user.username, unlocked=was_locked)
    db.session.commit()
    return password


def unlock(actor: User, user: User) -> None:
    """解锁 an account locked after failed sign-ins."""
    if not is_locked(user) and not user.failed_logins:
        raise AdminError("该账号未被锁定")
    audit.record("admin.account_unlocked", user, user=actor, username=user.username,
                 failed_logins=user.failed_logins)
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()


# --- roles ----------------------------------------------------------------------------------------

def lock_account(user: User) -> None:
    """Take the account's lock, then read it and its assignments again from the database.

    Every check-then-write on one account (the overlap of terms, 三员分立, the member link) runs
    after this, so two administrators acting on the same account at the same moment take turns
    and the second checks what the first wrote; without a constraint the schema cannot express.
    PostgreSQL: SELECT … FOR UPDATE on the account's row; under READ COMMITTED the statements
    after the wait see the first transaction's rows. SQLite ignores FOR UPDATE but allows one
    writer at a time: a write to the row (a no-op) opens the write transaction first, waiting out
    the busy timeout while another holds it, so the reads that follow are never stale."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version),
                           execution_options={"synchronize_session": False})
    else:
        db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    # What this session loaded before the lock may be stale: the account's columns, which
    # assignments it has, and each assignment's term.
    db.session.refresh(user)
    db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)
                       .execution_options(populate_existing=True)).all()
    db.session.expire(user, ["role_assignments"])


def _live_assignments(user: User, from_day: date) -> list[RoleAssignment]:
    """The account's assignments not revoked and not ended before `from_day` (future ones too)."""
    return [ra for ra in user.role_assignments
            if ra.revoked_at is None and (ra.ends_on is None or ra.ends_on >= from_day)]


def is_sysadmin_account(user: User) -> bool:
    """The account holds 系统管理员 now or from a later date (三员分立: no member link for it)."""
    return any(ra.role is Role.SYSADMIN for ra in _live_assignments(user, local_today()))


def _sysadmin_alone(user: User, role: Role, starts_on: date) -> str | None:
    """三员分立: 系统管理员 is never held together with a business role (now or later)."""
    live = _live_assignments(user, max(local_today(), starts_on))
    if role is Role.SYSADMIN:
        if user.member_id is not None:
            return ("按三员分立要求，系统管理员使用不关联党员信息的专用账号（关联党员的账号能看到本人的申请）。"
                    "请另建一个不关联党员的账号")
        other = next((ra for ra in live if ra.role is not Role.SYSADMIN), None)
        if other:
            return (f"按三员分立要求，系统管理员不能兼任业务角色：该账号担任「{other.organization.name} · "
                    f"{other.role.label}」。请为系统管理员另建账号")
    else:
        if any(ra.role is Role.SYSADMIN for ra in live):
            return "按三员分立要求，系统管理员账号不能兼任业务角色。请为该人员另建账号"
    return None


def assign_role(actor: User, user: User, *, role, organization_id: int | None, starts_on: date | None = None,
                ends_on: date | None = None, note: str = "") -> RoleAssignment:
    """任命: `role` at an organization for a term (starts_on, default today; ends_on optional,
    inclusive). Refused: the wrong kind of organization, a dissolved one, an end before the start,
    a term overlapping the same role at the same organization, and 系统管理员 with a business role."""
    try:
        role = Role(role)
    except ValueError:
        raise AdminError("请选择角色", "role")
    org = db.session.get(Organization, organization_id) if organization_id else None
    if org is None:
        raise AdminError("请选择组织", "organization_id")
    reason = check_role_organization(role, org)
    if reason:
        raise AdminError(reason, "organization_id")
    starts_on = starts_on or local_today()
    if ends_on is not None and ends_on < starts_on:
        raise AdminError("结束日期不能早于开始日期", "ends_on")
    if org.dissolved_on is not None and (org.is_dissolved or starts_on >= org.dissolved_on):
        raise AdminError(f"「{org.name}」已于{cn_day(org.dissolved_on)}撤销，不能在撤销后任职", "organization_id")
    note = (note or "").strip()
    if len(note) > 200:
        raise AdminError("备注不能超过200字", "note")
    lock_account(user)  # the checks below see every assignment committed before ours
    reason = _sysadmin_alone(user, role, starts_on)
    if reason:
        raise AdminError(reason, "role")
    far = date.max
    for ra in user.role_assignments:
        if (ra.role is role and ra.organization_id == org.id and ra.revoked_at is None
                and ra.starts_on <= (ends_on or far) and starts_on <= (ra.ends_on or far)):
            until = ra.ends_on.isoformat() if ra.ends_on else "未定结束日期"
            raise AdminError(f"该账号已在「{org.name}」担任「{role.label}」（{ra.starts_on.isoformat()} 至 {until}），"
                             "任期不能重叠", "starts_on")
    ra = RoleAssignment(user=user, role=role, organization=org, starts_on=starts_on, ends_on=ends_on,
                        granted_by_id=actor.id, note=note)
    db.session.add(ra)
    db.session.flush()
    audit.record("admin.role_assigned", ra, user=actor, username=user.username, role=role.value,
                 role_label=role.label, organization_id=org.id, organization=org.name,
                 starts_on=starts_on, ends_on=ends_on, note=note)
    db.session.commit()
    return ra


def revoke_role(actor: User, ra: RoleAssignment) -> None:
    """撤销: the role stops at once (revoked_at now; the term ends today, or never began when it
    had not started yet), and the history keeps who held it until when."""
    today = local_today()
    if ra.revoked_at is not None:
        raise AdminError("该任职已撤销")
    if ra.ends_on is not None and ra.ends_on < today:
        raise AdminError(f"该任职已于{cn_day(ra.ends_on)}结束，无需撤销")
    if ra.role is Role.SYSADMIN and ra.user_id == actor.id:
        raise AdminError("不能撤销自己的系统管理员角色")
    ra.revoked_at = utcnow()
    ra.revoked_by_id = actor.id
    ra.ends_on = today if ra.starts_on <= today else ra.starts_on - timedelta(days=1)
    audit.record("admin.role_revoked", ra, user=actor, username=ra.user.username, role=ra.role.value,
                 role_label=ra.role.label, organization_id=ra.organization_id, organization=ra.organization.name,
                 starts_on=ra.starts_on, ends_on=ra.ends_on)
    db.session.commit()
