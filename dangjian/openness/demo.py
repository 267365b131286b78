"""Demo data for 党务公开, so `make run` shows a board with content: school-wide items by 组织部 (an
election result, a decision, last year's 党费收缴和使用情况 generated from the data), one by 会计学院党委
for its own unit, a draft and a withdrawn item; and 会计学院党委's own-funds ledger (§四), which the
budget page shows beside the school's."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ..models import BudgetLineKind, UnitFundKind
from ..timeutil import local_today
from .. import unit_funds
from . import operations
from .models import ItemKind

ELECTION = ("会计学院党委换届选举结果", (
    "经上级党组织批准，会计学院党员大会于近日召开，选举产生了新一届会计学院党委委员会。"
    "经新一届党委第一次全体会议选举，陈建国同志当选为党委书记。选举程序符合《中国共产党基层组织选举工作条例》规定，"
    "现予公开。如有意见，请在公开期内向党委组织部反映。"))
DECISION = ("关于调整困难党员慰问标准的决定", (
    "经校党委会研究决定，自本年度起，对生活困难党员的七一、春节走访慰问标准由每人500元调整为每人800元，"
    "所需经费从校级党内关怀帮扶专项经费中列支。各二级党组织要认真做好困难党员信息登记，确保慰问到人。"))
UNIT_ITEM = ("会计学院党委发展党员公示", (
    "经支部委员会研究、支部党员大会讨论，拟将以下同志列为发展对象：会计学院本科生党支部 2 名，研究生党支部 1 名。"
    "公示期间，党员群众可通过来信、来电或当面等方式向会计学院党委反映情况。"))


def load_demo(ctx) -> None:
    zuzhibu, erji = ctx.users["zuzhibu"], ctx.users["erji"]
    today = local_today()
    acc = ctx.secondaries["会计学院党委"]
    school = ctx.school

    def draft(user, kind, title, body, org, days_ago=3, days=30):
        return operations.create(operations.Draft(kind, title, body, org.id, today - timedelta(days=days_ago),
                                                  today - timedelta(days=days_ago) + timedelta(days=days)), user)

    item = draft(zuzhibu, ItemKind.ELECTION, *ELECTION, school)
    operations.publish(item, zuzhibu, item.version)
    item = draft(zuzhibu, ItemKind.DECISION, *DECISION, school, days_ago=10)
    operations.publish(item, zuzhibu, item.version)
    item = draft(erji, ItemKind.DEVELOPMENT, *UNIT_ITEM, acc, days_ago=1, days=7)
    operations.publish(item, erji, item.version)
    dues = operations.generate_dues(school, today.year - 1, zuzhibu, today - timedelta(days=2),
                                    today + timedelta(days=28))
    operations.publish(dues, zuzhibu, dues.version)
    operations.generate_dues(acc, today.year - 1, erji, today, today + timedelta(days=30))
    wrong = draft(zuzhibu, ItemKind.OTHER, "关于开展党员志愿服务活动的通知",
                  "各党支部：定于本月组织党员志愿服务活动，具体安排另行通知。", school, days_ago=5)
    operations.publish(wrong, zuzhibu, wrong.version)
    operations.withdraw(wrong, zuzhibu, "活动时间调整，待确定后重新发布。")

    # 会计学院党委's own funds this year: what the school allotted, and what the unit spent.
    start = today.replace(month=1, day=1)
    for kind, line, amount, days, summary, voucher in (
            (UnitFundKind.INCOME, None, "20000.00", 5, "学校下拨本年度党建活动经费", "会-收-001"),
            (UnitFundKind.EXPENSE, BudgetLineKind.CONDOLENCE, "1600.00", 30, "春节走访慰问离退休老党员（4人）", "会-支-007"),
            (UnitFundKind.EXPENSE, BudgetLineKind.AWARD, "1500.00", 60, "学院优秀党员表彰奖励（3人）", "会-支-012"),
            (UnitFundKind.EXPENSE, None, "860.00", 75, "支部书记培训资料费", "会-支-015")):
        on = min(start + timedelta(days=days), today)
        unit_funds.add_entry(acc, erji, kind=kind, line_kind=line, amount=Decimal(amount), occurred_on=on,
                             summary=summary, voucher_no=voucher)
