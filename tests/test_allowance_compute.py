"""兼职支部书记补贴 (§三(一)3): who is eligible and how much, to the fen.

"对兼职教职工党支部书记，经考核合格，每个支部按照全年3000元的标准…" — a 教职工党支部, a 兼职
secretary, a 党建考核 grade of 一般 or better (考核合格); at most 3000 yuan a branch-year, prorated by the months
the branch existed, split by the months each secretary served (a month belongs to whoever was in
office on its 15th).
"""
from datetime import date
from decimal import Decimal

import pytest

from dangjian.models import BranchType, Member, Organization, OrgKind
from dangjian.request_types.secretary_allowance.compute import (
    default_items, existed_months, months_label, plan_branch, plan_unit, prorate, split_fen)
from dangjian.assessment.grades import AssessmentGrade
from dangjian.assessment.models import Assessment
from dangjian.request_types.secretary_allowance.model import BranchSecretaryTerm
from tests.factories_allowance import YEAR, allowance_world, new_batch, record_grade

D = Decimal


def branch(btype=BranchType.STAFF, founded=None, dissolved=None, name="测试教工党支部"):
    return Organization(name=name, kind=OrgKind.BRANCH, branch_type=btype, founded_on=founded, dissolved_on=dissolved)


def person(name):
    return Member(name=name)


def term(member, start, end=None, part_time=True):
    return BranchSecretaryTerm(member=member, member_id=id(member), start_on=start, end_on=end, part_time=part_time)


def graded(grade=AssessmentGrade.FAIR):
    return Assessment(grade=grade, year=YEAR)


def lines(plan):
    return [(ln.member.name, ln.months, ln.amount) for ln in plan.lines]


# --- money ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("total,weights,parts", [
    ("3000.00", [5, 7], ["1250.00", "1750.00"]),
    ("100.00", [1, 1, 1], ["33.33", "33.33", "33.34"]),
    ("1000.00", [5, 7], ["416.66", "583.34"]),
    ("0.05", [1, 1, 1, 1, 1], ["0.01", "0.01", "0.01", "0.01", "0.01"]),
    ("0.03", [1, 1, 1, 1, 1], ["0.00", "0.00", "0.00", "0.00", "0.03"]),
    ("2250.00", [1, 1, 1, 1, 1], ["450.00", "450.00", "450.00", "450.00", "450.00"]),
])
def test_split_is_exact_to_the_fen_with_the_remainder_on_the_last_part(total, weights, parts):
    got = split_fen(D(total), weights)
    assert got == [D(p) for p in parts]
    assert sum(got) == D(total)


def test_prorate_is_250_yuan_a_month_at_the_standard():
    assert [prorate(D("3000.00"), m) for m in (0, 1, 5, 7, 9, 12)] == \
        [D("0.00"), D("250.00"), D("1250.00"), D("1750.00"), D("2250.00"), D("3000.00")]
    assert prorate(D("1000.00"), 7) == D("583.33")  # half-up to the fen


def test_default_breakdown_is_even_and_adds_up():
    assert default_items(D("3000.00")) == dict.fromkeys(("phone", "transport", "materials", "post", "reward"),
                                                        D("600.00"))
    items = default_items(D("416.66"))
    assert list(items.values()) == [D("83.33")] * 4 + [D("83.34")] and sum(items.values()) == D("416.66")


@pytest.mark.parametrize("months,label", [([], "无"), ([6], "6月"), (list(range(1, 13)), "1–12月"),
                                          ([1, 2, 3, 7, 8], "1–3、7–8月"), ([1, 3, 5], "1、3、5月")])
def test_months_label(months, label):
    assert months_label(months) == label


# --- the months a branch existed -------------------------------------------------------------------

@pytest.mark.parametrize("founded,dissolved,months", [
    (None, None, list(range(1, 13))),
    (date(2010, 9, 1), None, list(range(1, 13))),
    (date(YEAR, 4, 1), None, list(range(4, 13))),  # founded in April: Apr–Dec
    (date(YEAR, 4, 15), None, list(range(4, 13))),  # on the 15th: April counts
    (date(YEAR, 4, 16), None, list(range(5, 13))),  # after the 15th: from May
    (None, date(YEAR, 7, 1), list(range(1, 7))),  # dissolved 1 July: Jan–Jun
    (None, date(YEAR, 7, 15), list(range(1, 7))),  # gone on 15 July: July does not count
    (None, date(YEAR, 7, 16), list(range(1, 8))),  # still there on 15 July: July counts
    (date(YEAR, 3, 1), date(YEAR, 9, 1), list(range(3, 9))),
    (date(YEAR + 1, 1, 1), None, []),
    (None, date(YEAR, 1, 10), []),
])
def test_months_existed(founded, dissolved, months):
    assert existed_months(branch(founded=founded, dissolved=dissolved), YEAR) == months


# --- eligibility and amounts ------------------------------------------------------------------------

def test_a_part_time_secretary_all_year_gets_3000():
    li = person("李明华")
    plan = plan_branch(branch(), YEAR, [term(li, date(2019, 9, 1))], graded(AssessmentGrade.EXCELLENT))
    assert plan.eligible and plan.reason == ""
    assert lines(plan) == [("李明华", list(range(1, 13)), D("3000.00"))]
    assert plan.total == plan.cap == D("3000.00")
    assert plan.lines[0].items == dict.fromkeys(("phone", "transport", "materials", "post", "reward"), D("600.00"))


def test_a_secretary_who_changed_in_june_splits_jan_may_and_jun_dec():
    old, new = person("徐玉珍"), person("陈建国")
    terms = [term(old, date(2018, 3, 1), date(YEAR, 5, 31)), term(new, date(YEAR, 6, 1))]
    plan = plan_branch(branch(), YEAR, terms, graded())
    assert plan.eligible
    assert lines(plan) == [("徐玉珍", [1, 2, 3, 4, 5], D("1250.00")), ("陈建国", list(range(6, 13)), D("1750.00"))]
    assert plan.total == D("3000.00")
    assert [ln.items["reward"] for ln in plan.lines] == [D("250.00"), D("350.00")]
    for ln in plan.lines:
        assert sum(ln.items.values()) == ln.amount


@pytest.mark.parametrize("change_on,old_months", [
    (date(YEAR, 6, 10), 5),  # the new secretary holds office on 15 June: June is theirs
    (date(YEAR, 6, 15), 5),
    (date(YEAR, 6, 16), 6),  # the old one was still in office on 15 June: June is theirs
])
def test_a_mid_month_change_gives_the_month_to_whoever_held_office_on_the_15th(change_on, old_months):
    old, new = person("甲"), person("乙")
    terms = [term(old, date(2018, 1, 1), date.fromordinal(change_on.toordinal() - 1)), term(new, change_on)]
    plan = plan_branch(branch(), YEAR, terms, graded())
    assert [len(ln.months) for ln in plan.lines] == [old_months, 12 - old_months]
    assert [ln.amount for ln in plan.lines] == [D(250 * old_months), D(250 * (12 - old_months))]


def test_a_branch_founded_in_april_is_prorated_to_nine_months():
    m = person("刘晓燕")
    plan = plan_branch(branch(founded=date(YEAR, 4, 1)), YEAR, [term(m, date(YEAR, 4, 1))], graded())
    assert plan.existed == list(range(4, 13)) and plan.cap == D("2250.00")
    assert lines(plan) == [("刘晓燕", list(range(4, 13)), D("2250.00"))]


def test_a_branch_dissolved_in_july_is_prorated_to_six_months():
    m = person("周军")
    plan = plan_branch(branch(dissolved=date(YEAR, 7, 1)), YEAR, [term(m, date(2015, 1, 1))], graded())
    assert lines(plan) == [("周军", [1, 2, 3, 4, 5, 6], D("1500.00"))]
    assert plan.cap == D("1500.00")


def test_months_with_a_full_time_secretary_or_none_earn_nothing():
    a, b = person("甲"), person("乙")
    terms = [term(a, date(2018, 1, 1), date(YEAR, 3, 31)),  # 兼职 Jan–Mar
             term(b, date(YEAR, 7, 1), part_time=False)]  # 专职 from July; Apr–Jun vacant
    plan = plan_branch(branch(), YEAR, terms, graded())
    assert plan.eligible
    assert lines(plan) == [("甲", [1, 2, 3], D("750.00"))]
    assert plan.cap == D("3000.00")  # the branch existed all year
    assert plan.unpaid_note == "7–12月为专职书记，4–6月无书记，不计补贴"


@pytest.mark.parametrize("grade", [AssessmentGrade.EXCELLENT, AssessmentGrade.GOOD, AssessmentGrade.FAIR])
def test_fair_or_better_is_eligible(grade):
    """"经考核合格": 一般 is the lowest passing grade (it still brings 约谈 and 整改)."""
    plan = plan_branch(branch(), YEAR, [term(person("甲"), date(2018, 1, 1))], graded(grade))
    assert plan.eligible and plan.total == D("3000.00")


@pytest.mark.parametrize("make,reason", [
    (lambda: plan_branch(branch(BranchType.STUDENT), YEAR, [term(person("甲"), date(2018, 1, 1))], graded()),
     "学生党支部，不属于教职工党支部"),
    (lambda: plan_branch(branch(BranchType.RETIRED), YEAR, [term(person("甲"), date(2018, 1, 1))], graded()),
     "离退休党支部，不属于教职工党支部"),
    (lambda: plan_branch(branch(), YEAR, [term(person("甲"), date(2018, 1, 1))], graded(AssessmentGrade.POOR)),
     f"{YEAR}年度党建考核等次为「差」，须为「一般」及以上（考核合格）"),
    (lambda: plan_branch(branch(), YEAR, [term(person("甲"), date(2018, 1, 1))], None),
     f"尚无{YEAR}年度党建考核等次（组织部评定后方可申报）"),
    (lambda: plan_branch(branch(), YEAR, [term(person("王专职"), date(2018, 1, 1), part_time=False)], graded()),
     "支部书记王专职为专职，不属于兼职支部书记补贴范围"),
    (lambda: plan_branch(branch(), YEAR, [], graded()), f"{YEAR}年无支部书记任职记录"),
    (lambda: plan_branch(branch(), YEAR, [term(person("甲"), date(2018, 1, 1), date(YEAR - 1, 12, 31))], graded()),
     f"{YEAR}年无支部书记任职记录"),
    (lambda: plan_branch(branch(founded=date(YEAR + 1, 3, 1)), YEAR, [], graded()),
     f"{YEAR}年未存续（成立于{YEAR + 1}-03-01）"),
    (lambda: plan_branch(branch(dissolved=date(YEAR, 1, 1)), YEAR, [term(person("甲"), date(2018, 1, 1))], graded()),
     f"{YEAR}年未存续（撤销于{YEAR}-01-01）"),
    (lambda: plan_branch(branch(), YEAR, [term(person("甲"), date(2018, 1, 1))], graded(), claimed_by="SB-2026-0003"),
     f"{YEAR}年度补贴已在 SB-2026-0003 中申报，同一支部每年只能享受一次"),
], ids=["student", "retired", "poor", "no-assessment", "full-time", "no-secretary", "term-ended-before",
        "founded-later", "dissolved-at-new-year", "claimed"])
def test_ineligible_branches_say_why(make, reason):
    plan = make()
    assert not plan.eligible and plan.lines == []
    assert reason in plan.reason


def test_every_reason_is_given_not_just_the_first():
    plan = plan_branch(branch(), YEAR, [term(person("王专职"), date(2018, 1, 1), part_time=False)],
                       graded(AssessmentGrade.POOR))
    assert "「差」" in plan.reason and "专职" in plan.reason


def test_another_standard_still_adds_up_to_the_fen():
    a, b = person("甲"), person("乙")
    terms = [term(a, date(2018, 1, 1), date(YEAR, 5, 31)), term(b, date(YEAR, 6, 1))]
    plan = plan_branch(branch(), YEAR, terms, graded(), standard=D("1000.00"))
    assert [ln.amount for ln in plan.lines] == [D("416.66"), D("583.34")]
    assert plan.total == D("1000.00")
    assert [sum(ln.items.values()) for ln in plan.lines] == [D("416.66"), D("583.34")]


# --- a unit's plan from the database ---------------------------------------------------------------

def test_a_secondary_unit_lists_its_branches_and_the_school_its_direct_branches(app, org):
    allowance_world(org)
    plans = {p.branch.name: p for p in plan_unit(org.sec_a, YEAR)}
    assert set(plans) == {"会计学院教工第一党支部", "会计学院本科生党支部"}
    assert plans["会计学院教工第一党支部"].eligible
    assert plans["会计学院本科生党支部"].reason == "学生党支部，不属于教职工党支部"
    b_plans = plan_unit(org.sec_b, YEAR)
    assert [lines(p) for p in b_plans] == [[("刘组织部", [1, 2, 3, 4, 5], D("1250.00")),
                                           ("张校领导", list(range(6, 13)), D("1750.00"))]]
    direct = plan_unit(org.school, YEAR)
    assert [(p.branch.name, p.total) for p in direct] == [("图书馆直属党支部", D("3000.00"))]


def test_a_branch_claimed_by_a_submitted_batch_is_left_out_of_the_next_one(app, org):
    allowance_world(org)
    first = new_batch(org.sec_a, org.secondary)
    plan = next(p for p in plan_unit(org.sec_a, YEAR) if p.branch.id == org.branch_a1.id)
    assert not plan.eligible and first.number in plan.reason
    # …but not out of the batch that holds the claim, when it is edited.
    plan = next(p for p in plan_unit(org.sec_a, YEAR, batch=first) if p.branch.id == org.branch_a1.id)
    assert plan.eligible


def test_another_years_records_do_not_count(app, org):
    allowance_world(org)
    record_grade(org.branch_a1, AssessmentGrade.POOR, org.org_dept_user, year=YEAR + 1)
    plan = next(p for p in plan_unit(org.sec_a, YEAR) if p.branch.id == org.branch_a1.id)
    assert plan.eligible and lines(plan) == [("李书记", list(range(1, 13)), D("3000.00"))]
    later = next(p for p in plan_unit(org.sec_a, YEAR + 1) if p.branch.id == org.branch_a1.id)
    assert "「差」" in later.reason
