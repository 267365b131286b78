"""The 「账号」 sheet (系统管理员): login accounts and the roles they hold, with a term.

One row is an account and, optionally, one role at one organization; an account with several roles
takes several rows. Accounts are matched by 账号, roles by (账号, 角色, 组织). A new account gets a
one-time temporary password and must change it at first sign-in; the password is shown once after
the import (and printed by the command line), never stored in plain text.
"""
import re
from datetime import date

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ...accounts.operations import USERNAME_PATTERN, member_link_refusal
from ...accounts.passwords import generate_temporary_password
from ...extensions import db
from ...models import Member, OrgKind, Role, RoleAssignment, User
from ...models.people import check_role_organization
from ...dates import cn_day
from . import cells
from .cells import CellError
from .headers import Column
from .organizations import Directory
from .plan import Change, PlannedRow

SHEET = "账号"
ROLE_SPELLINGS = {
    **{r.label: r for r in Role},
    "支部书记": Role.BRANCH_SECRETARY, "党支部书记": Role.BRANCH_SECRETARY, "支委": Role.BRANCH_SECRETARY,
    "支部委员": Role.BRANCH_SECRETARY, "二级党组织书记": Role.SECONDARY, "组织员": Role.SECONDARY,
    "二级党委书记": Role.SECONDARY, "党总支书记": Role.SECONDARY, "党委组织部": Role.ORG_DEPT,
    "纪委": Role.SUPERVISOR, "监督": Role.SUPERVISOR, "纪委监督": Role.SUPERVISOR, "管理员": Role.SYSADMIN,
}
ROLE_SPELLINGS = {"".join(k.split()): v for k, v in ROLE_SPELLINGS.items()}
ROLE_DEFAULT_ORG = {Role.SCHOOL: OrgKind.SCHOOL, Role.SUPERVISOR: OrgKind.SCHOOL, Role.SYSADMIN: OrgKind.SCHOOL,
                    Role.ORG_DEPT: OrgKind.ORG_DEPT}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

COLUMNS = (
    Column("username", "账号", ("用户名", "登录账号", "登录名", "账户"), required=True, kind="identifier",
           note="2–50位字母、数字或 _ . @ -，以字母或数字开头，如工号。已有账号按账号匹配（不区分大小写）；"
                "一人多个角色写多行。", width=16),
    Column("display_name", "姓名", ("显示名称", "名字"), required=True, kind="name", width=10,
           note="新账号必填；填写工号时须与该党员姓名一致。"),
    Column("staff_no", "工号", ("学号", "职工号", "工号/学号"), kind="identifier", width=12,
           note="关联党员信息（可不填，如系统管理员）。"),
    Column("email", "邮箱", ("电子邮箱", "电子邮件", "email", "e-mail", "邮件地址"), width=24),
    Column("role", "角色", ("角色名称", "担任角色"), kind="choice", choices=tuple(r.label for r in Role), width=20,
           note="不填则只建账号。支部书记/支委设在党支部，二级党组织书记/组织员设在二级党组织，组织部设在党委组织部，"
                "校党委、纪委/监督、系统管理员设在校党委。"),
    Column("org", "组织编码/名称", ("组织", "任职组织", "组织编码", "组织名称", "所在组织", "任职组织编码"), width=24,
           note="角色所在组织的编码或全称；校党委、纪委/监督、系统管理员、组织部可不填。"),
    Column("starts_on", "开始日期", ("任期开始", "起始日期", "开始时间", "任职日期"), kind="date",
           note="不填为今天。"),
    Column("ends_on", "结束日期", ("任期结束", "截止日期", "结束时间", "任期届满"), kind="date",
           note="不填为长期有效。"),
)
EXAMPLE = {"username": "zhangsan", "display_name": "张三", "staff_no": "000123", "email": "zhangsan@example.edu.cn",
           "role": "支部书记/支委", "org": "KJ0101", "starts_on": "2026-01-01", "ends_on": ""}


def _read(sheet, r, row) -> dict:
    v = {}
    for key, label in (("username", "账号"), ("staff_no", "工号")):
        try:
            v[key] = cells.identifier(r.value(key), r.cells[key].number_format if key in r.cells else None,
                                      label) or None
        except CellError as e:
            row.error(str(e), sheet, key)
            v[key] = None
    v["display_name"] = cells.name(r.value("display_name")) or None
    v["email"] = "".join(cells.text(r.value("email")).split()) or None
    v["org"] = "".join(cells.name(r.value("org")).split()) or None
    try:
        v["role"] = cells.parse_choice(r.value("role"), ROLE_SPELLINGS, "角色", "、".join(x.label for x in Role))
    except CellError as e:
        row.error(str(e), sheet, "role")
        v["role"] = None
    for key, label in (("starts_on", "开始日期"), ("ends_on", "结束日期")):
        try:
            v[key] = cells.parse_date(r.value(key), sheet.header_of(key, label))
        except CellError as e:
            row.error(str(e), sheet, key)
            v[key] = None
    if v["username"] and not USERNAME_PATTERN.match(v["username"]):
        row.error("账号为2–50位，由字母、数字及 _ . - @ 组成，以字母或数字开头", sheet, "username")
    if v["email"] and (not EMAIL.match(v["email"]) or len(v["email"]) > 120):
        row.error(f"邮箱「{v['email']}」格式不正确", sheet, "email")
    if v["display_name"] and len(v["display_name"]) > 50:
        row.error("姓名不能超过50个字", sheet, "display_name")
    return v


def plan(sheets, directory: Directory, today: date) -> list[PlannedRow]:
    parsed = []
    for sheet in sheets:
        for r in sheet.rows:
            row = PlannedRow(sheet=sheet.title, row=r.number)
            parsed.append((sheet, r, row, _read(sheet, r, row)))
    usernames = {v["username"].lower() for *_, v in parsed if v["username"]}
    users = {}
    if usernames:  # 账号 are unique without regard to case
        users = {u.username.lower(): u for u in db.session.scalars(
            select(User).where(func.lower(User.username).in_(usernames)))}
    staff_nos = {v["staff_no"] for *_, v in parsed if v["staff_no"]}
    members = {m.staff_no: m for m in db.session.scalars(select(Member).where(Member.staff_no.in_(staff_nos)))} \
        if staff_nos else {}
    linked = {}
    if members:
        linked = {u.member_id: u.username for u in db.session.scalars(
            select(User).where(User.member_id.in_([m.id for m in members.values()])))}
    first_row = {}  # username (lower case) -> (row number, values)
    seen_roles = {}  # (username, role, organization id) -> row number
    staff_owner = {}  # 工号 -> username in this file
    rows = []
    for sheet, r, row, v in parsed:
        rows.append(row)
        row.key, row.label = v["username"] or "", v["display_name"] or ""
        if not v["username"]:
            row.error("请填写账号", sheet, "username")
            continue
        user = users.get(v["username"].lower())
        if user is not None:
            v["username"] = row.key = user.username  # as the system spells it
        member = None
        if v["staff_no"]:
            member = members.get(v["staff_no"])
            if member is None:
                row.error(f"系统中没有工号为「{v['staff_no']}」的党员", sheet, "staff_no")
            else:
                holder = linked.get(member.id)
                if holder and holder != v["username"]:
                    row.error(f"工号「{v['staff_no']}」的党员已关联账号「{holder}」", sheet, "staff_no")
                refusal = None if holder == v["username"] else member_link_refusal(member)
                if refusal:
                    row.error(refusal, sheet, "staff_no")
                owner = staff_owner.setdefault(v["staff_no"], v["username"])
                if owner != v["username"]:
                    row.error(f"工号「{v['staff_no']}」在本表中已关联账号「{owner}」", sheet, "staff_no")
                if v["display_name"] and v["display_name"] != member.name:
                    row.error(f"姓名「{v['display_name']}」与工号{v['staff_no']}的党员「{member.name}」不一致",
                              sheet, "display_name")
        earlier = first_row.get(v["username"].lower())
        if earlier:
            number, ev = earlier
            for key, label in (("display_name", "姓名"), ("staff_no", "工号"), ("email", "邮箱")):
                if v[key] and ev[key] and v[key] != ev[key]:
                    row.error(f"同一账号在第{number}行的{label}是「{ev[key]}」，与本行不一致", sheet, key)
        else:
            first_row[v["username"].lower()] = (r.number, v)
        if user is None and not earlier and not (v["display_name"] or member):
            row.error("新账号须填写姓名", sheet, "display_name")
        org = None
        if v["role"] is not None:
            org = _role_org(row, sheet, v, directory)
        elif v["org"] or v["starts_on"] or v["ends_on"]:
            row.error("填写了组织或任期，但没有填写角色", sheet, "role")
        if v["starts_on"] and v["ends_on"] and v["ends_on"] < v["starts_on"]:
            row.error("结束日期不能早于开始日期", sheet, "ends_on")
        if v["role"] is not None and org is not None:
            key = (v["username"].lower(), v["role"], org.id)
            if key in seen_roles:
                row.error(f"与第{seen_roles[key]}行重复：同一账号在同一组织的同一角色只写一行", sheet, "role")
            seen_roles.setdefault(key, r.number)
        if row.errors:
            continue
        row.values.update(v, member=member, user=user, org=org, first=not earlier)
        role_text = f"{v['role'].label} · {org.name}" if v["role"] else ""
        if user is None:
            row.new = True
            row.detail = "新账号" + (f" · {role_text}" if role_text else "") + (f" · 关联党员{member.name}" if member else "")
            continue
        row.target_id = user.id
        if not earlier:
            if v["display_name"] and v["display_name"] != user.display_name:
                row.changes.append(Change("display_name", "姓名", user.display_name, v["display_name"]))
            if v["email"] and v["email"] != (user.email or ""):
                row.changes.append(Change("email", "邮箱", user.email, v["email"]))
            if member is not None and user.member_id != member.id:
                row.changes.append(Change("member", "关联党员", user.member.name if user.member else "",
                                          f"{member.name}（{member.staff_no}）"))
        if v["role"] is not None:
            _plan_role(row, v, user, org, today)
    _separation_of_duties(parsed, users, today)
    return rows


def _separation_of_duties(parsed, users: dict, today: date) -> None:
    """三员分立, as accounts.operations.assign_role enforces it: a 系统管理员 account holds no
    business role and is linked to no member, counting the roles it already has and the file's."""
    accounts = {}
    for sheet, _r, row, v in parsed:
        if v["username"] and not row.errors:
            accounts.setdefault(v["username"].lower(), []).append((sheet, row, v))
    for key, entries in accounts.items():
        user = users.get(key)
        live = [ra.role for ra in (user.role_assignments if user else [])
                if ra.revoked_at is None and (ra.ends_on is None or ra.ends_on >= today)]
        roles = live + [v["role"] for _s, _r, v in entries if v["role"] is not None]
        if Role.SYSADMIN not in roles:
            continue
        linked = (user is not None and user.member_id is not None) or any(row.values.get("member")
                                                                             for _s, row, _v in entries)
        business = any(r is not Role.SYSADMIN for r in roles)
        for sheet, row, v in entries:
            if v["role"] is Role.SYSADMIN and linked:
                row.error("按三员分立要求，系统管理员使用不关联党员信息的专用账号，请另建一个不关联党员的账号",
                          sheet, "role")
            elif v["role"] is Role.SYSADMIN and business:
                row.error("按三员分立要求，系统管理员不能兼任业务角色，请为系统管理员另建账号", sheet, "role")
            elif v["role"] is not None and v["role"] is not Role.SYSADMIN and Role.SYSADMIN in live:
                row.error("按三员分立要求，系统管理员账号不能兼任业务角色，请为该人员另建账号", sheet, "role")


def _role_org(row, sheet, v, directory: Directory):
    role = v["role"]
    if v["org"]:
        try:
            org = directory.lookup(v["org"])
        except CellError as e:
            row.error(str(e), sheet, "org")
            return None
        if org is None:
            row.error(f"组织「{v['org']}」不存在", sheet, "org")
            return None
    elif role in ROLE_DEFAULT_ORG:
        kind = ROLE_DEFAULT_ORG[role]
        org = next((o for o in directory.orgs if o.kind is kind), None)
        if org is None:
            row.error(f"系统中还没有{kind.label}，无法设置「{role.label}」", sheet, "org")
            return None
    else:
        row.error(f"请填写「{role.label}」所在的组织（编码或名称）", sheet, "org")
        return None
    problem = check_role_organization(role, org)
    if problem:
        row.error(problem, sheet, "role")
        return None
    if org.dissolved_on is not None and (org.is_dissolved or (v["starts_on"] or date.max) >= org.dissolved_on):
        row.error(f"「{org.name}」已于{cn_day(org.dissolved_on)}撤销，不能在撤销后任职", sheet, "org")
        return None
    return org


def _plan_role(row, v, user: User, org, today: date):
    """An unrevoked assignment of the same role at the same organization is the same role: its term
    is updated when the file gives other dates. Otherwise the role is added."""
    same = [ra for ra in user.role_assignments
            if ra.role is v["role"] and ra.organization_id == org.id and ra.revoked_at is None]
    if not same:
        row.changes.append(Change("role", "角色", "", f"{v['role'].label} · {org.name}"))
        return
    current = next((ra for ra in same if ra.in_effect_on(today)), same[-1])
    row.values["assignment"] = current
    start = v["starts_on"] or current.starts_on
    end = v["ends_on"] if v["ends_on"] is not None else current.ends_on
    if (start, end) != (current.starts_on, current.ends_on):
        row.changes.append(Change("term", f"{v['role'].label}任期", _term(current.starts_on, current.ends_on),
                                  _term(start, end)))


def _term(start, end) -> str:
    return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}" if end else f"{start:%Y-%m-%d} 起"


def apply(rows: list[PlannedRow], granted_by_id: int | None, today: date) -> dict:
    """Write accounts and roles inside the caller's transaction. Returns counts and the one-time
    passwords of the new accounts: [(账号, 姓名, 临时密码)]."""
    created, passwords, roles_added, terms_changed, updated = {}, [], [], 0, set()
    for row in rows:
        if not (row.new or row.changes):
            continue
        v = row.values
        user = v["user"] or created.get(v["username"])
        if user is None:
            password = generate_temporary_password()
            member = v["member"]
            user = User(username=v["username"], display_name=v["display_name"] or member.name,
                        member_id=member.id if member else None, email=v["email"] or "",
                        password_hash=generate_password_hash(password), must_change_password=True)
            db.session.add(user)
            created[v["username"]] = user
            passwords.append((user.username, user.display_name, password))
        elif not row.new:
            for change in row.changes:
                if change.field == "display_name":
                    user.display_name = change.new
                elif change.field == "email":
                    user.email = change.new
                elif change.field == "member":
                    user.member_id = v["member"].id
            updated.add(user.username)
        if v["role"] is None:
            continue
        assignment = v.get("assignment")
        if assignment is None:
            user.role_assignments.append(RoleAssignment(
                role=v["role"], organization=v["org"], starts_on=v["starts_on"] or today, ends_on=v["ends_on"],
                granted_by_id=granted_by_id, note="Excel导入"))
            roles_added.append(f"{user.username}:{v['role'].value}@{v['org'].id}")
        else:
            assignment.starts_on = v["starts_on"] or assignment.starts_on
            if v["ends_on"] is not None:
                assignment.ends_on = v["ends_on"]
            terms_changed += 1
    db.session.flush()
    return {"created": len(created), "updated": len(updated - set(created)), "roles_added": len(roles_added),
            "terms_changed": terms_changed, "created_usernames": sorted(created), "roles": roles_added,
            "passwords": passwords}
