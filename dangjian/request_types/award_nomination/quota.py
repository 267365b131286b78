"""名额 and 排序: "二级党组织审核排序，在名额内报送" (issue 3).

Everything here runs inside the transaction of an action (the workflow's on_transition hook).

* A quota slot is taken with one conditional UPDATE — `used = used + 1 WHERE used < quota` — so two
  forwardings at the same moment can never together exceed the quota: on PostgreSQL the second
  waits for the first's row lock and re-checks the condition; on SQLite there is one writer.
* A nomination that leaves the forwarded set (rejected, withdrawn, returned below the secondary
  step) gives its slot back, exactly once (`quota_counted`).
* `position` is the secondary unit's working order (up/down on the ranking page); `rank` (排序) is
  fixed when the nomination is forwarded: after every nomination already forwarded.
"""
from __future__ import annotations

from sqlalchemy import func, select, update

from ...extensions import db
from ...models import RequestState
from ...workflow import ActionRefused
from .model import AwardCycle, AwardNomination, AwardQuota


class QuotaRefused(ActionRefused):
    pass


def _quota_row(req: AwardNomination) -> AwardQuota | None:
    return db.session.scalar(select(AwardQuota).where(
        AwardQuota.cycle_id == req.cycle_id, AwardQuota.organization_id == req.quota_org_id,
        AwardQuota.category == req.category))


def quota_message(org_name: str, category_label: str, quota: int, used: int) -> str:
    if quota == 0:
        return f"{org_name}本次评选没有「{category_label}」名额，不能报送"
    return f"{org_name}「{category_label}」名额为 {quota} 名，已报送 {used} 名，不能再报送"


def take_slot(req: AwardNomination) -> str:
    """Use one of the quota org's slots for this nomination, or raise QuotaRefused with the quota
    and the count. Returns the timeline detail."""
    if req.quota_counted:
        return ""
    taken = db.session.execute(
        update(AwardQuota)
        .where(AwardQuota.cycle_id == req.cycle_id, AwardQuota.organization_id == req.quota_org_id,
               AwardQuota.category == req.category, AwardQuota.used < AwardQuota.quota)
        .values(used=AwardQuota.used + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    row = _quota_row(req)
    if row is not None:
        db.session.refresh(row)
    if taken != 1:
        quota, used = (row.quota, row.used) if row is not None else (0, 0)
        raise QuotaRefused(quota_message(req.quota_org.name, req.category_label, quota, used))
    # 排序: after every nomination of this unit and category already forwarded. The quota row is
    # locked by the UPDATE above, so concurrent forwardings read each other's ranks in turn.
    last = db.session.scalar(select(func.max(AwardNomination.rank)).where(
        AwardNomination.cycle_id == req.cycle_id, AwardNomination.quota_org_id == req.quota_org_id,
        AwardNomination.category == req.category, AwardNomination.quota_counted.is_(True),
        AwardNomination.id != req.id))
    req.rank = (last or 0) + 1
    req.quota_counted = True
    return (f"报送「{req.category_label}」，排序第 {req.rank} 名；"
            f"{req.quota_org.name}已用名额 {row.used}/{row.quota}")


def release_slot(req: AwardNomination) -> str:
    """Give the slot back (the nomination left the forwarded set). Returns the timeline detail."""
    if not req.quota_counted:
        return ""
    db.session.execute(
        update(AwardQuota)
        .where(AwardQuota.cycle_id == req.cycle_id, AwardQuota.organization_id == req.quota_org_id,
               AwardQuota.category == req.category, AwardQuota.used > 0)
        .values(used=AwardQuota.used - 1)
        .execution_options(synchronize_session=False))
    req.quota_counted = False
    req.rank = None
    row = _quota_row(req)
    if row is not None:
        db.session.refresh(row)
        return f"释放{row.organization.name}「{req.category_label}」名额，已用 {row.used}/{row.quota}"
    return ""


def append_position(req: AwardNomination) -> None:
    """Put a (re)submitted nomination at the end of its unit's working order."""
    last = db.session.scalar(select(func.max(AwardNomination.position)).where(
        AwardNomination.cycle_id == req.cycle_id, AwardNomination.quota_org_id == req.quota_org_id,
        AwardNomination.category == req.category, AwardNomination.id != req.id))
    req.position = (last or 0) + 1


def awaiting_unit(cycle: AwardCycle, unit_id: int, category=None):
    """The nominations waiting at the unit's 审核排序 step, in the unit's working order."""
    q = select(AwardNomination).where(
        AwardNomination.cycle_id == cycle.id, AwardNomination.quota_org_id == unit_id,
        AwardNomination.state == RequestState.PENDING, AwardNomination.current_step == "secondary")
    if category is not None:
        q = q.where(AwardNomination.category == category)
    return q.order_by(AwardNomination.position, AwardNomination.id)


def forwarded_by_unit(cycle: AwardCycle, unit_id: int, category=None):
    q = select(AwardNomination).where(
        AwardNomination.cycle_id == cycle.id, AwardNomination.quota_org_id == unit_id,
        AwardNomination.quota_counted.is_(True))
    if category is not None:
        q = q.where(AwardNomination.category == category)
    return q.order_by(AwardNomination.rank, AwardNomination.id)


def move(nomination: AwardNomination, direction: str) -> bool:
    """Swap the nomination with its neighbour in the unit's working order (up or down).
    Returns False when it is already first (or last)."""
    waiting = list(db.session.scalars(awaiting_unit(nomination.cycle, nomination.quota_org_id,
                                                    nomination.category)))
    ids = [n.id for n in waiting]
    if nomination.id not in ids:
        return False
    i = ids.index(nomination.id)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(waiting):
        return False
    # Renumber the whole list so equal positions (two submissions at once) cannot stall a move.
    waiting[i], waiting[j] = waiting[j], waiting[i]
    for pos, n in enumerate(waiting, start=1):
        n.position = pos
    return True


def in_review_count(cycle_id: int) -> int:
    return db.session.scalar(select(func.count(AwardNomination.id)).where(
        AwardNomination.cycle_id == cycle_id, AwardNomination.state == RequestState.PENDING)) or 0
