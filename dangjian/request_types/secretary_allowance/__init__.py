"""兼职支部书记补贴 part-time branch secretary allowance (§三(一)3)."""
from flask import url_for
from sqlalchemy import exists, select

from ...extensions import db
from ...models import Request, RequestState, Role
from ...inbox import CONFLICTS
from ...scope import EXTRA_VISIBILITY
from . import model, workflow  # noqa: F401  (workflow attaches itself to the model)
from . import records  # noqa: F401  (registers the record pages on the blueprint)
from .access import can_read_records, paid_secretary_condition
from .compute import starting_units
from .demo import load_demo  # noqa: F401
from .views import bp

blueprints = [bp]

# Every secretary a batch pays may see it and its notices.
if paid_secretary_condition not in EXTRA_VISIBILITY:
    EXTRA_VISIBILITY.append(paid_secretary_condition)
# ... and may not act on it: it stays out of their 待办 (回避).
if paid_secretary_condition not in CONFLICTS:
    CONFLICTS.append(paid_secretary_condition)


def start_entries(user) -> list[dict]:
    if not starting_units(user):
        return []
    hint = ("为本单位考核合格、书记为兼职的教职工党支部按年度申报补贴（每支部每年最高3000元）"
            if user.holds(Role.SECONDARY) else "为直属党支部按年度申报兼职支部书记补贴（每支部每年最高3000元）")
    return [{"label": "兼职支部书记补贴", "hint": hint, "url": url_for("secretary_allowance.new"), "icon": "new"}]


def admin_entries(user) -> list[dict]:
    if not can_read_records(user):
        return []
    # Each branch's grade is its 党建考核 (dangjian/assessment has its own entry).
    return [
        {"label": "支部书记任职", "hint": "记录各党支部书记的任职起止时间及兼职、专职情况",
         "url": url_for("secretary_allowance.secretaries")},
    ]


def nav_entries(user) -> list[dict]:
    """书记补贴, for a secretary whom some batch pays: their allowances and notices."""
    if user.member_id is None:
        return []
    paid = db.session.scalar(select(exists().where(
        model.AllowanceLine.member_id == user.member_id,
        model.AllowanceLine.batch_id == Request.id, Request.state != RequestState.DRAFT)))
    if not paid:
        return []
    return [{"key": "file", "label": "书记补贴", "url": url_for("secretary_allowance.mine")}]
