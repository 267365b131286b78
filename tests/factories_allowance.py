"""Records and batches for the 兼职支部书记补贴 tests, on the organization of tests/factories.build_org.

`allowance_world(o)` records, for YEAR:
- 会计学院教工第一党支部 (branch_a1, under 会计学院党委 sec_a): 李书记 (o.secretary) 兼职 all year, 优秀;
- 会计学院本科生党支部 (branch_a2): a 学生党支部, 一般 — never eligible;
- 经济学院教工党支部 (branch_b1, under 经济学院党委 sec_b): the secretary changed in June —
  刘组织部 (o.org_dept_user, who also holds the 组织部 role) until 31 May, then 张校领导
  (o.school_user, who also holds the 校党委 role) from 1 June; 一般 (考核合格);
- 图书馆直属党支部 (direct): 周书记 (o.direct_secretary) 兼职 all year, 良好;
- a second 组织部 user (o.org_dept2) and the YEAR 书记补贴 budget line.

The grades are the branches' 党建考核 (tests/factories_assessment), the allowance's one source.
"""
from datetime import date
from decimal import Decimal

from dangjian.extensions import db
from dangjian.models import BudgetLine, BudgetLineKind, Role
from dangjian.request_types.secretary_allowance.compute import fill_batch, plan_unit
from dangjian.assessment.grades import AssessmentGrade
from dangjian.assessment.models import Assessment
from dangjian.request_types.secretary_allowance.model import BranchSecretaryTerm, SecretaryAllowance
from dangjian.workflow import Action, apply_action, create_request
from tests.factories import make_user
from tests.factories_assessment import graded

YEAR = 2025


def record_term(branch, member, start, end=None, part_time=True, by=None) -> BranchSecretaryTerm:
    term = BranchSecretaryTerm(branch_id=branch.id, member_id=member.id, start_on=start, end_on=end,
                               part_time=part_time, recorded_by_id=by.id)
    db.session.add(term)
    db.session.flush()
    return term


def record_grade(branch, grade: AssessmentGrade, by, year=YEAR) -> Assessment:
    return graded(branch, grade, by, year)


def budget_line(year=YEAR, amount="100000.00") -> BudgetLine:
    line = BudgetLine(year=year, kind=BudgetLineKind.ALLOWANCE, amount=Decimal(amount), reserved=Decimal("0"),
                      spent=Decimal("0"))
    db.session.add(line)
    db.session.commit()
    return line


def allowance_world(o, year=YEAR, budget="100000.00"):
    by = o.org_dept_user
    o.org_dept2 = make_user("orgdept2", None, [(Role.ORG_DEPT, o.org_dept)])
    record_term(o.branch_a1, o.secretary.member, date(2019, 9, 1), by=by)
    record_grade(o.branch_a1, AssessmentGrade.EXCELLENT, by, year)
    record_term(o.branch_a2, o.secretary_a2.member, date(2020, 9, 1), by=by)
    record_grade(o.branch_a2, AssessmentGrade.FAIR, by, year)
    record_term(o.branch_b1, o.org_dept_user.member, date(2018, 3, 1), date(year, 5, 31), by=by)
    record_term(o.branch_b1, o.school_user.member, date(year, 6, 1), by=by)
    record_grade(o.branch_b1, AssessmentGrade.FAIR, by, year)
    record_term(o.direct, o.direct_secretary.member, date(2016, 1, 1), by=by)
    record_grade(o.direct, AssessmentGrade.GOOD, by, year)
    db.session.commit()
    if budget is not None:
        budget_line(year, budget)
    return o


def new_batch(unit, initiator, year=YEAR, submit=True) -> SecretaryAllowance:
    """A unit's batch computed from the records, created (and submitted) through the engine."""
    batch = SecretaryAllowance(organization=unit, organization_id=unit.id, year=year)
    fill_batch(batch, plan_unit(unit, year))
    create_request(batch, initiator)
    if submit:
        apply_action(batch, initiator, Action.SUBMIT)
    else:
        db.session.commit()
    return batch


def line_of(batch, branch, member_user=None):
    return next(ln for ln in batch.lines if ln.branch_id == branch.id
                and (member_user is None or ln.member_id == member_user.member_id))


def adjust_payload(line, amount=None, method=None, **items) -> dict:
    """A 核定调整 of `line`: the given items (strings or Decimals), the others as they are."""
    values = {k: items.get(k, getattr(line, k)) for k in ("phone", "transport", "materials", "post", "reward")}
    return {"line_id": line.id, "amount": amount if amount is not None else line.amount,
            "payment_method": method or line.payment_method.value, **values}
