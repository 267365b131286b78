"""`flask users ...`: the accounts a production install starts from.

    flask --app wsgi users create-admin USERNAME [--school-name 中共××大学委员会] [--name 姓名]
                                        [--org-dept-name 党委组织部]

creates the first 系统管理员: the role SYSADMIN at the school committee (the root of the
organization tree), a one-time password printed once, and a forced change at the first sign-in.
On an empty database the school committee node does not exist yet: --school-name is then required
and creates it. When the node exists, --school-name is not needed (and must match it if given).

It also makes sure the 党委组织部 node exists under the school committee (named by
--org-dept-name, 党委组织部 by default): the 组织部 role can only be held there, and nobody else can
create that node (组织部 enters the secondary units and branches itself, or imports them), so
without it the administrator could not give anyone the 组织部 role on a fresh install.
"""

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import Organization, OrgKind, Role, RoleAssignment, User
from .operations import USERNAME_PATTERN
from .passwords import generate_temporary_password

users_cli = AppGroup("users", help="账号 Accounts.")

# The same shape as the accounts the 系统管理员 creates on the web (accounts.operations).


ORG_DEPT_DEFAULT_NAME = "党委组织部"


def _fail(message: str):
    click.echo(message, err=True)
    raise SystemExit(1)


def _school_root(school_name: str | None) -> Organization:
    roots = db.session.scalars(select(Organization).where(Organization.parent_id.is_(None))).all()
    schools = [o for o in roots if o.kind is OrgKind.SCHOOL]
    if not roots:
        if not school_name:
            _fail("组织树还是空的：请用 --school-name 指定学校党委的名称，例如 "
                  "--school-name 中共××大学委员会。未做任何修改。")
        school = Organization(name=school_name, kind=OrgKind.SCHOOL, path="")
        db.session.add(school)
        db.session.flush()
        school.set_parent(None)
        audit.record("org.created", school, name=school_name, via="users create-admin")
        return school
    if len(schools) != 1:
        _fail("组织树的根节点不是唯一的学校党委，无法确定系统管理员的所属组织。未做任何修改。")
    school = schools[0]
    if school_name and school_name != school.name:
        _fail(f"学校党委已存在，名称为「{school.name}」，与 --school-name「{school_name}」不符。"
              "请去掉 --school-name 或改为现有名称。未做任何修改。")
    return school


def _org_dept(school: Organization, name: str | None) -> tuple[Organization, bool]:
    """The 党委组织部 node under the school committee: the existing one, or a new one."""
    depts = [c for c in school.children if c.kind is OrgKind.ORG_DEPT]
    if len(depts) > 1:
        _fail("学校党委下有多个党委组织部节点，无法确定组织部。未做任何修改。")
    if depts:
        if name and name != depts[0].name:
            _fail(f"党委组织部已存在，名称为「{depts[0].name}」，与 --org-dept-name「{name}」不符。"
                  "请去掉 --org-dept-name 或改为现有名称。未做任何修改。")
        return depts[0], False
    dept = Organization(name=name or ORG_DEPT_DEFAULT_NAME, kind=OrgKind.ORG_DEPT, path="")
    db.session.add(dept)
    db.session.flush()
    dept.set_parent(school)
    audit.record("org.created", dept, name=dept.name, via="users create-admin")
    return dept, True


@users_cli.command("create-admin")
@click.argument("username")
@click.option("--school-name", default=None,
              help="学校党委名称：数据库中还没有组织时必填，用于建立组织树的根节点。")
@click.option("--name", "display_name", default="系统管理员", show_default=True, help="显示的姓名。")
@click.option("--org-dept-name", default=None,
              help=f"党委组织部的名称：还没有组织部节点时据此建立（默认「{ORG_DEPT_DEFAULT_NAME}」），"
                   "组织部角色只能设在该节点。")
def create_admin(username, school_name, display_name, org_dept_name):
    """Create a 系统管理员 and print its one-time password (changed at the first sign-in)."""
    username = username.strip()
    school_name = (school_name or "").strip() or None
    org_dept_name = (org_dept_name or "").strip() or None
    display_name = (display_name or "").strip() or "系统管理员"
    if not USERNAME_PATTERN.match(username):
        _fail("账号须为2–50位，由字母、数字及 _ . - @ 组成，以字母或数字开头。未做任何修改。")
    if len(display_name) > 50:
        _fail("姓名不能超过50字。未做任何修改。")
    if org_dept_name and len(org_dept_name) > 100:
        _fail("党委组织部名称不能超过100字。未做任何修改。")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        _fail(f"账号「{username}」已存在，未做任何修改。如需重新设置其密码，请由系统管理员在「账号与角色」中重置。")
    school = _school_root(school_name)
    dept, dept_created = _org_dept(school, org_dept_name)
    password = generate_temporary_password()
    user = User(username=username, display_name=display_name, active=True, must_change_password=True)
    user.set_password(password)
    user.role_assignments.append(RoleAssignment(role=Role.SYSADMIN, organization=school,
                                                note="flask users create-admin"))
    db.session.add(user)
    db.session.flush()
    audit.record("account.admin_created", user, username=username, organization=school.name,
                 via="users create-admin")
    db.session.commit()
    click.echo(f"已创建系统管理员「{username}」（{school.name} · {Role.SYSADMIN.label}）。")
    if dept_created:
        click.echo(f"已在「{school.name}」下建立「{dept.name}」：组织部角色设在该组织。")
    click.echo(f"一次性密码：{password}")
    click.echo("该密码只显示这一次。首次登录后系统会要求修改密码。")
