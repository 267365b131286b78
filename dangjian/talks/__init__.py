"""谈心谈话 (§三(二)1), a module (see dangjian/plugins.py): talk records with their privacy, the
联系点 of leaders, the compliance view per unit and semester with its export, and reminders.

"坚持与党员开展谈心谈话制度。校级党员领导干部每年至少同分管中层干部或党支部书记谈心一次；党支部书记
每学期至少与本支部每一名党员谈心一次；新党员入职和老党员退休，所在党组织负责人都要与其谈心一次。"
"""
from __future__ import annotations

from flask import url_for

from . import models  # noqa: F401  (register the tables)
from .demo import load_demo  # noqa: F401
from .figures import supervision_figures  # noqa: F401
from .reminders import remind_talks
from .views import bp
from . import access

blueprints = [bp]
periodic_tasks = [remind_talks]


def nav_entries(user) -> list[dict]:
    """谈心谈话 under 党建工作 for whoever may read talk records: those who hold talks (secretaries,
    leaders), 组织部, 校党委 and 纪委."""
    if not access.can_use(user):
        return []
    return [{"key": "talks", "label": "谈心谈话", "short": "谈心", "url": url_for("talks.index")}]


def start_entries(user) -> list[dict]:
    if not access.capacities(user):
        return []
    return [{"label": "记录谈心谈话", "url": url_for("talks.new"),
             "hint": "支部书记每学期与每名党员、联系领导每年与联系对象谈心；入党、转正、退休、出国（境）和“四必谈”"}]


def admin_entries(user) -> list[dict]:
    if not access.can_use(user):
        return []
    entries = []
    if access.is_school_wide(user) or user.holds(access.Role.SECONDARY):
        entries.append({"label": "谈心谈话完成情况", "url": url_for("talks.compliance"),
                        "hint": "按单位和学期查看应谈、已谈、逾期的党员和联系点，可导出Excel（§三(二)1）"})
    if access.can_manage_links(user):
        entries.append({"label": "领导联系点", "url": url_for("talks.links"),
                        "hint": "校党委、二级党组织领导联系的党支部和党员：每年至少谈心一次"})
    return entries
