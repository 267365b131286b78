"""What changes talks and 联系点, each in one transaction with its audit row. No `request`, no
`flash`: the views parse input, call one of these, and render."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from .. import audit
from ..dates import cn_day
from ..extensions import db
from ..models import Member, MemberStatus, Organization, OrgKind, Role, User
from ..models.base import utcnow
from ..timeutil import local_today
from .access import Capacity, capacity_for
from .models import MUST_TALKS, Talk, TalkKind, TalkLink, TalkParticipant, TalkState

MAX_PARTICIPANTS = 50
EARLIEST_DAYS = 400  # a record may be entered up to about a year and a month after the talk
CONTENT_MIN, CONTENT_MAX = 10, 5000


class TalkError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class AlreadyHandled(TalkError):
    def __init__(self):
        super().__init__("该记录已被他人处理，请刷新页面后查看")


def _members_for(capacity: Capacity, user, member_ids: list[int]) -> list[Member]:
    """The chosen members, each checked against the capacity: in good standing, in the branch (a
    secretary) or the unit's subtree (a leader), and never the holder themself."""
    if not member_ids:
        raise TalkError("请选择谈话对象", "members")
    if len(member_ids) > MAX_PARTICIPANTS:
        raise TalkError(f"一次谈话最多记录{MAX_PARTICIPANTS}名党员", "members")
    if user.member_id in member_ids:
        raise TalkError("不能记录与本人的谈心谈话", "members")
    found = {m.id: m for m in db.session.scalars(
        select(Member).join(Organization, Organization.id == Member.branch_id)
        .where(Member.id.in_(member_ids), Organization.path.startswith(capacity.org.path),
               Member.status == MemberStatus.NORMAL))}
    if len(found) != len(set(member_ids)):
        where = "本支部" if capacity.kind == "secretary" else f"「{capacity.org.name}」"
        raise TalkError(f"所选党员须为{where}党籍正常的党员", "members")
    return [found[i] for i in dict.fromkeys(member_ids)]


def members_by_staff_no(capacity: Capacity, user, text: str) -> list[int]:
    """Member ids from 工号/学号 typed one per line or separated by commas; unknown ones are named."""
    numbers = [n.strip() for n in text.replace("，", ",").replace("\n", ",").split(",") if n.strip()]
    if not numbers:
        return []
    found = dict(db.session.execute(select(Member.staff_no, Member.id).join(
        Organization, Organization.id == Member.branch_id).where(
        Member.staff_no.in_(numbers), Organization.path.startswith(capacity.org.path),
        Member.status == MemberStatus.NORMAL)).all())
    missing = [n for n in numbers if n not in found]
    if missing:
        raise TalkError(f"找不到工号/学号为 {'、'.join(missing[:5])} 的党员（须在「{capacity.org.name}」内、党籍正常）",
                        "staff_nos")
    return [found[n] for n in numbers]


def record_talk(user, org_id: int | None, *, held_on: date | None, kind: str, place: str, reason: str,
                content: str, member_ids: list[int], today: date | None = None) -> Talk:
    today = today or local_today()
    capacity = capacity_for(user, org_id)
    if capacity is None:
        raise TalkError("请选择以何身份谈话（您须是该党支部书记/支委或该单位领导）", "org_id")
    if held_on is None:
        raise TalkError("请填写谈话日期", "held_on")
    if held_on > today:
        raise TalkError("谈话日期不能晚于今天", "held_on")
    if held_on < today - timedelta(days=EARLIEST_DAYS):
        raise TalkError("只能补录一年以内的谈话", "held_on")
    try:
        kind_enum = TalkKind(kind)
    except ValueError:
        raise TalkError("请选择谈话类别", "kind") from None
    place, reason, content = (place or "").strip(), (reason or "").strip(), (content or "").strip()
    if len(place) > 100:
        raise TalkError("谈话地点不能超过100字", "place")
    if kind_enum in MUST_TALKS and not reason:
        raise TalkError("「四必谈」须填写事由", "reason")
    if len(reason) > 200:
        raise TalkError("事由不能超过200字", "reason")
    if not CONTENT_MIN <= len(content) <= CONTENT_MAX:
        raise TalkError(f"谈话内容须为{CONTENT_MIN}–{CONTENT_MAX}字", "content")
    members = _members_for(capacity, user, member_ids)
    twice = db.session.scalar(select(TalkParticipant.member_id).join(Talk).where(
        Talk.held_by_id == user.id, Talk.held_on == held_on, Talk.kind == kind_enum,
        Talk.state == TalkState.RECORDED, TalkParticipant.member_id.in_([m.id for m in members])).limit(1))
    if twice is not None:
        name = next(m.name for m in members if m.id == twice)
        raise TalkError(f"您已记录过{cn_day(held_on)}与{name}的这次谈话，请勿重复记录", "members")
    talk = Talk(organization_id=capacity.org.id, held_by_id=user.id, held_on=held_on, place=place,
                kind=kind_enum, reason=reason, content=content)
    talk.participants = [TalkParticipant(member_id=m.id, branch_id=m.branch_id) for m in members]
    db.session.add(talk)
    db.session.flush()
    # No content and no reason in the audit row: it names what happened, not what was said.
    audit.record("talk.recorded", talk, user=user, organization=capacity.org.name, held_on=held_on,
                 kind=kind_enum.full_label, participants=len(members))
    db.session.commit()
    return talk


def void_talk(user, talk: Talk, reason: str) -> None:
    """作废: the holder withdraws a wrong record, with a reason; it no longer counts."""
    reason = (reason or "").strip()
    if talk.held_by_id != user.id:
        raise TalkError("只有谈话人本人可以作废该记录")
    if not 2 <= len(reason) <= 200:
        raise TalkError("请填写作废原因（2–200字）", "reason")
    changed = db.session.execute(update(Talk).where(
        Talk.id == talk.id, Talk.state == TalkState.RECORDED, Talk.held_by_id == user.id
    ).values(state=TalkState.VOIDED, void_reason=reason, voided_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        db.session.rollback()
        raise AlreadyHandled()
    audit.record("talk.voided", talk, user=user, held_on=talk.held_on, reason=reason)
    db.session.commit()
    db.session.refresh(talk)


# --- 联系点 (组织部) ---------------------------------------------------------------------------

LEADER_ROLES = (Role.SCHOOL, Role.SECONDARY)


def leader_choices() -> list[User]:
    """Accounts holding 校党委 or 二级党组织 today: who can be given a 联系点."""
    from ..models import RoleAssignment
    return list(db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role.in_(LEADER_ROLES), RoleAssignment.in_effect(), User.active.is_(True))
        .distinct().order_by(User.display_name)))


def add_link(actor, *, leader_id: int | None, branch_id: int | None, staff_no: str, starts_on: date | None,
             note: str) -> TalkLink:
    leader = db.session.get(User, leader_id or 0)
    roles = [ra for ra in (leader.roles if leader else []) if ra.role in LEADER_ROLES]
    if leader is None or not leader.active or not roles:
        raise TalkError("请选择一位校党委或二级党组织领导", "leader_id")
    staff_no = (staff_no or "").strip()
    if bool(branch_id) == bool(staff_no):
        raise TalkError("请选择联系的党支部，或填写联系党员的工号/学号（二选一）", "branch_id")
    branch = member = None
    if branch_id:
        branch = db.session.get(Organization, branch_id)
        if branch is None or branch.kind is not OrgKind.BRANCH or branch.is_dissolved:
            raise TalkError("请选择现有的党支部", "branch_id")
        target = branch
    else:
        member = db.session.scalar(select(Member).where(Member.staff_no == staff_no))
        if member is None or not member.in_good_standing:
            raise TalkError(f"找不到工号/学号为 {staff_no} 且党籍正常的党员", "staff_no")
        if member.id == leader.member_id:
            raise TalkError("不能为领导设置联系本人", "staff_no")
        target = member.branch
    if not any(ra.role is Role.SCHOOL for ra in roles) and not any(
            target.path.startswith(ra.organization.path) for ra in roles):
        raise TalkError("二级党组织领导只能联系本单位的党支部或党员", "branch_id" if branch else "staff_no")
    starts_on = starts_on or local_today()
    same = select(TalkLink.id).where(TalkLink.leader_id == leader.id, TalkLink.ends_on.is_(None),
                                     TalkLink.branch_id == branch.id if branch else TalkLink.member_id == member.id)
    if db.session.scalar(same) is not None:
        raise TalkError("该联系点已存在", "branch_id" if branch else "staff_no")
    note = (note or "").strip()
    if len(note) > 200:
        raise TalkError("备注不能超过200字", "note")
    link = TalkLink(leader_id=leader.id, branch_id=branch.id if branch else None,
                    member_id=member.id if member else None, starts_on=starts_on, note=note,
                    created_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    audit.record("talk_link.added", link, user=actor, leader=leader.display_name,
                 target=branch.name if branch else f"{member.name}（{member.staff_no}）", starts_on=starts_on)
    db.session.commit()
    return link


def end_link(actor, link: TalkLink, ends_on: date | None) -> None:
    ends_on = ends_on or local_today()
    if ends_on < link.starts_on:
        raise TalkError("结束日期不能早于开始日期", "ends_on")
    changed = db.session.execute(update(TalkLink).where(TalkLink.id == link.id, TalkLink.ends_on.is_(None))
                                 .values(ends_on=ends_on).execution_options(synchronize_session=False)).rowcount
    if not changed:
        db.session.rollback()
        raise AlreadyHandled()
    audit.record("talk_link.ended", link, user=actor, leader=link.leader.display_name, target=link.target_label,
                 ends_on=ends_on)
    db.session.commit()
    db.session.refresh(link)
