"""The committee's own name in the page footer: the root of the organization tree and its 组织部,
read from the database (a real install is not the demo's university).

Kept for a few minutes per process: a rename is rare, and the footer should not cost every page a
query (the inbox pages have a query budget).
"""
import time

from sqlalchemy import select

from ..extensions import db
from ..models import Organization, OrgKind

_TTL_SECONDS = 300
_cache: dict = {}


def issuer_names(app) -> tuple[str, str]:
    """(school committee, organization department), e.g. ("中共××大学委员会", "党委组织部")."""
    key = app.config["SQLALCHEMY_DATABASE_URI"]
    hit = _cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    rows = db.session.execute(select(Organization.kind, Organization.name).where(
        Organization.kind.in_((OrgKind.SCHOOL, OrgKind.ORG_DEPT))).order_by(Organization.id)).all()
    school = next((name for kind, name in rows if kind is OrgKind.SCHOOL), "")
    dept = next((name for kind, name in rows if kind is OrgKind.ORG_DEPT), "")
    names = (school, dept)
    if school:  # an empty tree (a fresh install) is read again next time
        _cache[key] = (time.monotonic() + _TTL_SECONDS, names)
    return names
