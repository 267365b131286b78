"""催办 as a table, for each request type: state × user → urged (and whom it reminds) or refused.

Who may urge: the initiator, and 组织部; nobody while the request is not 审批中; not the person the
request waits for. Who is reminded: the holders of the current step's role at its organization,
recused people left out. An urge changes no state and no version.
"""
import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, TimelineEntry
from dangjian.workflow.urge import UrgeRefused, urge
from tests import test_allowance_workflow, test_award_workflow, test_condolence_workflow, test_workflow
from tests.factories_allowance import allowance_world
from tests.factories_award import add_award_people
from tests.factories_condolence import set_budget, setup_settings


def _condolence_world(o):
    setup_settings(o)
    set_budget("10000.00")


TYPES = {
    "dues": (test_workflow.SCENARIOS, lambda o: None),
    "condolence": (test_condolence_workflow.SCENARIOS, _condolence_world),
    "allowance": (test_allowance_workflow.SCENARIOS, allowance_world),
    "award": (test_award_workflow.SCENARIOS, add_award_people),
}

WAITS_FOR_YOU = "本申请正等待您办理，不需要催办"
NOT_YOURS = "只有发起人或组织部可以催办"


def urged(*holders):
    return ("urged", holders)


def refused(message):
    return ("refused", message)


CASES = [
    # 党费减免: 党支部讨论 → 二级党组织意见 → 校党委审批.
    ("dues", "branch", "member", urged("secretary", "committee")),
    ("dues", "branch", "org_dept_user", urged("secretary", "committee")),
    ("dues", "secondary", "member", urged("secondary")),
    ("dues", "school", "member", urged("school_user", "school_user2")),
    ("dues", "branch", "secretary", refused(NOT_YOURS)),  # the holder: nobody to urge but themself
    ("dues", "branch", "member2", refused(NOT_YOURS)),
    ("dues", "branch", "secondary", refused(NOT_YOURS)),
    ("dues", "branch", "supervisor", refused(NOT_YOURS)),  # 纪委 reads, changes nothing
    ("dues", "branch", "sysadmin", refused(NOT_YOURS)),
    # Filed on behalf of the member: the filer urges; the member (beneficiary only) does not.
    ("dues", "committee_on_behalf", "committee", urged("secretary")),  # a recused holder is not reminded
    ("dues", "committee_on_behalf", "member", refused(NOT_YOURS)),
    ("dues", "school_member_at_school", "school_user", urged("school_user2")),
    ("dues", "approved", "member", refused("申请当前为「已通过」状态，不需要催办")),
    ("dues", "rejected", "member", refused("申请当前为「未通过」状态，不需要催办")),
    ("dues", "returned", "member", refused("申请当前为「已退回」状态，不需要催办")),
    ("dues", "withdrawn", "member", refused("申请当前为「已撤回」状态，不需要催办")),
    ("dues", "draft", "member", refused("申请当前为「草稿」状态，不需要催办")),
    # 慰问金: started by the branch, the secondary unit decides; school-funded goes on.
    ("condolence", "branch_unit", "secretary", urged("secondary")),
    ("condolence", "branch_unit", "committee", refused(NOT_YOURS)),
    ("condolence", "school_at_org_dept", "secretary", urged("org_dept_user")),
    ("condolence", "school_at_org_dept", "org_dept_user", refused(WAITS_FOR_YOU)),
    ("condolence", "school_at_school", "org_dept_user", urged("school_user", "school_user2")),
    ("condolence", "secondary_started", "secondary", urged("secretary", "committee")),
    ("condolence", "unit_approved", "secretary", refused("申请当前为「已通过」状态，不需要催办")),
    ("condolence", "completed", "secretary", refused("申请当前为「已完成」状态，不需要催办")),
    # 兼职支部书记补贴: 组织部核定 → 校党委审批.
    ("allowance", "org_dept", "secondary", urged("org_dept_user", "org_dept2")),
    ("allowance", "org_dept", "org_dept_user", refused(WAITS_FOR_YOU)),
    ("allowance", "b_org_dept", "org_dept_user", urged("org_dept2")),  # paid by the batch: recused, may urge
    ("allowance", "school", "secondary", urged("school_user", "school_user2")),
    ("allowance", "school", "school_user", refused(NOT_YOURS)),
    ("allowance", "b_school", "secondary_b", urged("school_user2")),  # 张校领导 is paid by it
    ("allowance", "approved", "secondary", refused("申请当前为「已通过」状态，不需要催办")),
    # 表彰推荐: 二级党组织审核排序 → 组织部审核 → 校党委决定 → 公示.
    ("award", "at_secondary", "secretary", urged("secondary")),
    ("award", "at_secondary", "member", refused(NOT_YOURS)),  # the nominee
    ("award", "at_school", "org_dept_user", urged("school_user", "school_user2")),
    ("award", "org_dept_is_nominee", "secretary_b", urged("org_dept2")),
    ("award", "publicizing", "secretary", refused("申请当前为「公示中」状态，不需要催办")),
]


@pytest.fixture
def notified(monkeypatch):
    calls = []

    def record(kind, request, recipients, *, actor=None, **data):
        calls.append((kind, request.id, [u.id for u in recipients], actor.id))

    monkeypatch.setattr("dangjian.workflow.urge.notify", record)
    return calls


@pytest.mark.parametrize("kind,scenario,user_key,expected", CASES,
                         ids=[f"{k}-{s}-{u}-{e[0]}" for k, s, u, e in CASES])
def test_urge_table(app, org, notified, kind, scenario, user_key, expected):
    scenarios, prepare = TYPES[kind]
    prepare(org)
    req = scenarios[scenario](org)
    user = getattr(org, user_key)
    before = (req.state, req.current_step, req.version)
    entries = len(req.timeline)
    if expected[0] == "urged":
        entry = urge(req, user)
        db.session.expire_all()
        assert (req.state, req.current_step, req.version) == before  # not a decision
        assert (entry.action, entry.actor_id, entry.step) == ("urge", user.id, before[1])
        holders = [getattr(org, k) for k in expected[1]]
        assert notified == [("urge", req.id, [u.id for u in holders], user.id)]
        assert all(u.display_name in entry.detail for u in holders)
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.urge")).one()
        assert (audit.user_id, audit.object_id) == (user.id, req.id)
    else:
        with pytest.raises(UrgeRefused) as exc:
            urge(req, user)
        assert exc.value.message == expected[1]
        db.session.rollback()
        db.session.expire_all()
        assert (req.state, req.current_step, req.version, len(req.timeline)) == (*before, entries)
        assert req.last_urged_at is None and notified == []
        assert db.session.scalars(select(TimelineEntry).where(TimelineEntry.action == "urge")).all() == []
