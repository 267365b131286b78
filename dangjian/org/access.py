"""Who may use the 组织部 pages (answering for the roles in effect today).

- 组织部 keeps the organization tree and the members: every page, every change.
- 纪委/监督 reads: the member list and a member's page, and may reveal a full 身份证号 or phone
  number with a reason (audited). It changes nothing, does not export, and does not see the tree
  pages (the tree is 组织部's working page; the member list shows each member's unit).
- Everyone else gets 404 on every /org page.
"""
from ..accounts.permissions import is_org_dept, is_supervisor


def can_manage(user) -> bool:
    return is_org_dept(user)


def can_read_members(user) -> bool:
    return is_org_dept(user) or is_supervisor(user)


def can_reveal(user) -> bool:
    """查看完整身份证号 / 联系电话, with a reason."""
    return can_read_members(user)
