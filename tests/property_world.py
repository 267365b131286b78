"""The world of the stateful property test (tests/test_property_workflow.py): a cheap reset between
examples, the organization with every request type set up, who may start what, and the data each
action needs. Everything here goes through the same code the pages use (the engine, the factories).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from dangjian.extensions import db
from dangjian.models import AuditEvent, BudgetLineKind, Role, RoleAssignment, User
from dangjian.models.audit import SQLITE_APPEND_ONLY
from dangjian.request_types.condolence.model import CondolenceCategory, FundingSource, InitiatorLevel
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.request_types.secretary_allowance.model import SecretaryAllowance
from dangjian.timeutil import local_today
from dangjian.workflow import Action, MeetingRecord
from dangjian.workflow.definition import Actor
from tests.factories import build_org, make_member, make_user, new_waiver
from tests.factories_allowance import YEAR, adjust_payload, allowance_world, new_batch
from tests.factories_award import MEMBER, ORG, WORKER, make_cycle, nominate
from tests.factories_condolence import new_condolence, payment_payload, set_budget, setup_settings

# ---------------------------------------------------------------- reset between examples


def reset_database() -> None:
    """Empty every table, much cheaper than a new schema per example.

    PostgreSQL: the suite's TRUNCATE … RESTART IDENTITY (tests/conftest.py). SQLite: DELETE from
    every table in one transaction, with foreign keys checked at commit and the audit log's
    append-only triggers dropped for that transaction only (the application can never do this:
    the triggers are back before the transaction ends)."""
    db.session.remove()
    engine = db.engine
    if engine.dialect.name == "postgresql":
        from tests.conftest import _fresh_schema
        _fresh_schema()
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        triggers = conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")).scalars().all()
        for name in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        for stmt in SQLITE_APPEND_ONLY:
            conn.exec_driver_sql(stmt)


# ---------------------------------------------------------------- the organization


@dataclass(frozen=True)
class Budgets:
    """The school budget lines the example starts with (None: the line is not set)."""

    condolence: str | None
    allowance: str | None


def build_world(budgets: Budgets, award_quota: int) -> SimpleNamespace:
    """tests.factories.build_org, plus what every request type needs: the 慰问金 standards and
    threshold, the 书记补贴 records (terms, grades), a 表彰 cycle with its quotas, the budget lines.

    One more person: 组织部's 魏组织部 is also the second secretary of 图书馆直属党支部 — common in
    机关 branches, and the case where a step holder is recused by the request's content (the
    branch nominated as 先进基层党组织), not by being its initiator."""
    o = build_org()
    allowance_world(o, budget=None)  # adds o.org_dept2 and the YEAR records
    o.dual = make_user("dual", make_member(o.direct, "魏组织部"),
                       [(Role.ORG_DEPT, o.org_dept), (Role.BRANCH_SECRETARY, o.direct)])
    db.session.commit()
    setup_settings(o)
    if budgets.condolence is not None:
        set_budget(budgets.condolence)
    if budgets.allowance is not None:
        set_budget(budgets.allowance, year=YEAR, kind=BudgetLineKind.ALLOWANCE)
    o.cycle = make_cycle(o, quota=award_quota, direct_quota=1)
    o.users = sorted((v for v in vars(o).values() if isinstance(v, User)), key=lambda u: u.id)
    o.member_user_ids = {u.id for u in o.users if u.member_id is not None}
    return o


class People:
    """Everyone in the organization, loaded once per example in a session of their own that never
    expires them: the engine and the oracles ask about a user's roles thousands of times, and the
    main session's commits and rollbacks would reload every user each time. Roles never change
    during an example. The engine only reads them (ids, roles, member id), as it reads current_user."""

    def __init__(self, o):
        self.session = Session(bind=db.engine, expire_on_commit=False)
        self.users = self.session.scalars(
            select(User).where(User.id.in_([u.id for u in o.users])).order_by(User.id)
            .options(selectinload(User.role_assignments).selectinload(RoleAssignment.organization))).all()
        self.session.commit()  # holds no transaction (PostgreSQL would keep table locks)
        self.by_id = {u.id: u for u in self.users}
        self.by_member = {u.member_id: u for u in self.users if u.member_id is not None}

    def close(self) -> None:
        self.session.close()


def member_users(o) -> list[User]:
    """Everyone who is a party member (a possible beneficiary)."""
    return [u for u in o.users if u.id in o.member_user_ids]


def branch_holders(o, branch_id: int) -> list[User]:
    return [u for u in o.users if u.holds(Role.BRANCH_SECRETARY, branch_id)]


def unit_holders(o, unit_id: int | None) -> list[User]:
    return [u for u in o.users if unit_id is not None and u.holds(Role.SECONDARY, unit_id)]


# ---------------------------------------------------------------- starting requests


def start_waiver(o, beneficiary: User, initiator: User, serial: int) -> DuesWaiver:
    """党费减免: the member applies, or a secretary of their branch files for them. Each waiver of
    a member covers its own six months (the form refuses overlapping months)."""
    start = date(2026 + serial // 2, 1 + 6 * (serial % 2), 1)
    return new_waiver(beneficiary, initiator, start_month=start, end_month=start.replace(month=start.month + 5))


def waiver_initiators(o, beneficiary: User) -> list[User]:
    return [beneficiary] + branch_holders(o, beneficiary.member.branch_id)


CONDOLENCE_AMOUNTS = ("500.00", "1000.00", "1500.00")  # below, at and above the standard and threshold


def condolence_initiators(o, beneficiary: User) -> list[User]:
    branch = beneficiary.member.branch
    return branch_holders(o, branch.id) + unit_holders(o, branch.parent_id if not branch.is_direct_branch else None)


def start_condolence(o, beneficiary: User, initiator: User, amount: str, school_funded: bool):
    """慰问金 for 患病住院 (no once-a-year rule: several per member are allowed). A 直属党支部 has no
    unit funds, so its requests are school-funded."""
    branch = beneficiary.member.branch
    funding = FundingSource.SCHOOL if school_funded or branch.is_direct_branch else FundingSource.UNIT
    level = InitiatorLevel.BRANCH if initiator.holds(Role.BRANCH_SECRETARY, branch.id) else InitiatorLevel.SECONDARY
    return new_condolence(beneficiary, initiator, category=CondolenceCategory.HOSPITALIZED, amount=amount,
                          funding=funding, level=level)


def allowance_units(o) -> list:
    """The units that file a 书记补贴 batch, with who files: each secondary unit, and 组织部 for the
    school's 直属党支部."""
    return [(o.sec_a, [o.secondary]), (o.sec_b, [o.secondary_b]), (o.school, [o.org_dept_user, o.org_dept2])]


def start_allowance(unit, initiator) -> SecretaryAllowance:
    return new_batch(unit, initiator)


AWARD_CATEGORIES = (MEMBER, WORKER, ORG)


def nomination_choices(o) -> list[tuple]:
    """(category, member user or None, branch) for every nomination a branch could make."""
    out = []
    for branch in (o.branch_a1, o.branch_a2, o.branch_b1, o.direct):
        out.append((ORG, None, branch))
        for u in member_users(o):
            if u.member.branch_id == branch.id:
                out += [(MEMBER, u, branch), (WORKER, u, branch)]
    return out


def start_nomination(o, category, member_user, branch, initiator):
    if member_user is not None:
        return nominate(o.cycle, initiator, category, member_user=member_user)
    return nominate(o.cycle, initiator, category, org=branch)


# ---------------------------------------------------------------- what an action carries


def meeting_for(step, carried: bool) -> MeetingRecord:
    kind = step.meeting_types[0] if step.meeting_types else "branch_committee"
    votes = (5, 0, 0) if carried else (1, 4, 0)
    return MeetingRecord(kind, local_today() - timedelta(days=1), *votes)


def action_kwargs(req, action: Action, draw, valid: bool = False) -> dict:
    """The arguments a form would send for `action` on `req` now, drawn with `draw(strategy)`: an
    opinion, the meeting record of a step that records one, an earlier step to return to, a
    payload for the actions that carry data. Unless `valid`, the data is sometimes wrong the way a
    user gets it wrong (no opinion where one is required, a decision against the meeting's vote, an
    adjustment beyond the cap). A new action that needs data gets one more branch here."""
    from hypothesis import strategies as st

    wf = type(req).workflow
    t = wf.transition(action)
    required = t is not None and t.opinion_required
    opinions = ["经研究，意见如上。"] if valid or required else ["同意。"]
    kw: dict = {"opinion": draw(st.sampled_from(opinions + ([] if valid else [""])))}
    step = wf.step(req.current_step) if t is not None and t.actor is Actor.STEP_HOLDER else None
    if step is not None and step.records_meeting and action in (Action.APPROVE, Action.REJECT):
        against_the_vote = False if valid else draw(st.booleans())  # False, Hypothesis' simplest: agrees
        kw["meeting"] = meeting_for(step, carried=(action is Action.APPROVE) != against_the_vote)
    if action is Action.RETURN:
        earlier = [s.key for s in wf.earlier_steps(req, req.current_step)]
        kw["return_to"] = draw(st.sampled_from([None] + earlier))
    if action is Action.ADJUST and req.lines:
        line = draw(st.sampled_from(sorted(req.lines, key=lambda ln: ln.id)))
        change = draw(st.sampled_from(["none", "cut"] + ([] if valid else ["beyond the cap"])))
        if change == "cut" and line.reward >= 100:
            kw["payload"] = adjust_payload(line, amount=line.amount - 100, reward=line.reward - 100)
        elif change == "beyond the cap":
            kw["payload"] = adjust_payload(line, amount=Decimal("99999.00"))
        else:
            kw["payload"] = adjust_payload(line)
    if action is Action.RECORD_PAYMENT and req.amount:
        paid = draw(st.sampled_from([req.amount, (req.amount / 2).quantize(Decimal("0.01"))]))
        kw["payload"] = payment_payload(req, paid=paid)
    return kw


def same_kwargs(req, kw: dict) -> dict:
    """The same form sent again (a second click): new upload objects, the same values."""
    payload = kw.get("payload")
    if payload and "receipts" in payload:
        return {**kw, "payload": payment_payload(req, paid=payload["paid_amount"], visit=payload["visit_date"])}
    return dict(kw)


def audit_rows(req_ids) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.object_id.in_(list(req_ids)),
                                                       AuditEvent.action.like("request.%"))
                              .order_by(AuditEvent.id)).all()



