"""Member rosters: the preview finds each error where it is (sheet, Excel row, column), nothing is
written before confirmation, confirmation is all or nothing, and the same file again changes nothing.
Files are built with openpyxl the way rosters really look."""
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select, text

from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, MemberDuesRate, MemberStatus, MemberTransfer, Organization
from dangjian.org import idcard
from dangjian.org.imports import operations
from dangjian.org.imports.plan import Outcome
from dangjian.personal_data import blind_index
from dangjian.timeutil import local_today
from tests.import_support import MEMBER_HEADER, ORG_HEADER, member_row, org_rows, write_xlsx

COL = {h: i for i, h in enumerate(MEMBER_HEADER)}


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def roster(tmp_path, members, orgs=None, name="roster.xlsx", formats=None):
    sheets = {}
    if orgs is not None:
        sheets["组织"] = [ORG_HEADER, *orgs]
    sheets["党员"] = [MEMBER_HEADER, *members]
    return str(write_xlsx(tmp_path / name, sheets, formats))


def plan_of(path, kind="members"):
    plan = operations.prepare(kind, path).plan
    db.session.rollback()
    return plan


def errors_by_row(plan):
    out = {}
    for r in plan.rows:
        for e in r.errors:
            out.setdefault((r.sheet, r.row), []).append((e.column, e.message))
    return out


def confirm(path, user, kind="members", digest=None):
    return operations.confirm(kind, path, user=user, sha256="test", filename="roster.xlsx", expected_digest=digest)


# ---------------------------------------------------------------- the journey, in the planner

def test_three_units_ten_branches_two_hundred_members_five_bad_rows(app, org, tmp_path):
    orgs = [[f"S{s}", f"第{s}学院党委", "二级党委", "", "2001-07-01"] for s in range(1, 4)]
    orgs += [[f"B{b:02d}", f"第{b}党支部", "教职工党支部", f"S{1 + b % 3}", ""] for b in range(1, 11)]
    members = [member_row(n, f"B{1 + n % 10:02d}") for n in range(1, 201)]
    # Five bad rows (Excel rows: the header is row 1, so members[i] is row i + 2).
    members[9][COL["所在支部"]] = "外校党支部"                             # row 11: unknown branch
    members[19][COL["工号"]] = members[18][COL["工号"]]                    # row 21: 工号 twice in the file
    bad = members[29][COL["身份证号"]]
    members[29][COL["身份证号"]] = bad[:-1] + ("1" if bad[-1] != "1" else "2")  # row 31: check digit
    members[39][COL["入党日期"]] = "去年七月"                               # row 41: not a date
    members[49][COL["月缴党费"]] = "四十五元"                               # row 51: dues not a number
    path = roster(tmp_path, members, orgs)

    plan = plan_of(path)

    assert plan.counts == {"new": 13 + 195, "update": 0, "same": 0, "error": 5}
    errors = errors_by_row(plan)
    assert set(errors) == {("党员", 11), ("党员", 21), ("党员", 31), ("党员", 41), ("党员", 51)}
    assert [c for c, _ in errors[("党员", 11)]] == ["所在支部"] and "外校党支部" in errors[("党员", 11)][0][1]
    assert errors[("党员", 21)] == [("工号", "工号「M00019」与「党员」表第20行重复，同一工号只能有一行")]
    assert errors[("党员", 31)][0][0] == "身份证号" and "校验位不正确" in errors[("党员", 31)][0][1]
    assert errors[("党员", 41)][0][0] == "入党日期" and "不是日期" in errors[("党员", 41)][0][1]
    assert errors[("党员", 51)] == [("月缴党费", "月缴党费「四十五元」不是数字，请填写金额，例如 20.50")]
    assert not plan.ok
    assert count(Member, Member.staff_no.like("M%")) == 0 and count(Organization, Organization.code.isnot(None)) == 0

    with pytest.raises(operations.ImportRefused):
        confirm(path, org.org_dept_user)
    assert count(Member, Member.staff_no.like("M%")) == 0 and count(Organization, Organization.code.isnot(None)) == 0


def test_confirm_writes_everything_then_reimport_is_all_unchanged(app, org, tmp_path):
    path = roster(tmp_path, [member_row(n, f"S{1 + n % 2}B1") for n in range(1, 21)], org_rows(2, 1))
    plan = plan_of(path)
    assert plan.ok and plan.counts["new"] == 24

    result = confirm(path, org.org_dept_user, digest=plan.digest())

    assert result.counts["members"]["created"] == 20 and result.counts["organizations"]["created"] == 4
    m = db.session.scalar(select(Member).where(Member.staff_no == "M00003"))
    assert m.branch.name == "第2学院第1党支部" and m.branch.secondary_unit.name == "第2学院党委"
    assert m.branch.path.startswith(org.school.path)
    assert m.id_number_hash == blind_index(m.id_number) and m.phone == "13800000003"
    assert m.monthly_dues == Decimal("45.00") and m.status is MemberStatus.NORMAL
    rates = db.session.scalars(select(MemberDuesRate).where(MemberDuesRate.member_id == m.id)).all()
    assert [(r.effective_from, r.amount) for r in rates] == [(local_today().replace(day=1), Decimal("45.00"))]
    # The raw column holds a Fernet token, not the number.
    raw = db.session.execute(text("SELECT id_number FROM members WHERE id = :i"), {"i": m.id}).scalar()
    assert raw != m.id_number and m.id_number not in raw
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.members").order_by(AuditEvent.id)).all()
    assert len(audit) == 1 and audit[0].user_id == org.org_dept_user.id and '"file_sha256": "test"' in audit[0].detail

    again = plan_of(path)
    assert again.counts == {"new": 0, "update": 0, "same": 24, "error": 0}
    assert not again.has_changes


def test_update_by_staff_no_transfer_and_dues_history(app, org, tmp_path):
    path = roster(tmp_path, [member_row(1, "S1B1"), member_row(2, "S1B1")], org_rows(2, 1))
    confirm(path, org.org_dept_user)
    moved = member_row(1, "S2B1", 月缴党费="60", 联系电话="13900000000")
    path2 = roster(tmp_path, [moved, member_row(2, "S1B1")], name="second.xlsx")

    plan = plan_of(path2)
    assert [r.outcome for r in plan.rows] == [Outcome.UPDATE, Outcome.SAME]
    changes = {c.field: c for c in plan.rows[0].changes}
    assert set(changes) == {"branch", "monthly_dues", "phone"}
    assert changes["phone"].text == "联系电话：138****0001 → 139****0000"  # masked in the preview

    confirm(path2, org.org_dept_user, digest=plan.digest())
    m = db.session.scalar(select(Member).where(Member.staff_no == "M00001"))
    assert m.branch.name == "第2学院第1党支部" and m.monthly_dues == Decimal("60.00") and m.phone == "13900000000"
    transfer = db.session.scalar(select(MemberTransfer).where(MemberTransfer.member_id == m.id))
    assert transfer.from_branch.name == "第1学院第1党支部" and transfer.to_branch_id == m.branch_id
    rates = db.session.scalars(select(MemberDuesRate).where(MemberDuesRate.member_id == m.id)).all()
    assert len(rates) == 1 and rates[0].amount == Decimal("60.00")  # the same month: the rate is corrected


def test_empty_cells_leave_stored_values(app, org, tmp_path):
    confirm(roster(tmp_path, [member_row(1, "S1B1")], org_rows(1, 1)), org.org_dept_user)
    wb_rows = [["工号", "月缴党费"], ["M00001", ""]]
    path = str(write_xlsx(tmp_path / "dues.xlsx", {"党员": wb_rows}))
    plan = plan_of(path)
    assert [r.outcome for r in plan.rows] == [Outcome.SAME]


def test_only_staff_no_and_dues_updates_existing_but_new_rows_need_everything(app, org, tmp_path):
    confirm(roster(tmp_path, [member_row(1, "S1B1")], org_rows(1, 1)), org.org_dept_user)
    path = str(write_xlsx(tmp_path / "dues.xlsx", {"党员": [["工号", "月缴党费"], ["M00001", 50], ["M09999", 30]]}))
    plan = plan_of(path)
    assert plan.rows[0].outcome is Outcome.UPDATE
    messages = [e.message for e in plan.rows[1].errors]
    assert "新增党员须填写姓名（文件中没有这一列）" in messages
    assert any("身份证号" in m for m in messages)


def test_id_number_of_another_member_in_the_database(app, org, tmp_path):
    existing = org.member.member
    row = member_row(1, org.branch_a1.name, 身份证号=idcard.make("610113", date(1970, 5, 5), 21),
                     姓名="新人", 性别="男")
    existing.id_number = row[COL["身份证号"]]
    db.session.commit()
    plan = plan_of(roster(tmp_path, [row]))
    [(column, message)] = errors_by_row(plan)[("党员", 2)]
    assert column == "身份证号" and "另一名党员" in message and existing.staff_no in message


def test_staff_no_of_a_member_in_the_database_is_an_update(app, org, tmp_path):
    member = org.member.member
    row = member_row(1, org.branch_a1.name, 工号=member.staff_no, 姓名=member.name,
                     身份证号=idcard.make("610113", member.birth_date, 31), 性别=member.gender)
    row[COL["入党日期"]] = member.joined_party_on
    plan = plan_of(roster(tmp_path, [row]))
    assert plan.rows[0].outcome is Outcome.UPDATE and plan.rows[0].target_id == member.id
    assert "id_number" in {c.field for c in plan.rows[0].changes}


def test_staff_no_of_someone_else_with_other_name_and_id_is_refused(app, org, tmp_path):
    member = org.member.member
    row = member_row(7, org.branch_a1.name, 工号=member.staff_no)
    plan = plan_of(roster(tmp_path, [row]))
    assert "请核对工号是否填错" in plan.rows[0].errors[0].message


@pytest.mark.parametrize("field,value,needle", [
    ("人员类别", "合同工", "未知的人员类别「合同工」"),
    ("人员类别", "正式党员", "是党员类别"),
    ("党员类别", "积极分子", "未知的党员类别"),
    ("性别", "未知", "未知的性别"),
    ("姓名", "", "新增党员须填写姓名"),
    ("所在支部", "会计学院党委", "不是党支部"),
    ("入党日期", "2005.07", "只有年月"),
    ("入党日期", "2030-01-01", "入党日期不能晚于今天"),
    ("转正日期", "2004-01-01", "转正日期应晚于入党日期"),
    ("联系电话", "12345", "手机号码应为11位数字"),
    ("联系电话", "029-8888", "联系电话格式不正确"),
    ("月缴党费", "-5", "不能为负数"),
])
def test_cell_errors(app, org, tmp_path, field, value, needle):
    row = member_row(3, org.branch_a1.name)
    row[COL[field]] = value
    plan = plan_of(roster(tmp_path, [row]))
    errors = errors_by_row(plan)[("党员", 2)]
    assert any(column == field and needle in message for column, message in errors), errors


def test_id_number_must_match_birth_date_and_gender(app, org, tmp_path):
    row = member_row(3, org.branch_a1.name, born=date(1970, 3, 3), gender="男")
    wrong = MEMBER_HEADER + ["出生日期"]
    path = str(write_xlsx(tmp_path / "r.xlsx", {"党员": [wrong, [*row[:2], "女", *row[3:], "1970-03-04"]]}))
    messages = [m for _, m in errors_by_row(plan_of(path))[("党员", 2)]]
    assert any("出生日期" in m and "不一致" in m for m in messages)
    assert any("性别" in m and "不一致" in m for m in messages)


def test_unrecognised_columns_are_listed_not_dropped_silently(app, org, tmp_path):
    header = [*MEMBER_HEADER, "籍贯", "备注"]
    path = str(write_xlsx(tmp_path / "r.xlsx", {"党员": [header, [*member_row(1, org.branch_a1.name), "陕西", ""]]}))
    plan = plan_of(path)
    assert plan.unknown_columns == [("党员", "L", "籍贯"), ("党员", "M", "备注")]
    assert plan.ok


def test_messy_roster(app, org, tmp_path):
    """A roster as the national system exports it, then edited by hand."""
    header = ["序号", "姓 名", "性别", "公民身份号码", "学号/工号", "所在党组织", "人员类别", "党员类别",
              "入党时间", "转正时间", "手机号码", "月缴党费（元）", "民族"]
    born = date(1975, 6, 1)
    ids = [idcard.make("610113", born, s) for s in (11, 13, 15, 17, 19, 21)]
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["2026年党员花名册"])
    ws.merge_cells("A1:M1")
    ws.append(["填报单位：会计学院党委", None, None, None, None, None, None, None, None, None, "填报日期：2026年1月"])
    ws.append([])
    ws.append(header)
    branch = org.branch_a1.name
    rows = [
        [1, "王　喆", "男", ids[0], 123, branch, "教职工", "正式党员", 38534, "2006.07.01", 13812345678, 45, "汉族"],
        [2, " 李 四 ", "男", ids[1], "000124", f" {branch} ", "教职工", "正式党员", "2005.07.01", "2006-7-1",
         "138 1234 5679", "45.50", "汉族"],
        [],
        [3, "ＺＨＡＮＧ三", "男", ids[2], "ｓ０１２５", branch, "学生", "预备党员", "2005年7月1日", None,
         "１３８１２３４５６８０", "１２", "回族"],
        [4, "赵六", "男", ids[3], "000126", branch, "离退休", "正式", "2005/07/01", "2006/07/01", None, "0", ""],
        [5, "钱七", "男", ids[4], "000127", branch, "教职工", "正式党员", date(2005, 7, 1), "20060701", None, 30, ""],
        [6, "孙八", "男", 6.10113197506e17, "000128", branch, "教职工", "正式党员", "2005-07-01", None, None, 30, ""],
    ]
    for r in rows:
        ws.append(r)
    ws["E5"].number_format = "000000"  # 工号 123 shown as 000123
    wb.save(tmp_path / "messy.xlsx")

    plan = plan_of(str(tmp_path / "messy.xlsx"))

    assert ("Sheet1", "A", "序号") in plan.unknown_columns
    assert any("表头在第4行" in n for n in plan.notes)
    by_row = {r.row: r for r in plan.rows}
    assert sorted(by_row) == [5, 6, 8, 9, 10, 11]  # the empty row 7 is skipped
    assert [e.message for e in by_row[11].errors] == [
        "身份证号被Excel存成了数字（科学计数法），最后几位已丢失，请将该列设为文本格式后重新录入完整号码"]
    assert by_row[11].errors[0].column == "公民身份号码" and by_row[11].errors[0].letter == "D"
    for n in (5, 6, 8, 9, 10):
        assert not by_row[n].errors, (n, [e.message for e in by_row[n].errors])
    v = {n: by_row[n].values for n in (5, 6, 8, 9, 10)}
    assert [v[n]["staff_no"] for n in (5, 6, 8, 9, 10)] == ["000123", "000124", "s0125", "000126", "000127"]
    assert v[5]["name"] == "王喆" and v[6]["name"] == "李四" and v[8]["name"] == "ZHANG三"
    assert all(v[n]["joined_party_on"] == date(2005, 7, 1) for n in v)
    assert all(v[n]["full_member_on"] == date(2006, 7, 1) for n in (5, 6, 9, 10))
    assert v[5]["phone"] == "13812345678" and v[6]["phone"] == "13812345679" and v[8]["phone"] == "13812345680"
    assert v[6]["monthly_dues"] == Decimal("45.50") and v[8]["monthly_dues"] == Decimal("12.00")
    assert v[5]["birth_date"] == born and v[5]["gender"] == "男"  # no 出生日期 column: from the 身份证号
    assert by_row[6].values["branch_target"] is not None


def test_nothing_is_written_when_the_database_conflicts_at_confirm_time(app, org, tmp_path):
    """Another writer takes a 工号 between the last check and the insert: the whole import rolls back,
    the organizations created before the members too."""
    path = roster(tmp_path, [member_row(n, "S1B1") for n in range(1, 6)], org_rows(1, 1))
    engine = db.engine

    def sneak_in(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO MEMBERS") and not getattr(conn, "_sneaked", False):
            conn._sneaked = True
            # The same transaction as the import: as if the row had been committed a moment earlier.
            cursor.execute(*_conflicting_insert(conn, org.branch_a1.id))

    event.listen(engine, "before_cursor_execute", sneak_in)
    try:
        with pytest.raises(operations.ImportRefused, match="冲突"):
            confirm(path, org.org_dept_user)
    finally:
        event.remove(engine, "before_cursor_execute", sneak_in)
    db.session.remove()
    assert count(Member, Member.staff_no.like("M%")) == 0
    assert count(Organization, Organization.code.isnot(None)) == 0
    assert count(AuditEvent, AuditEvent.action == "import.members") == 0


def _conflicting_insert(conn, branch_id):
    param = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = ("INSERT INTO members (name, gender, staff_no, id_number, branch_id, person_category, member_category, "
           "joined_party_on, birth_date, phone, ethnicity, education, post, monthly_dues, status, is_model_worker, "
           "living_difficulty, lives_alone, frail_sick_disabled, difficulty_reason) VALUES "
           f"({', '.join([param] * 20)})")
    return sql, ("抢先者", "男", "M00003", "x", branch_id, "staff", "full", date(2005, 7, 1), date(1970, 1, 1),
                 "", "", "", "", 0, "normal", False, False, False, False, "")


def test_confirm_refuses_when_the_database_changed_since_the_preview(app, org, tmp_path):
    path = roster(tmp_path, [member_row(1, org.branch_a1.name)])
    previewed = plan_of(path)
    m = Member(name="党员1", gender="女", staff_no="M00001", id_number=idcard.make("610113", date(1961, 2, 2), 2),
               branch=org.branch_a1, person_category=previewed.rows[0].values["person_category"],
               member_category=previewed.rows[0].values["member_category"], joined_party_on=date(2005, 7, 1),
               birth_date=date(1961, 2, 2), monthly_dues=Decimal("10"))
    db.session.add(m)
    db.session.commit()
    with pytest.raises(operations.ImportRefused, match="发生了变化") as refused:
        confirm(path, org.org_dept_user, digest=previewed.digest())
    assert refused.value.plan.rows[0].outcome is not Outcome.NEW
    assert count(Member, Member.staff_no == "M00001") == 1


def test_member_in_branch_whose_organization_row_is_bad(app, org, tmp_path):
    orgs = [["S1", "第1学院党委", "二级党委", "", ""], ["S1B1", "第1学院第1党支部", "教工小组", "S1", ""]]
    plan = plan_of(roster(tmp_path, [member_row(1, "S1B1")], orgs))
    errors = errors_by_row(plan)
    assert errors[("组织", 3)][0][0] == "组织类型"
    assert "该行有错误" in errors[("党员", 2)][0][1]


def test_template_example_rows_are_skipped(app, org, client, auth, tmp_path):
    auth.login(org.org_dept_user)
    data = client.get("/org/import/templates/members.xlsx").data
    (tmp_path / "t.xlsx").write_bytes(data)
    plan = plan_of(str(tmp_path / "t.xlsx"))
    assert plan.rows == [] and not plan.ok
    assert "「党员」表第2行是模板中的示例行，未导入。" in plan.notes
