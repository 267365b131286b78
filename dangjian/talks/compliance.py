"""Who is due a talk, who has had one, and who is overdue (§三(二)1), for one unit and semester.

- Branch secretaries, each semester: every member in good standing of the branch, except the
  secretaries themselves (支部书记/支委: their own talk is their leader's duty, through a 联系点).
  Done when a talk held in the branch's name during the semester had the member in it.
- Leaders, each calendar year (the year the semester starts in): the people their 联系点 name — a
  branch's secretaries, or one member. Done when the leader held a talk with them that year.
- Occasions, each semester: a member of the branch who joined the party (`Member.joined_party_on`)
  or became a full member (`full_member_on`) during the semester is due a talk of that kind (入党,
  转正: "新党员入职…所在党组织负责人都要与其谈心一次"). Done when a talk of that kind had the member
  in it, held from the semester's start on (a late talk still counts, dated). 退休 and 出国（境）
  have no dates in the member record: they can be recorded but are not tracked here.
- Anything not done is 待谈 while the period runs and 逾期 once it has ended.
Voided talks count for nothing. This module reads dates and names only, never a talk's content.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Member, MemberStatus, Organization, OrgKind, Role, RoleAssignment, User
from .models import Talk, TalkKind, TalkLink, TalkParticipant, TalkState
from .periods import Period, year_period

STATUS_LABELS = {"done": "已谈", "due": "待谈", "overdue": "逾期"}


@dataclass
class Due:
    member: Member
    done_on: date | None
    status: str  # done | due | overdue
    target: str = ""  # for a leader: which 联系点 names this person

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Counts:
    total: int = 0
    done: int = 0
    due: int = 0
    overdue: int = 0

    def add(self, status: str) -> None:
        self.total += 1
        setattr(self, status, getattr(self, status) + 1)

    @property
    def rate(self) -> str:
        return f"{round(100 * self.done / self.total)}%" if self.total else "—"


@dataclass
class OccasionDue:
    """A member due an occasion talk (入党 or 转正) this semester."""

    member: Member
    kind: TalkKind
    event_on: date  # the day they joined or became a full member
    done_on: date | None
    status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def event_label(self) -> str:
        return "入党日期" if self.kind is TalkKind.JOINING else "转正日期"


# The occasions the member record dates, and the date that makes each one due.
TRACKED_OCCASIONS = {TalkKind.JOINING: "joined_party_on", TalkKind.FULL_MEMBER: "full_member_on"}


@dataclass
class BranchRow:
    branch: Organization
    secretaries: list[str]
    items: list[Due] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    occasions: list[OccasionDue] = field(default_factory=list)
    occasion_counts: Counts = field(default_factory=Counts)


@dataclass
class LeaderRow:
    leader: User
    items: list[Due] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


@dataclass
class Compliance:
    unit: Organization
    semester: Period
    year: Period
    today: date
    branches: list[BranchRow]
    leaders: list[LeaderRow]

    @property
    def branch_counts(self) -> Counts:
        return _sum(r.counts for r in self.branches)

    @property
    def leader_counts(self) -> Counts:
        return _sum(r.counts for r in self.leaders)

    @property
    def occasion_counts(self) -> Counts:
        return _sum(r.occasion_counts for r in self.branches)

    @property
    def occasions(self) -> list[OccasionDue]:
        return [o for r in self.branches for o in r.occasions]


def _sum(rows) -> Counts:
    out = Counts()
    for c in rows:
        out.total, out.done, out.due, out.overdue = (out.total + c.total, out.done + c.done,
                                                     out.due + c.due, out.overdue + c.overdue)
    return out


def _status(done_on, period: Period, today: date) -> str:
    if done_on is not None:
        return "done"
    return "overdue" if period.ended_by(today) else "due"


def branches_in(unit: Organization, period: Period) -> list[Organization]:
    """The branches of `unit`'s subtree that existed at some point of `period`."""
    query = select(Organization).where(Organization.kind == OrgKind.BRANCH, Organization.path.startswith(unit.path),
                                       (Organization.founded_on.is_(None)) | (Organization.founded_on <= period.end),
                                       (Organization.dissolved_on.is_(None)) | (Organization.dissolved_on > period.start))
    return list(db.session.scalars(query.order_by(Organization.path)))


def secretaries_of(branch_ids, day: date) -> dict[int, list[User]]:
    """The holders of 支部书记/支委 of each branch on `day`."""
    rows = db.session.execute(
        select(RoleAssignment.organization_id, User)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == Role.BRANCH_SECRETARY, RoleAssignment.organization_id.in_(branch_ids),
               RoleAssignment.held_on(day))
        .order_by(User.id)).all()
    out: dict[int, list[User]] = defaultdict(list)
    for org_id, user in rows:
        if user not in out[org_id]:
            out[org_id].append(user)
    return out


def secretary_duties(unit: Organization, period: Period, today: date) -> list[BranchRow]:
    branches = branches_in(unit, period)
    if not branches:
        return []
    ids = [b.id for b in branches]
    holders = secretaries_of(ids, min(today, period.end))
    excluded = {u.member_id for users in holders.values() for u in users if u.member_id}
    members = db.session.scalars(select(Member).where(Member.branch_id.in_(ids), Member.status == MemberStatus.NORMAL)
                                 .order_by(Member.staff_no))
    done = dict(((org_id, member_id), held_on) for org_id, member_id, held_on in db.session.execute(
        select(Talk.organization_id, TalkParticipant.member_id, func.max(Talk.held_on))
        .join(TalkParticipant, TalkParticipant.talk_id == Talk.id)
        .where(Talk.organization_id.in_(ids), Talk.state == TalkState.RECORDED,
               Talk.held_on >= period.start, Talk.held_on <= period.end)
        .group_by(Talk.organization_id, TalkParticipant.member_id)))
    rows = {b.id: BranchRow(b, [u.display_name for u in holders.get(b.id, [])]) for b in branches}
    members = [m for m in members if m.id not in excluded]
    for m in members:
        row = rows[m.branch_id]
        on = done.get((m.branch_id, m.id))
        due = Due(m, on, _status(on, period, today))
        row.items.append(due)
        row.counts.add(due.status)
    _add_occasions(rows, members, period, today)
    return list(rows.values())


def _add_occasions(rows: dict[int, BranchRow], members: list[Member], period: Period, today: date) -> None:
    """The 入党 and 转正 talks due this semester, into each branch's row."""
    due = [(m, kind, getattr(m, attr)) for m in members for kind, attr in TRACKED_OCCASIONS.items()
           if getattr(m, attr) is not None and period.contains(getattr(m, attr))]
    if not due:
        return
    held = dict(((member_id, kind), held_on) for member_id, kind, held_on in db.session.execute(
        select(TalkParticipant.member_id, Talk.kind, func.min(Talk.held_on))
        .join(Talk, Talk.id == TalkParticipant.talk_id)
        .where(TalkParticipant.member_id.in_({m.id for m, _, _ in due}), Talk.kind.in_(list(TRACKED_OCCASIONS)),
               Talk.state == TalkState.RECORDED, Talk.held_on >= period.start)
        .group_by(TalkParticipant.member_id, Talk.kind)))
    for m, kind, event_on in sorted(due, key=lambda d: (d[2], d[0].staff_no)):
        on = held.get((m.id, kind))
        item = OccasionDue(m, kind, event_on, on, _status(on, period, today))
        row = rows[m.branch_id]
        row.occasions.append(item)
        row.occasion_counts.add(item.status)


def active_links(unit: Organization, year: Period, leader_id: int | None = None) -> list[TalkLink]:
    """The 联系点 in force during `year` whose branch or member lies in `unit`'s subtree."""
    member_branch = select(Member.branch_id).where(Member.id == TalkLink.member_id).scalar_subquery()
    in_unit = select(Organization.id).where(Organization.path.startswith(unit.path))
    query = (select(TalkLink).where(TalkLink.starts_on <= year.end,
                                    (TalkLink.ends_on.is_(None)) | (TalkLink.ends_on >= year.start),
                                    (TalkLink.branch_id.in_(in_unit)) | (member_branch.in_(in_unit)))
             .options(selectinload(TalkLink.leader), selectinload(TalkLink.branch),
                      selectinload(TalkLink.member).selectinload(Member.branch))
             .order_by(TalkLink.leader_id, TalkLink.id))
    if leader_id is not None:
        query = query.where(TalkLink.leader_id == leader_id)
    return list(db.session.scalars(query))


def leader_duties(unit: Organization, year: Period, today: date, leader_id: int | None = None) -> list[LeaderRow]:
    links = active_links(unit, year, leader_id)
    if not links:
        return []
    holders = secretaries_of([lk.branch_id for lk in links if lk.branch_id], min(today, year.end))
    leader_ids = {lk.leader_id for lk in links}
    done = dict(((held_by, member_id), held_on) for held_by, member_id, held_on in db.session.execute(
        select(Talk.held_by_id, TalkParticipant.member_id, func.max(Talk.held_on))
        .join(TalkParticipant, TalkParticipant.talk_id == Talk.id)
        .where(Talk.held_by_id.in_(leader_ids), Talk.state == TalkState.RECORDED,
               Talk.held_on >= year.start, Talk.held_on <= year.end)
        .group_by(Talk.held_by_id, TalkParticipant.member_id)))
    rows: dict[int, LeaderRow] = {}
    for lk in links:
        row = rows.setdefault(lk.leader_id, LeaderRow(lk.leader))
        if lk.branch_id:
            people = [u.member for u in holders.get(lk.branch_id, []) if u.member is not None]
            target = f"{lk.branch.name}（支部书记）"
        else:
            people = [lk.member] if lk.member.status is MemberStatus.NORMAL else []
            target = "联系党员"
        seen = {d.member.id for d in row.items}
        for m in people:
            if m.id in seen or m.id == lk.leader.member_id:
                continue
            on = done.get((lk.leader_id, m.id))
            due = Due(m, on, _status(on, year, today), target)
            row.items.append(due)
            row.counts.add(due.status)
    return list(rows.values())


def build(unit: Organization, semester: Period, today: date, *, leaders: bool = True,
          leader_id: int | None = None) -> Compliance:
    year = year_period(semester.start.year)
    return Compliance(unit, semester, year, today, secretary_duties(unit, semester, today),
                      leader_duties(unit, year, today, leader_id) if leaders else [])
