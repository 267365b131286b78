"""Scope: every request is loaded through the user's scope, so a URL outside it answers 404.

Who may see a request: its initiator, its beneficiary, and holders of a reader role whose
organization subtree contains the request's organization (组织部, 校党委 and 纪委 see the whole
school). The system administrator reads no request contents (三员分立).
"""
from flask import abort
from sqlalchemy import false, or_, select, true

from .extensions import db
from .models import Organization, Request, User
from .models.people import READER_ROLES, SCHOOL_WIDE_ROLES


def visible_requests(user: User):
    """A SQL condition on Request: the requests `user` may see."""
    conds = [Request.initiator_id == user.id]
    if user.member_id is not None:
        conds.append(Request.beneficiary_id == user.member_id)
    paths = []
    for ra in user.roles:
        if ra.role not in READER_ROLES:
            continue
        if ra.role in SCHOOL_WIDE_ROLES:
            return true()
        paths.append(ra.organization.path)
    if paths:
        subtree = select(Organization.id).where(or_(*[Organization.path.startswith(p) for p in paths]))
        conds.append(Request.organization_id.in_(subtree))
    return or_(*conds) if conds else false()


def get_request_or_404(request_id: int, user: User, cls=Request, options=()):
    """Load a request through the user's scope; anything else is 404 (not 403: no existence leak).
    `options` are loader options (e.g. the timeline with its actors for the request page)."""
    req = db.session.scalar(select(cls).where(cls.id == request_id, visible_requests(user)).options(*options))
    if req is None:
        abort(404)
    return req


def members_in_scope(user: User, role):
    """Organizations where `user` holds `role`, as a condition on an organization id column."""
    return [ra.organization for ra in user.roles if ra.role is role]
