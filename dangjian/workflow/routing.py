"""Who acts on a request's current step, and as whom (issue 8 §5 委托, §7 no request stuck).

A pending request waits at a step, for a role at an organization (`current_role`,
`current_org_id`), and — after a 转办 — for one named person (`current_assignee_id`).

**One rule.** A user may act on the step when one of their *capacities* matches it: a role they
hold themselves, or a role a holder delegated to them for today (委托代理, `Delegation`). The
capacity's holder is the *principal*: the person the action is recorded for (「张三（代李四处理）」).
Recusal (回避) is checked against the acting person AND the principal, so a delegation can never
produce self-approval: a deputy may not approve what they filed or what benefits them, and a holder
who must recuse cannot have a deputy approve in their name. `acting_for(req, user)` answers it in
Python (the engine's `refusal`); `todo_condition(user)` is the same rule in SQL (待办). Both are
built from `capacities(user)`.

**No request stuck.** When a request enters a step, `place` checks that someone can act there: a
holder in office, with an active account, not recused. If nobody can, the step goes to the next
place in `fallback_chain`: a branch step to its secondary unit's 二级党组织书记/组织员, then to
组织部; any other step to 组织部. The reason is a system entry in the timeline. Requests already
waiting when a role ends or an account is disabled are moved by `reroute_stuck` (run by
`flask ticker`); until then the request page says 「本环节暂无可处理人」. 组织部 may 转办 any pending
step to a named person who holds a role on that chain (`transfer_candidates`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, has_request_context
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import Delegation, Organization, Request, RequestState, Role, RoleAssignment, TimelineEntry, User
from ..scope import EXTRA_VISIBILITY
from ..timeutil import local_today
from .definition import Action, Step, at_org_dept

NOT_HOLDER = "您不是当前审批环节的处理人"
# Roles that act on steps, so may be delegated (纪委 changes nothing; 系统管理员 reads no requests).
ACTING_ROLES = (Role.BRANCH_SECRETARY, Role.SECONDARY, Role.ORG_DEPT, Role.SCHOOL)


# --- Capacities: in which role, at which organization, for whom a user acts today ---------------

@dataclass(frozen=True)
class Capacity:
    principal: User  # whose role it is: the user, or the holder who delegated it
    role: Role
    org_id: int
    delegation: Delegation | None = None

    @property
    def delegated(self) -> bool:
        return self.delegation is not None


def capacities(user: User | None) -> list[Capacity]:
    """The user's own acting roles, then the roles delegated to them for today (the delegation in
    effect, the delegator's account active, and the delegated role still held)."""
    if user is None or not user.active:
        return []
    own = [Capacity(user, ra.role, ra.organization_id) for ra in user.roles if ra.role in ACTING_ROLES]
    today = local_today()
    rows = db.session.execute(
        select(Delegation, RoleAssignment, User)
        .join(RoleAssignment, RoleAssignment.id == Delegation.role_assignment_id)
        .join(User, User.id == Delegation.delegator_id)
        .where(Delegation.deputy_id == user.id, Delegation.in_effect(today), RoleAssignment.in_effect(today),
               RoleAssignment.user_id == Delegation.delegator_id, User.active.is_(True))
        .order_by(Delegation.id)).all()
    return own + [Capacity(delegator, ra.role, ra.organization_id, d) for d, ra, delegator in rows
                  if ra.role in ACTING_ROLES]


@dataclass(frozen=True)
class Acting:
    """The answer of `acting_for`: the principal the user acts for, or why they may not act."""

    principal: User | None = None
    delegation: Delegation | None = None
    refusal: str | None = None

    @property
    def on_behalf(self) -> bool:
        return self.delegation is not None


def _recusal(req: Request, user: User, principal: User) -> str | None:
    from .engine import recusal_reason  # the engine imports this module

    reason = recusal_reason(req, user)
    if reason:
        return reason
    if principal.id != user.id and recusal_reason(req, principal):
        return (f"{principal.display_name}须回避本申请（本申请的发起人或受益人），"
                "其委托的代理人也不能代为处理")
    return None


def acting_for(req: Request, user: User | None) -> Acting:
    """May `user` act on the current step of `req`, and as whom: THE rule (see the module doc)."""
    if user is None or req.state is not RequestState.PENDING or not req.current_role:
        return Acting(refusal=NOT_HOLDER)
    refusal = None
    for cap in capacities(user):
        if cap.role.value != req.current_role or cap.org_id != req.current_org_id:
            continue
        if req.current_assignee_id is not None and req.current_assignee_id != cap.principal.id:
            refusal = refusal or f"本环节已转办给{req.current_assignee.display_name}处理"
            continue
        reason = _recusal(req, user, cap.principal)
        if reason:
            refusal = refusal or reason
            continue
        return Acting(principal=cap.principal, delegation=cap.delegation)
    if refusal is None:
        # A holder of the step's own role whom recusal (or a vacancy) sent elsewhere hears why.
        step = type(req).workflow.step(req.current_step)
        org = step.org(req) if step else None
        if org is not None and org.id != req.current_org_id and user.holds(step.role, org.id):
            refusal = _recusal(req, user, user) or f"本环节已转由{req.current_org.name}办理"
    return Acting(refusal=refusal or NOT_HOLDER)


def _not_recused(person: User):
    """SQL twin of the engine's recusal_reason for one person (with the types' CONFLICTS)."""
    from ..inbox import CONFLICTS

    conds = [Request.initiator_id != person.id]
    if person.member_id is not None:
        conds.append(or_(Request.beneficiary_id.is_(None), Request.beneficiary_id != person.member_id))
    for fn in CONFLICTS:
        cond = fn(person)
        if cond is not None:
            conds.append(~cond)
    return and_(*conds)


def todo_condition(user: User):
    """A SQL condition on Request: `acting_for(req, user)` allows. This is 待办."""
    by_principal: dict[int, tuple[User, list[Capacity]]] = {}
    for cap in capacities(user):
        by_principal.setdefault(cap.principal.id, (cap.principal, []))[1].append(cap)
    if not by_principal:
        return false()
    clauses = []
    for principal_id, (principal, caps) in by_principal.items():
        pairs = or_(*[and_(Request.current_role == c.role.value, Request.current_org_id == c.org_id) for c in caps])
        assigned = or_(Request.current_assignee_id.is_(None), Request.current_assignee_id == principal_id)
        people = [user] if principal_id == user.id else [user, principal]
        clauses.append(and_(pairs, assigned, *[_not_recused(p) for p in people]))
    return and_(Request.state == RequestState.PENDING, or_(*clauses))


def deputy_visibility(user: User):
    """A deputy sees what they may act on for the holder, and what they handled as a deputy."""
    delegated = [c for c in capacities(user) if c.delegated]
    conds = [Request.id.in_(select(TimelineEntry.request_id).where(
        TimelineEntry.actor_id == user.id, TimelineEntry.on_behalf_of_id.is_not(None)))]
    if delegated:
        conds.append(and_(Request.state == RequestState.PENDING, or_(*[
            and_(Request.current_role == c.role.value, Request.current_org_id == c.org_id) for c in delegated])))
    return or_(*conds)


if deputy_visibility not in EXTRA_VISIBILITY:
    EXTRA_VISIBILITY.append(deputy_visibility)


def acting_label(req: Request, user: User) -> str:
    """「代李四处理」 for a 待办 card the user holds only as a deputy; "" otherwise. Capacities are
    read once per web request (the card is drawn for every row)."""
    if has_request_context():
        caps = g.get("_dj_capacities")
        if caps is None or caps[0] != user.id:
            caps = g._dj_capacities = (user.id, capacities(user))
        caps = caps[1]
    else:
        caps = capacities(user)
    matching = [c for c in caps if c.role.value == req.current_role and c.org_id == req.current_org_id
                and req.current_assignee_id in (None, c.principal.id)]
    if not matching or any(not c.delegated for c in matching):
        return ""
    return f"代{matching[0].principal.display_name}处理"


def people_who_can_act(req: Request, values: dict | None = None) -> list[User]:
    """Everyone `acting_for` lets act on the step: the holders (or the assignee) and their
    deputies. `values` is a placement not yet written (see `place`). For notifications (待办)."""
    if values is None:
        if req.state is not RequestState.PENDING:
            return []
        values = _current(req)
    if not values["current_role"]:
        return []
    role, org_id = Role(values["current_role"]), values["current_org_id"]
    able = _able_holders(req, role, org_id, values["current_assignee_id"])
    by_id = {holder.id: holder for holder in able}
    people = list(able)
    if by_id:  # every holder's deputies in one query: an event for 1,000 holders costs no more SQL
        deputies = db.session.execute(
            select(User, Delegation.delegator_id).join(Delegation, Delegation.deputy_id == User.id)
            .join(RoleAssignment, RoleAssignment.id == Delegation.role_assignment_id)
            .where(Delegation.delegator_id.in_(list(by_id)), Delegation.in_effect(), RoleAssignment.in_effect(),
                   RoleAssignment.role == role, RoleAssignment.organization_id == org_id,
                   User.active.is_(True))
            .order_by(Delegation.delegator_id, User.id)).all()
        people += [deputy for deputy, delegator_id in deputies if _recusal(req, deputy, by_id[delegator_id]) is None]
    return list(dict.fromkeys(people))


# --- Where a step goes when nobody can act ---------------------------------------------------------

def holders(role: Role, org_id: int) -> list[User]:
    """Everyone holding `role` at the organization today, active or not. Their other roles are
    loaded only if asked for (lazyload): a step with 1,000 holders costs one query, not batches."""
    return list(db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == role, RoleAssignment.organization_id == org_id, RoleAssignment.in_effect())
        .options(lazyload(User.role_assignments))
        .order_by(User.id)).unique())


def _able_holders(req: Request, role: Role, org_id: int, assignee_id: int | None = None) -> list[User]:
    from .engine import recusal_reason

    return [u for u in holders(role, org_id) if u.active and (assignee_id is None or u.id == assignee_id)
            and recusal_reason(req, u) is None]


def nobody_reason(req: Request, role: Role, org: Organization, assignee_id: int | None = None) -> str | None:
    """None when someone can act on `req` as `role` at `org` (only the assignee, when given);
    otherwise why nobody can, in Chinese."""
    from .engine import recusal_reason

    people = holders(role, org.id)
    where = f"「{org.name}」的{role.label}"
    if assignee_id is not None:
        people = [p for p in people if p.id == assignee_id]
        if not people:
            return f"被转办人已不再担任{where}"
    if not people:
        return f"「{org.name}」暂无在任的{role.label}"
    problems = []
    for person in people:
        if not person.active:
            problems.append((person, "账号已停用"))
        elif recusal_reason(req, person):
            problems.append((person, "须回避"))
        else:
            return None
    kinds = {why for _, why in problems}
    if kinds == {"须回避"}:
        return f"{where}均须回避（本申请的发起人或受益人）"
    if kinds == {"账号已停用"}:
        return f"{where}账号均已停用"
    return f"{where}均不能处理（" + "，".join(f"{p.display_name}{why}" for p, why in problems) + "）"


def fallback_chain(req: Request, step: Step) -> list[tuple[Role, Organization]]:
    """The step's own place, then where it goes when nobody can act there: a branch step to the
    secondary unit above (二级党组织书记/组织员), and every step but 组织部's own to 组织部."""
    org = step.org(req)
    chain = [(step.role, org)] if org is not None else []
    if step.role is Role.BRANCH_SECRETARY and org is not None and org.secondary_unit is not None:
        chain.append((Role.SECONDARY, org.secondary_unit))
    if step.role is not Role.ORG_DEPT:
        dept = at_org_dept(req)
        if dept is not None:
            chain.append((Role.ORG_DEPT, dept))
    return chain


@dataclass
class Route:
    role: Role
    org: Organization
    reasons: list[str] = field(default_factory=list)
    stuck: bool = False  # nobody anywhere on the chain: the step waits at its own place

    @property
    def note(self) -> str:
        """The system entry's text: why the step is not with its own holders, and where it went."""
        if not self.reasons:
            return ""
        why = "；".join(self.reasons)
        if self.stuck:
            return f"本环节暂无可处理人：{why}。请组织部转办，或任命相应负责人"
        return f"{why}，本环节转由「{self.org.name}」{self.role.label}办理"


def route(req: Request, step: Step) -> Route:
    """The first place on the chain where someone can act."""
    from .engine import ActionRefused

    chain = fallback_chain(req, step)
    if not chain:
        raise ActionRefused(f"未找到「{step.label}」环节的负责组织，请联系组织部")
    reasons = []
    for role, org in chain:
        why = nobody_reason(req, role, org)
        if why is None:
            return Route(role, org, reasons)
        reasons.append(why)
    role, org = chain[0]
    return Route(role, org, reasons, stuck=True)


def waiting_problem(req: Request) -> str | None:
    """「本环节暂无可处理人」 and why, for the request page; None while someone can act."""
    if req.state is not RequestState.PENDING or not req.current_role or req.current_org is None:
        return None
    return nobody_reason(req, Role(req.current_role), req.current_org, req.current_assignee_id)


@dataclass
class Placement:
    """Where the engine puts a request that enters (or stays at) a step."""

    values: dict  # current_role, current_org_id, current_assignee_id
    note: str = ""  # why not at the step's own place (a system entry), or the 转办/转上级 detail
    recipients: list = field(default_factory=list)  # who gets the new 待办 (notifications)
    stuck: bool = False  # nobody at all can act: the step waits at its own place


def _values(role: Role, org: Organization, assignee: User | None = None) -> dict:
    return {"current_role": role.value, "current_org_id": org.id,
            "current_assignee_id": assignee.id if assignee else None}


def place(req: Request, step: Step, action: Action, moved: bool, payload: dict) -> Placement:
    """The engine asks this for every action that leaves the request at a step."""
    from .engine import ActionRefused

    if action is Action.TRANSFER:
        return _transfer(req, step, payload.get("assignee"))
    if not moved and action is not Action.REROUTE:  # 核定调整 and the like: nothing changes hands
        return Placement(_current(req))
    r = route(req, step)
    if action is Action.REROUTE:
        problem = waiting_problem(req)
        if problem is None:
            raise ActionRefused("本环节有人可以处理，无需转上级办理")
        if r.stuck or _values(r.role, r.org) == _current(req):
            raise ActionRefused("本环节暂无其他可处理人，请组织部转办")
        r = Route(r.role, r.org, [problem] + [why for why in r.reasons if why != problem])
    return Placement(_values(r.role, r.org), r.note, stuck=r.stuck)


def _current(req: Request) -> dict:
    return {"current_role": req.current_role, "current_org_id": req.current_org_id,
            "current_assignee_id": req.current_assignee_id}


def transfer_candidates(req: Request) -> list[tuple[User, Role, Organization]]:
    """Who 组织部 may hand the current step to: holders of a role on the step's chain, active and
    not recused; the present assignee left out."""
    step = type(req).workflow.step(req.current_step)
    if req.state is not RequestState.PENDING or step is None:
        return []
    out, seen = [], set()
    for role, org in fallback_chain(req, step):
        for user in _able_holders(req, role, org.id):
            if user.id in seen or user.id == req.current_assignee_id:
                continue
            seen.add(user.id)
            out.append((user, role, org))
    return out


def _transfer(req: Request, step: Step, assignee: User | None) -> Placement:
    from .engine import ActionRefused, recusal_reason

    if assignee is None:
        raise ActionRefused("请选择转办给谁", field="assignee")
    if req.current_assignee_id == assignee.id:
        raise ActionRefused(f"本环节已转办给{assignee.display_name}，无需再次转办", field="assignee")
    for role, org in fallback_chain(req, step):
        if not assignee.holds(role, org.id):
            continue
        if not assignee.active:
            raise ActionRefused(f"{assignee.display_name}的账号已停用，不能转办", field="assignee")
        if recusal_reason(req, assignee):
            raise ActionRefused(f"{assignee.display_name}须回避本申请（本申请的发起人或受益人），不能转办给其处理",
                                field="assignee")
        return Placement(_values(role, org, assignee), f"转办给{assignee.display_name}（{org.name} · {role.label}）",
                         [assignee])
    raise ActionRefused(f"{assignee.display_name}不担任本环节可处理的角色，不能转办", field="assignee")


def reroute_stuck() -> str:
    """For `flask ticker`: move every pending step nobody can act on (a role ended, an account was
    disabled, a 转办's assignee left) to where someone can. Each move goes through the engine."""
    from .engine import WorkflowError, apply_action

    moved = 0
    ids = db.session.scalars(select(Request.id).where(Request.state == RequestState.PENDING,
                                                      Request.current_step.is_not(None))
                             .order_by(Request.id)).all()
    for request_id in ids:
        req = db.session.get(Request, request_id)
        if req is None or waiting_problem(req) is None:
            continue
        step = type(req).workflow.step(req.current_step)
        r = route(req, step)
        if r.stuck or _values(r.role, r.org) == _current(req):
            continue  # nowhere better: the page says so until someone is appointed or 组织部 转办
        try:
            apply_action(req, None, Action.REROUTE)
        except WorkflowError:
            db.session.rollback()
            continue
        moved += 1
    return f"{moved} stuck request(s) rerouted" if moved else ""
