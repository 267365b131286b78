"""考核「优秀」→ 先进基层党组织 (§三(一)1 "对年度综合考核获“优秀”等级的，给予一定物质奖励" with §三(一)2).

A cycle offering 先进基层党组织 looks back on the 党建考核 of its year and the two before (the
awards are every two years): the branches graded 优秀 there are pre-listed for the secondary unit,
which with 「按考核优秀推荐」 creates a nomination draft for each one not yet nominated. The drafts are
表彰推荐 in 草稿 started by the unit (`by_unit`): the unit completes the 主要事迹 and submits each
(核对并提交). Having recommended it itself, the unit has no 审核排序 of its own to do (nobody approves
what they started): as with a 直属党支部, the submission is the forwarding — it takes a quota slot and
the next rank, and goes to 组织部审核. Every other rule of the award workflow applies (one nomination
per organization per category and cycle, the deadline, the quota).

The grade is the nomination's evidence: the request page and the edit form show the nominee's
graded assessments of those years (`grade_evidence`), however the nomination was started.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ... import audit
from ...assessment.grades import AssessmentGrade
from ...assessment.models import GRADED_STATES, Assessment
from ...extensions import db
from ...models import Organization, OrgKind, Role
from ...workflow import ActionRefused, create_request
from .model import AwardCategory, AwardCycle, AwardNomination

LOOKBACK = 2  # a cycle of year Y reads the assessments of Y-2 … Y


def assessment_years(cycle: AwardCycle) -> tuple[int, int]:
    return cycle.year - LOOKBACK, cycle.year


def grade_evidence(org_id: int, cycle: AwardCycle) -> list[Assessment]:
    """The organization's graded assessments in the cycle's years, the latest first."""
    first, last = assessment_years(cycle)
    return list(db.session.scalars(select(Assessment).where(
        Assessment.organization_id == org_id, Assessment.state.in_(GRADED_STATES),
        Assessment.year >= first, Assessment.year <= last).order_by(Assessment.year.desc())))


def evidence_for(req: AwardNomination) -> list[Assessment]:
    """The evidence shown on a nomination of an organization (none for a member)."""
    if req.nominee_org_id is None:
        return []
    return grade_evidence(req.nominee_org_id, req.cycle)


def excellent_branches(cycle: AwardCycle, unit: Organization) -> list[tuple[Organization, Assessment, AwardNomination | None]]:
    """(branch, its latest 优秀 assessment in the cycle's years, its 先进基层党组织 nomination in this
    cycle or None) for the unit's branches graded 优秀, in the unit's display order."""
    if not cycle.offers(AwardCategory.ADVANCED_ORG):
        return []
    first, last = assessment_years(cycle)
    rows = db.session.execute(
        select(Organization, Assessment).join(Assessment, Assessment.organization_id == Organization.id)
        .where(Organization.parent_id == unit.id, Organization.kind == OrgKind.BRANCH,
               Organization.dissolved_on.is_(None), Assessment.state.in_(GRADED_STATES),
               Assessment.grade == AssessmentGrade.EXCELLENT, Assessment.year >= first, Assessment.year <= last)
        .order_by(Organization.sort_order, Organization.id, Assessment.year.desc())).all()
    latest: dict[int, tuple] = {}
    for branch, a in rows:
        latest.setdefault(branch.id, (branch, a))
    if not latest:
        return []
    keys = {AwardNomination.key_for(org=b): b.id for b, _ in latest.values()}
    nominated = {n.nominee_org_id: n for n in db.session.scalars(select(AwardNomination).where(
        AwardNomination.cycle_id == cycle.id, AwardNomination.category == AwardCategory.ADVANCED_ORG,
        AwardNomination.nominee_key.in_(keys)))}
    return [(b, a, nominated.get(b.id)) for b, a in latest.values()]


def draft_deeds(branch: Organization, a: Assessment) -> str:
    return f"{branch.name}在{a.year}年度党建考核中被评为「优秀」（{a.score}分）。"


def create_drafts(cycle: AwardCycle, unit: Organization, user) -> list[AwardNomination]:
    """「按考核优秀推荐」: a 先进基层党组织 draft for each 优秀 branch of `unit` not yet nominated in
    `cycle`, started by `user` (the unit's 书记/组织员), in one transaction with one audit row."""
    if not user.holds(Role.SECONDARY, unit.id):
        raise ActionRefused(f"只有{unit.name}的书记/组织员可以按考核优秀推荐")
    if not cycle.offers(AwardCategory.ADVANCED_ORG):
        raise ActionRefused(f"「{cycle.name}」未设置「先进基层党组织」类别")
    if not cycle.accepting():
        raise ActionRefused(f"「{cycle.name}」已不再接受推荐（{cycle.phase_label}）")
    todo = [(b, a) for b, a, n in excellent_branches(cycle, unit) if n is None]
    if not todo:
        raise ActionRefused("没有尚未推荐的考核「优秀」党支部")
    drafts = []
    try:
        for branch, a in todo:
            req = AwardNomination(cycle=cycle, category=AwardCategory.ADVANCED_ORG, organization=branch,
                                  nominee_org=branch, nominee_key=AwardNomination.key_for(org=branch),
                                  deeds=draft_deeds(branch, a), quota_org=unit, by_unit=True)
            drafts.append(create_request(req, user))
    except IntegrityError:
        db.session.rollback()
        raise ActionRefused("其间已有党支部被他人推荐，请刷新页面后重试") from None
    audit.record("award_nomination.drafts_from_assessment", cycle, user=user, unit=unit.id,
                 numbers=[d.number for d in drafts])
    db.session.commit()
    return drafts
