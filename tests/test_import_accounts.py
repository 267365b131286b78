"""The 「账号」 sheet (系统管理员): accounts with roles and terms. New accounts get a one-time password
that is returned once and stored only as a hash; a role on the wrong kind of organization is a row
error; the same file again changes nothing."""
from datetime import date

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Role, RoleAssignment, User
from dangjian.org.imports import operations
from dangjian.org.imports.plan import Outcome
from dangjian.timeutil import local_today
from tests.factories import make_member
from tests.import_support import ACCOUNT_HEADER, write_xlsx


def sheet(tmp_path, rows, name="accounts.xlsx"):
    return str(write_xlsx(tmp_path / name, {"账号": [ACCOUNT_HEADER, *rows]}))


def plan_of(path):
    plan = operations.prepare("accounts", path).plan
    db.session.rollback()
    return plan


def test_new_accounts_roles_and_one_time_passwords(app, org, tmp_path):
    member = make_member(org.branch_b1, "周新")
    db.session.commit()
    staff_no = member.staff_no
    rows = [
        ["zhou", "", staff_no, "zhou@example.edu.cn", "支部书记", "经济学院教工党支部", "2026-01-01", ""],
        ["zhou", "", staff_no, "", "二级党组织书记/组织员", "经济学院党委", "", "2027-12-31"],
        ["zzb2", "组织部干事", "", "", "组织部", "", "", ""],
        ["jiwei", "纪委干事", "", "", "纪委", "", "", ""],
        ["plain", "只有账号", "", "", "", "", "", ""],
    ]
    path = sheet(tmp_path, rows)
    plan = plan_of(path)
    assert plan.ok and [r.outcome for r in plan.rows] == [Outcome.NEW] * 5

    result = operations.confirm("accounts", path, user=org.sysadmin, sha256="s", expected_digest=plan.digest())

    assert sorted(u for u, _n, _p in result.passwords) == ["jiwei", "plain", "zhou", "zzb2"]
    zhou = db.session.scalar(select(User).where(User.username == "zhou"))
    password = next(p for u, _n, p in result.passwords if u == "zhou")
    assert zhou.check_password(password) and password not in zhou.password_hash and zhou.must_change_password
    assert zhou.member_id == member.id and zhou.display_name == "周新"
    held = {(ra.role, ra.organization_id, ra.starts_on, ra.ends_on) for ra in zhou.role_assignments}
    assert held == {(Role.BRANCH_SECRETARY, org.branch_b1.id, date(2026, 1, 1), None),
                    (Role.SECONDARY, org.sec_b.id, local_today(), date(2027, 12, 31))}
    assert all(ra.granted_by_id == org.sysadmin.id for ra in zhou.role_assignments)
    zzb2 = db.session.scalar(select(User).where(User.username == "zzb2"))
    assert [(ra.role, ra.organization_id) for ra in zzb2.role_assignments] == [(Role.ORG_DEPT, org.org_dept.id)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import.accounts"))
    assert event.user_id == org.sysadmin.id and "zhou" in event.detail and password not in event.detail

    again = plan_of(path)
    assert [r.outcome for r in again.rows] == [Outcome.SAME] * 5


def test_role_on_the_wrong_kind_of_organization_and_other_refusals(app, org, tmp_path):
    rows = [
        ["usr1", "甲", "", "", "支部书记", "会计学院党委", "", ""],                       # 2: secretary on a unit
        ["usr2", "乙", "", "", "组织部", "中共测试大学委员会", "", ""],                    # 3: 组织部 on the school
        ["usr3", "丙", "NOPE", "", "", "", "", ""],                                     # 4: unknown 工号
        ["usr4", "丁", "", "", "校长", "", "", ""],                                      # 5: unknown role
        ["usr5", "戊", "", "", "支部书记", "", "", ""],                                  # 6: no organization
        ["_bad!", "己", "", "", "", "", "", ""],                                       # 7: bad username
        ["usr7", "", "", "", "", "", "", ""],                                            # 8: new account, no name
        ["usr8", "庚", "", "bad-mail", "", "", "", ""],                                  # 9: bad email
        ["usr9", "辛", "", "", "支部书记", "会计学院本科生党支部", "2026-05-01", "2026-01-01"],  # 10: ends before
        ["usr10", "别人", org.member.member.staff_no, "", "", "", "", ""],                # 11: linked elsewhere
    ]
    plan = plan_of(sheet(tmp_path, rows))
    e = {r.row: [(x.column, x.message) for x in r.errors] for r in plan.rows}
    assert e[2] == [("角色", "「支部书记/支委」只能设在党支部，不能设在二级单位党组织「会计学院党委」")]
    assert e[3] and e[3][0][0] == "角色" and "只能设在党委组织部" in e[3][0][1], e
    assert e[4] == [("工号", "系统中没有工号为「NOPE」的党员")]
    assert e[5][0][0] == "角色" and "未知的角色「校长」" in e[5][0][1]
    assert e[6] == [("组织编码/名称", "请填写「支部书记/支委」所在的组织（编码或名称）")]
    assert e[7][0][0] == "账号"
    assert e[8] == [("姓名", "新账号须填写姓名")]
    assert e[9] == [("邮箱", "邮箱「bad-mail」格式不正确")]
    assert e[10] == [("结束日期", "结束日期不能早于开始日期")]
    assert any("已关联账号「member」" in m for _, m in e[11]) and any("不一致" in m for _, m in e[11])
    assert not plan.ok


def test_existing_account_gets_a_role_and_a_new_term(app, org, tmp_path):
    path = sheet(tmp_path, [["member", "", "", "", "支部书记", org.branch_a1.name, "", ""]])
    plan = plan_of(path)
    assert plan.rows[0].outcome is Outcome.UPDATE
    result = operations.confirm("accounts", path, user=org.sysadmin, sha256="s")
    assert result.passwords == [] and org.member.holds(Role.BRANCH_SECRETARY, org.branch_a1.id)

    path2 = sheet(tmp_path, [["member", "", "", "", "支部书记", org.branch_a1.name, "", "2026-12-31"]], "term.xlsx")
    plan = plan_of(path2)
    assert [c.field for c in plan.rows[0].changes] == ["term"]
    operations.confirm("accounts", path2, user=org.sysadmin, sha256="s")
    ras = db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == org.member.id)).all()
    assert len(ras) == 1 and ras[0].ends_on == date(2026, 12, 31)


def test_separation_of_duties_and_usernames_without_regard_to_case(app, org, tmp_path):
    member = make_member(org.branch_b1, "吴新")
    db.session.commit()
    rows = [
        ["SYSADMIN", "", "", "", "支部书记", org.branch_a1.name, "", ""],          # 2: the sysadmin, another role
        ["admin2", "", member.staff_no, "", "系统管理员", "", "", ""],       # 3: sysadmin linked to a member
        ["admin3", "管理员三", "", "", "系统管理员", "", "", ""],                    # 4: fine alone …
        ["admin3", "", "", "", "校党委", "", "", ""],                                # 5: … but not with a business role
        ["Member", "", "", "", "支部书记", org.branch_a2.name, "", ""],             # 6: matches "member"
        ["member", "", "", "", "支部书记", org.branch_a2.name, "", ""],             # 7: the same role twice
    ]
    plan = plan_of(sheet(tmp_path, rows))
    e = {r.row: [(x.column, x.message) for x in r.errors] for r in plan.rows}
    assert e[2] == [("角色", "按三员分立要求，系统管理员账号不能兼任业务角色，请为该人员另建账号")]
    assert e[3] == [("角色", "按三员分立要求，系统管理员使用不关联党员信息的专用账号，请另建一个不关联党员的账号")]
    assert e[4] == [("角色", "按三员分立要求，系统管理员不能兼任业务角色，请为系统管理员另建账号")]
    assert e[5] == []  # the conflict is reported on the 系统管理员 row
    assert e[6] == [] and plan.rows[4].outcome is Outcome.UPDATE and plan.rows[4].key == "member"
    assert e[7] == [("角色", "与第6行重复：同一账号在同一组织的同一角色只写一行")]


def test_no_account_for_a_member_who_died(app, org, tmp_path):
    from dangjian.models import MemberStatus
    gone = make_member(org.branch_b1, "吴故", status=MemberStatus.DECEASED, status_on=date(2025, 3, 1))
    db.session.commit()
    plan = plan_of(sheet(tmp_path, [["wugu", "吴故", gone.staff_no, "", "", "", "", ""]]))
    [row] = plan.rows
    assert [(e.column, e.message) for e in row.errors] == [
        ("工号", f"党员吴故（{gone.staff_no}）已于2025年3月1日去世，不能为其建立或关联账号")]
    assert not plan.ok
