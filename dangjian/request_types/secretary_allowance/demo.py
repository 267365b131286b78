"""Demo data for the allowance, for last year: when each branch was founded, who its secretaries
were (兼职 for most staff branches; 会计学院教工第二党支部 changed secretary on 1 June; 经济学院教工党支部
has a 专职 secretary), last year's 党建考核 (dangjian/assessment.demo: 党政办公室党支部 「差」, so it is
left out), the
year's 书记补贴 budget line if missing, and 会计学院党委's batch (by `erji`) waiting at 组织部
(`zuzhibu`), so that 核定调整 can be tried at once. The secretaries recorded are the members
whose accounts hold each branch's 支部书记 role.

Also a second 组织部 account (`zuzhibu2`): a batch of 直属党支部 is started by 组织部, and its
starter may not verify it (回避), so someone else in 组织部 must.
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from ...extensions import db
from ...models import BudgetEntry, BudgetLine, BudgetLineKind, Member, Role, RoleAssignment, User
from ...timeutil import local_today
from ...workflow import Action, apply_action, create_request
from .compute import fill_batch, plan_unit
from ...assessment.demo import ensure_last_year
from .model import BranchSecretaryTerm, SecretaryAllowance

FOUNDED = {
    "会计学院教工第一党支部": date(2012, 9, 1), "会计学院教工第二党支部": date(2015, 3, 1),
    "会计学院本科生党支部": date(2010, 10, 1), "会计学院研究生党支部": date(2013, 5, 1),
    "经济学院教工党支部": date(2011, 6, 1), "经济学院学生第一党支部": date(2014, 9, 1),
    "经济学院离退休党支部": date(2009, 4, 1), "党政办公室党支部": date(2008, 7, 1),
    "机关离退休党支部": date(2009, 4, 1), "图书馆直属党支部": date(2016, 1, 1),
}
BUDGET = Decimal("60000.00")


def _without_account(branch, but=()):
    """A member of the branch who has no login account (and is none of `but`)."""
    query = select(Member).where(Member.branch_id == branch.id, ~Member.user.has())
    if but:
        query = query.where(Member.id.notin_([m.id for m in but]))
    return db.session.scalars(query.order_by(Member.id).limit(1)).first()


def _secretary(ctx, branch):
    """The member whose account holds the branch's 支部书记 role (the records agree with the roles)."""
    for user in sorted(ctx.users.values(), key=lambda u: u.username):
        if user.member is not None and user.holds(Role.BRANCH_SECRETARY, branch.id):
            return user.member
    return _without_account(branch)


def load_demo(ctx) -> None:
    year = local_today().year - 1
    branches = ctx.branches
    recorder = ctx.users["zuzhibu"]
    # 组织部宣传部联合党支部 was set up in April of last year: it existed 9 months of it.
    founded = dict(FOUNDED, 组织部宣传部联合党支部=date(year, 4, 1))
    for name, day in founded.items():
        branches[name].founded_on = day

    def term(branch_name, member, start, end=None, part_time=True):
        db.session.add(BranchSecretaryTerm(branch_id=branches[branch_name].id, member_id=member.id, start_on=start,
                                           end_on=end, part_time=part_time, recorded_by_id=recorder.id))

    acc2 = branches["会计学院教工第二党支部"]
    new_secretary = _secretary(ctx, acc2)
    term("会计学院教工第一党支部", ctx.named["zhibu"], date(2019, 9, 1))
    # The secretary changed in June: the previous one until 31 May, the current one from 1 June.
    term("会计学院教工第二党支部", _without_account(acc2, but=[new_secretary]), date(2018, 3, 1), date(year, 5, 31))
    term("会计学院教工第二党支部", new_secretary, date(year, 6, 1))
    term("经济学院教工党支部", _secretary(ctx, branches["经济学院教工党支部"]), date(2017, 9, 1), part_time=False)
    term("党政办公室党支部", _secretary(ctx, branches["党政办公室党支部"]), date(2016, 5, 1))
    term("组织部宣传部联合党支部", _secretary(ctx, branches["组织部宣传部联合党支部"]), date(year, 4, 1))
    term("图书馆直属党支部", ctx.named["zhishu"], date(2016, 1, 1))
    for name in ("会计学院本科生党支部", "会计学院研究生党支部", "经济学院学生第一党支部", "经济学院离退休党支部",
                 "机关离退休党支部"):
        term(name, _secretary(ctx, branches[name]), date(2020, 9, 1))
    ensure_last_year(ctx)  # the branches' grades the batch below reads

    # A second 组织部 account: the starter of a 直属党支部 batch is recused from verifying it.
    if "zuzhibu2" not in ctx.users:
        from ...demo import DEMO_PASSWORD

        second = User(username="zuzhibu2", display_name="郑文静")
        second.set_password(DEMO_PASSWORD)
        second.role_assignments.append(RoleAssignment(role=Role.ORG_DEPT, organization=ctx.org_dept))
        db.session.add(second)

    line = db.session.scalar(select(BudgetLine).where(BudgetLine.year == year,
                                                      BudgetLine.kind == BudgetLineKind.ALLOWANCE))
    if line is None:
        line = BudgetLine(year=year, kind=BudgetLineKind.ALLOWANCE, amount=BUDGET, reserved=Decimal("0"),
                          spent=Decimal("0"))
        db.session.add(line)
        db.session.flush()
        db.session.add(BudgetEntry(line_id=line.id, kind="set", amount=BUDGET, actor_id=recorder.id,
                                   note="设定年度预算"))
    db.session.commit()

    # 会计学院党委's batch for last year, waiting at 组织部核定.
    unit = ctx.secondaries["会计学院党委"]
    batch = SecretaryAllowance(organization=unit, organization_id=unit.id, year=year)
    fill_batch(batch, plan_unit(unit, year))
    create_request(batch, ctx.users["erji"])
    apply_action(batch, ctx.users["erji"], Action.SUBMIT)
