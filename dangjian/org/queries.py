"""Queries of the 组织部 pages: the member filter (one for the list and its export), the tree with
member counts, and the choices of units."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..models import Member, MemberCategory, MemberStatus, Organization, OrgKind, PersonCategory
from ..personal_data import blind_index
from ..timeutil import local_today
from . import idcard

FLAGS = {"living_difficulty": "生活困难", "lives_alone": "独居", "frail_sick_disabled": "老弱病残",
         "any": "任一困难情况", "model_worker": "老模范"}
_ID_LIKE = re.compile(r"^\d{17}[\dX]$")


def _enum(cls, value):
    try:
        return cls(value) if value else None
    except ValueError:
        return None


@dataclass
class MemberFilter:
    """The search and filters of the member list, from the query string (unknown values ignored)."""

    q: str = ""
    unit_id: int | None = None
    person_category: str = ""
    member_category: str = ""
    status: str = ""
    flag: str = ""

    @classmethod
    def from_args(cls, args) -> "MemberFilter":
        unit_id = args.get("unit_id", type=int)
        return cls(q=(args.get("q") or "").strip()[:50], unit_id=unit_id,
                   person_category=args.get("person_category", "") if _enum(PersonCategory, args.get("person_category")) else "",
                   member_category=args.get("member_category", "") if _enum(MemberCategory, args.get("member_category")) else "",
                   status=args.get("status", "") if (args.get("status") == "all" or _enum(MemberStatus, args.get("status"))) else "",
                   flag=args.get("flag", "") if args.get("flag") in FLAGS else "")

    def args(self) -> dict:
        """The non-empty values, for links (pages, export) that keep the filter."""
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}

    @property
    def active(self) -> bool:
        return bool(self.args())

    @property
    def id_number_search(self) -> str | None:
        """The search text as a 身份证号, when it looks like one (exact match through the keyed hash)."""
        number = idcard.normalize(self.q)
        return number if _ID_LIKE.match(number) else None


def member_query(f: MemberFilter):
    """select(Member) for the filter, ordered by unit then 工号. A secondary unit includes its
    branches. By default the list shows members whose 组织关系 is here (正常, 停止党籍); 出党 and
    去世 are found through the 党籍状态 filter ("all" shows every record)."""
    query = select(Member).join(Organization, Organization.id == Member.branch_id)
    if f.q:
        number = f.id_number_search
        if number:
            query = query.where(Member.id_number_hash == blind_index(number))
        else:
            like = f"%{f.q.replace('%', '').replace('_', '')}%"
            query = query.where(or_(Member.name.like(like), Member.staff_no.like(like)))
    if f.unit_id:
        unit = db.session.get(Organization, f.unit_id)
        query = query.where(Organization.path.startswith(unit.path) if unit else Member.id.is_(None))
    if f.person_category:
        query = query.where(Member.person_category == PersonCategory(f.person_category))
    if f.member_category:
        query = query.where(Member.member_category == MemberCategory(f.member_category))
    if f.status == "all":
        pass
    elif f.status:
        query = query.where(Member.status == MemberStatus(f.status))
    elif not f.id_number_search:  # an exact 身份证号 finds the record whatever its status
        query = query.where(Member.status.in_((MemberStatus.NORMAL, MemberStatus.SUSPENDED)))
    if f.flag == "any":
        query = query.where(or_(Member.living_difficulty.is_(True), Member.lives_alone.is_(True),
                                Member.frail_sick_disabled.is_(True)))
    elif f.flag == "model_worker":
        query = query.where(Member.is_model_worker.is_(True))
    elif f.flag:
        query = query.where(getattr(Member, f.flag).is_(True))
    return query.options(selectinload(Member.branch).selectinload(Organization.parent)) \
        .order_by(Organization.path, Member.staff_no)


def all_units() -> list[Organization]:
    """Every unit in tree order (path order keeps a parent before its children)."""
    return list(db.session.scalars(select(Organization).order_by(Organization.path)))


def ordered_tree(units: list[Organization]) -> list[tuple[Organization, int]]:
    """(unit, depth) in display order: children by sort_order, then id."""
    children: dict[int | None, list[Organization]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    for kids in children.values():
        kids.sort(key=lambda u: (u.kind is OrgKind.BRANCH and u.parent.kind is OrgKind.SCHOOL, u.sort_order, u.id))
    out = []

    def walk(parent_id, depth):
        for u in children.get(parent_id, []):
            out.append((u, depth))
            walk(u.id, depth + 1)
    walk(None, 0)
    return out


def display_order(org) -> list:
    """ORDER BY terms that list organizations as `ordered_tree` shows them (the secondary units by
    their display order, each followed by its branches by theirs, then the 直属党支部), for a query
    that selects from `org` (Organization or an alias of it) and a school of three levels. The path
    string would put unit 12 before unit 3 and ignore the order 组织部 set."""
    parent = aliased(Organization)
    top_is_self = or_(org.parent_id.is_(None), select(parent.kind).where(parent.id == org.parent_id)
                      .scalar_subquery() == OrgKind.SCHOOL)
    parent_col = lambda col: select(col).where(parent.id == org.parent_id).scalar_subquery()  # noqa: E731
    top_sort = case((top_is_self, org.sort_order), else_=parent_col(parent.sort_order))
    top_id = case((top_is_self, org.id), else_=org.parent_id)
    direct_branch = case((and_(top_is_self, org.kind == OrgKind.BRANCH), 1), else_=0)
    return [direct_branch, top_sort, top_id, case((top_is_self, 0), else_=1), org.sort_order, org.id]


def member_counts() -> dict[int, int]:
    """Organization id → members whose 组织关系 is there or below (正常 and 停止党籍)."""
    direct = dict(db.session.execute(
        select(Member.branch_id, func.count(Member.id))
        .where(Member.status.in_((MemberStatus.NORMAL, MemberStatus.SUSPENDED)))
        .group_by(Member.branch_id)).all())
    units = db.session.execute(select(Organization.id, Organization.path)).all()
    totals = {uid: 0 for uid, _ in units}
    paths = {uid: path for uid, path in units}
    for branch_id, n in direct.items():
        for part in (paths.get(branch_id) or "").strip("/").split("/"):
            if part and int(part) in totals:
                totals[int(part)] += n
    return totals


def unit_filter_choices() -> list[tuple[int, str]]:
    """For the unit filter: secondary units (their branches included) and branches, indented."""
    out = []
    for u, depth in ordered_tree(all_units()):
        if u.kind in (OrgKind.SECONDARY, OrgKind.BRANCH):
            suffix = "（已撤销）" if u.dissolved_on else ""
            indent = "　" * max(depth - 1, 0)
            label = f"{u.name}（含所属党支部）" if u.kind is OrgKind.SECONDARY else u.name
            out.append((u.id, f"{indent}{label}{suffix}"))
    return out


def live_branches(exclude_id: int | None = None) -> list[Organization]:
    """Branches that still exist, for new members and transfers (a dissolved one is not offered)."""
    today = local_today()
    return [u for u, _ in ordered_tree(all_units())
            if u.kind is OrgKind.BRANCH and (u.dissolved_on is None or u.dissolved_on > today) and u.id != exclude_id]


def branch_choice_label(b: Organization) -> str:
    above = b.parent.name if b.parent is not None and b.parent.kind is OrgKind.SECONDARY else "直属党支部"
    return f"{b.name}（{above}）"


def move_targets(branch: Organization) -> list[Organization]:
    """Where a branch can move: another live secondary unit, or the school (直属)."""
    today = local_today()
    return [u for u, _ in ordered_tree(all_units())
            if u.kind in (OrgKind.SECONDARY, OrgKind.SCHOOL) and u.id != branch.parent_id
            and (u.dissolved_on is None or u.dissolved_on > today)]
