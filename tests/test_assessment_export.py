"""党建考核's year list and its .xlsx export: listed in the organization tree's display order (the order
组织部 set, not the path string), exported with the list's scope and filters, with an audit row,
without the self-evaluation's text, and 404 for whoever cannot read the list."""
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.assessment.grades import AssessmentGrade as G
from dangjian.assessment.models import AssessmentState as S
from dangjian.extensions import db
from dangjian.models import AuditEvent
from tests.factories_assessment import assessment, graded

YEAR = 2025


@pytest.fixture
def year(app, org):
    # 组织部 put 经济学院 before 会计学院, and 本科生党支部 before 教工第一党支部.
    org.sec_b.sort_order, org.sec_a.sort_order = 1, 2
    org.branch_a2.sort_order, org.branch_a1.sort_order = 1, 2
    graded(org.branch_a1, G.EXCELLENT, org.org_dept_user, YEAR)
    graded(org.branch_a2, G.FAIR, org.org_dept_user, YEAR)
    graded(org.sec_a, G.GOOD, org.org_dept_user, YEAR)
    graded(org.sec_b, G.POOR, org.org_dept_user, YEAR)
    assessment(org.branch_b1, org.org_dept_user, YEAR, state=S.SUBMITTED, self_report="支部困难党员张某家庭情况",
               self_score=Decimal("88"))
    assessment(org.direct, org.org_dept_user, YEAR)
    db.session.commit()
    return org


def _rows(resp):
    wb = load_workbook(io.BytesIO(resp.data))
    return [list(r) for r in wb["考核等次"].iter_rows(min_row=3, values_only=True)]


DISPLAY_ORDER = ["经济学院党委", "经济学院教工党支部", "会计学院党委", "会计学院本科生党支部", "会计学院教工第一党支部",
                 "图书馆直属党支部"]


def test_the_year_list_follows_the_tree_display_order(year, auth, client):
    auth.login(year.org_dept_user)
    body = client.get(f"/assessments/{YEAR}").get_data(as_text=True)
    table = body[body.index('id="assessment-table"'):]
    positions = [table.index(name + "</a>") for name in DISPLAY_ORDER]
    assert positions == sorted(positions)


def test_org_dept_exports_every_grade_in_display_order_with_an_audit_row(year, auth, client):
    auth.login(year.org_dept_user)
    resp = client.get(f"/assessments/{YEAR}/export.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    rows = _rows(resp)
    assert [r[0] for r in rows] == DISPLAY_ORDER
    by_name = {r[0]: r for r in rows}
    assert by_name["会计学院教工第一党支部"][2] == "会计学院党委"
    assert by_name["会计学院教工第一党支部"][5:7] == [92.0, "优秀"]
    assert by_name["经济学院党委"][6] == "差"
    # Not graded yet: its own score shows, no grade; the self-evaluation's text never does.
    assert by_name["经济学院教工党支部"][3:7] == ["已提交自评", 88.0, None, None]
    assert by_name["图书馆直属党支部"][2] == "（直属党支部）"
    assert not any("张某" in str(v) for r in rows for v in r)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.exported")).one()
    assert event.user_id == year.org_dept_user.id
    assert json.loads(event.detail)["rows"] == 6


def test_the_export_keeps_the_lists_filters(year, auth, client):
    auth.login(year.supervisor)
    rows = _rows(client.get(f"/assessments/{YEAR}/export.xlsx?grade=excellent"))
    assert [r[0] for r in rows] == ["会计学院教工第一党支部"]
    rows = _rows(client.get(f"/assessments/{YEAR}/export.xlsx?kind=secondary"))
    assert [r[0] for r in rows] == ["经济学院党委", "会计学院党委"]


@pytest.mark.parametrize("who,names", [
    ("secondary", ["会计学院党委", "会计学院本科生党支部", "会计学院教工第一党支部"]),
    ("secretary", ["会计学院教工第一党支部"]),
    ("secondary_b", ["经济学院党委", "经济学院教工党支部"]),
])
def test_a_unit_exports_its_own_subtree_only(year, auth, client, who, names):
    auth.login(getattr(year, who))
    assert [r[0] for r in _rows(client.get(f"/assessments/{YEAR}/export.xlsx"))] == names


@pytest.mark.parametrize("who", ["member", "sysadmin"])
def test_no_export_outside_the_scope(year, auth, client, who):
    auth.login(getattr(year, who))
    assert client.get(f"/assessments/{YEAR}/export.xlsx").status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.exported")) is None


def test_a_unit_filter_outside_the_scope_is_404(year, auth, client):
    auth.login(year.secondary)
    assert client.get(f"/assessments/{YEAR}/export.xlsx?unit={year.sec_b.id}").status_code == 404
    assert client.get(f"/assessments/{YEAR + 1}/export.xlsx").status_code == 404
