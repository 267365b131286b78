"""Scope: every request is loaded through the user's scope, so a URL outside it answers 404.

Who may see a request: its initiator, its beneficiary, holders of a reader role whose
organization subtree contains the request's organization (组织部, 校党委 and 纪委 see the whole
school), and the people it was copied to (抄送, read-only: workflow.cc). The system administrator
reads no request contents (三员分立).
"""
from flask import abort
from sqlalchemy import and_, false, or_, select, true

from .extensions import db
from .models import Organization, Request, RequestCopy, RequestState, Role, User
from .models.people import READER_ROLES, SCHOOL_WIDE_ROLES


# Request types may let more people see their requests (e.g. every secretary paid by an allowance
# batch): callables (user) -> a condition on Request, or None. Registered by the type's package.
EXTRA_VISIBILITY: list = []


def visible_requests(user: User, copies: bool = True):
    """A SQL condition on Request: the requests `user` may see. Holding 系统管理员 sees none (三员分立:
    accounts.operations keeps that role alone on its account; this holds even for older data).
    `copies=False` leaves out what the user sees only because it was copied to them (抄送): their
    own scope, which also reaches the private parts (困难情况, attachments, 审批表)."""
    if any(ra.role is Role.SYSADMIN for ra in user.roles):
        return false()
    conds = [Request.initiator_id == user.id]
    if copies:
        conds.append(Request.id.in_(select(RequestCopy.request_id).where(RequestCopy.user_id == user.id)))
    if user.member_id is not None:
        conds.append(Request.beneficiary_id == user.member_id)
    for extra in EXTRA_VISIBILITY:
        cond = extra(user)
        if cond is not None:
            conds.append(cond)
    paths = []
    for ra in user.roles:
        if ra.role not in READER_ROLES:
            continue
        if ra.role in SCHOOL_WIDE_ROLES:
            return _drafts_hidden(user, true())
        paths.append(ra.organization.path)
    if paths:
        subtree = select(Organization.id).where(or_(*[Organization.path.startswith(p) for p in paths]))
        conds.append(Request.organization_id.in_(subtree))
    return _drafts_hidden(user, or_(*conds)) if conds else false()


def _drafts_hidden(user: User, cond):
    """A draft (草稿, e.g. one made by a 七一/春节 campaign) is its initiator's alone until it is
    submitted: approvers, the beneficiary and everyone else see it only then."""
    return and_(cond, or_(Request.state != RequestState.DRAFT, Request.initiator_id == user.id))


def get_request_or_404(request_id: int, user: User, cls=Request, options=()):
    """Load a request through the user's scope; anything else is 404 (not 403: no existence leak).
    `options` are loader options (e.g. the timeline with its actors for the request page)."""
    req = db.session.scalar(select(cls).where(cls.id == request_id, visible_requests(user)).options(*options))
    if req is None:
        abort(404)
    return req



# --- Organizations (for the feature modules: talks, pairings …) --------------------------------

def reader_paths(user: User) -> list[str] | None:
    """The organization paths whose subtrees `user` reads through a reader role: None for the
    whole school (组织部, 校党委, 纪委), [] for nothing (the 系统管理员, a plain member)."""
    if any(ra.role is Role.SYSADMIN for ra in user.roles):
        return []
    if any(ra.role in SCHOOL_WIDE_ROLES for ra in user.roles):
        return None
    return [ra.organization.path for ra in user.roles if ra.role in READER_ROLES]


def org_visible(user: User, org) -> bool:
    paths = reader_paths(user)
    return org is not None and (paths is None or any(org.path.startswith(p) for p in paths))


def visible_orgs(user: User):
    """A SQL condition on Organization: the organizations in `user`'s scope."""
    paths = reader_paths(user)
    if paths is None:
        return true()
    return or_(*[Organization.path.startswith(p) for p in paths]) if paths else false()
