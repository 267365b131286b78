"""党籍状态 in a roster obeys the member page's rule (org.operations.check_status_change): 去世 and
出党 are final, 恢复 only from 停止党籍, a change carries a date no earlier than the last one. A
refused row is an error in the preview, on its cell, and nothing of the file is written."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, MemberStatus
from dangjian.org import operations as org_operations
from dangjian.org.imports import operations
from dangjian.org.imports.plan import Outcome
from dangjian.timeutil import local_today
from tests.import_support import write_xlsx

HEADER = ["工号", "姓名", "党籍状态", "党籍状态日期", "月缴党费"]


def roster(tmp_path, *rows):
    return str(write_xlsx(tmp_path / "status.xlsx", {"党员": [HEADER, *rows]}))


def plan_of(path):
    plan = operations.prepare("members", path).plan
    db.session.rollback()
    return plan


def errors(plan, row):
    [planned] = [r for r in plan.rows if r.row == row]
    return [(e.column, e.message) for e in planned.errors]


def _set_status(org, member, status, on, note="支部决定〔2024〕1号"):
    org_operations.change_status(org.org_dept_user, member, status, on, note=note)


@pytest.mark.parametrize("current,to,message", [
    (MemberStatus.DECEASED, "正常", "该党员已去世，党籍状态不能再变更"),
    (MemberStatus.DECEASED, "停止党籍", "该党员已去世，党籍状态不能再变更"),
    (MemberStatus.EXPELLED, "正常", "党籍状态为「出党」的党员不能变更为「正常」"),
    (MemberStatus.EXPELLED, "停止党籍", "党籍状态为「出党」的党员不能变更为「停止党籍」"),
])
def test_a_final_status_is_refused_per_row_and_nothing_of_the_file_is_written(app, org, tmp_path, current, to,
                                                                             message):
    member, other = org.member.member, org.member2.member
    _set_status(org, member, current, date(2024, 3, 1))
    dues_before = other.monthly_dues
    path = roster(tmp_path,
                  [other.staff_no, other.name, "", "", "88.00"],  # a good row: not written either
                  [member.staff_no, member.name, to, local_today().isoformat(), ""])

    plan = plan_of(path)

    assert plan.rows[0].outcome is Outcome.UPDATE
    assert errors(plan, 3) == [("党籍状态", message)]
    assert not plan.ok
    with pytest.raises(operations.ImportRefused):
        operations.confirm("members", path, user=org.org_dept_user, sha256="t", filename="status.xlsx")
    db.session.expire_all()
    assert db.session.get(Member, member.id).status is current
    assert db.session.get(Member, other.id).monthly_dues == dues_before != Decimal("88.00")


def test_a_change_needs_its_date_no_earlier_than_the_last_change(app, org, tmp_path):
    suspended, normal = org.member.member, org.member2.member
    _set_status(org, suspended, MemberStatus.SUSPENDED, date(2024, 3, 1))
    path = roster(tmp_path,
                  [suspended.staff_no, suspended.name, "正常", "2024-02-01", ""],
                  [normal.staff_no, normal.name, "出党", "", ""],
                  [normal.staff_no + "X", "新党员", "去世", "", ""])

    plan = plan_of(path)

    assert errors(plan, 2) == [("党籍状态日期", "党籍状态日期不能早于上一次状态变更（2024年3月1日）")]
    assert errors(plan, 3) == [("党籍状态日期", "请填写党籍状态日期")]
    assert ("党籍状态日期", "请填写党籍状态日期") in errors(plan, 4)


def test_allowed_changes_are_written_with_the_member_pages_history(app, org, client, auth, tmp_path):
    suspended, normal = org.member.member, org.member2.member
    _set_status(org, suspended, MemberStatus.SUSPENDED, date(2024, 3, 1))
    day = local_today() - timedelta(days=3)
    path = roster(tmp_path,
                  [suspended.staff_no, suspended.name, "正常", "2024-09-01", ""],
                  [normal.staff_no, normal.name, "去世", day.isoformat(), ""])
    plan = plan_of(path)
    assert plan.ok, [r.errors for r in plan.rows]

    operations.confirm("members", path, user=org.org_dept_user, sha256="t", filename="status.xlsx",
                       expected_digest=plan.digest())

    db.session.expire_all()
    assert db.session.get(Member, suspended.id).status is MemberStatus.NORMAL
    assert db.session.get(Member, normal.id).status is MemberStatus.DECEASED
    assert db.session.get(Member, normal.id).status_on == day
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.status_changed",
                                                       AuditEvent.object_id == normal.id)).all()
    assert len(rows) == 1 and '"note": "Excel导入"' in rows[0].detail
    # The member page's 党籍状态 history shows the import's change, as one made on the page.
    auth.login(org.org_dept_user)
    page = client.get(f"/org/members/{normal.id}").get_data(as_text=True)
    assert "Excel导入" in page


def test_the_preview_page_shows_the_refusal_on_its_row(app, org, client, auth, tmp_path):
    member = org.member.member
    _set_status(org, member, MemberStatus.DECEASED, date(2024, 3, 1))
    path = roster(tmp_path, [member.staff_no, member.name, "正常", local_today().isoformat(), ""])
    auth.login(org.org_dept_user)
    with open(path, "rb") as f:
        resp = client.post("/org/import/upload", data={"kind": "members", "file": (f, "名册.xlsx")},
                           content_type="multipart/form-data")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "该党员已去世，党籍状态不能再变更" in html
    assert 'data-outcome="error"' in html and "确认导入</button>" not in html
