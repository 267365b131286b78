"""Who may use the administration pages. Each answers for the roles in effect today (User.roles).

- 系统管理员: accounts and role assignments only, never request contents, 公示 事迹, objections or
  documents (三员分立).
- 组织部: the organization tree and the members.
- 纪委/监督: reads the audit log.
"""
from ..models import Role


def is_sysadmin(user) -> bool:
    return bool(user and user.is_authenticated and user.holds(Role.SYSADMIN))


def is_org_dept(user) -> bool:
    return bool(user and user.is_authenticated and user.holds(Role.ORG_DEPT))


def is_supervisor(user) -> bool:
    return bool(user and user.is_authenticated and user.holds(Role.SUPERVISOR))


def only_sysadmin(user) -> bool:
    """An account whose only role is 系统管理员: it has no business pages at all."""
    roles = user.roles if user and user.is_authenticated else []
    return bool(roles) and all(ra.role is Role.SYSADMIN for ra in roles)
