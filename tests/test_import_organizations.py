"""The 「组织」 sheet: secondary units and branches, matched by 组织编码 (or by name without one),
with their parents anywhere in the sheet; what cannot be right is refused before anything is written."""
from datetime import date

from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, BranchType, Organization, OrgKind, UnitType
from dangjian.org.imports import operations
from dangjian.org.imports.plan import Outcome
from tests.import_support import ORG_HEADER, write_xlsx


def sheet(tmp_path, rows, name="orgs.xlsx"):
    return str(write_xlsx(tmp_path / name, {"组织": [ORG_HEADER, *rows]}))


def plan_of(path):
    plan = operations.prepare("organizations", path).plan
    db.session.rollback()
    return plan


def errors(plan):
    return {r.row: [(e.column, e.message) for e in r.errors] for r in plan.rows if r.errors}


def test_all_kinds_with_parents_before_or_after_and_reimport(app, org, tmp_path):
    rows = [
        ["C1B1", "管理学院教工党支部", "教职工党支部", "C1", "2010-09-01"],  # its parent comes later
        ["C1", "管理学院党委", "二级党委", "", "2010.07.01"],
        ["C1B2", "管理学院学生党支部", "学生党支部", "管理学院党委", ""],   # parent by name
        ["G1", "后勤党总支", "党总支", "", ""],
        ["G1B1", "后勤离退休党支部", "离退休党支部", "G1", ""],
        ["O1", "机关党委", "机关党委", "中共测试大学委员会", ""],
        ["D1", "校医院直属党支部", "直属党支部", "", ""],
    ]
    path = sheet(tmp_path, rows)
    plan = plan_of(path)
    assert plan.ok and plan.counts == {"new": 7, "update": 0, "same": 0, "error": 0}
    operations.confirm("organizations", path, user=org.org_dept_user, sha256="s", expected_digest=plan.digest())

    by_code = {o.code: o for o in db.session.scalars(select(Organization).where(Organization.code.isnot(None)))}
    assert by_code["C1"].kind is OrgKind.SECONDARY and by_code["C1"].unit_type is UnitType.COMMITTEE
    assert by_code["G1"].unit_type is UnitType.GENERAL_BRANCH and by_code["O1"].unit_type is UnitType.ORGANS
    assert by_code["C1B1"].parent is by_code["C1"] and by_code["C1B1"].branch_type is BranchType.STAFF
    assert by_code["C1B1"].founded_on == date(2010, 9, 1) and by_code["C1"].founded_on == date(2010, 7, 1)
    assert by_code["C1B2"].branch_type is BranchType.STUDENT and by_code["G1B1"].branch_type is BranchType.RETIRED
    assert by_code["D1"].is_direct_branch and by_code["D1"].type_label == "直属党支部"
    assert by_code["C1B1"].path == f"{org.school.path}{by_code['C1'].id}/{by_code['C1B1'].id}/"
    assert org.school.contains(by_code["C1B1"])
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "import.organizations")) == 1

    assert plan_of(path).counts == {"new": 0, "update": 0, "same": 7, "error": 0}


def test_existing_units_matched_by_name_get_their_code_then_rename_and_move_by_code(app, org, tmp_path):
    path = sheet(tmp_path, [["KJ", "会计学院党委", "二级党委", "", ""],
                            ["KJ01", "会计学院教工第一党支部", "教职工党支部", "KJ", ""]])
    plan = plan_of(path)
    assert [r.outcome for r in plan.rows] == [Outcome.UPDATE, Outcome.UPDATE]
    assert {c.field for c in plan.rows[0].changes} == {"code", "type"}  # no unit_type yet in the fixture
    operations.confirm("organizations", path, user=org.org_dept_user, sha256="s")
    assert org.sec_a.code == "KJ" and org.branch_a1.code == "KJ01"

    path2 = sheet(tmp_path, [["KJ01", "会计学院教工一支部", "教职工党支部", org.sec_b.name, ""]], "second.xlsx")
    plan = plan_of(path2)
    changes = {c.field: c.text for c in plan.rows[0].changes}
    assert changes == {"name": "组织名称：会计学院教工第一党支部 → 会计学院教工一支部",
                       "parent": "上级组织：会计学院党委 → 经济学院党委"}
    operations.confirm("organizations", path2, user=org.org_dept_user, sha256="s")
    db.session.refresh(org.branch_a1)
    assert org.branch_a1.name == "会计学院教工一支部" and org.branch_a1.parent_id == org.sec_b.id
    assert org.branch_a1.path == f"{org.sec_b.path}{org.branch_a1.id}/"


def test_refusals(app, org, tmp_path):
    org.branch_b1.dissolved_on = date(2020, 1, 1)
    db.session.commit()
    rows = [
        ["X1", "新学院党委", "二级党委", "", ""],                             # 2: fine
        ["X1", "另一个学院党委", "二级党委", "", ""],                          # 3: code twice
        ["X2", "新学院党委", "党总支", "", ""],                                # 4: name twice
        ["X3", "无类型支部", "", "X1", ""],                                     # 5: 组织类型 missing
        ["X4", "某支部", "教职工党支部", "", ""],                               # 6: branch without parent
        ["X5", "某支部二", "教职工党支部", "会计学院教工第一党支部", ""],          # 7: parent is a branch
        ["X6", "某支部三", "学生党支部", "不存在的党委", ""],                    # 8: unknown parent
        ["X7", "直属某支部", "直属党支部", "X1", ""],                            # 9: 直属 under a unit
        ["", "经济学院教工党支部", "教职工党支部", "经济学院党委", ""],             # 10: dissolved
        ["", "会计学院党委", "教职工党支部", "经济学院党委", ""],                 # 11: unit → branch
        ["X8", "未来支部", "教职工党支部", "X1", "2999-01-01"],                  # 12: founded in the future
        ["", "党委组织部", "二级党委", "", ""],                                  # 13: not importable
    ]
    plan = plan_of(sheet(tmp_path, rows))
    e = errors(plan)
    assert sorted(e) == list(range(3, 14))
    assert e[3] == [("组织编码", "组织编码「X1」与「组织」表第2行重复")]
    assert e[4] == [("组织名称", "组织名称「新学院党委」与「组织」表第2行重复")]
    assert e[5] == [("组织类型", "请填写组织类型")]
    assert "请填写上级组织" in e[6][0][1]
    assert "党支部的上级应为二级党组织" in e[7][0][1]
    assert "上级组织「不存在的党委」不存在" in e[8][0][1]
    assert "直属党支部的上级应为校党委" in e[9][0][1]
    assert "撤销" in e[10][0][1]
    assert e[11][0][0] == "组织类型" and "不能把二级党组织改为党支部" in e[11][0][1]
    assert e[12] == [("成立日期", "成立日期不能晚于今天")]
    assert "不能通过导入修改" in e[13][0][1]
    assert plan.rows[0].outcome is Outcome.NEW and not plan.ok


def test_unknown_type_lists_the_choices(app, org, tmp_path):
    plan = plan_of(sheet(tmp_path, [["Y", "某单位", "研究所", "", ""]]))
    assert errors(plan)[2] == [("组织类型", "未知的组织类型「研究所」，应为：二级党委、党总支、机关党委、教职工党支部、"
                                       "学生党支部、离退休党支部、直属党支部")]


def test_a_member_sheet_in_an_organizations_import_is_not_imported(app, org, tmp_path):
    path = str(write_xlsx(tmp_path / "x.xlsx", {"组织": [ORG_HEADER, ["Z", "新党委", "二级党委", "", ""]],
                                                  "党员": [["工号", "姓名", "身份证号"], ["1", "某", "x"]]}))
    plan = plan_of(path)
    assert plan.ok and len(plan.rows) == 1
    assert any("党员名单，组织导入不处理它" in n for n in plan.notes)


def test_not_a_workbook(app, org, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    plan = plan_of(str(path))
    assert not plan.ok and "无法读取该文件" in plan.sheet_errors[0].message
