"""A stateful property test of the approval engine (issue 8 §10), over all four request types.

Hypothesis plays random sequences against the real app and database: requests of every type are
started by the people who may start them; random people (the step holders, the initiators, the
beneficiaries, everyone else in the organization) take random actions with the data a valid form
sends (取回, 退回 to earlier steps, 撤回, 撤销申请, 核定调整, 登记发放 included); people comment; and pairs of
people act on the same version, in two sessions one after the other and in two threads at once.

After every step, these hold (`invariants_hold`):
- a closed request never changes: its state, version and decisions (comments may still be added);
- every state change is one version, with exactly one timeline row and one audit row; a refused
  action changes nothing;
- nobody acts on a request where they are the initiator or a beneficiary (except the initiator's
  own submit, withdraw and payment record);
- each user's 待办 is exactly the requests where the engine offers them a step action, and they
  can open each of them;
- a budget line's reserved plus spent never exceeds its amount, and matches its ledger; a request
  holds money only while approved and unpaid; a 书记补贴 batch holds its branches' claims only while
  it stands; a 表彰 quota cell counts exactly the nominations holding a slot, and one that was
  rejected, sent back, withdrawn or given up (撤销申请) holds none;
- every request that entered a documented state has its documents exactly once per entry, each
  enqueued exactly once after commit.
In a race, exactly one of the two wins; the other is told 「该申请已被处理」 (or was refused on its
own merits, e.g. the budget, before the winner committed).

Profiles: "ci" (the default; fixed and derandomized, so CI is reproducible) and "thorough"
(`make property EXAMPLES=500`). Select with PROPERTY_PROFILE and PROPERTY_EXAMPLES.

A new action is one more rule (see `comment` for an action outside the engine), or nothing at all
for a transition in a workflow's table: `act` and `act_anyone` read the tables, and
`property_world.action_kwargs` gives it its data.
"""
from __future__ import annotations

import json
import os
import threading
from collections import Counter, defaultdict
from decimal import Decimal
from typing import NamedTuple

from hypothesis import HealthCheck, Phase, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)
from rq.job import Job
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import selectin_polymorphic, selectinload

from dangjian.extensions import db
from dangjian.inbox import todo_condition
from dangjian.models import (AuditEvent, Role, BudgetEntry, BudgetLine, Document, Request, RequestState, TimelineEntry,
                             User)
from dangjian.queue import documents_queue
from dangjian.request_types.award_nomination.model import AwardNomination, AwardQuota
from dangjian.request_types.condolence.model import CondolencePayment
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.request_types.secretary_allowance.model import AllowanceClaim, SecretaryAllowance
from dangjian.scope import visible_requests
from dangjian.workflow import (Action, ActionRefused, AlreadyHandled, WorkflowError, apply_action,
                               available_actions)
from dangjian.workflow import batch, urge as urging
from dangjian.workflow.comments import add_comment, comment_refusal
from dangjian.workflow.definition import NOT_HANDLING, Actor, Holder
from dangjian.workflow.routing import fallback_chain
from dangjian.workflow.engine import refusal
from tests import property_world as world

REQUEST_TYPES = (DuesWaiver, CondolencePayment, SecretaryAllowance, AwardNomination)
MAX_REQUESTS = 5  # per example: enough for budgets and quotas to run out, few enough to get far

settings.register_profile(
    "ci", max_examples=4, stateful_step_count=40, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], print_blob=True)
settings.register_profile(
    "thorough", max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), stateful_step_count=50,
    deadline=None, database=DirectoryBasedExampleDatabase(os.path.join("instance", "hypothesis")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], print_blob=True)

# While changing the machine: no shrinking (a failing run reports its unshrunk steps at once).
settings.register_profile("dev", parent=settings.get_profile("ci"), phases=[Phase.explicit, Phase.generate])


def step_actor(req: Request, action: Action):
    t = type(req).workflow.transition(action)
    return t.actor if t is not None else None


# What the sequences did, over all examples of a run (printed at the end: pytest -s shows it).
SEEN: Counter = Counter()


def event(name: str) -> None:
    SEEN[name] += 1
    hypothesis_event(name)


def step_buttons(req: Request, user: User) -> list[Action]:
    """The step actions among `available_actions(req, user)`: what makes a 待办 item, a request
    waiting for the user's decision at its step (同意, 不同意, 退回修改, 核定调整 …), unlike the
    initiator's 撤回 or a decider's 取回. The same list as filtering available_actions, asking the
    engine's `refusal` only about the step actions (this runs for everyone after every step)."""
    return [t.action for t in type(req).workflow.transitions
            if t.actor is Actor.STEP_HOLDER and refusal(req, user, t.action) is None]


# Timeline rows that change nothing: a comment (评论) and a reminder (催办).
NOT_A_CHANGE = ("comment", "urge")


def routing_notes(entries) -> set:
    """The ids of the system's routing notes: a 「转上级办理」/「本环节暂无可处理人」 row that the engine
    writes beside the action that entered a step nobody there can act on (workflow.routing), at the
    same instant as that action's row. (The ticker's own 转上级办理 is an action: alone at its time.)"""
    times = {}
    for e in entries:
        times.setdefault(e.created_at, []).append(e)
    return {e.id for same in times.values() if len(same) > 1 for e in same
            if e.actor_role == "system" and e.action in ("reroute", "stuck")}


class Fingerprint(NamedTuple):
    request: tuple  # state, step, organization, version, amount
    timeline: int
    audit: int
    documents: int
    budget_entries: int
    budget_lines: tuple

    @property
    def version(self) -> int:
        return self.request[3]


class WorkflowMachine(RuleBasedStateMachine):
    def __init__(self, app):
        super().__init__()
        self.app = app
        self.o = None
        self.req_ids: list[int] = []
        self.waivers_of: Counter = Counter()  # member id → waivers started (each covers other months)
        self.closed: dict[int, tuple] = {}  # request id → what it was when first seen closed
        # The engine's answers for a request as long as its rows are the same (see check_todo), the
        # users each request must do without (回避), and the timeline entries already checked.
        self.step_users: dict[tuple, frozenset] = {}
        self.conflicted: dict[int, set] = {}
        self.checked_entries: set[int] = set()
        self.todo_select = None

    # ------------------------------------------------------------ the world

    @initialize(condolence=st.sampled_from([None, "1500.00", "5000.00"]),
                allowance=st.sampled_from([None, "4000.00", "100000.00"]),
                quota=st.sampled_from([1, 2]))
    def build(self, condolence, allowance, quota):
        world.reset_database()
        documents_queue().empty()
        self.o = world.build_world(world.Budgets(condolence, allowance), quota)
        self.people = world.People(self.o)
        self.users = self.people.users

    def load(self, req_id: int) -> Request:
        """The request as it is now (another session may have changed it since it was loaded)."""
        req = db.session.get(Request, req_id)
        db.session.expire(req)
        return req

    # ------------------------------------------------------------ starting requests

    def _start(self, start) -> None:
        """Start (create and submit) a request; a refusal by the engine leaves nothing behind."""
        before = db.session.scalar(select(func.count(Request.id)))
        try:
            req = start()
        except WorkflowError as exc:
            db.session.rollback()
            event(f"start refused: {exc.message[:20]}")
            assert db.session.scalar(select(func.count(Request.id))) == before
            return
        assert (req.state, req.version) == (RequestState.PENDING, 1), (req, req.version)
        event(f"started {type(req).__name__}")
        self.req_ids.append(req.id)

    @precondition(lambda self: len(self.req_ids) < MAX_REQUESTS)
    @rule(data=st.data(), kind=st.sampled_from(["waiver", "condolence", "allowance", "nomination"]))
    def start(self, data, kind):
        """Someone who may start a request of `kind` starts (creates and submits) one."""
        getattr(self, f"start_{kind}")(data)

    def start_waiver(self, data):
        """党费减免: by the member, or by a secretary of their branch."""
        beneficiary = data.draw(st.sampled_from(world.member_users(self.o)), "beneficiary")
        initiator = data.draw(st.sampled_from(world.waiver_initiators(self.o, beneficiary)), "initiator")
        serial = self.waivers_of[beneficiary.member_id]
        self.waivers_of[beneficiary.member_id] += 1
        self._start(lambda: world.start_waiver(self.o, beneficiary, initiator, serial))

    def start_condolence(self, data):
        """慰问金: by the member's branch or its secondary unit; unit- or school-funded, any amount."""
        beneficiary = data.draw(st.sampled_from(world.member_users(self.o)), "beneficiary")
        initiators = world.condolence_initiators(self.o, beneficiary)
        initiator = data.draw(st.sampled_from(initiators), "initiator")
        amount = data.draw(st.sampled_from(world.CONDOLENCE_AMOUNTS), "amount")
        school = data.draw(st.booleans(), "school funded")
        self._start(lambda: world.start_condolence(self.o, beneficiary, initiator, amount, school))

    def start_allowance(self, data):
        """书记补贴: a unit's batch for the year (a second batch of a unit is refused: one claim per branch)."""
        unit, initiators = data.draw(st.sampled_from(world.allowance_units(self.o)), "unit")
        initiator = data.draw(st.sampled_from(initiators), "initiator")
        self._start(lambda: world.start_allowance(unit, initiator))

    def start_nomination(self, data):
        """表彰推荐: a branch nominates a member or itself (nominating oneself is refused)."""
        taken = set(db.session.execute(select(AwardNomination.category, AwardNomination.nominee_key)).all())
        choices = [c for c in world.nomination_choices(self.o)
                   if (c[0], f"member:{c[1].member_id}" if c[1] else f"org:{c[2].id}") not in taken]
        if not choices:
            return
        category, member_user, branch = data.draw(st.sampled_from(choices), "nominee")
        initiator = data.draw(st.sampled_from(world.branch_holders(self.o, branch.id)), "initiator")
        self._start(lambda: world.start_nomination(self.o, category, member_user, branch, initiator))

    # ------------------------------------------------------------ actions

    def open_requests(self) -> list[int]:
        """The requests not closed (or all of them, when every one is closed)."""
        states = db.session.execute(select(Request.id, Request.type, Request.state)
                                    .where(Request.id.in_(self.req_ids)).order_by(Request.id)).all()
        kinds = {t.__mapper__.polymorphic_identity: t for t in REQUEST_TYPES}
        open_ = [i for i, kind, state in states if state not in kinds[kind].workflow.closed_states]
        return open_ or self.req_ids

    def draw_move(self, data, req: Request, label: str = "move") -> tuple:
        """A button the engine offers on `req` now, and who has it: the action first (so that an
        initiator's 撤回 is not drawn more often than a step's 同意 just because fewer people have
        the latter), then one of the people who have it. (None, None) when nobody has any."""
        moves: dict[Action, list[User]] = defaultdict(list)
        for u in self.users:
            for a in available_actions(req, u):
                moves[a].append(u)
        if not moves:
            return None, None
        action = data.draw(st.sampled_from(sorted(moves, key=lambda a: a.value)), f"{label}: action")
        return data.draw(st.sampled_from(moves[action]), f"{label}: who"), action

    def fingerprint(self, req_id: int) -> "Fingerprint":
        """What an action may change: the request, its rows, the budget, the documents. A routing
        note (see `routing_notes`) and its audit row go with the action that entered the step, so
        they are not counted as rows of their own."""
        req = db.session.execute(select(Request.state, Request.current_step, Request.current_org_id,
                                        Request.version, Request.amount).where(Request.id == req_id)).one()
        counted = lambda model, *where: select(func.count()).select_from(model).where(*where).scalar_subquery()  # noqa: E731
        rows = db.session.execute(select(
            counted(AuditEvent, AuditEvent.object_id == req_id, AuditEvent.action.like("request.%"),
                    AuditEvent.action != "request.routed"),
            counted(Document, Document.request_id == req_id), counted(BudgetEntry))).one()
        entries = db.session.execute(select(TimelineEntry.id, TimelineEntry.action, TimelineEntry.actor_role,
                                            TimelineEntry.created_at)
                                     .where(TimelineEntry.request_id == req_id)).all()
        timeline = len(entries) - len(routing_notes(entries))
        lines = db.session.execute(select(BudgetLine.id, BudgetLine.reserved, BudgetLine.spent)
                                   .order_by(BudgetLine.id)).all()
        return Fingerprint(tuple(req), timeline, *rows, tuple(map(tuple, lines)))

    def attempt(self, req_id: int, user: User, action: Action, kw: dict) -> bool:
        """`user` tries `action`: it succeeds exactly when the button is there (or is refused by a
        rule on its data: votes, budget, quota …); a refusal changes nothing; a success is one
        version, one timeline row and one audit row."""
        req = self.load(req_id)
        offered = action in available_actions(req, user)
        reason = refusal(req, user, action)
        before = self.fingerprint(req_id)
        req = self.load(req_id)
        try:
            entry = apply_action(req, user, action, **kw)
        except WorkflowError as exc:
            db.session.rollback()
            assert not isinstance(exc, AlreadyHandled), f"nobody else acted, yet: {exc.message}"
            assert isinstance(exc, ActionRefused)
            if not offered:
                assert exc.message == reason, (exc.message, reason)
            event(f"refused as expected: {action.value}" if not offered
                  else f"refused on its data: {action.value}: {exc.message[:40]}")
            assert self.fingerprint(req_id) == before, f"a refused {action.value} changed something"
            return False
        assert offered, f"{user.username} could {action.label} without the button: {reason}"
        after = self.fingerprint(req_id)
        assert (after.version, after.timeline, after.audit) == (before.version + 1, before.timeline + 1,
                                                                before.audit + 1), (before, after)
        assert (entry.actor_id, entry.action) == (user.id, action.value)
        event(f"did {action.value}")
        event(f"reached {after.request[0].value}")
        return True

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def act(self, data):
        """Someone who has the button presses it, with the data a valid form sends."""
        req = self.load(data.draw(st.sampled_from(self.open_requests()), "open request"))
        user, action = self.draw_move(data, req)
        if user is None:
            event("no button for anyone")
            return
        kw = world.action_kwargs(req, action, data.draw)
        self.attempt(req.id, user, action, kw)

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def advance(self, data):
        """Someone with the 同意 button on some request presses it, with a valid form: requests get
        to the later steps, the budget and the documents."""
        reqs = [self.load(req_id) for req_id in self.req_ids]
        moves = [(r.id, u) for r in reqs for u in self.users if refusal(r, u, Action.APPROVE) is None]
        if not moves:
            event("nobody can approve anything")
            return
        req_id, user = data.draw(st.sampled_from(moves), "approval")
        req = self.load(req_id)
        self.attempt(req_id, user, Action.APPROVE, world.action_kwargs(req, Action.APPROVE, data.draw, valid=True))

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def give_up(self, data):
        """An initiator gives up a returned or withdrawn request (撤销申请), with a reason: requests
        end that way too, and what they held (claims, quota slots, months) must be free again."""
        reqs = [self.load(req_id) for req_id in self.req_ids]
        moves = [r.id for r in reqs if refusal(r, self.people.by_id[r.initiator_id], Action.ABANDON) is None]
        if not moves:
            event("nothing to give up")
            return
        req = self.load(data.draw(st.sampled_from(moves), "abandoned request"))
        user = self.people.by_id[req.initiator_id]
        self.attempt(req.id, user, Action.ABANDON, world.action_kwargs(req, Action.ABANDON, data.draw, valid=True))

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def act_anyone(self, data):
        """Anyone tries any action of the request's workflow: mostly refused, never wrongly allowed."""
        req = self.load(data.draw(st.sampled_from(self.req_ids), "request"))
        user = data.draw(st.sampled_from(self.users), "user")
        actions = [t.action for t in type(req).workflow.transitions if t.actor is not Actor.SYSTEM]
        action = data.draw(st.sampled_from(actions), "action")
        kw = world.action_kwargs(req, action, data.draw)
        self.attempt(req.id, user, action, kw)

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def act_recused(self, data):
        """The initiator or a beneficiary tries to decide their own request: always refused."""
        req = self.load(data.draw(st.sampled_from(self.req_ids), "request"))
        members = self.people.by_member
        users = [self.people.by_id[req.initiator_id]] + [
            members[m] for m in sorted(req.conflicted_member_ids()) if m in members]
        user = data.draw(st.sampled_from(users), "user")
        actions = [t.action for t in type(req).workflow.transitions
                   if t.actor is Actor.STEP_HOLDER or t.actor is Actor.DECIDER]
        action = data.draw(st.sampled_from(actions), "action")
        kw = world.action_kwargs(req, action, data.draw)
        if self.attempt(req.id, user, action, kw):
            raise AssertionError(f"{user.username} decided ({action.label}) a request they must recuse from")

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data(), kind=st.sampled_from(["remark", "empty", "too long"]))
    def comment(self, data, kind):
        """评论: anyone who can see the request; a remark, never a decision or a new version."""
        text = {"remark": "请补充近三个月的医疗费用票据。", "empty": " ", "too long": "长" * 501}[kind]
        req = self.load(data.draw(st.sampled_from(self.req_ids), "request"))
        user = data.draw(st.sampled_from(self.users), "user")
        allowed = comment_refusal(req, user) is None and kind == "remark"
        before = self.fingerprint(req.id)
        try:
            add_comment(self.load(req.id), user, text)
        except WorkflowError:
            db.session.rollback()
            assert not allowed
            assert self.fingerprint(req.id) == before
            return
        assert allowed
        after = self.fingerprint(req.id)
        assert after.request == before.request, "a comment changed the request"
        assert (after.timeline, after.audit) == (before.timeline + 1, before.audit + 1)
        event("commented")

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def urge(self, data):
        """催办: the initiator or 组织部 (and, refused, anyone else); once per 24 hours per request;
        a reminder, never a decision or a new version."""
        req = self.load(data.draw(st.sampled_from(self.req_ids), "request"))
        user = data.draw(st.sampled_from([self.people.by_id[req.initiator_id]] + self.users), "user")
        reason = urging.urge_refusal(req, user)
        before = self.fingerprint(req.id)
        try:
            urging.urge(self.load(req.id), user)
        except WorkflowError as exc:
            db.session.rollback()
            assert reason is not None and exc.message == reason, (exc.message, reason)
            assert self.fingerprint(req.id) == before
            event("urge refused")
            return
        assert reason is None
        after = self.fingerprint(req.id)
        assert after.request == before.request, "an urge changed the request"
        assert (after.timeline, after.audit) == (before.timeline + 1, before.audit + 1)
        event("urged")

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def batch_approve(self, data):
        """批量同意: someone ticks cards in their 待办 (one perhaps from a page loaded before a later
        change) and approves them with one opinion; each goes through apply_action on its own."""
        holders = [u for u in self.users if u.roles]
        user = data.draw(st.sampled_from(holders), "approver")
        mine = db.session.scalars(select(Request).where(todo_condition(user), Request.id.in_(self.req_ids))
                                  .order_by(Request.id)).all()
        if not mine:
            return
        ticked = data.draw(st.lists(st.sampled_from(mine), min_size=1, max_size=3, unique_by=lambda r: r.id), "ticked")
        stale = data.draw(st.booleans(), "one card shows an older version")
        items = [batch.Selected(r.id, r.version - (1 if stale and i == 0 else 0)) for i, r in enumerate(ticked)]
        step = type(ticked[0]).workflow.step(ticked[0].current_step)
        meeting = world.meeting_for(step, carried=True) if step.records_meeting else None
        offered = {r.id: Action.APPROVE in available_actions(r, user) for r in ticked}
        before = {r.id: self.fingerprint(r.id) for r in ticked}
        try:
            result = batch.approve_all(user, items, opinion="同意。", meeting=meeting)
        except WorkflowError as exc:
            db.session.rollback()
            assert all(self.fingerprint(i) == f for i, f in before.items()), "a refused batch changed something"
            event(f"batch refused: {exc.message[:20]}")
            return
        for outcome in result.outcomes:
            after, was = self.fingerprint(outcome.request_id), before[outcome.request_id]
            if outcome.ok:
                assert offered[outcome.request_id], f"batch approved {outcome.number} without the button"
                assert (after.version, after.timeline, after.audit) == (was.version + 1, was.timeline + 1,
                                                                        was.audit + 1)
            else:
                assert after == was, f"a failed item of a batch changed: {outcome.message}"
        if stale:
            assert not result.outcomes[0].ok, "an item from an older page was approved"
        event(f"batch: {len(result.succeeded)} ok, {len(result.failed)} failed")

    # ------------------------------------------------------------ races

    def _two_moves(self, data):
        req = self.load(data.draw(st.sampled_from(self.open_requests()), "open request"))
        pair = [self.draw_move(data, req, f"move {i}") for i in (1, 2)]
        if pair[0][0] is None:
            return None, []
        return req, [(u.id, a, world.action_kwargs(req, a, data.draw, valid=True)) for u, a in pair]

    def _other_session(self, req_id, user_id, action, kw, loaded, go, results):
        """One click in its own app context (own session, own connection): load the page (the
        version and the button), wait for `go`, then press."""
        with self.app.app_context():
            try:
                req = db.session.get(Request, req_id, options=[selectinload(Request.timeline)])
                user = db.session.get(User, user_id)
                seen = req.version
                assert action in available_actions(req, user)  # the button is on the page
                loaded()
                go()
                apply_action(req, user, action, seen_version=seen, **kw)
                results.append("ok")
            except Exception as exc:  # noqa: BLE001 — judged by the caller
                db.session.rollback()
                results.append(exc)
            finally:
                db.session.remove()

    def _judge_race(self, req_id, before, results) -> None:
        """At most one winner; 「已被处理」 exactly when the other won; one version per winner."""
        winners = results.count("ok")
        assert winners <= 1, results
        for r in results:
            if r != "ok":
                assert isinstance(r, (AlreadyHandled, ActionRefused)), repr(r)
                if isinstance(r, AlreadyHandled):
                    assert winners == 1 and "该申请已被处理" in r.message, results
        after = self.fingerprint(req_id)
        assert (after.version, after.timeline) == (before.version + winners, before.timeline + winners)
        event(f"race: {winners} winner(s), {sorted(type(r).__name__ for r in results if r != 'ok')}")

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def race_stale_page(self, data):
        """Two people load the same version; the first presses and commits, then the second presses
        from the page they loaded: the conditional update refuses it."""
        req, pair = self._two_moves(data)
        if not pair:
            return
        before = self.fingerprint(req.id)
        db.session.commit()
        loaded, go, results = threading.Event(), threading.Event(), []
        (uid_a, a, kw_a), (uid_b, b, kw_b) = pair
        t = threading.Thread(target=self._other_session,
                             args=(req.id, uid_b, b, kw_b, loaded.set, lambda: go.wait(30), results))
        t.start()
        try:
            assert loaded.wait(30), "the second session did not load"
            first = []
            self._other_session(req.id, uid_a, a, kw_a, lambda: None, lambda: None, first)
        finally:
            go.set()
            t.join(60)
        assert not t.is_alive()
        if first == ["ok"]:
            assert isinstance(results[0], AlreadyHandled), f"the stale click was not refused: {results}"
        self._judge_race(req.id, before, first + results)

    @precondition(lambda self: self.req_ids)
    @rule(data=st.data())
    def race_at_once(self, data):
        """A double click (two tabs): the same person presses the same button twice at the same
        moment, each click in its own thread and session — truly concurrent on PostgreSQL.

        Two different people at the same moment are `race_stale_page` here (and tests/test_race.py
        for truly concurrent ones): which of them wins is up to the scheduler, and Hypothesis needs
        every run of a sequence to leave the same state behind."""
        req = self.load(data.draw(st.sampled_from(self.open_requests()), "open request"))
        user, action = self.draw_move(data, req)
        if user is None:
            return
        kw = world.action_kwargs(req, action, data.draw, valid=True)
        clicks = [(user.id, action, kw), (user.id, action, world.same_kwargs(req, kw))]
        before = self.fingerprint(req.id)
        db.session.commit()
        barrier, results = threading.Barrier(2), []
        threads = [threading.Thread(target=self._other_session,
                                    args=(req.id, uid, a, kw, lambda: None, lambda: barrier.wait(30), results))
                   for uid, a, kw in clicks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
        self._judge_race(req.id, before, results)

    # ------------------------------------------------------------ invariants

    @invariant()
    def invariants_hold(self):
        if self.o is None:
            return
        reqs = db.session.scalars(
            select(Request).where(Request.id.in_(self.req_ids)).order_by(Request.id)
            .options(selectin_polymorphic(Request, REQUEST_TYPES), selectinload(Request.timeline))
            .execution_options(populate_existing=True)).all()
        audits, documents, held, claims = self.rows_by_request()
        for req in reqs:
            self.check_closed(req)
            self.check_rows(req, audits[req.id])
            self.check_recusal(req)
            self.check_documents(req, audits[req.id], documents[req.id])
            self.check_money_held(req, held[req.id], claims[req.id])
        self.check_todo(reqs)
        self.check_quotas(reqs)
        self.check_budget_lines()
        self.check_jobs(documents)

    def rows_by_request(self):
        """The audit rows, documents, money held and 书记补贴 claims of every request, in four queries."""
        audits, documents, held, claims = (defaultdict(list), defaultdict(list), defaultdict(Decimal),
                                           defaultdict(int))
        for row in world.audit_rows(self.req_ids):
            audits[row.object_id].append(row)
        for doc_id, req_id, kind, part, version in db.session.execute(
                select(Document.id, Document.request_id, Document.kind, Document.part, Document.version)
                .where(Document.request_id.in_(self.req_ids))):
            documents[req_id].append((doc_id, kind, part, version))
        sign = {"reserve": 1, "release": -1, "spend": -1}  # as dangjian.budget.reserved_for
        for req_id, kind, amount in db.session.execute(
                select(BudgetEntry.request_id, BudgetEntry.kind, BudgetEntry.amount)
                .where(BudgetEntry.request_id.in_(self.req_ids))):
            held[req_id] += sign.get(kind, 0) * amount
        for batch_id, n in db.session.execute(select(AllowanceClaim.batch_id, func.count())
                                              .group_by(AllowanceClaim.batch_id)):
            claims[batch_id] = n
        return audits, documents, held, claims

    def check_closed(self, req):
        wf = type(req).workflow
        assert (req.closed_at is not None) == (req.state in wf.closed_states), (req, req.closed_at)
        if req.state not in wf.closed_states:
            assert req.id not in self.closed, f"{req.number} reopened: {req.state}"
            return
        now = (req.state, req.version, [e.id for e in req.timeline if e.action not in NOT_HANDLING])
        assert self.closed.setdefault(req.id, now) == now, f"{req.number} changed after it closed"

    def check_rows(self, req, audits):
        """One version, one timeline row and one audit row per state change, in the same order. A
        step entered with a fallback (or with nobody to act) also carries the system's routing note
        and its `request.routed` audit row, written in the same transaction as that change."""
        notes = routing_notes(req.timeline)
        changes = [e for e in req.timeline if e.action not in NOT_A_CHANGE and e.id not in notes]
        assert req.version == len(changes), (req.number, req.version, [e.action for e in changes])
        assert [a.action for a in audits if a.action == "request.create"] == ["request.create"]
        assert [a.action.removeprefix("request.") for a in audits if a.action not in ("request.create", "request.routed")] \
            == [e.action for e in req.timeline if e.id not in notes], req.number
        assert len([a for a in audits if a.action == "request.routed"]) == len(notes), req.number

    def check_recusal(self, req):
        """Who acted was allowed to: the initiator for the initiator's actions; a holder of the step's
        role at the step's organization for a step action; never a beneficiary or (for a decision)
        the initiator. Timeline rows never change, so each is checked once."""
        if req.id not in self.conflicted:
            self.conflicted[req.id] = req.conflicted_member_ids()
        conflicted = self.conflicted[req.id]
        wf = type(req).workflow
        for e in req.timeline:
            if e.action in NOT_HANDLING or e.id in self.checked_entries:
                continue
            self.checked_entries.add(e.id)
            actor = step_actor(req, Action(e.action))
            who = self.people.by_id.get(e.actor_id)
            if actor is Actor.INITIATOR:
                assert e.actor_id == req.initiator_id
                continue
            assert who is None or who.member_id is None or who.member_id not in conflicted, \
                f"{who.username} ({e.action}) is a beneficiary of {req.number}"
            if actor in (Actor.STEP_HOLDER, Actor.DECIDER):
                assert e.actor_id != req.initiator_id, f"the initiator decided {req.number} ({e.action})"
                step = wf.step(e.step)
                # The role the step was decided in: the step's own, or the fallback routing sent it
                # to when nobody there could act (the entry records which).
                assert (e.actor_role, e.actor_org_id) in {(r.value, o.id) for r, o in fallback_chain(req, step)}, \
                    (req.number, e.actor_role, e.actor_org_id, step.key)
                principal = self.people.by_id.get(e.on_behalf_of_id) if e.on_behalf_of_id else who
                assert principal.holds(Role(e.actor_role), e.actor_org_id), \
                    f"{principal.username} does not hold {e.actor_role} for {step.label}"
            else:
                assert isinstance(actor, Holder) or actor is Actor.SYSTEM, actor

    def expected_todo(self, req) -> frozenset:
        """The users the engine offers a step action on `req`: available_actions for everyone.

        The engine's answer depends on the request's own rows and on the world (roles, cycles),
        which no rule changes; so it is asked again only when the request's rows changed (its
        version, or a comment: 撤回 and 取回 read the timeline). A rule that changes the world must
        clear `step_users`."""
        key = (req.id, req.version, len(req.timeline))
        if key not in self.step_users:
            self.step_users[key] = frozenset(u.id for u in self.users if step_buttons(req, u))
        return self.step_users[key]

    def todo_query(self):
        """Every user's 待办 condition (the real `todo_condition`) and scope (`visible_requests`) as
        columns of one query over the example's requests, built once per example."""
        if self.todo_select is None:
            flag = lambda cond: case((cond, 1), else_=0)  # noqa: E731
            self.todo_select = select(
                Request.id, *[flag(todo_condition(u)) for u in self.users],
                *[flag(visible_requests(u)) for u in self.users],
            ).where(Request.id.in_(bindparam("ids", expanding=True)))
        return self.todo_select

    def check_todo(self, reqs):
        """Each user's 待办 (its real query, asked every time) against the engine's buttons."""
        offered = {r.id: self.expected_todo(r) for r in reqs}
        n = len(self.users)
        todo, hidden = defaultdict(set), defaultdict(set)
        for row in db.session.execute(self.todo_query(), {"ids": self.req_ids}):
            for i, user in enumerate(self.users):
                if row[1 + i]:
                    todo[user.id].add(row[0])
                    if not row[1 + n + i]:
                        hidden[user.id].add(row[0])
        for user in self.users:
            expected = {req_id for req_id, users in offered.items() if user.id in users}
            assert todo[user.id] == expected, (f"{user.username}'s 待办 {sorted(todo[user.id])}, "
                                               f"but the engine offers step actions on {sorted(expected)}")
            assert not hidden[user.id], f"{user.username} cannot open 待办 items {sorted(hidden[user.id])}"

    def check_budget_lines(self):
        ledgers: dict = defaultdict(Counter)
        for line_id, kind, amount in db.session.execute(select(BudgetEntry.line_id, BudgetEntry.kind,
                                                               BudgetEntry.amount)):
            ledgers[line_id][kind] += amount
        for line in db.session.scalars(select(BudgetLine).execution_options(populate_existing=True)):
            assert line.reserved >= 0 and line.spent >= 0, line
            assert line.reserved + line.spent <= line.amount, (line.year, line.kind, line.reserved, line.spent)
            ledger = ledgers[line.id]
            assert line.spent == ledger["spend"], (line.kind, line.spent, ledger)
            assert line.reserved == ledger["reserve"] - ledger["release"] - ledger["spend"], (line.kind, ledger)

    def check_quotas(self, reqs):
        """表彰 quota: each cell's count of used slots is the number of nominations holding one, and a
        nomination that left the forwarded set (rejected, returned or withdrawn to its initiator,
        given up) holds none."""
        nominations = [r for r in reqs if isinstance(r, AwardNomination)]
        for r in nominations:
            if r.state in (RequestState.REJECTED, RequestState.RETURNED, RequestState.WITHDRAWN,
                           RequestState.ABANDONED):
                assert not r.quota_counted, (r.number, r.state)
        holding = Counter((r.cycle_id, r.quota_org_id, r.category) for r in nominations if r.quota_counted)
        for q in db.session.scalars(select(AwardQuota).execution_options(populate_existing=True)):
            assert q.used == holding[(q.cycle_id, q.organization_id, q.category)], (q.organization_id, q.category)

    def check_money_held(self, req, held, claims):
        """A request holds school money only while approved and not yet paid or cancelled; a 书记补贴
        batch holds its branches' claims only while it stands (submitted or approved)."""
        draws = isinstance(req, SecretaryAllowance) or (isinstance(req, CondolencePayment) and req.is_school_funded)
        expected = req.amount if draws and req.state is RequestState.APPROVED else Decimal("0")
        assert held == expected, (req.number, req.state, held, expected)
        if isinstance(req, SecretaryAllowance):
            standing = req.state in (RequestState.PENDING, RequestState.APPROVED)
            assert claims == (len(req.branch_ids) if standing else 0), (req.number, req.state, claims)

    def check_documents(self, req, audits, documents):
        """Each entry into a documented state made one version of each document (per part)."""
        wf = type(req).workflow
        moves = [json.loads(a.detail) for a in audits
                 if a.action not in ("request.create", "request.routed")
                 and a.action.removeprefix("request.") not in NOT_HANDLING]
        versions: dict = defaultdict(list)
        for _, kind, part, version in documents:
            versions[(kind, part)].append(version)
        expected = {}
        for spec in wf.documents:
            states = {s.value for s in spec.on_states}
            n = sum(1 for m in moves if m["to_state"] in states and m["to_state"] != m["from_state"])
            if n:
                for part, _ in (spec.parts(req) if spec.parts else [("", "")]):
                    expected[(spec.kind, part)] = list(range(1, n + 1))
        assert {k: sorted(v) for k, v in versions.items()} == expected, (req.number, dict(versions), expected)

    def check_jobs(self, documents):
        """Every document was handed to the queue once, after its transaction committed."""
        ids = Counter(doc[0] for docs in documents.values() for doc in docs)
        queue = documents_queue()
        jobs = Job.fetch_many(queue.get_job_ids(), connection=queue.connection)
        queued = Counter(job.args[0] for job in jobs if job is not None)
        assert queued == ids, (sorted(queued.elements()), sorted(ids.elements()))

    def teardown(self):
        db.session.rollback()
        if self.o is not None:
            self.people.close()


def profile() -> settings:
    return settings.get_profile(os.environ.get("PROPERTY_PROFILE", "ci"))


def test_random_action_sequences_keep_the_invariants(app):
    """Random sequences of actions by random users, with racing pairs, on this run's database
    (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
    SEEN.clear()
    run_state_machine_as_test(lambda: WorkflowMachine(app), settings=profile())
    print("\n".join(f"{n:5d}  {name}" for name, n in sorted(SEEN.items())))
    # The sequences went somewhere: requests were approved, and races were won and lost.
    assert SEEN["reached approved"] and SEEN["race: 1 winner(s), ['AlreadyHandled']"], SEEN
