"""公示: 组织部 publishes the decided nominations; the period is counted in working days; any member may
object; 组织部 handles each objection (upheld → 已撤销, dismissed → proceeds); when the period ends,
the nominations without open objections become 已表彰 by themselves (the ticker's task), with time
moved forward in the test; then the cycle completes with its 表彰决定."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dangjian import plugins
from dangjian.extensions import db
from dangjian.models import AuditEvent, Document, Request, RequestState
from dangjian.request_types.award_nomination.calendar import end_of_local_day, publicity_period
from dangjian.workdays import WorkCalendar
from dangjian.request_types.award_nomination.model import CycleStatus, ObjectionStatus
from dangjian.request_types.award_nomination.publicity import (close_publicity_periods, file_objection,
                                                                handle_objection, publish_cycle)
from dangjian.workflow import (Action, ActionRefused, AlreadyHandled, WorkflowError, apply_action,
                               available_actions)
from tests.factories_award import MEMBER, ORG, WORKER, aorg, decided, forward, make_cycle, nominate  # noqa: F401

FRIDAY = date(2026, 6, 19)


def local_noon(day: date) -> datetime:
    """Noon in Asia/Shanghai on `day`, as the naive UTC the database stores."""
    return datetime(day.year, day.month, day.day, 4, 0)


# --- working days --------------------------------------------------------------------------------

@pytest.mark.parametrize("published,days,expected", [
    (date(2026, 6, 15), 5, (date(2026, 6, 15), date(2026, 6, 19))),  # Monday: Mon–Fri
    (FRIDAY, 5, (FRIDAY, date(2026, 6, 25))),  # Friday: Fri, then Mon–Thu across the weekend
    (date(2026, 6, 20), 5, (date(2026, 6, 22), date(2026, 6, 26))),  # Saturday: starts Monday
    (date(2026, 6, 21), 1, (date(2026, 6, 22), date(2026, 6, 22))),  # Sunday, one day
    (FRIDAY, 7, (FRIDAY, date(2026, 6, 29))),  # two weekends
])
def test_publicity_period_counts_working_days_across_weekends(published, days, expected):
    assert publicity_period(published, days, WorkCalendar()) == expected


def test_holidays_do_not_count():
    holidays = frozenset({date(2026, 6, 19), date(2026, 6, 22), date(2026, 6, 23)})  # a Friday, the next Mon/Tue
    assert publicity_period(date(2026, 6, 18), 3, WorkCalendar(holidays=holidays)) == \
        (date(2026, 6, 18), date(2026, 6, 25))


def test_the_period_ends_at_local_midnight_after_its_last_day(app):
    assert end_of_local_day(date(2026, 6, 25)) == datetime(2026, 6, 25, 16, 0)  # 24:00 in Beijing = 16:00 UTC


# --- publication ---------------------------------------------------------------------------------

def _two_decided(o):
    cycle = make_cycle(o)
    a = decided(o, cycle, member_user=o.member)
    b = decided(o, cycle, org=o.branch_b1, category=ORG, initiator=o.secretary_b)
    return cycle, a, b


def test_publish_puts_every_decided_nomination_on_the_list(app, aorg):
    cycle, a, b = _two_decided(aorg)
    returned = nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member2)
    apply_action(returned, aorg.secondary, Action.RETURN, opinion="请补充事迹")
    rejected = nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member3)
    apply_action(rejected, aorg.secondary, Action.REJECT, opinion="名额所限，不予推荐")

    assert publish_cycle(cycle.id, aorg.org_dept_user, now=local_noon(FRIDAY)) == 2
    db.session.expire_all()
    assert (cycle.status, cycle.publicity_starts_on, cycle.publicity_ends_on) == \
        (CycleStatus.PUBLICIZING, FRIDAY, date(2026, 6, 25))
    assert cycle.publicity_ends_at == datetime(2026, 6, 25, 16, 0)
    for n in (a, b):
        assert n.state is RequestState.PUBLICIZING and n.publicized_at == local_noon(FRIDAY)
        assert n.timeline[-1].action == "publish" and n.timeline[-1].actor_id == aorg.org_dept_user.id
    assert (returned.state, rejected.state) == (RequestState.RETURNED, RequestState.REJECTED)
    notice = db.session.scalars(select(Document).where(Document.award_cycle_id == cycle.id)).one()
    assert (notice.kind, notice.request_id, notice.title) == \
        ("award_publicity_notice", None, "2026年度“两优一先”表彰拟表彰对象公示")
    # The cycle no longer accepts nominations: not even the returned one.
    with pytest.raises(ActionRefused) as exc:
        apply_action(returned, aorg.secretary, Action.SUBMIT)
    assert "公示" in exc.value.message
    db.session.rollback()
    # Publishing again (e.g. a second click) changes nothing and makes no second notice.
    assert publish_cycle(cycle.id, aorg.org_dept_user) == 0
    assert db.session.scalars(select(Document).where(Document.award_cycle_id == cycle.id)).all() == [notice]
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "award_cycle.publish").order_by(AuditEvent.id)).all() \
        == ["award_cycle.publish"]


def test_publish_is_refused_while_nominations_are_under_review(app, aorg):
    cycle = make_cycle(aorg)
    decided(aorg, cycle, member_user=aorg.member)
    nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member2)
    b = nominate(cycle, aorg.secretary_b, MEMBER, member_user=aorg.member_b)
    forward(b, aorg.secondary_b)
    with pytest.raises(ActionRefused) as exc:
        publish_cycle(cycle.id, aorg.org_dept_user)
    assert exc.value.message == ("尚有 2 项推荐仍在审核中（二级党组织审核排序 1 项、组织部审核 1 项），"
                                 "请全部办结后再发布公示")
    db.session.rollback()
    db.session.expire_all()
    assert cycle.status is CycleStatus.OPEN


def test_publish_needs_a_decided_nomination_and_the_org_dept(app, aorg):
    cycle = make_cycle(aorg)
    with pytest.raises(ActionRefused) as exc:
        publish_cycle(cycle.id, aorg.org_dept_user)
    assert "还没有经校党委决定表彰的推荐" in exc.value.message
    decided(aorg, cycle, member_user=aorg.member)
    for user in (aorg.school_user, aorg.secondary, aorg.supervisor):
        with pytest.raises(ActionRefused) as exc:
            publish_cycle(cycle.id, user)
        assert "只有党委组织部可以发布公示" in exc.value.message


def test_a_nominee_in_the_org_dept_does_not_publish_their_own_list(app, aorg):
    cycle = make_cycle(aorg)
    decided(aorg, cycle, member_user=aorg.org_dept_user, initiator=aorg.secretary_b)
    with pytest.raises(ActionRefused) as exc:
        publish_cycle(cycle.id, aorg.org_dept_user)
    assert "按回避规定不能发布公示" in exc.value.message
    db.session.rollback()
    assert publish_cycle(cycle.id, aorg.org_dept2) == 1


def test_a_publication_interrupted_half_way_is_resumed(app, aorg):
    """If the process stopped after opening the period, publishing again lists the rest."""
    cycle, a, b = _two_decided(aorg)
    publish_cycle(cycle.id, aorg.org_dept_user)
    # Simulate the crash: b was never put on the list (its PUBLISH never ran).
    db.session.execute(update(Request).where(Request.id == b.id).values(state=RequestState.APPROVED))
    db.session.commit()
    db.session.expire_all()
    assert Action.PUBLISH in available_actions(b, aorg.org_dept_user)  # the request page links to the cycle
    assert publish_cycle(cycle.id, aorg.org_dept_user) == 1
    db.session.expire_all()
    assert b.state is RequestState.PUBLICIZING


# --- the timer --------------------------------------------------------------------------------------

def _published(o, now=None):
    cycle, a, b = _two_decided(o)
    publish_cycle(cycle.id, o.org_dept_user, now=now or local_noon(FRIDAY))
    db.session.expire_all()
    return cycle, a, b


def test_the_nominations_are_awarded_by_themselves_when_the_period_ends(app, aorg):
    cycle, a, b = _published(aorg)
    end = cycle.publicity_ends_at
    # The last working day (Thursday) is still inside the period, the weekend counted out.
    assert close_publicity_periods(now=end - timedelta(seconds=1)) is None
    db.session.expire_all()
    assert (a.state, b.state, cycle.status) == (RequestState.PUBLICIZING, RequestState.PUBLICIZING,
                                                CycleStatus.PUBLICIZING)
    assert close_publicity_periods(now=end) == f"cycle {cycle.id}: 2 awarded, completed"
    db.session.expire_all()
    for n in (a, b):
        assert n.state is RequestState.AWARDED and n.closed_at is not None
        entry = n.timeline[-1]
        assert (entry.action, entry.actor_id, entry.actor_role) == ("award", None, "system")
        assert "公示期满" in entry.opinion
    assert cycle.status is CycleStatus.COMPLETED and cycle.completed_at == end
    assert cycle.decision_number == "西财党发〔2026〕1号"
    decision = db.session.scalars(select(Document).where(Document.award_cycle_id == cycle.id,
                                                         Document.kind == "award_decision")).one()
    assert decision.title == "2026年度“两优一先”表彰表彰决定"
    # Each nominee's form gets a second version with the 公示 result.
    assert [d.version for d in a.documents if d.kind == "award_nomination_form"] == [1, 2]
    # Nothing left to do: the task is idempotent.
    assert close_publicity_periods(now=end + timedelta(days=3)) is None


def test_the_ticker_runs_the_task(app, aorg, redis_conn):
    """`flask ticker --once` (what `make run` keeps running every 30 s) awards a period that ended."""
    assert close_publicity_periods in plugins.periodic_tasks()
    cycle, a, b = _published(aorg)
    cycle.publicity_ends_at = datetime(2000, 1, 1)  # long over
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ticker", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (a.state, b.state, cycle.status) == (RequestState.AWARDED, RequestState.AWARDED, CycleStatus.COMPLETED)


# --- objections -------------------------------------------------------------------------------------

def test_any_member_may_object_during_the_period_with_content(app, aorg):
    cycle, a, b = _published(aorg)
    during = cycle.publicity_ends_at - timedelta(hours=1)
    with pytest.raises(WorkflowError) as exc:
        file_objection(a.id, aorg.member_b, "  \r\n ", now=during)
    assert (exc.value.field, exc.value.message) == ("content", "请填写异议内容")
    with pytest.raises(WorkflowError) as exc:
        file_objection(a.id, aorg.member_b, "异" * 1001, now=during)
    assert "不能超过1000字" in exc.value.message
    objection = file_objection(a.id, aorg.member_b, "该同志2025年度考核为基本称职。", now=during)
    assert (objection.objector_id, objection.status) == (aorg.member_b.id, ObjectionStatus.OPEN)
    # A user without a member record (e.g. a 组织员 account) may object too.
    file_objection(a.id, aorg.secondary_b, "反映情况。", now=during)
    with pytest.raises(ActionRefused) as exc:
        file_objection(a.id, aorg.member_b, "又一条", now=cycle.publicity_ends_at)
    assert "公示期已于6月25日结束" in exc.value.message


def test_no_objection_to_a_nomination_not_on_the_list(app, aorg):
    cycle = make_cycle(aorg)
    req = decided(aorg, cycle, member_user=aorg.member)
    with pytest.raises(ActionRefused) as exc:
        file_objection(req.id, aorg.member_b, "反映问题")
    assert "不在公示中" in exc.value.message


def test_an_upheld_objection_revokes_the_nomination(app, aorg):
    cycle, a, b = _published(aorg)
    objection = file_objection(a.id, aorg.member_b, "该同志存在违纪问题。", now=local_noon(FRIDAY))
    with pytest.raises(WorkflowError) as exc:
        handle_objection(objection.id, aorg.org_dept_user, True, " ")
    assert exc.value.field == "reason"
    db.session.rollback()
    handled = handle_objection(objection.id, aorg.org_dept_user, True, "经核实，反映问题属实，撤销推荐。")
    assert (handled.status, handled.handled_by_id, handled.handling_reason) == \
        (ObjectionStatus.UPHELD, aorg.org_dept_user.id, "经核实，反映问题属实，撤销推荐。")
    db.session.expire_all()
    assert a.state is RequestState.REVOKED and a.closed_at is not None
    entry = a.timeline[-1]
    assert (entry.action, entry.actor_id, entry.opinion, entry.detail) == \
        ("revoke", aorg.org_dept_user.id, "经核实，反映问题属实，撤销推荐。", "异议成立，撤销推荐")
    with pytest.raises(AlreadyHandled):
        handle_objection(objection.id, aorg.org_dept_user, False, "再处理一次")
    db.session.rollback()
    # At the end of the period the other one is awarded; the revoked one stays revoked.
    close_publicity_periods(now=cycle.publicity_ends_at)
    db.session.expire_all()
    assert (a.state, b.state, cycle.status) == (RequestState.REVOKED, RequestState.AWARDED, CycleStatus.COMPLETED)


def test_a_dismissed_objection_lets_the_nomination_proceed(app, aorg):
    cycle, a, b = _published(aorg)
    objection = file_objection(a.id, aorg.member_b, "事迹有夸大。", now=local_noon(FRIDAY))
    handled = handle_objection(objection.id, aorg.org_dept_user, False, "经核实，事迹材料属实，异议不成立。",
                               now=local_noon(FRIDAY))
    assert handled.status is ObjectionStatus.DISMISSED
    db.session.expire_all()
    assert a.state is RequestState.PUBLICIZING  # the period is not over yet
    close_publicity_periods(now=cycle.publicity_ends_at)
    db.session.expire_all()
    assert a.state is RequestState.AWARDED and cycle.status is CycleStatus.COMPLETED


def test_an_open_objection_holds_the_award_until_it_is_handled(app, aorg):
    cycle, a, b = _published(aorg)
    objection = file_objection(a.id, aorg.member_b, "反映问题。", now=local_noon(FRIDAY))
    end = cycle.publicity_ends_at
    close_publicity_periods(now=end + timedelta(hours=1))
    db.session.expire_all()
    assert (a.state, b.state, cycle.status) == (RequestState.PUBLICIZING, RequestState.AWARDED,
                                                CycleStatus.PUBLICIZING)
    # Even the system cannot award it while the objection is open.
    with pytest.raises(ActionRefused) as exc:
        apply_action(a, None, Action.AWARD, payload={"now": end + timedelta(days=1)})
    assert "尚有未处理的异议" in exc.value.message
    db.session.rollback()
    close_publicity_periods(now=end + timedelta(days=2))
    db.session.expire_all()
    assert a.state is RequestState.PUBLICIZING
    # Dismissed after the end: awarded at once, and the cycle completes.
    handle_objection(objection.id, aorg.org_dept_user, False, "经核实，不属实。", now=end + timedelta(days=3))
    db.session.expire_all()
    assert (a.state, cycle.status) == (RequestState.AWARDED, CycleStatus.COMPLETED)
    assert cycle.decision_number == "西财党发〔2026〕1号"


def test_an_objection_upheld_after_the_end_revokes_and_completes(app, aorg):
    cycle, a, b = _published(aorg)
    objection = file_objection(a.id, aorg.member_b, "反映问题。", now=local_noon(FRIDAY))
    close_publicity_periods(now=cycle.publicity_ends_at)
    handle_objection(objection.id, aorg.org_dept_user, True, "经核实属实。", now=cycle.publicity_ends_at)
    db.session.expire_all()
    assert a.state is RequestState.REVOKED
    close_publicity_periods(now=cycle.publicity_ends_at + timedelta(minutes=1))
    db.session.expire_all()
    assert cycle.status is CycleStatus.COMPLETED


def test_objections_are_handled_by_the_org_dept_and_never_by_the_nominee(app, aorg):
    cycle = make_cycle(aorg)
    req = decided(aorg, cycle, member_user=aorg.org_dept_user, initiator=aorg.secretary_b)
    publish_cycle(cycle.id, aorg.org_dept2)
    objection = file_objection(req.id, aorg.member_b, "反映问题。")
    for user in (aorg.school_user, aorg.secondary_b, aorg.supervisor):
        with pytest.raises(ActionRefused) as exc:
            handle_objection(objection.id, user, False, "不属实")
        assert "只有党委组织部可以处理异议" in exc.value.message
    with pytest.raises(ActionRefused) as exc:
        handle_objection(objection.id, aorg.org_dept_user, True, "不属实")
    assert "按回避规定不能处理" in exc.value.message
    db.session.rollback()
    assert handle_objection(objection.id, aorg.org_dept2, False, "经核实不属实").status is ObjectionStatus.DISMISSED


def test_a_cycle_where_everyone_was_revoked_completes_without_a_decision(app, aorg):
    cycle = make_cycle(aorg)
    req = decided(aorg, cycle, member_user=aorg.member)
    publish_cycle(cycle.id, aorg.org_dept_user)
    handle_objection(file_objection(req.id, aorg.member_b, "反映问题。").id, aorg.org_dept_user, True, "属实")
    db.session.expire_all()
    close_publicity_periods(now=cycle.publicity_ends_at)
    db.session.expire_all()
    assert cycle.status is CycleStatus.COMPLETED and cycle.decision_number is None
    assert not db.session.scalars(select(Document).where(Document.kind == "award_decision")).all()
