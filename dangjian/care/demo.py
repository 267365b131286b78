"""Demo data for the care module: the members in difficulty (chosen here: the organization demo sets
no hardship flag, the registry's confirmed entries set them through sync_member_flags) become
confirmed registry entries (some past their yearly review), plus a proposal waiting for the
secondary unit (`erji`), one returned to the branch, one closed; and 走访 records, so the 走访名单
shows a unit half done and one visit points to the 慰问金 that paid."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Member, PersonCategory, RequestState, Role
from ..models.base import utcnow
from ..timeutil import local_today
from .models import EntryState, RegistryEntry, RegistryEvent, Visit, VisitOccasion, VisitReason
from .registry import add_year, sync_member_flags
from .visits import default_occasion, due_condition, occasion_date

SITUATIONS = {
    "living": "家庭收入低于当地最低生活保障标准，爱人无固定工作，子女在读。",
    "alone": "老伴去世多年，子女在外地工作，本人独自居住。",
    "frail": "年事已高，患高血压、糖尿病多年，行动不便，需定期就医。",
}


def _holder(users, role, org_id):
    return next((u for u in users.values() if u.holds(role, org_id)), None)


def _confirmer(users, member):
    sec = member.branch.secondary_unit
    return _holder(users, Role.SECONDARY, sec.id) if sec else users.get("zuzhibu")


def _entry(users, member, codes, situation, state, days_ago, rng, note=""):
    proposer = _holder(users, Role.BRANCH_SECRETARY, member.branch_id)
    if proposer is not None and proposer.member_id == member.id:
        proposer = next((u for u in users.values() if u.holds(Role.BRANCH_SECRETARY, member.branch_id)
                         and u.member_id != member.id), None)
    confirmer = _confirmer(users, member)
    today = local_today()
    proposed_at = utcnow() - timedelta(days=days_ago + 7)
    e = RegistryEntry(member=member, state=EntryState.PROPOSED, version=1, categories=codes, situation=situation,
                      proposed_by_id=proposer.id if proposer else None, proposed_at=proposed_at)
    db.session.add(e)
    db.session.flush()
    db.session.add(RegistryEvent(entry_id=e.id, action="propose", actor_id=e.proposed_by_id, at=proposed_at,
                                 to_state="proposed", categories=codes, situation=situation))
    if state is EntryState.RETURNED:
        e.state, e.version = state, 2
        db.session.add(RegistryEvent(entry_id=e.id, action="return", actor_id=confirmer.id, from_state="proposed",
                                     to_state="returned", note=note))
        return e
    if state is EntryState.PROPOSED:
        return e
    confirmed_on = today - timedelta(days=days_ago)
    e.state, e.version = EntryState.CONFIRMED, 2
    e.confirmed_by_id, e.confirmed_on, e.review_due_on = confirmer.id if confirmer else None, confirmed_on, add_year(confirmed_on)
    db.session.add(RegistryEvent(entry_id=e.id, action="confirm", actor_id=e.confirmed_by_id, from_state="proposed",
                                 to_state="confirmed", review_due_on=e.review_due_on,
                                 at=utcnow() - timedelta(days=days_ago)))
    if state is EntryState.CLOSED:
        e.state, e.version, e.closed_on, e.close_reason = state, 3, today - timedelta(days=10), note
        db.session.add(RegistryEvent(entry_id=e.id, action="close", actor_id=proposer.id if proposer else None,
                                     from_state="confirmed", to_state="closed", note=note))
    return e


def _in_difficulty(ctx) -> list[tuple[Member, list[str]]]:
    """Whom the branches have registered: 王喆 (the demo member, 生活困难); among the retired, about a
    third living alone and two in five 老弱病残; one in ten of the others in 生活困难. Members with an
    account (the demo's secretaries) are left out, so every entry has a secretary to propose it."""
    rng, wang = ctx.rng, ctx.named["dangyuan"]
    with_account = {u.member_id for u in ctx.users.values() if u.member_id}
    chosen = [(wang, ["living"])]
    for m in db.session.scalars(select(Member).where(Member.id.not_in(with_account)).order_by(Member.id)):
        if m.person_category is PersonCategory.RETIRED:
            codes = [c for c, share in (("alone", 0.3), ("frail", 0.4)) if rng.random() < share]
        else:
            codes = ["living"] if rng.random() < 0.1 else []
        if codes:
            chosen.append((m, codes))
    return sorted(chosen, key=lambda mc: mc[0].id)


def load_demo(ctx) -> None:
    users, rng, today = ctx.users, ctx.rng, local_today()
    chosen = _in_difficulty(ctx)
    for i, (m, codes) in enumerate(chosen):
        situation = "".join(SITUATIONS[c] for c in codes)
        # Every fourth was confirmed more than a year ago and is past its 每年复核.
        _entry(users, m, ",".join(codes), situation, EntryState.CONFIRMED, 380 + i if i % 4 == 0 else 30 + 11 * i, rng)
        sync_member_flags(m)  # the registry is the one source of the member's hardship flags
    db.session.flush()
    flagged = [m for m, _ in chosen]
    acc1 = ctx.named["dangyuan"].branch
    free = [m for m in db.session.scalars(select(Member).where(Member.branch_id == acc1.id, ~Member.user.has())
                                          .order_by(Member.id)) if m not in flagged]
    if len(free) >= 2:
        _entry(users, free[0], "illness", "爱人确诊恶性肿瘤，正在化疗，医疗费用自付部分较高，家庭负担重。",
               EntryState.PROPOSED, 0, rng)
        _entry(users, free[1], "disaster", "老家房屋因暴雨受损。", EntryState.RETURNED, 0, rng,
               note="请补充受灾情况证明及损失金额，说明目前家庭收入情况。")
    retired = ctx.branches.get("机关离退休党支部")
    if retired is not None:
        closed = db.session.scalars(select(Member).where(Member.branch_id == retired.id, ~Member.user.has(),
                                                         Member.id.not_in([m.id for m in flagged]))).first()
        if closed is not None:
            _entry(users, closed, "illness", "本人心脏搭桥手术后康复期，暂无法工作。", EntryState.CLOSED, 400, rng,
                   note="已康复并恢复正常生活，经支部复核，困难情况已消除。")

    # Visits: half of the 老党员 and 老模范 due at the coming occasion, visited by their branch secretary.
    occasion, year = default_occasion(today)
    day = min(occasion_date(occasion, year), today)
    due = db.session.scalars(select(Member).where(due_condition(occasion, year)).order_by(Member.id)).all()
    for i, m in enumerate(due):
        if i % 2:
            continue
        sec = _holder(users, Role.BRANCH_SECRETARY, m.branch_id)
        if sec is None or sec.member_id == m.id:
            continue
        db.session.add(Visit(member=m, visited_on=day - timedelta(days=1 + i % 5), visitors=sec.display_name,
                             reason=VisitReason.OLD_MEMBER if m.is_old_member else VisitReason.MODEL_WORKER,
                             occasion=occasion, occasion_year=year, recorded_by_id=sec.id,
                             notes="老人身体尚好，对党组织的关心表示感谢，希望支部多组织老同志学习活动。"))
    from ..request_types.condolence.model import CondolencePayment
    paid = db.session.scalars(select(CondolencePayment).where(CondolencePayment.state == RequestState.COMPLETED)
                              .order_by(CondolencePayment.id)).first()
    if paid is not None and paid.visit_date is not None:
        db.session.add(Visit(member=paid.beneficiary, visited_on=paid.visit_date, visitors=paid.visitors or "",
                             reason=VisitReason.OLD_MEMBER, occasion=VisitOccasion.ROUTINE, condolence_id=paid.id,
                             recorded_by_id=paid.initiator_id, notes="随同慰问金一并走访，了解身体和生活情况。"))
    db.session.commit()
