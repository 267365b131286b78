"""Workflows as data: steps, transitions and the documents a request type produces.

A request type declares its `Workflow`: an ordered tuple of `Step`s (each may be skipped by a
condition, e.g. the secondary step for a 直属党支部) and the table of `Transition`s
(source states × action → who may, opinion required, target). The engine reads only this.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from ..models import Organization, OrgKind, Request, RequestState, Role
from ..models.base import LabeledEnum


class Action(LabeledEnum):
    SUBMIT = "submit", "提交"
    APPROVE = "approve", "同意"
    REJECT = "reject", "不同意"
    RETURN = "return", "退回修改"
    WITHDRAW = "withdraw", "撤回"
    ADJUST = "adjust", "核定调整"  # 组织部 changes amounts within the rules; the step stays
    RECORD_PAYMENT = "record_payment", "登记走访发放"
    RECORD_PAID = "record_paid", "登记发放"  # 组织部 records that approved school money was paid (§四)
    CANCEL = "cancel", "取消"
    PUBLISH = "publish", "发布公示"
    REVOKE = "revoke", "撤销推荐"
    AWARD = "award", "确认表彰"
    TAKE_BACK = "take_back", "取回"  # the approver takes back their 同意 before the next step acts
    COMMENT = "comment", "评论"  # not a decision: workflow.comments adds it, state and version stay
    URGE = "urge", "催办"  # not a decision: workflow.urge reminds the current step's holders
    TRANSFER = "transfer", "转办"  # 组织部 hands the current step to a named holder (workflow.routing)
    REROUTE = "reroute", "转上级办理"  # the system moves a step nobody can act on (workflow.routing)
    DELETE_DRAFT = "delete_draft", "删除草稿"  # the initiator removes a draft nobody else has seen
    ABANDON = "abandon", "撤销申请"  # the initiator gives up a returned or withdrawn request (closed)

    @property
    def css(self) -> str:
        return {"approve": "success", "reject": "danger", "return": "warning",
                "withdraw": "secondary", "submit": "primary", "adjust": "primary",
                "record_payment": "success", "record_paid": "success", "cancel": "secondary", "publish": "primary",
                "revoke": "danger", "award": "success", "take_back": "secondary",
                "comment": "secondary", "urge": "warning", "transfer": "primary",
                "reroute": "secondary", "delete_draft": "danger", "abandon": "danger"}[self.value]


class Actor(enum.Enum):
    INITIATOR = "initiator"  # the person who started the request
    STEP_HOLDER = "step_holder"  # a holder of the current step's role at the step's organization
    SYSTEM = "system"  # the application itself (a scheduled job); no user
    DECIDER = "decider"  # the approver whose 同意 moved the request to the current step (取回)


@dataclass(frozen=True)
class Holder:
    """A holder of `role` at the organization `org(req)` — for actions outside the steps, such as
    recording a payment after approval. `or_initiator` lets the initiator act too; `recuse_initiator`
    refuses the initiator (an action that decides who decides, such as 转办, is no more theirs than
    the decision is)."""

    role: Role
    org: Callable[[Request], "Organization | None"]
    or_initiator: bool = False
    recuse_initiator: bool = False

    def allows(self, req: Request, user) -> bool:
        if self.or_initiator and req.initiator_id == user.id:
            return True
        org = self.org(req)
        return org is not None and user.holds(self.role, org.id)


MEETING_TYPES = {
    "branch_committee": "支委会",
    "branch_assembly": "支部党员大会",
    "party_committee": "党委会",
    "general_branch_committee": "党总支委员会",
}


@dataclass(frozen=True)
class MeetingRecord:
    """The meeting an opinion cites (支委会/党委会, date, votes)."""

    type: str
    date: date
    votes_for: int
    votes_against: int
    votes_abstain: int

    @property
    def type_label(self) -> str:
        return MEETING_TYPES.get(self.type, self.type)

    @property
    def carried(self) -> bool:
        """More than half of the votes cast are in favour (赞成票过半数)."""
        return self.votes_for * 2 > self.votes_for + self.votes_against + self.votes_abstain

    def disagreement(self, action: "Action") -> str | None:
        """The decision must agree with the meeting's vote: 同意 only when the motion carried,
        不同意 only when it did not (退回修改 is always open). A refusal quoting the votes, or None."""
        votes = f"会议表决同意{self.votes_for}票、反对{self.votes_against}票、弃权{self.votes_abstain}票"
        if action is Action.APPROVE and not self.carried:
            return f"{votes}，同意票未过半数，不能作出同意的决定"
        if action is Action.REJECT and self.carried:
            return f"{votes}，同意票已过半数，不能作出不同意的决定；如需重新研究，请退回修改"
        return None


# Where a step is decided. Each takes the request and returns the acting organization.
def at_branch(req: Request) -> Organization:
    return req.organization


def at_secondary(req: Request) -> Organization | None:
    return req.organization.secondary_unit


def at_school(req: Request) -> Organization:
    return req.organization.root


def at_org_dept(req: Request) -> Organization | None:
    return next((c for c in at_school(req).children if c.kind is OrgKind.ORG_DEPT), None)


def has_secondary(req: Request) -> bool:
    """直属党支部 have no secondary level: their requests skip that step."""
    return not req.organization.is_direct_branch


@dataclass(frozen=True)
class Step:
    key: str
    label: str  # 党支部讨论
    opinion_label: str  # 党支部讨论意见 (the box on the 审批表)
    role: Role
    org: Callable[[Request], Organization | None]
    applies: Callable[[Request], bool] = lambda req: True
    records_meeting: bool = False
    meeting_types: tuple[str, ...] = ()
    # 批量同意 is offered where the single panel's 同意 is plain (an opinion, and the meeting where
    # one is recorded). A step whose decision needs work on each request says why not, in Chinese.
    batch_refusal: str | None = None


def _next_after(workflow: "Workflow", req: Request, params: dict):
    step = workflow.next_step(req, req.current_step)
    return (RequestState.PENDING, step) if step else (workflow.approved_state, None)


def _first(workflow: "Workflow", req: Request, params: dict):
    return RequestState.PENDING, workflow.first_step(req)


def _return_target(workflow: "Workflow", req: Request, params: dict):
    """退回修改: to the initiator (default), or to an earlier step."""
    to = params.get("return_to")
    if to:
        return RequestState.PENDING, workflow.step(to)
    return RequestState.RETURNED, None


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset
    actor: "Actor | Holder"
    target: Callable
    opinion_required: bool = False
    # What the opinion is called in the refusal when it is missing (「撤销申请时必须填写撤销原因」).
    opinion_name: str = "意见"
    # An extra rule; returns a refusal message (Chinese) or None.
    guard: Callable[[Request], str | None] | None = None


@dataclass
class TransitionContext:
    """What a workflow's `on_transition` hook sees. The hook runs inside the transaction, after
    the state changed and before commit; raising WorkflowError (or BudgetRefused) undoes it all."""

    request: Request
    user: object  # User, or None for a system action
    action: Action
    from_state: RequestState
    to_state: RequestState
    from_step: str | None
    to_step: str | None
    payload: dict
    entry: object  # the TimelineEntry being written; a hook may fill entry.detail


def stay(workflow: "Workflow", req: Request, params: dict):
    """A transition that records something without moving the request (e.g. 核定调整)."""
    return req.state, workflow.step(req.current_step)


# Timeline entries that record no decision and handle nothing: they never count as acting on a step.
# 催办 reminds; 转办 and 转上级办理 change who acts on the step, not the step: the initiator may still
# withdraw, and the approver before may still take back (取回).
# STUCK: the system's note that nobody at all can act on a step (workflow.routing).
STUCK = "stuck"
NOT_HANDLING = frozenset({"comment", "urge", "transfer", "reroute", STUCK})


def nobody_acted_on_current_step(req: Request) -> str | None:
    """撤回 only while nobody has acted on the current step (DOMAIN: Actions). A comment is not acting."""
    for entry in req.timeline:
        if entry.step == req.current_step and entry.actor_role != "applicant" \
                and entry.action not in NOT_HANDLING \
                and req.step_entered_at and entry.created_at >= req.step_entered_at:
            return "当前环节已有人处理，不能撤回"
    return None


def last_handling_entry(req: Request):
    """The latest timeline entry that handled the request (comments left out), or None."""
    return next((e for e in reversed(req.timeline) if e.action not in NOT_HANDLING), None)


def _take_back_target(workflow: "Workflow", req: Request, params: dict):
    """取回: back to the step whose 同意 moved the request on."""
    return RequestState.PENDING, workflow.step(last_handling_entry(req).step)


def removed(workflow: "Workflow", req: Request, params: dict):
    """The target of 删除草稿: no state follows, the request is removed (engine.apply_action)."""
    return None, None


# For the types whose drafts are kept (the 慰问金 campaign makes drafts to review one by one).
DELETE_DRAFT = Transition(Action.DELETE_DRAFT, frozenset({RequestState.DRAFT}), Actor.INITIATOR, removed)


STANDARD_TRANSITIONS = (
    Transition(Action.SUBMIT, frozenset({RequestState.DRAFT, RequestState.RETURNED, RequestState.WITHDRAWN}),
               Actor.INITIATOR, _first),
    Transition(Action.APPROVE, frozenset({RequestState.PENDING}), Actor.STEP_HOLDER, _next_after),
    Transition(Action.REJECT, frozenset({RequestState.PENDING}), Actor.STEP_HOLDER,
               lambda wf, req, params: (RequestState.REJECTED, None), opinion_required=True),
    Transition(Action.RETURN, frozenset({RequestState.PENDING}), Actor.STEP_HOLDER, _return_target,
               opinion_required=True),
    Transition(Action.WITHDRAW, frozenset({RequestState.PENDING}), Actor.INITIATOR,
               lambda wf, req, params: (RequestState.WITHDRAWN, None), guard=nobody_acted_on_current_step),
    # 取回: only from 审批中 — a decision that ended the workflow (its documents may be out) stays.
    Transition(Action.TAKE_BACK, frozenset({RequestState.PENDING}), Actor.DECIDER, _take_back_target),
    # 转办 and the system's 转上级办理 (issue 8 §7): the step stays, who acts on it changes
    # (workflow.routing.place decides where; the engine writes it).
    Transition(Action.TRANSFER, frozenset({RequestState.PENDING}),
               Holder(Role.ORG_DEPT, at_org_dept, recuse_initiator=True), stay, opinion_required=True),
    Transition(Action.REROUTE, frozenset({RequestState.PENDING}), Actor.SYSTEM, stay),
    # 撤销申请: a request sent back (退回修改) or withdrawn (撤回) waits for its initiator alone, who may
    # give it up instead of resubmitting it. It ends there (closed, documents none); each type's
    # on_transition gives back what the request still held. A reason is required: the approvers who
    # handled it are told, and 组织部 reads it in the timeline.
    Transition(Action.ABANDON, frozenset({RequestState.RETURNED, RequestState.WITHDRAWN}), Actor.INITIATOR,
               lambda wf, req, params: (RequestState.ABANDONED, None), opinion_required=True,
               opinion_name="撤销原因"),
)

# States every workflow closes, whatever its own `closed_states` lists: those entered by a standard
# transition that ends the request (撤销申请).
ALWAYS_CLOSED = frozenset({RequestState.ABANDONED})


DOCUMENT_SPECS: dict[str, "DocumentSpec"] = {}


@dataclass(frozen=True)
class DocumentSpec:
    """A document generated when a request enters one of `on_states`.

    `parts(req)`, when given, makes one document per part: a list of (part key, title), e.g. one
    notice per branch of a batch. Every spec is registered by kind for the document job.

    `issuer(doc)`, when given, names the organization that issues the document (a notice of 组织部);
    without it, the school's party committee: /verify shows it (dangjian.documents.verification).
    `numbered`, for a notice or decision: the (issuer, kind) of the 文号 series it takes its number
    from (documents.numbers), in the transaction that makes it."""

    kind: str
    title: str
    template: str
    context: Callable  # (document) -> dict for the template
    on_states: frozenset = frozenset({RequestState.APPROVED, RequestState.REJECTED})
    parts: Callable[[Request], list[tuple[str, str]]] | None = None
    issuer: Callable | None = None  # (document) -> the issuing organization's name
    numbered: tuple | None = None  # (OrgKind issuer, DocKind kind)

    def __post_init__(self):
        DOCUMENT_SPECS[self.kind] = self

    def relpath(self, doc) -> str:
        """Where the file lives in the archive (never overwritten: the version is in the name)."""
        req = doc.request
        part = f"-{doc.part}" if doc.part else ""
        return f"{req.created_at.year}/{req.number}/{doc.kind}{part}-v{doc.version}.pdf"


@dataclass(frozen=True)
class Workflow:
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...] = STANDARD_TRANSITIONS
    documents: tuple[DocumentSpec, ...] = field(default=())
    approved_state: RequestState = RequestState.APPROVED
    # Entering one of these closes the request (closed_at is set).
    closed_states: frozenset = frozenset({RequestState.APPROVED, RequestState.REJECTED})
    # Type-specific effects inside the transaction (budget, quotas …): (TransitionContext) -> None.
    on_transition: Callable[[TransitionContext], None] | None = None

    def __post_init__(self):
        object.__setattr__(self, "closed_states", frozenset(self.closed_states) | ALWAYS_CLOSED)

    def applicable_steps(self, req: Request) -> list[Step]:
        return [s for s in self.steps if s.applies(req)]

    def step(self, key: str | None) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def first_step(self, req: Request) -> Step:
        return self.applicable_steps(req)[0]

    def next_step(self, req: Request, key: str | None) -> Step | None:
        steps = self.applicable_steps(req)
        keys = [s.key for s in steps]
        i = keys.index(key)
        return steps[i + 1] if i + 1 < len(steps) else None

    def earlier_steps(self, req: Request, key: str | None) -> list[Step]:
        steps = self.applicable_steps(req)
        keys = [s.key for s in steps]
        return steps[: keys.index(key)] if key in keys else []

    def transition(self, action: Action) -> Transition | None:
        return next((t for t in self.transitions if t.action is action), None)
