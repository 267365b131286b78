"""Who may use the administration pages. Each answers for the roles in effect today (User.roles).

- 系统管理员: accounts and role assignments only, never request contents, 公示 事迹, objections or
  documents (三员分立).
- 组织部: the organization tree and the members.
- 纪委/监督: reads the audit log.
- 组织部 and 纪委/监督 read the school-wide records; 组织部 keeps them.
"""
from ..models import Role


def is_sysadmin(user) -> bool:
    return bool(user and user.is_authenticated and user.holds(Role.SYSADMIN))


def is_org_dept(user) -> bool:
    return bool(user and user.is_authenticated and user.holds(Role.ORG_DEPT))


def is_supervisor(user) -> bool:
    return bool(user and user.is_authenticated and user.holds(Role.SUPERVISOR))


def reads_school_records(user) -> bool:
    """组织部 or 纪委/监督, never as 系统管理员: the school-wide records (文档归档, 文号登记簿, 校历)."""
    return (is_org_dept(user) or is_supervisor(user)) and not is_sysadmin(user)


def keeps_school_records(user) -> bool:
    """组织部, never as 系统管理员: changes those records (文号 prefixes and voids, the 校历)."""
    return is_org_dept(user) and not is_sysadmin(user)


def only_sysadmin(user) -> bool:
    """An account whose only role is 系统管理员: it has no business pages at all."""
    roles = user.roles if user and user.is_authenticated else []
    return bool(roles) and all(ra.role is Role.SYSADMIN for ra in roles)
