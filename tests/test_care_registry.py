"""困难党员台账 (§三(三)1): the branch proposes, the secondary unit (组织部 for a 直属党支部) confirms or
returns with a reason, a confirmed entry is reviewed yearly and closed with a reason; history is kept;
the members' hardship flags follow the registry. Every rule as a table row, every refusal changes
nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dangjian.care import registry
from dangjian.care.models import EntryState, RegistryEntry, RegistryEvent
from dangjian.care.registry import RegistryRefused, add_year
from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, MemberStatus
from dangjian.timeutil import local_today
from tests.factories import make_member, make_user

SITUATION = "爱人长期患病，家庭月收入低于当地最低生活保障标准。"


def _propose(org, member=None, user=None, **kw):
    kw.setdefault("categories", ["living", "frail"])
    kw.setdefault("situation", SITUATION)
    return registry.propose(user or org.secretary, member or org.member.member, **kw)


def _state(entry):
    db.session.expire_all()
    return db.session.get(RegistryEntry, entry.id)


@pytest.fixture
def at(org):
    """An entry of 王喆 (branch_a1) in each state, proposed by 李书记."""
    def make(state):
        e = _propose(org)
        if state is EntryState.PROPOSED:
            return e
        if state is EntryState.RETURNED:
            return registry.act(e, org.secondary, "return", version=e.version, note="请补充证明材料")
        e = registry.act(e, org.secondary, "confirm", version=e.version)
        if state is EntryState.CLOSED:
            return registry.act(e, org.secretary, "close", version=e.version, note="已就业，困难消除")
        return e
    return make


# (state, who, action, expected: the new state or the refusal's words)
P, R, C, X = EntryState.PROPOSED, EntryState.RETURNED, EntryState.CONFIRMED, EntryState.CLOSED
TABLE = [
    (P, "secondary", "confirm", C),
    (P, "secondary", "return", R),
    (P, "secretary", "withdraw", EntryState.WITHDRAWN),
    (P, "committee", "withdraw", EntryState.WITHDRAWN),
    (P, "secretary", "confirm", "只有二级党组织可以确认"),
    (P, "org_dept_user", "confirm", "只有二级党组织可以确认"),  # 组织部 confirms direct branches only
    (P, "secondary_b", "confirm", "只有二级党组织可以确认"),  # another unit's secondary
    (P, "supervisor", "confirm", "只有二级党组织可以确认"),  # 纪委 reads only
    (P, "secondary", "withdraw", "只有党员所在党支部可以撤回"),
    (P, "secondary", "review", "当前为「待确认」，不能复核"),
    (P, "secretary_a2", "withdraw", "只有党员所在党支部可以撤回"),
    (R, "secretary", "withdraw", EntryState.WITHDRAWN),
    (R, "secondary", "confirm", "当前为「已退回」，不能确认"),
    (C, "secondary", "review", C),
    (C, "secondary", "close", X),
    (C, "secretary", "close", X),
    (C, "secretary", "review", "只有二级党组织可以复核"),
    (C, "secondary", "confirm", "当前为「在册」，不能确认"),
    (C, "secretary", "withdraw", "当前为「在册」，不能撤回"),
    (C, "school_user", "close", "只有党员所在党支部或二级党组织可以销号"),
    (X, "secondary", "review", "当前为「已销号」，不能复核"),
    (X, "secretary", "close", "当前为「已销号」，不能销号"),
    # 自动销号 follows a 党籍状态 change (test_care_member_status.py); nobody takes it by hand.
    (P, "secondary", "status_close", "由系统自动销号"),
    (C, "secretary", "status_close", "由系统自动销号"),
    (C, "org_dept_user", "status_close", "由系统自动销号"),
]


@pytest.mark.parametrize("state,who,action,expected", TABLE, ids=[f"{s.value}-{w}-{a}" for s, w, a, _ in TABLE])
def test_the_registry_table(org, at, state, who, action, expected):
    e = at(state)
    user = getattr(org, who)
    note = "困难情况已消除" if action in ("close", "return") else ""
    before = (e.state, e.version, db.session.scalar(select(func.count(RegistryEvent.id))))
    if isinstance(expected, EntryState):
        assert action in registry.available_actions(e, user)
        registry.act(e, user, action, version=e.version, note=note)
        fresh = _state(e)
        assert fresh.state is expected and fresh.version == before[1] + 1
        assert fresh.events[-1].action == action and fresh.events[-1].actor_id == user.id
        return
    assert action not in registry.available_actions(e, user)
    with pytest.raises(RegistryRefused) as err:
        registry.act(e, user, action, version=e.version, note=note)
    assert expected in err.value.message
    fresh = _state(e)
    assert (fresh.state, fresh.version, db.session.scalar(select(func.count(RegistryEvent.id)))) == before


def test_confirming_sets_the_yearly_review_and_the_member_flags(org):
    e = _propose(org)
    m = org.member.member
    assert (m.living_difficulty, m.frail_sick_disabled) == (False, False)  # a proposal is not the registry
    registry.act(e, org.secondary, "confirm", version=e.version, note="情况属实")
    fresh = _state(e)
    today = local_today()
    assert (fresh.confirmed_on, fresh.review_due_on, fresh.confirmed_by_id) == (today, add_year(today), org.secondary.id)
    m = db.session.get(Member, m.id)
    assert (m.living_difficulty, m.lives_alone, m.frail_sick_disabled, m.difficulty_reason) == (True, False, True, SITUATION)
    actions = [a.action for a in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "care_registry_entries").order_by(AuditEvent.id))]
    assert actions == ["care.entry.proposed", "care.entry.confirmed"]


def test_a_review_moves_the_date_a_year_on_and_a_close_clears_the_flags(org, at):
    e = at(EntryState.CONFIRMED)
    db.session.execute(db.update(RegistryEntry).where(RegistryEntry.id == e.id)
                       .values(review_due_on=local_today() - timedelta(days=3)))
    db.session.commit()
    assert _state(e).review_overdue(local_today())
    registry.act(_state(e), org.secondary, "review", version=_state(e).version, note="仍需帮扶")
    fresh = _state(e)
    assert fresh.review_due_on == add_year(local_today()) and not fresh.review_overdue(local_today())
    assert fresh.events[-1].review_due_on == fresh.review_due_on
    with pytest.raises(RegistryRefused, match="请填写销号理由"):
        registry.act(fresh, org.secretary, "close", version=fresh.version, note="  ")
    registry.act(fresh, org.secretary, "close", version=fresh.version, note="爱人已康复，家庭收入恢复")
    fresh = _state(e)
    assert (fresh.state, fresh.closed_on, fresh.close_reason) == (EntryState.CLOSED, local_today(), "爱人已康复，家庭收入恢复")
    m = db.session.get(Member, org.member.member.id)
    assert (m.living_difficulty, m.frail_sick_disabled, m.difficulty_reason) == (False, False, "")
    # A closed entry makes room for a new proposal when hardship returns.
    assert _propose(org).state is EntryState.PROPOSED


def test_a_return_needs_a_reason_and_the_resubmission_keeps_the_old_text(org):
    e = _propose(org)
    with pytest.raises(RegistryRefused, match="请填写退回理由"):
        registry.act(e, org.secondary, "return", version=e.version, note="")
    registry.act(e, org.secondary, "return", version=e.version, note="请写明家庭收入")
    e = _state(e)
    registry.act(e, org.secretary, "resubmit", version=e.version, categories=["illness"],
                 situation="爱人患尿毒症需长期透析，家庭月收入2800元。")
    fresh = _state(e)
    assert (fresh.state, fresh.categories, fresh.situation) == (EntryState.PROPOSED, "illness",
                                                                 "爱人患尿毒症需长期透析，家庭月收入2800元。")
    assert [(ev.action, ev.situation) for ev in fresh.events] == [
        ("propose", SITUATION), ("return", None), ("resubmit", "爱人患尿毒症需长期透析，家庭月收入2800元。")]
    assert fresh.events[1].note == "请写明家庭收入"


def test_a_stale_page_or_a_second_click_is_refused(org):
    e = _propose(org)
    old_version = e.version
    registry.act(e, org.secondary, "confirm", version=old_version)
    with pytest.raises(RegistryRefused, match="该记录已被他人处理"):  # 赵支委 withdraws from an old page
        registry.act(_state(e), org.committee, "close", version=old_version, note="误报")
    assert _state(e).state is EntryState.CONFIRMED


def test_recusal_the_proposer_and_the_member_themself(org):
    # 陈组织员 (secondary of sec_a) is also a member of branch_a1: nobody proposes or confirms themself.
    with pytest.raises(RegistryRefused, match="回避"):
        _propose(org, member=org.secretary.member)
    both = make_user("both", make_member(org.branch_a1, "双岗"), [])
    from dangjian.models import Role, RoleAssignment
    both.role_assignments += [RoleAssignment(role=Role.BRANCH_SECRETARY, organization=org.branch_a1),
                              RoleAssignment(role=Role.SECONDARY, organization=org.sec_a)]
    db.session.commit()
    e = _propose(org, user=both)
    assert "confirm" not in registry.available_actions(e, both)
    with pytest.raises(RegistryRefused, match="您是该记录的申报人"):
        registry.act(e, both, "confirm", version=e.version)
    own = _propose(org, member=org.secondary.member)
    with pytest.raises(RegistryRefused, match="不能办理本人的事项"):
        registry.act(own, org.secondary, "confirm", version=own.version)
    registry.act(own, both, "confirm", version=own.version)  # another holder of the role confirms
    assert _state(own).state is EntryState.CONFIRMED


def test_a_direct_branch_is_confirmed_by_the_org_department(org):
    e = _propose(org, member=org.direct_member.member, user=org.direct_secretary)
    assert registry.available_actions(e, org.secondary) == []
    registry.act(e, org.org_dept_user, "confirm", version=e.version)
    assert _state(e).state is EntryState.CONFIRMED


@pytest.mark.parametrize("kw,field,message", [
    ({"categories": []}, "categories", "请至少选择一项困难类别"),
    ({"categories": ["nonsense"]}, "categories", "请至少选择一项困难类别"),
    ({"situation": "   "}, "situation", "请填写困难情况"),
    ({"situation": "困" * 1001}, "situation", "困难情况不能超过1000字"),
    ({"situation": "含有\x00控制字符"}, "situation", "控制字符"),
])
def test_a_bad_proposal_is_refused_and_nothing_is_written(org, kw, field, message):
    with pytest.raises(RegistryRefused) as err:
        _propose(org, **kw)
    assert (err.value.field, message in err.value.message) == (field, True)
    assert db.session.scalar(select(func.count(RegistryEntry.id))) == 0


def test_one_open_entry_per_member_and_only_members_in_good_standing(org):
    _propose(org)
    with pytest.raises(RegistryRefused, match="王喆已在台账中（待确认），不能重复申报"):
        _propose(org)
    with pytest.raises(RegistryRefused, match="只有党员所在党支部可以申报"):
        _propose(org, member=org.member_b.member)
    org.member2.member.status = MemberStatus.DECEASED
    db.session.commit()
    with pytest.raises(RegistryRefused, match="去世"):
        _propose(org, member=org.member2.member)


def test_the_database_refuses_two_open_entries_of_one_member(org):
    """The partial unique index backs the rule when two proposals race past the check."""
    from sqlalchemy.exc import IntegrityError
    m = org.member.member
    db.session.add(RegistryEntry(member=m, state=EntryState.PROPOSED, categories="living", situation="a"))
    db.session.commit()
    db.session.add(RegistryEntry(member=m, state=EntryState.CONFIRMED, categories="living", situation="b"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(RegistryEntry(member=m, state=EntryState.CLOSED, categories="living", situation="c"))
    db.session.commit()
