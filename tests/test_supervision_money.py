"""The money on 纪委's 监督统计 (§四, issue 10 §9): per line, what the school's funds and the units' own
funds paid in the year, side by side and in total — in the tiles, the bars, the tables and the
export — and the same figures as 党务公开's 党费收缴和使用情况 for the same scope and year."""
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian import unit_funds
from dangjian.extensions import db
from dangjian.models import BudgetLineKind, Payment, UnitFundEntry, UnitFundKind
from dangjian.openness import dues
from dangjian.request_types.condolence.model import FundingSource
from dangjian.supervision import dashboard
from dangjian.timeutil import local_today
from dangjian.workflow import Action, apply_action
from tests.factories import approve
from tests.factories_condolence import new_condolence, payment_payload, set_budget, setup_settings
from tests.test_payments import approved_batch, paid_payload
from tests.test_supervision_dashboard import in_request  # noqa: F401  (fixture)

TODAY = local_today()
YEAR = TODAY.year
D = Decimal


def paid_condolence(member_user, secretary, approvers, funding, paid):
    req = new_condolence(member_user, secretary, funding=funding, amount="1000.00")
    for user in approvers:
        approve(req, user)
    apply_action(req, secretary, Action.RECORD_PAYMENT, payload=payment_payload(req, paid=paid, visit=TODAY))
    return req


def ledger(org_unit, user, kind, line, amount, summary, on=TODAY):
    return unit_funds.add_entry(org_unit, user, kind=kind, line_kind=line, amount=D(amount), occurred_on=on,
                                summary=summary)


@pytest.fixture
def world(app, org):
    """This year: 慰问金 — 张堃 (会计学院教工第一党支部) 800 from school funds, 王喆 600 from 会计学院党委's
    own funds (posted to its ledger by itself), 周珺玥 (经济学院教工党支部) 500 from 经济学院党委's funds;
    会计学院党委's 书记补贴 batch paid by the school; 会计学院党委's ledger: 表彰奖励 1,500, 其他 860, an
    income of 20,000 and a voided 200 (neither counted); last year: 经济学院党委 spent 300 on 慰问金."""
    setup_settings(org)
    set_budget("10000.00", YEAR)
    paid_condolence(org.member2, org.secretary, (org.secondary, org.org_dept_user, org.school_user),
                    FundingSource.SCHOOL, "800.00")
    paid_condolence(org.member, org.secretary, (org.secondary,), FundingSource.UNIT, "600.00")
    paid_condolence(org.member_b, org.secretary_b, (org.secondary_b,), FundingSource.UNIT, "500.00")
    batch = approved_batch(org)
    apply_action(batch, org.org_dept2, Action.RECORD_PAID, payload=paid_payload())
    E, I = UnitFundKind.EXPENSE, UnitFundKind.INCOME
    ledger(org.sec_a, org.secondary, E, BudgetLineKind.AWARD, "1500.00", "学院优秀党员表彰奖励（3人）")
    ledger(org.sec_a, org.secondary, E, None, "860.00", "支部书记培训资料费")
    ledger(org.sec_a, org.secondary, I, None, "20000.00", "学校下拨党建活动经费")
    wrong = ledger(org.sec_a, org.secondary, E, BudgetLineKind.CONDOLENCE, "200.00", "登记有误")
    unit_funds.void_entry(wrong.id, org.secondary, "重复登记")
    ledger(org.sec_b, org.secondary_b, E, BudgetLineKind.CONDOLENCE, "300.00", "春节走访慰问",
           on=date(YEAR - 1, 12, 20))
    org.allowance = db.session.scalar(select(Payment.amount))
    return org


# (organization, year offset, {line: (school, unit)})
EXPECTED = [
    ("school", 0, {"condolence": ("800.00", "1100.00"), "allowance": ("ALLOWANCE", "0"), "award": ("0", "1500.00"),
                   "other": ("0", "860.00")}),
    ("sec_a", 0, {"condolence": ("800.00", "600.00"), "allowance": ("ALLOWANCE", "0"), "award": ("0", "1500.00"),
                  "other": ("0", "860.00")}),
    ("branch_a1", 0, {"condolence": ("800.00", "600.00"), "allowance": ("0", "0"), "award": ("0", "0"),
                      "other": ("0", "0")}),  # the unit's own ledger belongs to 会计学院党委, not to a branch
    ("sec_b", 0, {"condolence": ("0", "500.00"), "allowance": ("0", "0"), "award": ("0", "0"), "other": ("0", "0")}),
    ("sec_b", -1, {"condolence": ("0", "300.00"), "allowance": ("0", "0"), "award": ("0", "0"), "other": ("0", "0")}),
    ("direct", 0, {"condolence": ("0", "0"), "allowance": ("0", "0"), "award": ("0", "0"), "other": ("0", "0")}),
]


@pytest.mark.parametrize("where,offset,lines", EXPECTED, ids=[f"{w}{o or ''}" for w, o, _ in EXPECTED])
def test_the_dashboard_shows_school_and_unit_funds_per_line_and_agrees_with_openness(world, in_request, where, offset,
                                                                                   lines):
    org = world
    scope, year = getattr(org, where), YEAR + offset
    d = dashboard.build(scope, year, org.supervisor)

    def amount(text):
        return org.allowance if text == "ALLOWANCE" else D(text)
    got = {row.key: (row.school, row.unit) for row in d.money.lines}
    assert got == {line: (amount(s), amount(u)) for line, (s, u) in lines.items()}
    assert d.money.total == d.money.school + d.money.unit == sum((r.total for r in d.money.lines), D(0))
    # 党务公开's 党费收缴和使用情况 for the same scope and year: the same money, line by line and source by source.
    care = dues.care_spending(scope, year)
    for row in d.money.lines:
        assert sum((c["amount"] for c in care if c["line"] == row.key and c["source"] == "school"), D(0)) == row.school
        assert sum((c["amount"] for c in care if c["line"] == row.key and c["source"] == "unit"), D(0)) == row.unit
    fig = dues.figures(scope, year)
    assert D(fig["care_total"]) == d.money.total


def test_units_and_years_split_the_money_too(world, in_request):
    org = world
    d = dashboard.build(org.school, YEAR, org.supervisor)
    units = {u.label: (u.school, u.unit, u.spent) for u in d.units}
    assert units == {"会计学院党委": (D("800.00") + org.allowance, D("2960.00"), D("3760.00") + org.allowance),
                     "经济学院党委": (0, D("500.00"), D("500.00")), "图书馆直属党支部": (0, 0, 0)}
    years = {y.year: (y.school, y.unit) for y in d.years}
    assert years[YEAR] == (d.money.school, d.money.unit) and years[YEAR - 1] == (0, D("300.00"))


def test_the_page_and_the_export_show_both_sources(world, auth, client):
    org = world
    auth.login(org.supervisor)
    page = client.get(f"/supervision/?org={org.sec_a.id}&year={YEAR}").get_data(as_text=True)
    school = D("800.00") + org.allowance
    from dangjian.money import format_yuan
    assert f'id="fig-school">{format_yuan(school)}<' in page and 'id="fig-unit">¥2,960.00<' in page
    assert f'id="fig-spent">{format_yuan(school + D("2960.00"))}<' in page
    table = page.split('id="money-table"')[1].split("</table>")[0]
    assert "其他" in table and "¥1,500.00" in table and "¥860.00" in table
    page = client.get(f"/supervision/?org={org.school.id}&year={YEAR}").get_data(as_text=True)
    bars = page.split('id="chart-units-money"')[1].split("</svg>")[0]
    assert f"会计学院党委：校级 {format_yuan(school)}，自有 ¥2,960.00；经济学院党委：校级 ¥0.00，自有 ¥500.00" in bars

    wb = load_workbook(io.BytesIO(client.get(f"/supervision/export.xlsx?org={org.sec_a.id}&year={YEAR}").data))
    rows = {r[0]: r[1:] for r in wb["经费支出"].iter_rows(min_row=3, values_only=True)}
    assert rows["慰问金"][:3] == (800, 600, 1400)
    assert rows["表彰奖励"][:3] == (0, 1500, 1500) and rows["其他"] == (0, 860, 860, None)
    assert rows["合计"][:3] == (float(school), 2960, float(school) + 2960)
    units = {r[0]: r[2:5] for r in wb["各单位"].iter_rows(min_row=3, values_only=True)}
    assert units["会计学院教工第一党支部"] == (800, 600, 1400)
    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    assert "党费收缴和使用情况" in about["经费"]


def test_a_supervisor_cannot_take_unpaid_school_money_or_the_units_own_funds_for_the_schools(app, org, auth, client):
    """The demo's reading: school-funded 慰问金 approved but not yet handed over, and only the units' own
    funds paid. Whole school: 校级 ¥0.00 says what is still to pay beside it, and the units' own money is
    named as theirs — 「本单位经费」 read at the school's scope would be the school's."""
    setup_settings(org)
    set_budget("10000.00", YEAR)
    req = new_condolence(org.member2, org.secretary, funding=FundingSource.SCHOOL, amount="1000.00")
    for user in (org.secondary, org.org_dept_user, org.school_user):
        approve(req, user)  # approved: reserved on the school's budget, not paid
    paid_condolence(org.member, org.secretary, (org.secondary,), FundingSource.UNIT, "600.00")
    auth.login(org.supervisor)
    page = client.get(f"/supervision/?org={org.school.id}&year={YEAR}").get_data(as_text=True)
    tiles = page.split('id="figures"')[1].split("</ul>")[0]
    assert 'id="fig-school">¥0.00<' in tiles and 'id="fig-unit">¥600.00<' in tiles
    assert 'id="fig-school-reserved">已批准待发放 ¥1,000.00<' in tiles
    assert "二级党组织自有经费支出" in tiles and "校级与自有经费支出合计" in tiles
    assert "本单位经费" not in tiles
    table = page.split('id="money-table"')[1].split("</table>")[0]
    assert "二级党组织自有经费" in table and ">本单位经费<" not in table
    # Nothing reserved: no line about it.
    page = client.get(f"/supervision/?org={org.sec_b.id}&year={YEAR}").get_data(as_text=True)
    assert 'id="fig-school-reserved"' not in page
    wb = load_workbook(io.BytesIO(client.get(f"/supervision/export.xlsx?org={org.school.id}&year={YEAR}").data))
    headers = next(wb["经费支出"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert headers[:3] == ("经费项目", "校级经费（元）", "二级党组织自有经费（元）")


def test_the_published_dues_figures_list_the_units_own_spending(world):
    org = world
    care = {row["label"]: (row["count"], row["unit"], row["amount"]) for row in dues.care_spending(org.sec_a, YEAR)}
    assert care["慰问金（校级专项经费）"] == (1, "人次", D("800.00"))
    assert care["慰问金（本单位经费）"] == (1, "人次", D("600.00"))
    assert care["二级党组织自有经费：表彰奖励"] == (1, "笔", D("1500.00"))
    assert care["二级党组织自有经费：其他"] == (1, "笔", D("860.00"))
    assert "二级党组织自有经费：慰问金" not in care  # the voided entry is not spending; 王喆's is counted once, above
    assert db.session.scalar(select(UnitFundEntry.id).where(UnitFundEntry.request_id.is_not(None))) is not None
