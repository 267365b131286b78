"""公示 (issue 3): 组织部 publishes the cycle's decided nominations; every logged-in user sees the list
for the configured number of working days and may file an objection (异议); 组织部 handles each
objection (upheld → 撤销推荐, dismissed → proceeds); when the period ends, the nominations without
open objections become 已表彰 by themselves (the ticker runs `close_publicity_periods`).

Every function takes `now` (default: the current time), so tests move time forward. Every state
change of a nomination goes through apply_action (PUBLISH, REVOKE, AWARD).
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ... import audit
from ...extensions import db
from ...models import Document, RequestState, Role, TimelineEntry
from ...models.base import utcnow
from ...timeutil import to_local
from ...workflow import Action, ActionRefused, AlreadyHandled, WorkflowError, apply_action
from .access import sees_business_content
from .calendar import end_of_local_day, publicity_period
from .documents import DECISION_SPEC, NOTICE_SPEC, create_cycle_documents
from .model import AwardCategory, AwardCycle, AwardNomination, CycleStatus, Objection, ObjectionStatus
from .workflow import CYCLE_STATUS, OBJECTION_STATUS, SCHOOL_STEP

log = logging.getLogger(__name__)

MAX_OBJECTION = 1000
MAX_REASON = 1000


def category_title(cycle: AwardCycle, category: AwardCategory) -> str:
    if category is AwardCategory.SPECIAL:
        return f"{cycle.special_name or '党建专项工作'}先进典型"
    if category is AwardCategory.INNOVATION:
        return "党建创新成果"
    return category.label


def categories_phrase(cycle: AwardCycle) -> str:
    """先进基层党组织、优秀共产党员和优秀党务工作者"""
    names = [category_title(cycle, c) for c in cycle.category_list]
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + "和" + names[-1]


def notice_title(cycle: AwardCycle) -> str:
    return f"{cycle.name}拟表彰对象公示"


def decision_title(cycle: AwardCycle) -> str:
    return f"{cycle.name}表彰决定"


def _nominations(cycle_id: int, state: RequestState) -> list[AwardNomination]:
    return list(db.session.scalars(select(AwardNomination).where(
        AwardNomination.cycle_id == cycle_id, AwardNomination.state == state)
        .order_by(AwardNomination.category, AwardNomination.quota_org_id, AwardNomination.rank,
                  AwardNomination.id)))


def in_review_summary(cycle_id: int) -> tuple[int, str]:
    """How many nominations are still waiting for someone, and where (for the refusal message)."""
    rows = db.session.execute(
        select(AwardNomination.current_step, func.count(AwardNomination.id))
        .where(AwardNomination.cycle_id == cycle_id, AwardNomination.state == RequestState.PENDING)
        .group_by(AwardNomination.current_step)).all()
    wf = AwardNomination.workflow
    total = sum(n for _, n in rows)
    order = [s.key for s in wf.steps]
    parts = [f"{wf.step(step).label} {n} 项" for step, n in sorted(rows, key=lambda r: order.index(r[0]))]
    return total, "、".join(parts)


def _recused(user, nominations) -> bool:
    return user.member_id is not None and any(user.member_id in n.conflicted_member_ids() for n in nominations)


def publish_cycle(cycle_id: int, user, now=None) -> int:
    """发布公示: open the 公示 period and put every decided nomination on it; returns how many.

    Resumable: if it stopped half-way (a crash between commits), running it again publishes the
    rest and makes the notice. Refused while any nomination is still under review."""
    now = now or utcnow()
    cycle = db.session.get(AwardCycle, cycle_id)
    if not user.holds(Role.ORG_DEPT):
        raise ActionRefused("只有党委组织部可以发布公示")
    if cycle.status is CycleStatus.COMPLETED:
        raise ActionRefused("本次评选已完成，不能再发布公示")
    approved = _nominations(cycle.id, RequestState.APPROVED)
    if _recused(user, approved):
        raise ActionRefused("您是公示名单中的被推荐人（或被推荐党组织的书记），按回避规定不能发布公示，"
                            "请由组织部其他同志发布")
    if cycle.status is CycleStatus.OPEN:
        pending, where = in_review_summary(cycle.id)
        if pending:
            raise ActionRefused(f"尚有 {pending} 项推荐仍在审核中（{where}），请全部办结后再发布公示")
        if not approved:
            raise ActionRefused("本次评选还没有经校党委决定表彰的推荐，不能发布公示")
        first, last = publicity_period(to_local(now).date(), cycle.publicity_days)
        changed = CYCLE_STATUS.move(cycle, CycleStatus.PUBLICIZING, published_at=now, published_by_id=user.id,
                                    publicity_starts_on=first, publicity_ends_on=last,
                                    publicity_ends_at=end_of_local_day(last), updated_at=now)
        if changed:
            # The cycle row is now locked: a nomination submitted or forwarded at the same moment
            # has either committed (and is counted here) or will find the cycle closed.
            pending, where = in_review_summary(cycle.id)
            if pending:
                db.session.rollback()
                raise ActionRefused(f"尚有 {pending} 项推荐仍在审核中（{where}），请全部办结后再发布公示")
            audit.record("award_cycle.publish", cycle, user=user, starts_on=first, ends_on=last)
        db.session.commit()
        db.session.refresh(cycle)
    published = 0
    for n in _nominations(cycle.id, RequestState.APPROVED):
        try:
            apply_action(n, user, Action.PUBLISH, payload={"now": now})
            published += 1
        except AlreadyHandled:  # another 组织部 user is publishing the same list
            db.session.rollback()
    _ensure_notice(cycle, user)
    return published


def _ensure_notice(cycle: AwardCycle, user) -> None:
    """The 公示 notice, with its 文号, in one transaction of its own (after the publications)."""
    exists = db.session.scalar(select(func.count(Document.id)).where(
        Document.award_cycle_id == cycle.id, Document.kind == NOTICE_SPEC.kind))
    if exists:
        return
    try:
        create_cycle_documents(cycle, NOTICE_SPEC, notice_title(cycle), user=user)
        db.session.commit()
    except IntegrityError:  # made at the same moment by a concurrent publication
        db.session.rollback()


def file_objection(nomination_id: int, user, content: str, now=None) -> Objection:
    """提出异议: any logged-in user, during the 公示 period. Raises WorkflowError(field="content")."""
    now = now or utcnow()
    if not sees_business_content(user):
        raise ActionRefused("系统管理员不能查看公示内容，也不能提出异议（三员分立）")
    nom = db.session.get(AwardNomination, nomination_id)
    cycle = nom.cycle
    if nom.state is not RequestState.PUBLICIZING or cycle.status is not CycleStatus.PUBLICIZING:
        raise ActionRefused("该推荐对象不在公示中，不能提出异议")
    if cycle.publicity_over(now):
        raise ActionRefused(f"公示期已于{cycle.publicity_ends_on.month}月{cycle.publicity_ends_on.day}日结束，"
                            "不能再提出异议")
    content = (content or "").replace("\r\n", "\n").strip()
    if not content:
        raise WorkflowError("请填写异议内容", field="content")
    if len(content) > MAX_OBJECTION:
        raise WorkflowError(f"异议内容不能超过{MAX_OBJECTION}字（当前{len(content)}字）", field="content")
    objection = Objection(nomination_id=nom.id, objector_id=user.id, content=content, created_at=now)
    db.session.add(objection)
    db.session.flush()
    audit.record("award_objection.file", objection, user=user, nomination=nom.number)
    db.session.commit()
    return objection


def handle_objection(objection_id: int, user, upheld: bool, reason: str, now=None) -> Objection:
    """组织部 records how an objection was handled, with a written reason.

    Upheld: the nomination is withdrawn (REVOKE → 已撤销). Dismissed: it proceeds; if the period has
    already ended and nothing else is open, it is awarded at once."""
    now = now or utcnow()
    objection = db.session.get(Objection, objection_id)
    nom = objection.nomination
    if not user.holds(Role.ORG_DEPT):
        raise ActionRefused("只有党委组织部可以处理异议")
    if objection.status is not ObjectionStatus.OPEN:
        raise AlreadyHandled("该异议已被处理，请刷新后查看")
    if _recused(user, [nom]):
        raise ActionRefused("您是该推荐的被推荐人（或被推荐党组织的书记），按回避规定不能处理针对它的异议，"
                            "请由组织部其他同志处理")
    reason = (reason or "").replace("\r\n", "\n").strip()
    if not reason:
        raise WorkflowError("请填写处理意见（核查情况和结论）", field="reason")
    if len(reason) > MAX_REASON:
        raise WorkflowError(f"处理意见不能超过{MAX_REASON}字", field="reason")
    if upheld and nom.state is RequestState.PUBLICIZING:
        # 撤销推荐: the objection is marked upheld in the same transaction (workflow._uphold).
        apply_action(nom, user, Action.REVOKE, opinion=reason, payload={"objection_id": objection.id, "now": now})
    else:
        status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        changed = OBJECTION_STATUS.move(objection, status, handled_by_id=user.id, handled_at=now,
                                        handling_reason=reason)
        if not changed:
            db.session.rollback()
            raise AlreadyHandled("该异议已被处理，请刷新后查看")
        audit.record(f"award_objection.{status.value}", objection, user=user, nomination=nom.number)
        db.session.commit()
        settle_cycle(nom.cycle_id, now)
    db.session.expire_all()
    return db.session.get(Objection, objection_id)


def settle_cycle(cycle_id: int, now=None) -> tuple[int, bool]:
    """After the period: award every nomination with no open objection; complete the cycle when
    none is left on the list. Returns (awarded now, completed now)."""
    now = now or utcnow()
    cycle = db.session.get(AwardCycle, cycle_id)
    if cycle.status is not CycleStatus.PUBLICIZING or not cycle.publicity_over(now):
        return 0, False
    awarded = 0
    for n in _nominations(cycle.id, RequestState.PUBLICIZING):
        if n.open_objections:
            continue  # waits until 组织部 handles it
        try:
            apply_action(n, None, Action.AWARD, payload={"now": now})
            awarded += 1
        except WorkflowError as exc:
            db.session.rollback()
            log.info("award of %s not done: %s", n.number, exc.message)
    left = db.session.scalar(select(func.count(AwardNomination.id)).where(
        AwardNomination.cycle_id == cycle.id,
        AwardNomination.state.in_((RequestState.PUBLICIZING, RequestState.APPROVED)))) or 0
    completed = False
    if not left:
        completed = complete_cycle(cycle.id, now)
    return awarded, completed


def complete_cycle(cycle_id: int, now=None) -> bool:
    """评选完成: give the 表彰决定 its 文号 and make it (when anyone was awarded)."""
    now = now or utcnow()
    changed = CYCLE_STATUS.move(cycle_id, CycleStatus.COMPLETED, frm=CycleStatus.PUBLICIZING,
                                completed_at=now, updated_at=now)
    if not changed:
        db.session.rollback()
        return False
    cycle = db.session.get(AwardCycle, cycle_id)
    db.session.refresh(cycle)
    awarded = db.session.scalar(select(func.count(AwardNomination.id)).where(
        AwardNomination.cycle_id == cycle_id, AwardNomination.state == RequestState.AWARDED)) or 0
    if awarded:
        cycle.decision_date = decision_date(cycle)
        # The 文号 from the register, in this transaction, of the year of the decision's 成文日期.
        doc = create_cycle_documents(cycle, DECISION_SPEC, decision_title(cycle), year=cycle.decision_date.year)
        cycle.decision_number = doc.doc_number
    audit.record("award_cycle.complete", cycle, user=None, awarded=awarded, number=cycle.decision_number,
                 decision_date=cycle.decision_date)
    db.session.commit()
    return True


def decision_date(cycle: AwardCycle):
    """The 表彰决定's 成文日期: the last day of the 公示, the day it ended without objection. The
    decision cites the 公示, so it cannot be dated before it (the 党委会 that approved the list met
    before the 公示; its date is in the text, `meeting_date`). The period counts working days, so
    its last day is one; the timer closes it at the following midnight, so the 印发日期 (the day the
    document is made) is never before it."""
    return cycle.publicity_ends_on or to_local(cycle.published_at).date()


def meeting_date(cycle: AwardCycle):
    """The day of the 党委会 that decided the awardees (recorded at the 校党委 step; the latest,
    when they were decided at several meetings), or None."""
    return db.session.scalar(
        select(func.max(TimelineEntry.meeting_date))
        .join(AwardNomination, AwardNomination.id == TimelineEntry.request_id)
        .where(AwardNomination.cycle_id == cycle.id, AwardNomination.state == RequestState.AWARDED,
               TimelineEntry.step == SCHOOL_STEP, TimelineEntry.action == Action.APPROVE.value,
               TimelineEntry.meeting_date.is_not(None)))


def close_publicity_periods(now=None) -> str | None:
    """The ticker's task (every 30 s): settle every cycle whose 公示 period has ended."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(AwardCycle.id).where(
        AwardCycle.status == CycleStatus.PUBLICIZING, AwardCycle.publicity_ends_at <= now)))
    db.session.commit()
    done = []
    for cycle_id in ids:
        awarded, completed = settle_cycle(cycle_id, now)
        if awarded or completed:
            done.append(f"cycle {cycle_id}: {awarded} awarded" + (", completed" if completed else ""))
    return "; ".join(done) or None
