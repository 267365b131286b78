"""Who may read and record assessments and secretary terms, and for which branches.

- 组织部: every branch, reads and records (and sets a branch's founding and dissolution dates);
- a secondary unit: its own branches, reads and records;
- 纪委/监督: every branch, reads only;
- anyone else: nothing (the pages answer 404).

And who sees a batch beyond the usual scope: every secretary it pays (dangjian/scope.py asks
`paid_secretary_condition`).
"""
from flask import abort
from sqlalchemy import false, or_, select, true

from ...extensions import db
from ...models import Organization, OrgKind, Request, Role


def reads_all(user) -> bool:
    return user.holds(Role.ORG_DEPT) or user.holds(Role.SUPERVISOR)


def writes_all(user) -> bool:
    return user.holds(Role.ORG_DEPT)


def own_units(user) -> list[Organization]:
    return [ra.organization for ra in user.roles if ra.role is Role.SECONDARY]


def can_read_records(user) -> bool:
    return reads_all(user) or bool(own_units(user))


def branch_condition(user, write: bool = False):
    """A condition on Organization: the branches the user may read (or record for)."""
    if writes_all(user) or (not write and reads_all(user)):
        cond = true()
    else:
        paths = [u.path for u in own_units(user)]
        cond = or_(*[Organization.path.startswith(p) for p in paths]) if paths else false()
    return (Organization.kind == OrgKind.BRANCH) & cond


def branch_or_404(user, branch_id: int, write: bool = False) -> Organization:
    branch = db.session.scalar(select(Organization).where(Organization.id == branch_id,
                                                          branch_condition(user, write)))
    if branch is None:
        abort(404)
    return branch


def can_write_branch(user, branch: Organization) -> bool:
    return writes_all(user) or any(u.contains(branch) for u in own_units(user))


def filter_units(user) -> list[tuple[int, str]]:
    """The unit filter of the record pages: (id, name); the school stands for its 直属党支部."""
    if reads_all(user):
        units = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.SECONDARY)
                                   .order_by(Organization.sort_order, Organization.id)).all()
        out = [(u.id, u.name) for u in units]
        school = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
        if school is not None:
            out.append((school.id, "直属党支部"))
        return out
    return [(u.id, u.name) for u in own_units(user)]


def unit_branch_condition(unit: Organization):
    if unit.kind is OrgKind.SCHOOL:
        return Organization.parent_id == unit.id
    return Organization.path.startswith(unit.path)


def paid_secretary_condition(user):
    """Every secretary a batch pays may see it (and its documents): a condition on Request."""
    if user.member_id is None:
        return None
    from .model import AllowanceLine

    return Request.id.in_(select(AllowanceLine.batch_id).where(AllowanceLine.member_id == user.member_id))
