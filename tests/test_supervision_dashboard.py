"""监督统计 (§五3, issue 10 §9): over a small world created here, the figures of the dashboard per
organization and year equal what was created (a table); who may open it and its export (scope);
the export holds the same numbers; every view and export is audited."""
import html
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from dangjian import budget
from dangjian.extensions import db
from dangjian.inspection import operations, tasks
from dangjian.inspection.models import InspectionTask
from dangjian.models import AuditEvent, BudgetLineKind, Request, RequestState
from dangjian.request_types.condolence.model import FundingSource
from dangjian.workflow import Action, apply_action
from dangjian.supervision import charts, dashboard
from dangjian.timeutil import local_today
from tests.factories import approve, new_waiver
from tests.factories_condolence import new_condolence, payment_payload, set_budget, setup_settings
from tests.test_inspection_tasks import png

YEAR = local_today().year


def _in_year(req, year):
    """Move a request's submission into `year` (1 July, local noon)."""
    when = datetime(year, 7, 1, 4, 0)
    db.session.execute(update(Request).where(Request.id == req.id).values(submitted_at=when, created_at=when))


@pytest.fixture
def world(org):
    """This year: 党费减免 — 王喆 approved (a1), 张堃 and 周珺玥 (b1) and 吴玥 (direct) waiting, 周珺玥's at her
    branch for 20 days; 慰问金 — 张堃's approved from school funds (1,000 reserved) and paid 800 (办结),
    周珺玥's 500 reserved. Last year: 周珺玥's 党费减免 and a 慰问金 with 300 on last year's budget. A 巡察 of 会计学院党委 this year with one task overdue
    and one signed off, and last year's with one task still open."""
    setup_settings(org)
    set_budget("10000.00", YEAR)
    set_budget("5000.00", YEAR - 1)
    w_approved = new_waiver(org.member)
    for user in (org.secretary, org.secondary, org.school_user):
        approve(w_approved, user)
    new_waiver(org.member2)
    waiting_b = new_waiver(org.member_b)
    new_waiver(org.direct_member)
    c_paid = new_condolence(org.member2, org.secretary, funding=FundingSource.SCHOOL, amount="1000.00")
    for user in (org.secondary, org.org_dept_user, org.school_user):
        approve(c_paid, user)
    apply_action(c_paid, org.secretary, Action.RECORD_PAYMENT, payload=payment_payload(c_paid, paid="800.00",
                                                                                         visit=local_today()))
    c_reserved = new_condolence(org.member_b, org.secretary_b)
    budget.reserve(YEAR, BudgetLineKind.CONDOLENCE, Decimal("500.00"), c_reserved.id, org.org_dept_user.id)
    last_w = new_waiver(org.member_b, start_month=date(YEAR - 1, 1, 1), end_month=date(YEAR - 1, 6, 1))
    last_c = new_condolence(org.member_b, org.secretary_b)
    budget.reserve(YEAR - 1, BudgetLineKind.CONDOLENCE, Decimal("300.00"), last_c.id, org.org_dept_user.id)
    budget.spend(last_c.id, org.org_dept_user.id)
    for req in (last_w, last_c):
        _in_year(req, YEAR - 1)
    # 周珺玥's waiver has waited at her branch for 20 days: past any limit of 5 working days.
    db.session.execute(update(Request).where(Request.id == waiting_b.id).values(
        step_entered_at=datetime.utcnow() - timedelta(days=20)))
    db.session.commit()

    plan = operations.create_plan(org.supervisor, year=YEAR, kind="inspection", title="第一轮巡察",
                                  starts_on=local_today() - timedelta(days=30), ends_on=local_today(),
                                  team="组长：纪检", unit_ids=[org.sec_a.id])
    finding = operations.add_finding(plan, org.supervisor, org_id=org.sec_a.id, text="签收单不全。", severity="major")
    late = operations.add_task(finding, org.supervisor, owner_org_id=org.branch_a1.id, requirement="补齐签收单",
                               deadline=local_today())
    done = operations.add_task(finding, org.supervisor, owner_org_id=org.sec_a.id, requirement="建立台账",
                               deadline=local_today() + timedelta(days=10))
    done = tasks.act(done, org.secondary, "submit", version=done.version, note="已建立。", files=[png()])
    tasks.act(done, org.supervisor, "sign_off", version=done.version)
    db.session.execute(update(InspectionTask).where(InspectionTask.id == late.id)
                       .values(deadline=local_today() - timedelta(days=3)))
    old = operations.create_plan(org.supervisor, year=YEAR - 1, kind="check", title="去年的监督检查",
                                 starts_on=local_today() - timedelta(days=400), ends_on=local_today() - timedelta(days=380),
                                 team="组长：纪检", unit_ids=[org.sec_b.id])
    old_finding = operations.add_finding(old, org.supervisor, org_id=org.sec_b.id, text="记录不全。", severity="minor")
    operations.add_task(old_finding, org.supervisor, owner_org_id=org.sec_b.id, requirement="补齐记录",
                        deadline=local_today() + timedelta(days=30))
    return org


@pytest.fixture
def in_request(app):
    """The modules' figures carry drill-down links (url_for)."""
    with app.test_request_context():
        yield


P, A, C = RequestState.PENDING, RequestState.APPROVED, RequestState.COMPLETED
# (organization, year offset, requests by type and state, paid (school funds), reserved, inspection
#  figures: findings, closed/total, overdue, earlier unfinished)
FIGURES = [
    ("school", 0, {"dues_waiver": {P: 3, A: 1}, "condolence": {P: 1, C: 1}}, "800.00", "500.00", (1, "1/2", 1, 1)),
    ("sec_a", 0, {"dues_waiver": {A: 1, P: 1}, "condolence": {C: 1}}, "800.00", "0.00", (1, "1/2", 1, 0)),
    ("branch_a1", 0, {"dues_waiver": {A: 1, P: 1}, "condolence": {C: 1}}, "800.00", "0.00", (0, "0/1", 1, 0)),
    ("sec_b", 0, {"dues_waiver": {P: 1}, "condolence": {P: 1}}, "0.00", "500.00", (0, "0/0", 0, 1)),
    ("direct", 0, {"dues_waiver": {P: 1}}, "0.00", "0.00", (0, "0/0", 0, 0)),
    ("school", -1, {"dues_waiver": {P: 1}, "condolence": {P: 1}}, "0.00", "0.00", (1, "0/1", 0, 0)),  # 300 spent, never paid
    ("sec_a", -1, {}, "0.00", "0.00", (0, "0/0", 0, 0)),
]


@pytest.mark.parametrize("where,offset,requests,spent,reserved,inspection", FIGURES,
                         ids=[f"{w}-{o}" for w, o, *_ in FIGURES])
def test_the_figures_equal_the_world(app, world, in_request, where, offset, requests, spent, reserved, inspection):
    org = world
    d = dashboard.build(getattr(org, where), YEAR + offset, org.supervisor)
    got = {t.key: t.counts for t in d.types if t.counts}
    assert got == requests
    assert d.total == sum(sum(c.values()) for c in requests.values())
    assert (d.money.school, d.money.unit, d.reserved_total) == (Decimal(spent), 0, Decimal(reserved))
    figures = {f["key"]: f for f in d.figures}
    assert (figures["inspection.findings"]["value"], figures["inspection.tasks_closed"]["value"],
            figures["inspection.tasks_overdue"]["value"], figures["inspection.tasks_earlier"]["value"]) == inspection
    assert figures["inspection.tasks_overdue"]["alert"] == (inspection[2] > 0)
    assert figures["inspection.tasks_earlier"]["alert"] == (inspection[3] > 0)


def test_units_years_and_steps(app, world, in_request):
    org = world
    d = dashboard.build(org.school, YEAR, org.supervisor)
    units = {u.label: (u.requests, u.school, u.unit) for u in d.units}
    assert units == {"会计学院党委": (3, Decimal("800.00"), 0), "经济学院党委": (2, 0, 0), "图书馆直属党支部": (1, 0, 0)}
    assert [(y.year, y.total, y.school, y.unit) for y in d.years] == [
        (YEAR - 4, 0, 0, 0), (YEAR - 3, 0, 0, 0), (YEAR - 2, 0, 0, 0), (YEAR - 1, 2, 0, 0), (YEAR, 6, Decimal("800.00"), 0)]
    assert [(line.kind, line.spent) for line in d.budget] == [(BudgetLineKind.CONDOLENCE, Decimal("800.00"))]
    # 周珺玥's waiver waits past its limit at 经济学院教工党支部: counted in the year it reached that step.
    entered = (datetime.utcnow() - timedelta(days=20)).year
    steps = dashboard.build(org.school, entered, org.supervisor)
    assert steps.steps.totals["overdue"] == 1
    assert {u.label: u.overdue for u in steps.units}["经济学院党委"] == 1
    assert dashboard.build(org.sec_a, entered, org.supervisor).steps.totals["overdue"] == 0
    assert not dashboard.build(org.sec_a, YEAR, org.supervisor).budget  # the school's lines: only for the school


def test_a_secondary_unit_sees_its_own_subtree(app, world, auth, client):
    org = world
    auth.login(org.secondary)
    page = client.get("/supervision/").get_data(as_text=True)
    assert "会计学院党委 · " in page and 'id="fig-requests">3<' in page
    assert client.get(f"/supervision/?org={org.branch_a1.id}").status_code == 200
    for other in (org.sec_b, org.school, org.direct):
        assert client.get(f"/supervision/?org={other.id}").status_code == 404
        assert client.get(f"/supervision/export.xlsx?org={other.id}").status_code == 404
    options = page.split('id="org"')[1].split("</select>")[0]
    assert "经济学院" not in options and "会计学院教工第一党支部" in options
    # 超期统计 is school-wide (纪委, 组织部): no link to a page that would be 404 for the unit.
    assert "/supervision/overdue" not in page and "审批环节当前超期" in page
    assert client.get("/supervision/overdue/").status_code == 404


@pytest.mark.parametrize("who", ["secondary", "supervisor", "org_dept_user"])
def test_every_link_of_the_dashboard_opens_for_its_reader(app, world, auth, client, who):
    """No drill-down leads to a page the reader may not open (超期统计 is 纪委's and 组织部's: a
    二级党组织 sees the figure without the link)."""
    auth.login(getattr(world, who))
    page = client.get("/supervision/").get_data(as_text=True)
    main = page.split('id="main"')[1].split("</main>")[0]
    links = {html.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', main)} - {"/supervision/export.xlsx"}
    assert links
    for link in links:
        assert client.get(link).status_code == 200, link
    assert ("/supervision/overdue/" in main) == (who != "secondary")


@pytest.mark.parametrize("who,status", [
    ("supervisor", 200), ("org_dept_user", 200), ("secondary", 200), ("school_user", 404), ("secretary", 404),
    ("member", 404), ("sysadmin", 404),
])
def test_who_opens_the_dashboard_and_its_export(app, org, auth, client, who, status):
    auth.login(getattr(org, who))
    assert client.get("/supervision/").status_code == status
    assert client.get("/supervision/export.xlsx").status_code == status
    assert ("监督统计" in client.get("/manage").get_data(as_text=True)) == (status == 200)


def test_the_page_shows_the_figures_charts_and_links(app, world, auth, client):
    org = world
    auth.login(org.supervisor)
    page = client.get(f"/supervision/?org={org.school.id}&year={YEAR}").get_data(as_text=True)
    assert 'id="fig-requests">6<' in page and 'id="fig-spent">¥800.00<' in page
    assert 'id="types-total">6<' in page
    assert '<svg class="dj-chart" id="chart-units"' in page and '<svg class="dj-chart" id="chart-years"' in page
    assert "会计学院党委：3；经济学院党委：2；图书馆直属党支部：1" in page  # the bars' <desc>
    assert "整改任务逾期未完成" in page and "dj-figure dj-figure-alert" in page
    assert f"/requests/search?org={org.school.id}" in page  # 纪委 drills down into 申请查询
    assert "/inspection/tasks?" in page
    assert f"/supervision/overdue/?org={org.school.id}" in page
    # A year of nothing still renders, with empty states.
    empty = client.get(f"/supervision/?year={YEAR - 3}").get_data(as_text=True)
    assert f"{YEAR - 3}年没有提交的申请" in empty
    assert client.get("/supervision/?year=abc").status_code == 200  # an unreadable year: this year
    assert client.get("/supervision/?org=999999").status_code == 404


def test_the_export_holds_the_same_numbers_and_is_audited(app, world, auth, client):
    org = world
    auth.login(org.supervisor)
    client.get(f"/supervision/?org={org.sec_a.id}")
    resp = client.get(f"/supervision/export.xlsx?org={org.school.id}&year={YEAR}")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["申请情况", "经费支出", "年度预算", "审批环节超期", "各单位", "近五年", "其他监督指标", "说明"]
    requests = list(wb["申请情况"].iter_rows(values_only=True))
    assert requests[1][0] == "申请类型" and requests[-1][0] == "合计" and requests[-1][-1] == 6
    money = list(wb["经费支出"].iter_rows(values_only=True))
    assert money[-1] == ("合计", 800, 0, 800, 500)
    units = {r[0]: r[1] for r in wb["各单位"].iter_rows(min_row=3, values_only=True)}
    assert units == {"会计学院党委": 3, "经济学院党委": 2, "图书馆直属党支部": 1}
    figures = {r[0]: (r[1], r[2]) for r in wb["其他监督指标"].iter_rows(min_row=3, values_only=True)}
    assert figures["整改任务逾期未完成"] == (1, "需关注")
    assert all(org.member.member.name not in str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row)
    audit = db.session.execute(select(AuditEvent.action, AuditEvent.object_id).where(
        AuditEvent.action.like("supervision.%")).order_by(AuditEvent.id)).all()
    assert audit == [("supervision.dashboard.viewed", org.sec_a.id), ("supervision.dashboard.exported", org.school.id)]


def test_the_charts_say_their_numbers():
    bars = charts.bar_chart("c", "各单位申请数（件）", [("会计学院党委", 3), ("经济学院党委", 0)])
    assert 'role="img"' in bars and "<title id=\"c-title\">各单位申请数（件）</title>" in bars
    assert "<desc id=\"c-desc\">会计学院党委：3；经济学院党委：0</desc>" in bars
    assert bars.count('fill="#c8161d"') == 1  # no bar drawn for a zero
    line = charts.line_chart("l", "近五年", ["2025", "2026"], [("党费减免", [1, 4]), ("慰问金", [0, 2])])
    assert "党费减免：2025 1，2026 4；慰问金：2025 0，2026 2" in line and line.count("<polyline") == 2
    assert charts.nice_ceiling(0) == 1 and charts.nice_ceiling(7) == 10 and charts.nice_ceiling(230) == 250
    assert "<script" not in charts.bar_chart("x", "<script>", [("<b>", 1)])
