"""表彰推荐 helpers: a cycle with its quota grid, and nominations taken through the engine."""
from datetime import date, timedelta

import pytest

from dangjian.extensions import db
from dangjian.models import Role
from dangjian.request_types.award_nomination.model import (AwardCategory, AwardCycle, AwardNomination,
                                                           AwardQuota, CycleStatus, quota_orgs)
from dangjian.timeutil import local_today
from dangjian.workflow import Action, MeetingRecord, apply_action, create_request
from tests.factories import make_member, make_user

ORG, MEMBER, WORKER, SPECIAL = (AwardCategory.ADVANCED_ORG, AwardCategory.EXCELLENT_MEMBER,
                                AwardCategory.EXCELLENT_WORKER, AwardCategory.SPECIAL)
PARTY_MEETING = MeetingRecord("party_committee", date(2026, 6, 10), 21, 0, 1)
PARTY_MEETING_AGAINST = MeetingRecord("party_committee", date(2026, 6, 10), 8, 12, 2)


def add_award_people(o):
    """A second 组织部 holder (to act when the first is recused), and more members of branch a1."""
    o.org_dept2 = make_user("orgdept2", make_member(o.branch_b1, "魏组织部"), [(Role.ORG_DEPT, o.org_dept)])
    o.member3 = make_user("member3", make_member(o.branch_a1, "孙璟"))
    db.session.commit()
    return o


@pytest.fixture
def aorg(org):
    return add_award_people(org)


def make_cycle(o, categories=(ORG, MEMBER, WORKER), quota=2, direct_quota=1, deadline=None, days=5,
               name="2026年度“两优一先”表彰", special_name="") -> AwardCycle:
    """A cycle open for nominations; every secondary unit gets `quota` per category, every 直属党支部
    `direct_quota` (a dict {(org, category): n} overrides single cells)."""
    cycle = AwardCycle(year=2026, name=name, special_name=special_name,
                       deadline=deadline or local_today() + timedelta(days=30), publicity_days=days,
                       status=CycleStatus.OPEN, created_by_id=o.org_dept_user.id)
    cycle.set_categories(categories)
    db.session.add(cycle)
    db.session.flush()
    overrides = quota if isinstance(quota, dict) else {}
    for org in quota_orgs(o.school):
        for cat in categories:
            n = direct_quota if org.is_branch else (quota if isinstance(quota, int) else 2)
            n = overrides.get((org.id, cat), n)
            db.session.add(AwardQuota(cycle_id=cycle.id, organization_id=org.id, category=cat, quota=n, used=0))
    db.session.commit()
    return cycle


def nominate(cycle, initiator, category=MEMBER, member_user=None, org=None, deeds="长期扎根教学一线，成绩突出。",
             submit=True) -> AwardNomination:
    """The branch of `member_user` (or `org`) recommends, through create_request and SUBMIT."""
    member = member_user.member if member_user is not None else None
    branch = member.branch if member is not None else org
    req = AwardNomination(cycle=cycle, category=category, organization=branch, beneficiary=member, nominee_org=org,
                          nominee_key=AwardNomination.key_for(member, org), deeds=deeds,
                          quota_org=branch.secondary_unit or branch)
    create_request(req, initiator)
    if submit:
        apply_action(req, initiator, Action.SUBMIT)
    else:
        db.session.commit()
    return req


def forward(req, user, opinion="同意推荐。"):
    return apply_action(req, user, Action.APPROVE, opinion=opinion)


def decide(req, user, opinion="经校党委会议研究，同意表彰。"):
    return apply_action(req, user, Action.APPROVE, opinion=opinion, meeting=PARTY_MEETING)


def decided(o, cycle, member_user=None, org=None, category=MEMBER, initiator=None):
    """A nomination taken through every step to 已通过 (校党委决定)."""
    initiator = initiator or o.secretary
    req = nominate(cycle, initiator, category, member_user=member_user, org=org)
    if req.current_step == "secondary":
        forward(req, o.secondary if req.quota_org_id == o.sec_a.id else o.secondary_b)
    apply_action(req, o.org_dept_user if o.org_dept_user.member_id not in req.conflicted_member_ids()
                 else o.org_dept2, Action.APPROVE, opinion="经审核，同意。")
    decide(req, o.school_user if o.school_user.member_id not in req.conflicted_member_ids() else o.school_user2)
    return req
