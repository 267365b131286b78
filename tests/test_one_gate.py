"""One gate (issue 8 §9): the rules that decide whether a request may be submitted live in the
workflow, so they hold however the submission arrives: through the type's form, through the generic
action endpoint, or through `apply_action` called directly (as here, with no form at all).

- 党费减免: no two live waivers of a member cover the same month; the member is in good standing.
- 慰问金: one 亡故 per member; one 七一 and one 春节 visit per member and year; a member who has died
  is not the payee.
The races (two submissions at the same moment) are in test_one_gate_race.py.
"""
from datetime import date

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, MemberStatus, Request, RequestState, TimelineEntry
from dangjian.request_types.condolence.model import CondolenceCategory, PayeeKind
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.workflow import Action, ActionRefused, apply_action
from tests.factories import new_waiver
from tests.factories_condolence import new_condolence, set_budget, setup_settings

S, W = Action.SUBMIT, Action.WITHDRAW


def refused_unchanged(req, user, action=S, **kw) -> str:
    """Apply `action`; assert it is refused and that nothing changed; return the message."""
    before = (req.state, req.version)
    timeline = db.session.scalar(select(func.count(TimelineEntry.id)).where(TimelineEntry.request_id == req.id))
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, user, action, **kw)
    db.session.rollback()
    db.session.expire_all()
    assert (req.state, req.version) == before
    assert db.session.scalar(select(func.count(TimelineEntry.id))
                             .where(TimelineEntry.request_id == req.id)) == timeline
    return exc.value.message


# --- 党费减免 ---------------------------------------------------------------------------------

def test_a_waiver_overlapping_a_live_one_is_refused_by_the_engine(app, org):
    first = new_waiver(org.member, start_month=date(2026, 1, 1), end_month=date(2026, 6, 1))
    second = new_waiver(org.member, submit=False, start_month=date(2026, 6, 1), end_month=date(2026, 9, 1))
    message = refused_unchanged(second, org.member)
    assert message == f"该党员已有覆盖这段时间的党费减免申请（{first.number}，审批中），期间不能重叠"
    assert second.state is RequestState.DRAFT


def test_months_next_to_each_other_do_not_overlap(app, org):
    new_waiver(org.member, start_month=date(2026, 1, 1), end_month=date(2026, 6, 1))
    after = new_waiver(org.member, start_month=date(2026, 7, 1), end_month=date(2026, 12, 1))
    assert after.state is RequestState.PENDING


def test_another_members_waiver_for_the_same_months_is_no_clash(app, org):
    new_waiver(org.member)
    assert new_waiver(org.member2).state is RequestState.PENDING


def test_a_withdrawn_waiver_holds_no_months_but_is_checked_again_when_resubmitted(app, org):
    """The case the action endpoint used to refuse with a bare 400: withdrawn, another waiver filed
    for the same months meanwhile, then resubmitted as it was."""
    first = new_waiver(org.member)
    apply_action(first, org.member, W)
    second = new_waiver(org.member)  # allowed: the withdrawn one holds nothing
    message = refused_unchanged(first, org.member)
    assert f"（{second.number}，审批中），期间不能重叠" in message
    assert first.state is RequestState.WITHDRAWN


@pytest.mark.parametrize("ending", ["reject", "withdraw"])
def test_a_waiver_that_ended_frees_its_months(app, org, ending):
    first = new_waiver(org.member)
    if ending == "reject":
        from tests.factories import MEETING_AGAINST
        apply_action(first, org.secretary, Action.REJECT, opinion="不符合条件", meeting=MEETING_AGAINST)
    else:
        apply_action(first, org.member, W)
    assert new_waiver(org.member).state is RequestState.PENDING


@pytest.mark.parametrize("status", [MemberStatus.DECEASED, MemberStatus.EXPELLED, MemberStatus.SUSPENDED])
def test_a_waiver_for_a_member_no_longer_in_good_standing_is_not_resubmitted(app, org, status):
    req = new_waiver(org.member)
    apply_action(req, org.member, W)
    org.member.member.status, org.member.member.status_on = status, date(2026, 3, 1)
    db.session.commit()
    message = refused_unchanged(req, org.member)
    assert message.startswith("党员「王喆」已于2026年3月1日")


# --- 慰问金 -----------------------------------------------------------------------------------

@pytest.fixture
def o(app, org):
    setup_settings(org)
    set_budget("10000.00")
    return org


def _family(**kw):
    return dict(payee_kind=PayeeKind.FAMILY, payee_name="王某某", payee_relation="配偶", **kw)


def test_a_second_death_payment_for_a_member_is_refused_by_the_engine(o):
    first = new_condolence(o.member, o.secretary, category=CondolenceCategory.DEATH, **_family())
    second = new_condolence(o.member, o.secondary, category=CondolenceCategory.DEATH, submit=False, **_family())
    message = refused_unchanged(second, o.secondary)
    assert message == f"该党员已有亡故慰问申请（{first.number}，审批中），不能重复申请"


@pytest.mark.parametrize("category", [CondolenceCategory.JULY_FIRST, CondolenceCategory.SPRING_FESTIVAL])
def test_a_second_holiday_visit_in_a_year_is_refused_by_the_engine(o, category):
    this_year = date.today().year
    first = new_condolence(o.member, o.secretary, category=category, event_date=date(this_year, 1, 20))
    second = new_condolence(o.member, o.secondary, category=category, event_date=date(this_year, 12, 20),
                            submit=False)
    message = refused_unchanged(second, o.secondary)
    assert message == (f"该党员{this_year}年已有{category.label}慰问（{first.number}，审批中），每人每年一次")


def test_holiday_visits_of_different_years_or_occasions_are_no_clash(o):
    this_year = date.today().year
    new_condolence(o.member, o.secretary, category=CondolenceCategory.SPRING_FESTIVAL,
                   event_date=date(this_year, 1, 20))
    other_occasion = new_condolence(o.member, o.secretary, category=CondolenceCategory.JULY_FIRST,
                                    event_date=date(this_year, 6, 28))
    other_year = new_condolence(o.member, o.secretary, category=CondolenceCategory.SPRING_FESTIVAL,
                                event_date=date(this_year + 1, 1, 20), submit=False)
    apply_action(other_year, o.secretary, S)
    assert (other_occasion.state, other_year.state) == (RequestState.PENDING, RequestState.PENDING)


def test_a_rejected_visit_does_not_count(o):
    first = new_condolence(o.member, o.secretary, category=CondolenceCategory.JULY_FIRST)
    apply_action(first, o.secondary, Action.REJECT, opinion="已由工会慰问")
    again = new_condolence(o.member, o.secretary, category=CondolenceCategory.JULY_FIRST)
    assert again.state is RequestState.PENDING


def test_a_member_with_a_death_payment_is_not_paid_in_person(o):
    new_condolence(o.member, o.secretary, category=CondolenceCategory.DEATH, **_family())
    visit = new_condolence(o.member, o.secondary, submit=False)  # payee: the member
    assert "该党员已亡故" in refused_unchanged(visit, o.secondary)


def test_a_death_payment_is_never_paid_to_the_member(o):
    req = new_condolence(o.member, o.secretary, category=CondolenceCategory.DEATH, submit=False)
    assert refused_unchanged(req, o.secretary) == "党员亡故的，收款人应为其家属，请填写家属姓名和关系"


def test_a_deceased_member_gets_only_the_death_payment(o):
    o.member.member.status, o.member.member.status_on = MemberStatus.DECEASED, date(2026, 3, 1)
    db.session.commit()
    visit = new_condolence(o.member, o.secretary, submit=False)
    assert "亡故慰问请选择慰问类别「亡故」" in refused_unchanged(visit, o.secretary)
    death = new_condolence(o.member, o.secretary, category=CondolenceCategory.DEATH, **_family())
    assert death.state is RequestState.PENDING


# --- the action endpoint: no special case for 提交 ----------------------------------------------

def _post_act(client, req, action, version):
    return client.post(f"/requests/{req.id}/act", data={"action": action.value, "version": str(version),
                                                        "context": "page"})


def test_resubmitting_through_the_action_endpoint_is_gated_like_any_action(app, org, auth, client):
    first = new_waiver(org.member)
    apply_action(first, org.member, W)
    second = new_waiver(org.member)
    auth.login(org.member)

    resp = _post_act(client, first, S, first.version)
    assert resp.status_code == 200
    assert f"该党员已有覆盖这段时间的党费减免申请（{second.number}，审批中），期间不能重叠" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DuesWaiver, first.id).state is RequestState.WITHDRAWN

    apply_action(db.session.get(DuesWaiver, second.id), org.member, W)  # the clash is gone
    first = db.session.get(DuesWaiver, first.id)
    resp = _post_act(client, first, S, first.version)
    assert resp.status_code == 200 and "已提交" in resp.get_data(as_text=True)
    db.session.expire_all()
    first = db.session.get(DuesWaiver, first.id)
    assert (first.state, first.current_step) == (RequestState.PENDING, "branch")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "request.submit", AuditEvent.object_id == first.id)) == 2


def test_submitting_someone_elses_request_through_the_endpoint_is_refused(app, org, auth, client):
    req = new_waiver(org.member)
    apply_action(req, org.member, W)
    auth.login(org.secretary)  # sees it (their branch) but did not start it
    resp = _post_act(client, req, S, req.version)
    assert "只有发起人可以提交" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).state is RequestState.WITHDRAWN
