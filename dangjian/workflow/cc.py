"""抄送 (issue 8 §2): copying a request to people who take no part in deciding it.

Two ways in, both inside the transaction of the state change that causes them (`apply_action`):
- **rules** that 组织部 keeps per request type copy their targets when a request is approved or
  ends (`copy_by_rules`), e.g. 财务处's cashier on every approved 慰问金, or the member's branch
  secretary on every dues decision;
- **an approver** adds people when acting (`check_picks`, then `copy_picked`).

A copy makes the request visible to its recipient, read-only: `scope.visible_requests` includes
copied requests, the engine gives the recipient no action, and the request lists under 抄送我的
with its read state (`mark_read` when opened). The recipient is told through `notify("cc", …)`.

Private details: someone who sees a request ONLY because it was copied to them (财务处, a member
of another branch …) does not see the 困难情况说明 / 事由 text, the attachments (证明材料) or the
archived 审批表 (which reproduces that text): amount, payee, decision and opinions are what they
need. Whoever sees the request through their own role sees it as before (`sees_private`).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import false, func, or_, select, true

from .. import audit
from ..extensions import db
from ..models import (CcRule, CcTarget, CcWhen, Member, Organization, Request, RequestCopy, RequestState, Role,
                      RoleAssignment, User)
from ..models.base import utcnow
from ..models.people import READER_ROLES, SCHOOL_WIDE_ROLES
from ..notifications import notify

MAX_PICKS = 10  # people one approver may add in one action
SCHOOL_ROLE_TARGETS = {CcTarget.ORG_DEPT: Role.ORG_DEPT, CcTarget.SCHOOL: Role.SCHOOL,
                       CcTarget.SUPERVISOR: Role.SUPERVISOR}


# --- who a rule copies -------------------------------------------------------------------------

def _holders(role: Role, org_id: int | None = None) -> list[User]:
    """Active accounts holding `role` today (at `org_id`, when given)."""
    cond = [RoleAssignment.role == role, RoleAssignment.in_effect(), User.active.is_(True)]
    if org_id is not None:
        cond.append(RoleAssignment.organization_id == org_id)
    return list(db.session.scalars(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                                   .where(*cond).distinct().order_by(User.id)))


def rule_recipients(rule: CcRule, req: Request) -> list[User]:
    """The people `rule` copies on `req` today (a relative target may have nobody: a 直属党支部
    has no secondary unit, a batch of the secretary allowance sits at a secondary unit)."""
    if rule.target is CcTarget.BRANCH_SECRETARY:
        return _holders(Role.BRANCH_SECRETARY, req.organization_id) if req.organization.is_branch else []
    if rule.target is CcTarget.SECONDARY:
        unit = req.organization.secondary_unit
        return _holders(Role.SECONDARY, unit.id) if unit is not None else []
    if rule.target in SCHOOL_ROLE_TARGETS:
        return _holders(SCHOOL_ROLE_TARGETS[rule.target])
    user = rule.user
    return [user] if user is not None and user.active else []


def active_rules(request_type: str | None = None):
    stmt = select(CcRule).where(CcRule.removed_at.is_(None))
    if request_type is not None:
        stmt = stmt.where(CcRule.request_type == request_type)
    return stmt.order_by(CcRule.request_type, CcRule.id)


def _rules_due(req: Request, wf, from_state, new_state) -> list[CcRule]:
    if new_state == from_state:
        return []
    whens = []
    if new_state == wf.approved_state:
        whens.append(CcWhen.APPROVED)
    # 撤销申请 closes a request that was never decided: the people who took part are told
    # (notifications "abandoned"); nobody is copied on an application its initiator gave up.
    if new_state in wf.closed_states and new_state is not RequestState.ABANDONED:
        whens.append(CcWhen.CLOSED)
    if not whens:
        return []
    return list(db.session.scalars(active_rules(req.type).where(CcRule.timing.in_(whens))))


# --- making copies -----------------------------------------------------------------------------

def _sysadmin(user: User) -> bool:
    return any(ra.role is Role.SYSADMIN for ra in user.roles)


def _copy(req: Request, users: Iterable[User], actor: User | None, *, rule: CcRule | None = None,
          action: str = "") -> list[User]:
    """Add one copy per user not yet copied. Never the actor or the initiator (who follows the
    request in 我发起的 anyway), a disabled account, or the 系统管理员, who reads no request
    (三员分立). Returns the users newly copied."""
    already = set(db.session.scalars(select(RequestCopy.user_id).where(RequestCopy.request_id == req.id)))
    already.add(req.initiator_id)
    if actor is not None:
        already.add(actor.id)
    added = []
    for user in users:
        if user.id in already or not user.active or _sysadmin(user):
            continue
        already.add(user.id)
        db.session.add(RequestCopy(request_id=req.id, user_id=user.id, rule_id=rule.id if rule else None,
                                   added_by_id=actor.id if actor is not None and rule is None else None,
                                   action=action, created_at=utcnow()))
        added.append(user)
    return added


def copy_by_rules(req: Request, actor: User | None, wf, from_state, new_state) -> list[User]:
    """Apply the rules of `req`'s type due on entering `new_state` (called by the engine)."""
    copied = []
    for rule in _rules_due(req, wf, from_state, new_state):
        added = _copy(req, rule_recipients(rule, req), actor, rule=rule)
        if added:
            audit.record("request.cc", req, user=actor, number=req.number, source="rule", rule_id=rule.id,
                         target=rule.target.value, recipients=[u.id for u in added], state=new_state.value)
            copied.extend(added)
    if copied:
        notify("cc", req, recipients=copied, actor=None, source="rule")  # the rule copied, not the approver
    return copied


def pickable_condition(approver: User):
    """A SQL condition on User: whom `approver` may copy. Active accounts other than their own and
    the 系统管理员's: holders of a school-wide role (组织部, 校党委, 纪委); the members (with an
    account) and role holders inside the approver's own organizations; and the role holders of the
    organizations above them. An approver with a school-wide role may copy anyone."""
    sysadmins = select(RoleAssignment.user_id).where(RoleAssignment.role == Role.SYSADMIN,
                                                      RoleAssignment.in_effect())
    base = [User.active.is_(True), User.id != approver.id, User.id.notin_(sysadmins)]
    roles = [ra for ra in approver.roles if ra.role in READER_ROLES]
    if any(ra.role in SCHOOL_WIDE_ROLES for ra in roles):
        return *base, true()
    paths = [ra.organization.path for ra in roles]
    if not paths:
        return *base, false()
    inside = select(Organization.id).where(or_(*[Organization.path.startswith(p) for p in paths]))
    above = {int(i) for p in paths for i in p.strip("/").split("/") if i}
    holders = select(RoleAssignment.user_id).where(
        RoleAssignment.in_effect(),
        or_(RoleAssignment.organization_id.in_(inside), RoleAssignment.organization_id.in_(above),
            RoleAssignment.role.in_(list(SCHOOL_WIDE_ROLES))))
    members = select(Member.id).where(Member.branch_id.in_(inside))
    return *base, or_(User.id.in_(holders), User.member_id.in_(members))


def search_pickable(approver: User, q: str, exclude: Iterable[int] = (), limit: int = 8) -> list[User]:
    """Up to `limit` people `approver` may copy whose name or account contains `q`."""
    q = (q or "").strip()[:30].replace("%", "").replace("_", "")
    if not q:
        return []
    like = f"%{q}%"
    stmt = (select(User).where(*pickable_condition(approver),
                               or_(User.display_name.ilike(like), User.username.ilike(like)))
            .order_by(func.length(User.display_name), User.display_name, User.id).limit(limit))
    exclude = [i for i in exclude if i]
    if exclude:
        stmt = stmt.where(User.id.notin_(exclude))
    return list(db.session.scalars(stmt))


def load_pickable(approver: User, ids: Iterable[int]) -> list[User]:
    """The users among `ids` that `approver` may copy, in the order given."""
    ids = list(dict.fromkeys(i for i in ids if i))
    if not ids:
        return []
    found = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids), *pickable_condition(approver)))}
    return [found[i] for i in ids if i in found]


def check_picks(req: Request, approver: User | None, ids: Iterable[int], by_step_holder: bool) -> list[User]:
    """The people an approver chose to copy, or a refusal (Chinese) raised as ActionRefused."""
    from .engine import ActionRefused

    ids = list(dict.fromkeys(int(i) for i in ids if i))
    if not ids:
        return []
    if approver is None or not by_step_holder:
        raise ActionRefused("只有审批人在处理时可以添加抄送人", field="cc")
    if len(ids) > MAX_PICKS:
        raise ActionRefused(f"一次最多抄送{MAX_PICKS}人（现为{len(ids)}人）", field="cc")
    if approver.id in ids:
        raise ActionRefused("不能抄送给自己", field="cc")
    if req.initiator_id in ids:
        raise ActionRefused("发起人可在「我发起的」中查看本申请，无需抄送", field="cc")
    users = load_pickable(approver, ids)
    if len(users) != len(ids):
        raise ActionRefused("所选抄送人不存在、已停用或不在您的范围内，请重新选择", field="cc")
    return users


def copy_picked(req: Request, approver: User, users: list[User], action: str) -> list[User]:
    """Copy the people an approver chose while taking `action` (called by the engine)."""
    added = _copy(req, users, approver, action=action)
    if added:
        audit.record("request.cc", req, user=approver, number=req.number, source="approver", with_action=action,
                     recipients=[u.id for u in added])
        notify("cc", req, recipients=added, actor=approver, source="approver", action=action)
    return added


# --- reading copies ----------------------------------------------------------------------------

def copied_to(user: User):
    """A SQL condition on Request: requests copied to `user`."""
    return Request.id.in_(select(RequestCopy.request_id).where(RequestCopy.user_id == user.id))


def my_copy(req: Request, user: User) -> RequestCopy | None:
    return db.session.scalar(select(RequestCopy).where(RequestCopy.request_id == req.id,
                                                       RequestCopy.user_id == user.id))


def mark_read(req: Request, user: User) -> RequestCopy | None:
    """The recipient opened the request: their copy counts as read from now on."""
    copy = my_copy(req, user)
    if copy is not None and copy.read_at is None:
        copy.read_at = utcnow()
        db.session.commit()
    return copy


def sees_private(req: Request, user: User, copy: RequestCopy | None) -> bool:
    """False when `user` sees `req` only because it was copied to them (see the module docstring)."""
    if copy is None:
        return True
    from ..scope import visible_requests
    return db.session.scalar(select(Request.id).where(Request.id == req.id,
                                                      visible_requests(user, copies=False))) is not None


def copies_of(req: Request) -> list[RequestCopy]:
    """Everyone `req` was copied to, in order, for the request page."""
    from sqlalchemy.orm import selectinload
    return list(db.session.scalars(select(RequestCopy).where(RequestCopy.request_id == req.id)
                                   .options(selectinload(RequestCopy.user), selectinload(RequestCopy.added_by))
                                   .order_by(RequestCopy.id)))


def unread_among(user: User, request_ids: Iterable[int]) -> set[int]:
    ids = list(request_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(RequestCopy.request_id).where(
        RequestCopy.user_id == user.id, RequestCopy.request_id.in_(ids), RequestCopy.read_at.is_(None))))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(RequestCopy.id)).where(
        RequestCopy.user_id == user.id, RequestCopy.read_at.is_(None))) or 0


# --- the rules 组织部 keeps --------------------------------------------------------------------

class RuleInvalid(Exception):
    """A rule that cannot be saved: {field: Chinese message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def add_rule(by: User, *, request_type: str, target: str, when: str, username: str = "", note: str = "") -> CcRule:
    """Add a rule and commit, or raise RuleInvalid. Only 组织部 calls this (the page checks it)."""
    from ..request_filters import type_labels

    errors: dict[str, str] = {}
    if request_type not in type_labels():
        errors["request_type"] = "请选择申请类型"
    try:
        target = CcTarget(target)
    except ValueError:
        errors["target"] = "请选择抄送对象"
        target = None
    try:
        when = CcWhen(when)
    except ValueError:
        errors["when"] = "请选择抄送时机"
    username = (username or "").strip()
    note = (note or "").strip()
    if len(note) > 100:
        errors["note"] = f"说明不能超过100字（现为{len(note)}字）"
    user = None
    if target is CcTarget.USER:
        if not username:
            errors["username"] = "请填写指定人员的账号"
        else:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                errors["username"] = f"未找到账号「{username}」"
            elif not user.active:
                errors["username"] = f"账号「{username}」已停用"
            elif _sysadmin(user):
                errors["username"] = "系统管理员不能查看申请内容，不能作为抄送对象"
    elif target is not None and username:
        errors["username"] = "只有抄送对象为「指定人员」时才填写账号"
    if not errors:
        same = active_rules(request_type).where(CcRule.target == target, CcRule.timing == when)
        if user is not None:
            same = same.where(CcRule.user_id == user.id)
        if db.session.scalar(same) is not None:
            errors["target"] = "该抄送规则已存在"
    if errors:
        raise RuleInvalid(errors)
    rule = CcRule(request_type=request_type, target=target, timing=when, user=user, note=note,
                  created_by_id=by.id, created_at=utcnow())
    db.session.add(rule)
    db.session.flush()
    audit.record("cc_rule.add", rule, user=by, request_type=request_type, target=target.value, when=when.value,
                 user_id=user.id if user else None, note=note)
    db.session.commit()
    return rule


def remove_rule(by: User, rule: CcRule) -> None:
    """Remove a rule from now on (copies it made stay); commit."""
    rule.removed_at = utcnow()
    rule.removed_by_id = by.id
    audit.record("cc_rule.remove", rule, user=by, request_type=rule.request_type, target=rule.target.value,
                 when=rule.timing.value, user_id=rule.user_id)
    db.session.commit()
