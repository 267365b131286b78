"""A small but real organization and helpers that create requests through the engine."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from werkzeug.security import generate_password_hash

from dangjian.extensions import db
from dangjian.models import (BranchType, Member, MemberCategory, Organization, OrgKind, PersonCategory,
                             Role, RoleAssignment, User)
from dangjian.request_types.dues_waiver.model import DuesWaiver, HardshipCategory, WaiverMode
from dangjian.workflow import Action, MeetingRecord, apply_action, create_request

# A cheap hash: tests log in hundreds of times.
PASSWORD_HASH = generate_password_hash("pw", method="pbkdf2:sha256:1000")
_seq = iter(range(1, 1_000_000))


def _org(name, kind, parent=None, branch_type=None):
    org = Organization(name=name, kind=kind, branch_type=branch_type, path="")
    db.session.add(org)
    db.session.flush()
    org.set_parent(parent)
    return org


def make_member(branch, name=None, dues="45.00", **kw) -> Member:
    n = next(_seq)
    m = Member(name=name or f"党员{n}", gender="男", staff_no=f"T{n:06d}", id_number=f"610113198001{n:06d}",
               branch=branch, person_category=PersonCategory.STAFF, member_category=MemberCategory.FULL,
               joined_party_on=date(2005, 7, 1), birth_date=date(1980, 1, 1), phone="13812345678",
               monthly_dues=Decimal(dues), **kw)
    db.session.add(m)
    return m


def make_user(username, member=None, roles=()) -> User:
    user = User(username=username, display_name=member.name if member else username,
                password_hash=PASSWORD_HASH, member=member)
    for role, org in roles:
        user.role_assignments.append(RoleAssignment(role=role, organization=org))
    db.session.add(user)
    return user


def build_org() -> SimpleNamespace:
    o = SimpleNamespace()
    o.school = _org("中共测试大学委员会", OrgKind.SCHOOL)
    o.org_dept = _org("党委组织部", OrgKind.ORG_DEPT, o.school)
    o.sec_a = _org("会计学院党委", OrgKind.SECONDARY, o.school)
    o.branch_a1 = _org("会计学院教工第一党支部", OrgKind.BRANCH, o.sec_a, BranchType.STAFF)
    o.branch_a2 = _org("会计学院本科生党支部", OrgKind.BRANCH, o.sec_a, BranchType.STUDENT)
    o.sec_b = _org("经济学院党委", OrgKind.SECONDARY, o.school)
    o.branch_b1 = _org("经济学院教工党支部", OrgKind.BRANCH, o.sec_b, BranchType.STAFF)
    o.direct = _org("图书馆直属党支部", OrgKind.BRANCH, o.school, BranchType.STAFF)

    o.member = make_user("member", make_member(o.branch_a1, "王喆"))
    o.member2 = make_user("member2", make_member(o.branch_a1, "张堃"))
    o.secretary = make_user("secretary", make_member(o.branch_a1, "李书记"), [(Role.BRANCH_SECRETARY, o.branch_a1)])
    o.committee = make_user("committee", make_member(o.branch_a1, "赵支委"), [(Role.BRANCH_SECRETARY, o.branch_a1)])
    o.secretary_a2 = make_user("secretary_a2", make_member(o.branch_a2, "钱书记"), [(Role.BRANCH_SECRETARY, o.branch_a2)])
    o.secondary = make_user("secondary", make_member(o.branch_a1, "陈组织员"), [(Role.SECONDARY, o.sec_a)])
    o.member_b = make_user("member_b", make_member(o.branch_b1, "周珺玥"))
    o.secretary_b = make_user("secretary_b", make_member(o.branch_b1, "孙书记"), [(Role.BRANCH_SECRETARY, o.branch_b1)])
    o.secondary_b = make_user("secondary_b", None, [(Role.SECONDARY, o.sec_b)])
    o.org_dept_user = make_user("orgdept", make_member(o.branch_b1, "刘组织部"), [(Role.ORG_DEPT, o.org_dept)])
    o.school_user = make_user("school", make_member(o.branch_b1, "张校领导"), [(Role.SCHOOL, o.school)])
    o.school_user2 = make_user("school2", None, [(Role.SCHOOL, o.school)])
    o.supervisor = make_user("supervisor", None, [(Role.SUPERVISOR, o.school)])
    o.sysadmin = make_user("sysadmin", None, [(Role.SYSADMIN, o.school)])
    o.direct_member = make_user("direct_member", make_member(o.direct, "吴玥"))
    o.direct_secretary = make_user("direct_secretary", make_member(o.direct, "周书记"), [(Role.BRANCH_SECRETARY, o.direct)])
    db.session.commit()
    return o


def new_waiver(member_user: User, initiator: User | None = None, submit=True, **kw) -> DuesWaiver:
    """A 党费减免 for member_user's member, created (and submitted) through the engine."""
    member = member_user.member
    initiator = initiator or member_user
    values = dict(mode=WaiverMode.PARTIAL, monthly_amount=Decimal("20.00"),
                  monthly_dues_at_application=member.monthly_dues, start_month=date(2026, 1, 1),
                  end_month=date(2026, 6, 1), hardship_category=HardshipCategory.LIVING,
                  hardship_description="家庭经济困难，爱人患病住院，需长期治疗。")
    values.update(kw)
    req = DuesWaiver(organization=member.branch, beneficiary=member, **values)
    req.amount = req.monthly_amount * req.months
    create_request(req, initiator)
    if submit:
        apply_action(req, initiator, Action.SUBMIT)
    else:
        db.session.commit()
    return req


MEETING = MeetingRecord("branch_committee", date(2026, 1, 5), 5, 0, 0)
# A meeting that voted the request down: the decision must agree (不同意 or 退回修改).
MEETING_AGAINST = MeetingRecord("branch_committee", date(2026, 1, 5), 1, 4, 0)


def approve(req, user, opinion="同意", **kw):
    wf = type(req).workflow
    step = wf.step(req.current_step)
    meeting = MEETING if step and step.records_meeting else None
    return apply_action(req, user, Action.APPROVE, opinion=opinion, meeting=meeting, **kw)
