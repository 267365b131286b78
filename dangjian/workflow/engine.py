"""The one way in for every state change.

`available_actions(request, user)` gives exactly the buttons to show. `apply_action(...)`:
1. checks the actor against the transition table (role, scope, recusal);
2. changes the state with a conditional UPDATE on `version`, so two clicks cannot both win;
3. writes the timeline row (and the audit row) and tells the people concerned (notifications);
4. creates the documents and schedules their jobs after commit.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from .. import audit, notifications, uploads
from ..after_commit import on_commit
from ..documents import jobs
from ..extensions import db
from ..models import NumberSequence, Request, RequestState, Role, TimelineEntry, User
from ..models.base import utcnow
from ..timeutil import local_today
from ..budget import BudgetRefused
from ..notifications import notify
from . import cc as copies
from . import routing
from .definition import STUCK, Action, Actor, MeetingRecord, TransitionContext, Workflow, last_handling_entry
from .errors import ActionRefused, AlreadyHandled, WorkflowError  # noqa: F401  (re-exported)


def workflow_of(req: Request) -> Workflow:
    return type(req).workflow


def recusal_reason(req: Request, user: User, initiator_too: bool = True) -> str | None:
    """回避: nobody acts on a request where they are the applicant or the beneficiary."""
    if initiator_too and req.initiator_id == user.id:
        return "您是本申请的发起人，按回避规定不能审批本申请，将由该环节的其他负责人处理"
    if user.member_id is not None and user.member_id in req.conflicted_member_ids():
        return "您是本申请的受益人，按回避规定不能审批本申请，将由该环节的其他负责人处理"
    return None


def refusal(req: Request, user: User | None, action: Action) -> str | None:
    """Why `user` may not take `action` on `req` now, or None when allowed."""
    wf = workflow_of(req)
    t = wf.transition(action)
    if t is None:
        return "该申请不支持此操作"
    if req.state not in t.sources:
        return f"申请当前为「{req.state.label}」状态，不能{action.label}"
    if t.actor is Actor.SYSTEM:
        if user is not None:
            return f"「{action.label}」由系统自动执行"
    elif user is None:
        return "需要登录用户执行此操作"
    elif t.actor is Actor.INITIATOR:
        if req.initiator_id != user.id:
            return f"只有发起人可以{action.label}"
    elif t.actor is Actor.STEP_HOLDER:
        # Who acts on a step, in person or as a deputy (委托代理), is routing's one rule; 待办 is its SQL twin.
        reason = routing.acting_for(req, user).refusal
        if reason:
            return reason
    elif t.actor is Actor.DECIDER:
        reason = _take_back_refusal(req, user)
        if reason:
            return reason
    else:  # a Holder: a role at an organization, outside the steps
        if not t.actor.allows(req, user):
            return f"您无权{action.label}"
        reason = recusal_reason(req, user, initiator_too=t.actor.recuse_initiator)
        if reason:
            return reason
    if t.guard:
        return t.guard(req)
    return None


def decision_to_take_back(req: Request):
    """The 同意 that 取回 would undo: the latest handling entry, when it is an approval taken at the
    step just before the current one (so the next step has not acted since). Else None."""
    entry = last_handling_entry(req)
    if entry is None or entry.action != Action.APPROVE.value or entry.actor_id is None:
        return None
    earlier = workflow_of(req).earlier_steps(req, req.current_step)
    if not earlier or earlier[-1].key != entry.step:
        return None
    return entry


def _take_back_refusal(req: Request, user: User) -> str | None:
    """取回: only the person who decided, while the next step has not acted; still holding the
    step's role there, and not recused (a role may have ended, a conflict may have appeared)."""
    entry = decision_to_take_back(req)
    if entry is None or entry.actor_id != user.id:
        mine = any(e.action == Action.APPROVE.value and e.actor_id == user.id for e in req.timeline)
        return "下一环节已经处理，不能取回" if mine else "只有作出该决定的审批人可以取回"
    step = workflow_of(req).step(entry.step)
    # The role the decision was taken in: the step's own, or the fallback it went to (routing).
    if not user.holds(Role(entry.actor_role), entry.actor_org_id):
        return f"您已不是「{step.label}」环节的处理人，不能取回"
    return recusal_reason(req, user)


def _record_placement(req: Request, user: User | None, action: Action, entry: TimelineEntry, placement, step,
                      now) -> None:
    """转办 and 转上级办理 carry where the step went on their own entry; any other action that
    left the step with a fallback (or with nobody) adds a system entry saying why (and an audit row)."""
    if action in (Action.TRANSFER, Action.REROUTE):
        entry.detail = "；".join(d for d in (entry.detail, placement.note) if d)
        # The step changed hands without moving: its new holders (and deputies) get a 待办. A step
        # entered through any other action is announced with that action, to routing's people.
        recipients = placement.recipients or routing.people_who_can_act(req, placement.values)
        if recipients:
            notify("todo", req, recipients=recipients, actor=user, step_label=step.label,
                   webhook_org_id=placement.values["current_org_id"])
    else:
        db.session.add(TimelineEntry(request_id=req.id, actor_id=None, actor_role="system", actor_org_id=None,
                                     action=STUCK if placement.stuck else Action.REROUTE.value, step=step.key,
                                     detail=placement.note, created_at=now))
        audit.record("request.routed", req, user=None, number=req.number, step=step.key, note=placement.note,
                     role=placement.values["current_role"], org_id=placement.values["current_org_id"])


def available_actions(req: Request, user: User) -> list[Action]:
    return [t.action for t in workflow_of(req).transitions
            if t.actor is not Actor.SYSTEM and refusal(req, user, t.action) is None]


def create_request(req: Request, initiator: User) -> Request:
    """Add a new request in 草稿 with its number; the caller then submits it via apply_action."""
    year = local_today().year
    req.initiator = initiator
    req.state = RequestState.DRAFT
    req.number = NumberSequence.next_number(req.number_prefix, year)
    db.session.add(req)
    db.session.flush()
    audit.record("request.create", req, user=initiator, number=req.number)
    return req


def apply_action(req: Request, user: User | None, action: Action, *, opinion: str = "",
                 meeting: MeetingRecord | None = None, return_to: str | None = None,
                 seen_version: int | None = None, payload: dict | None = None,
                 cc: tuple[int, ...] | list[int] = ()) -> TimelineEntry | None:
    """Apply one action atomically, or raise WorkflowError with a message for the user. Returns the
    timeline entry written; None for 删除草稿, which removes the request (`_remove`).

    `user` is None only for system actions (Actor.SYSTEM). `payload` carries the data of actions
    that change more than the state (核定调整, 登记发放 …) to the workflow's on_transition hook.
    `cc`: ids of users the approver copies (抄送) with this decision; the type's 抄送 rules copy
    their people too when the request is approved or ends (workflow.cc)."""
    if seen_version is None:
        seen_version = req.version
    for attempt in range(3):
        try:
            return _apply_once(req, user, action, opinion=opinion, meeting=meeting,
                               return_to=return_to, seen_version=seen_version, payload=payload or {}, cc=cc)
        except OperationalError:
            # SQLite refuses a write whose read snapshot is stale ("database is locked") when
            # another writer committed in between. Reload: if this request moved, it was handled.
            db.session.rollback()
            if db.engine.dialect.name != "sqlite" or attempt == 2:
                raise
            db.session.refresh(req)


def _apply_once(req: Request, user: User | None, action: Action, *, opinion: str,
                meeting: MeetingRecord | None, return_to: str | None, seen_version: int,
                payload: dict, cc=()) -> TimelineEntry:
    wf = workflow_of(req)
    if seen_version != req.version:
        raise AlreadyHandled()
    reason = refusal(req, user, action)
    if reason:
        raise ActionRefused(reason)
    t = wf.transition(action)
    opinion = (opinion or "").strip()
    if t.opinion_required and not opinion:
        raise ActionRefused(f"{action.label}时必须填写{t.opinion_name}", field="opinion")
    if len(opinion) > 1000:
        raise ActionRefused("意见不能超过1000字", field="opinion")

    step = wf.step(req.current_step) if t.actor is Actor.STEP_HOLDER else None
    if step and step.records_meeting and action in (Action.APPROVE, Action.REJECT) and meeting is None:
        raise ActionRefused(f"请填写{step.label}的会议记录（会议类型、日期和表决情况）", field="meeting")
    if step and step.records_meeting and meeting is not None:
        disagreement = meeting.disagreement(action)
        if disagreement:
            raise ActionRefused(disagreement, field="votes")
    if action is Action.RETURN and return_to:
        if return_to not in {s.key for s in wf.earlier_steps(req, req.current_step)}:
            raise ActionRefused("只能退回到之前的审批环节", field="return_to")
    picked = copies.check_picks(req, user, cc, by_step_holder=t.actor is Actor.STEP_HOLDER)

    new_state, new_step = t.target(wf, req, {"return_to": return_to})
    if new_state is None:
        return _remove(req, user, action)
    now = utcnow()
    from_state, from_step, from_org_id = req.state, req.current_step, req.current_org_id
    from_role = req.current_role
    # The principal a step holder acts for: themself, or the holder who delegated the role (代为处理).
    acting = routing.acting_for(req, user) if t.actor is Actor.STEP_HOLDER else None
    values = {"state": new_state, "version": Request.version + 1}
    placement = None
    if new_step is not None:
        moved = (new_state, new_step.key) != (from_state, from_step)
        # Who acts next: the step's holders, or a fallback when nobody can (routing); 转办 names one.
        placement = routing.place(req, new_step, action, moved, payload or {})
        values.update(current_step=new_step.key, **placement.values)
        if moved:
            values["step_entered_at"] = now
    else:
        values.update(current_step=None, current_role=None, current_org_id=None, current_assignee_id=None,
                      step_entered_at=None)
    if action is Action.SUBMIT:
        values["submitted_at"] = now
    if new_state in wf.closed_states and new_state is not from_state:
        values["closed_at"] = now  # not again for something recorded on a closed request (登记发放)

    result = db.session.execute(
        update(Request)
        .where(Request.id == req.id, Request.version == req.version, Request.state == from_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise AlreadyHandled()

    if t.actor is Actor.STEP_HOLDER:
        actor_role, actor_org_id, entry_step = from_role, from_org_id, from_step
    elif t.actor is Actor.DECIDER:  # 取回: recorded at the decider's own step, where it returns
        actor_role, actor_org_id, entry_step = values["current_role"], values["current_org_id"], new_step.key
    elif t.actor is Actor.SYSTEM:
        actor_role, actor_org_id, entry_step = "system", None, from_step
    elif t.actor is Actor.INITIATOR:
        actor_role, actor_org_id, entry_step = "applicant", req.organization_id, None
    else:  # Holder
        holder_org = t.actor.org(req)
        acting_as_holder = holder_org is not None and user.holds(t.actor.role, holder_org.id)
        actor_role = t.actor.role.value if acting_as_holder else "applicant"
        actor_org_id = holder_org.id if acting_as_holder else req.organization_id
        entry_step = from_step
    principal = acting.principal if acting is not None and acting.on_behalf else None
    entry = TimelineEntry(
        request_id=req.id, actor_id=user.id if user else None, actor_role=actor_role,
        actor_org_id=actor_org_id, action=action.value, step=entry_step, opinion=opinion, created_at=now,
        on_behalf_of_id=principal.id if principal else None,
    )
    if meeting is not None:
        entry.meeting_type = meeting.type
        entry.meeting_date = meeting.date
        entry.votes_for, entry.votes_against, entry.votes_abstain = (
            meeting.votes_for, meeting.votes_against, meeting.votes_abstain)
    db.session.add(entry)

    if wf.on_transition is not None:
        ctx = TransitionContext(request=req, user=user, action=action, from_state=from_state,
                                to_state=new_state, from_step=from_step,
                                to_step=new_step.key if new_step else None, payload=payload, entry=entry)
        try:
            wf.on_transition(ctx)
        except BudgetRefused as exc:
            db.session.rollback()
            raise ActionRefused(exc.message) from None
        except WorkflowError:
            db.session.rollback()
            raise

    if placement is not None and placement.note:
        _record_placement(req, user, action, entry, placement, new_step, now)
    handing = {"on_behalf_of": principal.display_name, "on_behalf_of_id": principal.id} if principal else {}
    if action in (Action.TRANSFER, Action.REROUTE):
        handing["note"] = placement.note
    audit.record(f"request.{action.value}", req, user=user, number=req.number,
                 from_state=from_state.value, to_state=new_state.value, step=from_step, **handing)
    # 待办 goes to whoever routing lets act on the new step: its holders, or the fallback's, and deputies.
    entered = new_step is not None and (new_state, new_step.key) != (from_state, from_step)
    holders = routing.people_who_can_act(req, placement.values) if entered else None
    notifications.request_moved(req, user, action, from_state, from_step, new_state,
                                new_step.key if new_step else None, values["current_org_id"], holders=holders)
    if picked:
        copies.copy_picked(req, user, picked, action.value)
    copies.copy_by_rules(req, user, wf, from_state, new_state)

    specs = [d for d in wf.documents if new_state in d.on_states and new_state != from_state]
    if specs:
        jobs.create_documents(req, specs, user=user)
    db.session.commit()
    db.session.expire(req)
    return entry


def _remove(req: Request, user: User, action: Action) -> None:
    """删除草稿 (a transition whose target is `definition.removed`): the draft is claimed with the
    same conditional UPDATE as any change, so a submission racing the deletion cannot both win; then
    it is deleted with its attachments (their files after commit). The audit row keeps its number;
    there is no timeline left to write on. A draft holds nothing (claims, quotas and budget are
    taken at submission and later), so the workflow's hook is not called."""
    claimed = db.session.execute(
        update(Request).where(Request.id == req.id, Request.version == req.version, Request.state == req.state)
        .values(version=Request.version + 1).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise AlreadyHandled()
    audit.record(f"request.{action.value}", req, user=user, number=req.number, from_state=req.state.value,
                 beneficiary=req.beneficiary.name if req.beneficiary else None)
    files = [uploads.stored_path(a) for a in req.attachments]
    db.session.delete(req)
    if files:
        on_commit(db.session, uploads.discard, files)
    db.session.commit()
    return None
