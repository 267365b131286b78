"""组织部's business steps on the organization tree and the members.

Every function here checks its rules, changes the rows, and writes its audit row(s) in the same
transaction, then commits (pass commit=False to batch several steps, as the Excel import does).
A refusal raises OrgError with a Chinese message (MemberInvalid with per-field messages); nothing is
written then. No request or flash here: the views parse input and render.

Audit actions: org.unit_created, org.unit_updated, org.unit_moved, org.unit_dissolved,
member.created, member.updated, member.transferred, member.status_changed, member.dues_set,
member.reveal_id_number, member.reveal_phone. The plain 身份证号 and phone never enter an audit row.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import String, func, literal, select, update

from .. import audit
from ..dates import cn_day as _ymd
from ..extensions import db
from ..models import (Member, MemberDuesRate, MemberStatus, MemberTransfer, Organization, OrgKind,
                      UnitType, BranchType)
from ..timeutil import local_today
from .validation import DIFFICULTY_FLAGS, MEMBER_FIELDS, clean_member_values, member_errors


class OrgError(Exception):
    """A refused change, with the reason in Chinese."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class MemberInvalid(OrgError):
    """A member record that breaks the rules: `errors` maps field → Chinese messages."""

    def __init__(self, errors: dict[str, list[str]]):
        first = next(iter(errors.values()))[0]
        super().__init__(first, field=next(iter(errors)))
        self.errors = errors


def _done(commit: bool) -> None:
    if commit:
        db.session.commit()
    else:
        db.session.flush()


# --- the organization tree ----------------------------------------------------------------------

def _check_code(code: str | None, unit_id: int | None = None) -> str | None:
    code = (code or "").strip() or None
    if code is None:
        return None
    if len(code) > 30:
        raise OrgError("组织编码不能超过30个字符", field="code")
    other = db.session.scalar(select(Organization).where(Organization.code == code,
                                                         Organization.id != (unit_id or 0)))
    if other is not None:
        raise OrgError(f"组织编码「{code}」已被「{other.name}」使用", field="code")
    return code


def _check_name(name: str, parent: Organization | None, unit_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise OrgError("请填写组织名称", field="name")
    if len(name) > 100:
        raise OrgError("组织名称不能超过100字", field="name")
    if parent is not None:
        clash = db.session.scalar(select(Organization).where(
            Organization.parent_id == parent.id, Organization.name == name, Organization.id != (unit_id or 0),
            Organization.dissolved_on.is_(None)))
        if clash is not None:
            raise OrgError(f"「{parent.name}」下已有名为「{name}」的组织", field="name")
    return name


def _live(unit: Organization, today: date) -> bool:
    return unit.dissolved_on is None or unit.dissolved_on > today


def allowed_parent_kinds(kind: OrgKind) -> tuple[OrgKind, ...]:
    """A secondary unit sits under the school; a branch under a secondary unit, or under the school
    as a 直属党支部."""
    return {OrgKind.SECONDARY: (OrgKind.SCHOOL,),
            OrgKind.BRANCH: (OrgKind.SECONDARY, OrgKind.SCHOOL)}.get(kind, ())


def create_unit(user, *, name: str, kind: OrgKind, parent: Organization, unit_type: UnitType | None = None,
                branch_type: BranchType | None = None, code: str | None = None,
                founded_on: date | None = None, commit: bool = True) -> Organization:
    """新建二级单位党组织 (with its type) or 党支部 (with its type), under a unit that still exists."""
    today = local_today()
    if kind not in (OrgKind.SECONDARY, OrgKind.BRANCH):
        raise OrgError("只能新建二级单位党组织或党支部", field="kind")
    if parent is None or parent.kind not in allowed_parent_kinds(kind):
        where = "校党委" if kind is OrgKind.SECONDARY else "二级单位党组织或校党委（直属党支部）"
        raise OrgError(f"{kind.label}只能设在{where}之下", field="parent")
    if not _live(parent, today):
        raise OrgError(f"「{parent.name}」已于{_ymd(parent.dissolved_on)}撤销，不能在其下新建组织", field="parent")
    if kind is OrgKind.SECONDARY:
        if not isinstance(unit_type, UnitType):
            raise OrgError("请选择二级单位党组织的类型（二级党委、党总支或机关党委）", field="unit_type")
        branch_type = None
    else:
        if not isinstance(branch_type, BranchType):
            raise OrgError("请选择党支部类型（教职工、学生或离退休党支部）", field="branch_type")
        unit_type = None
    name = _check_name(name, parent)
    code = _check_code(code)
    if founded_on is not None and founded_on > today:
        raise OrgError("成立日期不能晚于今天", field="founded_on")
    if founded_on is not None and parent.founded_on is not None and founded_on < parent.founded_on:
        raise OrgError(f"成立日期不能早于上级组织的成立日期（{_ymd(parent.founded_on)}）", field="founded_on")
    last = db.session.scalar(select(func.max(Organization.sort_order)).where(Organization.parent_id == parent.id))
    unit = Organization(name=name, kind=kind, unit_type=unit_type, branch_type=branch_type, code=code,
                        founded_on=founded_on, sort_order=(last or 0) + 1, path="")
    db.session.add(unit)
    db.session.flush()
    unit.set_parent(parent)
    audit.record("org.unit_created", unit, user=user, name=name, kind=kind.value, parent=parent.name,
                 type=(unit_type or branch_type).value, code=code, founded_on=founded_on)
    _done(commit)
    return unit


def update_unit(user, unit: Organization, *, name: str, code: str | None, founded_on: date | None,
                unit_type: UnitType | None = None, branch_type: BranchType | None = None,
                commit: bool = True) -> list[str]:
    """Rename, and correct the 组织编码, 成立日期 and type. Returns the changed field labels."""
    if unit.kind not in (OrgKind.SECONDARY, OrgKind.BRANCH, OrgKind.SCHOOL, OrgKind.ORG_DEPT):
        raise OrgError("无法修改该组织")
    name = _check_name(name, unit.parent, unit.id)
    code = _check_code(code, unit.id)
    if founded_on is not None and founded_on > local_today():
        raise OrgError("成立日期不能晚于今天", field="founded_on")
    if founded_on is not None and unit.dissolved_on is not None and founded_on >= unit.dissolved_on:
        raise OrgError("成立日期应早于撤销日期", field="founded_on")
    new = {"name": name, "code": code, "founded_on": founded_on}
    if unit.kind is OrgKind.SECONDARY:
        if not isinstance(unit_type, UnitType):
            raise OrgError("请选择二级单位党组织的类型", field="unit_type")
        new["unit_type"] = unit_type
    elif unit.kind is OrgKind.BRANCH:
        if not isinstance(branch_type, BranchType):
            raise OrgError("请选择党支部类型", field="branch_type")
        new["branch_type"] = branch_type
    labels = {"name": "名称", "code": "组织编码", "founded_on": "成立日期", "unit_type": "类型", "branch_type": "类型"}
    changed, before = [], {}
    for attr, value in new.items():
        if getattr(unit, attr) != value:
            before[attr] = getattr(unit, attr)
            setattr(unit, attr, value)
            changed.append(labels[attr])
    if changed:
        audit.record("org.unit_updated", unit, user=user, name=unit.name, changed=changed,
                     before={k: getattr(v, "value", v) for k, v in before.items()})
    _done(commit)
    return changed


def move_unit(user, unit: Organization, new_parent: Organization, note: str = "", commit: bool = True) -> None:
    """Move a 党支部 to another secondary unit, or to the school as a 直属党支部. The paths of the unit
    and everything under it are recomputed. Requests keep their organization_id, so a request
    filed before the move keeps its branch; its later steps follow the branch's new place."""
    if unit.kind is not OrgKind.BRANCH:
        raise OrgError("只能迁移党支部（二级单位党组织不能迁移）")
    if not _live(unit, local_today()):
        raise OrgError(f"「{unit.name}」已撤销，不能迁移")
    if new_parent is None or new_parent.kind not in (OrgKind.SECONDARY, OrgKind.SCHOOL):
        raise OrgError("请选择要迁入的二级单位党组织，或校党委（作为直属党支部）", field="parent")
    if not _live(new_parent, local_today()):
        raise OrgError(f"「{new_parent.name}」已撤销，不能迁入", field="parent")
    if new_parent.id == unit.parent_id:
        raise OrgError(f"「{unit.name}」已在「{new_parent.name}」之下", field="parent")
    if unit.contains(new_parent):
        raise OrgError("不能迁移到本组织的下级组织", field="parent")
    _check_name(unit.name, new_parent, unit.id)
    old_parent, old_path = unit.parent, unit.path
    new_path = new_parent.path + f"{unit.id}/"
    # One UPDATE rewrites the prefix of the unit and all its descendants.
    db.session.execute(
        update(Organization).where(Organization.path.startswith(old_path))
        .values(path=literal(new_path, String) + func.substr(Organization.path, len(old_path) + 1))
        .execution_options(synchronize_session=False))
    unit.parent = new_parent
    db.session.flush()
    db.session.expire_all()
    audit.record("org.unit_moved", unit, user=user, name=unit.name, from_parent=old_parent.name,
                 to_parent=new_parent.name, note=(note or "").strip())
    _done(commit)


def members_in(unit: Organization, statuses=(MemberStatus.NORMAL, MemberStatus.SUSPENDED)) -> int:
    """How many members belong to the unit or a unit under it (正常 and 停止党籍: their 组织关系 is
    still here; 出党 and 去世 records stay for history)."""
    return db.session.scalar(
        select(func.count(Member.id)).join(Organization, Organization.id == Member.branch_id)
        .where(Organization.path.startswith(unit.path), Member.status.in_(statuses))) or 0


def dissolve_unit(user, unit: Organization, on: date, note: str = "", commit: bool = True) -> None:
    """撤销: refused while members or undissolved units remain under it. The unit stays in the
    tree (greyed) with its dates; the allowance reads them."""
    if unit.kind not in (OrgKind.SECONDARY, OrgKind.BRANCH):
        raise OrgError(f"{unit.kind.label}不能撤销")
    if unit.dissolved_on is not None:
        raise OrgError(f"「{unit.name}」已于{_ymd(unit.dissolved_on)}撤销")
    if on is None:
        raise OrgError("请填写撤销日期", field="dissolved_on")
    if on > local_today():
        raise OrgError("撤销日期不能晚于今天（请在撤销当天或之后办理）", field="dissolved_on")
    if unit.founded_on is not None and on <= unit.founded_on:
        raise OrgError(f"撤销日期应晚于成立日期（{_ymd(unit.founded_on)}）", field="dissolved_on")
    live_children = db.session.scalar(select(func.count(Organization.id)).where(
        Organization.parent_id == unit.id, Organization.dissolved_on.is_(None))) or 0
    if live_children:
        raise OrgError(f"「{unit.name}」下还有{live_children}个未撤销的党支部，请先迁移或撤销这些党支部")
    count = members_in(unit)
    if count:
        raise OrgError(f"「{unit.name}」还有{count}名党员，请先为他们办理组织关系转接后再撤销")
    unit.dissolved_on = on
    audit.record("org.unit_dissolved", unit, user=user, name=unit.name, dissolved_on=on, note=(note or "").strip())
    _done(commit)


# --- members --------------------------------------------------------------------------------------

EDITABLE_FIELDS = tuple(f for f in MEMBER_FIELDS if f not in ("branch", "monthly_dues"))
REQUIRED_ON_CREATE = ("name", "gender", "staff_no", "id_number", "branch", "person_category", "member_category",
                      "joined_party_on", "birth_date", "monthly_dues")


def _month(d: date) -> date:
    return d.replace(day=1)


def create_member(user, values: dict, commit: bool = True) -> Member:
    """新增党员 with every field. The 月缴党费 starts its effective-dated history from the month of
    joining; the 所在支部 is the branch (later moves are 组织关系转接)."""
    values = {**{f: None for f in REQUIRED_ON_CREATE}, **values}  # a missing field is an error, not a crash
    errors = member_errors(values)
    if errors:
        raise MemberInvalid(errors)
    values = clean_member_values(values)
    branch = values.pop("branch")
    member = Member(branch=branch, status=MemberStatus.NORMAL, **{k: v for k, v in values.items()})
    db.session.add(member)
    db.session.flush()
    db.session.add(MemberDuesRate(member=member, effective_from=_month(min(values["joined_party_on"], local_today())),
                                  amount=values["monthly_dues"], note="新增党员时登记", created_by_id=getattr(user, "id", None)))
    audit.record("member.created", member, user=user, name=member.name, staff_no=member.staff_no,
                 branch=branch.name)
    _done(commit)
    return member


def update_member(user, member: Member, values: dict, commit: bool = True) -> list[str]:
    """Edit the fields of the record (not the branch: that is a transfer; not the dues: they have an
    effective-dated history). Returns the labels of the changed fields (the audit lists them; the
    plain 身份证号 and phone are never written there)."""
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    # Rules that tie fields together need the others as they stand.
    full = {f: getattr(member, f) for f in ("gender", "birth_date", "joined_party_on", "member_category")}
    full.update(values)
    if "id_number" not in values and ("birth_date" in values or "gender" in values):
        full["id_number"] = member.id_number
    errors = member_errors(full, member_id=member.id)
    if errors:
        raise MemberInvalid(errors)
    values = clean_member_values(values)
    changed = [f for f, v in values.items() if getattr(member, f) != v]
    for f in changed:
        setattr(member, f, values[f])
    if not any(getattr(member, f) for f in DIFFICULTY_FLAGS) and member.difficulty_reason:
        member.difficulty_reason = ""
    if changed:
        audit.record("member.updated", member, user=user, name=member.name,
                     changed=[MEMBER_FIELDS[f] for f in changed])
    _done(commit)
    return [MEMBER_FIELDS[f] for f in changed]


def set_difficulty(user, member: Member, *, living_difficulty: bool, lives_alone: bool,
                   frail_sick_disabled: bool, reason: str, commit: bool = True) -> list[str]:
    """困难情况标记 with its reason (required when any flag is set)."""
    return update_member(user, member, {"living_difficulty": living_difficulty, "lives_alone": lives_alone,
                                        "frail_sick_disabled": frail_sick_disabled, "difficulty_reason": reason},
                         commit=commit)


def transfer_member(user, member: Member, to_branch: Organization, on: date, note: str = "",
                    commit: bool = True) -> MemberTransfer:
    """组织关系转接: the member moves to another branch on a date. Requests already filed keep the
    branch they were filed in (Request.organization_id); new ones start from the new branch."""
    today = local_today()
    if not member.in_good_standing and member.status is not MemberStatus.SUSPENDED:
        raise OrgError(f"该党员党籍状态为「{member.status.label}」，不能办理组织关系转接")
    if to_branch is None or to_branch.kind is not OrgKind.BRANCH:
        raise OrgError("请选择转入的党支部", field="to_branch")
    if not _live(to_branch, today):
        raise OrgError(f"「{to_branch.name}」已于{_ymd(to_branch.dissolved_on)}撤销，不能转入", field="to_branch")
    if to_branch.id == member.branch_id:
        raise OrgError(f"该党员已在「{to_branch.name}」", field="to_branch")
    if on is None:
        raise OrgError("请填写转接日期", field="transferred_on")
    if on > today:
        raise OrgError("转接日期不能晚于今天", field="transferred_on")
    last = db.session.scalar(select(func.max(MemberTransfer.transferred_on)).where(MemberTransfer.member_id == member.id))
    if last is not None and on < last:
        raise OrgError(f"转接日期不能早于上一次转接（{_ymd(last)}）", field="transferred_on")
    note = (note or "").strip()
    if len(note) > 200:
        raise OrgError("备注不能超过200字", field="note")
    from_branch = member.branch
    transfer = MemberTransfer(member=member, from_branch_id=from_branch.id, to_branch_id=to_branch.id,
                              transferred_on=on, note=note, created_by_id=getattr(user, "id", None))
    db.session.add(transfer)
    member.branch = to_branch
    db.session.flush()
    audit.record("member.transferred", member, user=user, name=member.name, from_branch=from_branch.name,
                 to_branch=to_branch.name, transferred_on=on, note=note)
    _done(commit)
    return transfer


# 党籍状态: which changes are possible. 去世 and 出党 are final; 停止党籍 can be restored (恢复党籍).
STATUS_CHANGES = {
    MemberStatus.NORMAL: (MemberStatus.SUSPENDED, MemberStatus.EXPELLED, MemberStatus.DECEASED),
    MemberStatus.SUSPENDED: (MemberStatus.NORMAL, MemberStatus.EXPELLED, MemberStatus.DECEASED),
    MemberStatus.EXPELLED: (MemberStatus.DECEASED,),
    MemberStatus.DECEASED: (),
}
STATUS_CHANGE_LABELS = {MemberStatus.NORMAL: "恢复党籍", MemberStatus.SUSPENDED: "停止党籍",
                        MemberStatus.EXPELLED: "出党", MemberStatus.DECEASED: "去世"}


def check_status_change(current: MemberStatus | None, since: date | None, joined_party_on: date | None,
                        status: MemberStatus, on: date | None, date_label: str = "生效日期") -> None:
    """Whether a member whose 党籍状态 is `current` (since `since`) may change to `status` on `on`:
    raises OrgError (field "status" or "status_on") if not. The one rule for the member page and the
    Excel import (`date_label` names the date as the caller's form or column does)."""
    current = current or MemberStatus.NORMAL
    if status not in STATUS_CHANGES[current]:
        if current is MemberStatus.DECEASED:
            raise OrgError("该党员已去世，党籍状态不能再变更", field="status")
        raise OrgError(f"党籍状态为「{current.label}」的党员不能变更为「{status.label}」", field="status")
    if on is None:
        raise OrgError(f"请填写{date_label}", field="status_on")
    if on > local_today():
        raise OrgError(f"{date_label}不能晚于今天", field="status_on")
    if since is not None and on < since:
        raise OrgError(f"{date_label}不能早于上一次状态变更（{_ymd(since)}）", field="status_on")
    if joined_party_on is not None and on < joined_party_on and status is not MemberStatus.DECEASED:
        raise OrgError(f"{date_label}不能早于入党日期", field="status_on")


def change_status(user, member: Member, status: MemberStatus, on: date, note: str = "",
                  commit: bool = True) -> None:
    """出党, 停止党籍, 去世 (and 恢复 from 停止党籍), with the date it took effect. The history is in
    the audit rows (member.status_changed), shown on the member page."""
    current = member.status or MemberStatus.NORMAL
    check_status_change(current, member.status_on, member.joined_party_on, status, on)
    note = (note or "").strip()
    if status in (MemberStatus.EXPELLED, MemberStatus.SUSPENDED) and len(note) < 2:
        raise OrgError(f"{STATUS_CHANGE_LABELS[status]}须填写依据（如党组织决定的文号）", field="note")
    if len(note) > 200:
        raise OrgError("说明不能超过200字", field="note")
    before = current
    member.status, member.status_on = status, on
    audit.record("member.status_changed", member, user=user, name=member.name, before=before.value,
                 status=status.value, status_on=on, note=note)
    status_changed(member, before, user)
    _done(commit)


def status_changed(member: Member, before: MemberStatus, user) -> None:
    """What follows a 党籍状态 change in the same transaction: the modules settle what the member had
    open (e.g. 困难党员台账: an open entry is closed on 去世 or 出党) through the plug-in contract."""
    from .. import plugins  # the modules import org; org reaches them only through the contract

    db.session.flush()
    plugins.member_status_changed(member, before, user)


def set_dues(user, member: Member, effective_from: date, amount: Decimal, note: str = "",
             commit: bool = True) -> MemberDuesRate:
    """月缴党费 from a month on. The history is effective-dated: a waiver reads the dues of its own
    months (Member.dues_on). Member.monthly_dues is kept as the rate in effect this month (a rate
    from a future month takes over then: see refresh_current_dues)."""
    if effective_from is None:
        raise OrgError("请选择起始月份", field="effective_from")
    month = _month(effective_from)
    today = local_today()
    if amount is None:
        raise OrgError("请填写月缴党费", field="amount")
    if amount < 0:
        raise OrgError("月缴党费不能为负数", field="amount")
    if amount > Decimal("99999.99"):
        raise OrgError("月缴党费金额过大，请核对", field="amount")
    if month > _month(today).replace(year=today.year + 1):
        raise OrgError("起始月份不能晚于一年以后", field="effective_from")
    note = (note or "").strip()
    if len(note) > 200:
        raise OrgError("说明不能超过200字", field="note")
    if not member.dues_rates:
        # The first recorded change: keep the amount until now as the history before it.
        start = _month(min(member.joined_party_on, month))
        if start < month:
            member.dues_rates.append(MemberDuesRate(effective_from=start, amount=member.monthly_dues,
                                                    note="此前登记的月缴党费", created_by_id=getattr(user, "id", None)))
    existing = next((r for r in member.dues_rates if r.effective_from == month), None)
    before = member.dues_on(month)
    if existing is not None:
        existing.amount, existing.note, existing.created_by_id = amount, note, getattr(user, "id", None)
        rate = existing
    else:
        rate = MemberDuesRate(effective_from=month, amount=amount, note=note, created_by_id=getattr(user, "id", None))
        member.dues_rates.append(rate)
        member.dues_rates.sort(key=lambda r: r.effective_from)
    member.monthly_dues = member.dues_on(today)
    db.session.flush()
    audit.record("member.dues_set", member, user=user, name=member.name, effective_from=month,
                 amount=amount, before=before, note=note)
    _done(commit)
    return rate


def refresh_current_dues(today: date | None = None) -> int:
    """Bring Member.monthly_dues to the rate in effect this month for members whose dues changed
    from a month that has now begun. For the periodic ticker; returns how many were updated."""
    today = today or local_today()
    month = _month(today)
    # Rates that began within the last year (a missed run catches up).
    since = month.replace(year=month.year - 1)
    ids = db.session.scalars(select(MemberDuesRate.member_id).distinct().where(
        MemberDuesRate.effective_from > since, MemberDuesRate.effective_from <= month)).all()
    changed = 0
    for member in db.session.scalars(select(Member).where(Member.id.in_(ids))) if ids else ():
        current = member.dues_on(today)
        if member.monthly_dues != current:
            member.monthly_dues = current
            changed += 1
    db.session.commit()
    return changed


REVEAL_FIELDS = {"id_number": ("member.reveal_id_number", "身份证号"), "phone": ("member.reveal_phone", "联系电话")}


def reveal(user, member: Member, field: str, reason: str) -> str:
    """查看完整身份证号 / 联系电话: audited with the reason (required). Returns the full value."""
    if field not in REVEAL_FIELDS:
        raise OrgError("无法查看该信息")
    action, label = REVEAL_FIELDS[field]
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise OrgError(f"请填写查看完整{label}的事由（至少4个字），查看将记入审计日志", field="reason")
    if len(reason) > 200:
        raise OrgError("事由不能超过200字", field="reason")
    audit.record(action, member, user=user, name=member.name, staff_no=member.staff_no, reason=reason)
    db.session.commit()
    return getattr(member, field) or ""
