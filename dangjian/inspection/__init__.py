"""巡察/监督检查 inspection module (§五3 强化监督): plans, findings per unit, and 整改任务 tracked to
closure through declared transitions (tasks.py). Its figures join 纪委's supervision dashboard.

Joins the app through the plug-in contract (dangjian/plugins.py) only.
"""
from flask import url_for

from . import access
from . import models  # noqa: F401  (register the tables for Alembic)
from .demo import load_demo  # noqa: F401
from .figures import supervision_figures  # noqa: F401
from .reminders import remind_inspection_tasks
from .views import bp

blueprints = [bp]
periodic_tasks = [remind_inspection_tasks]


def nav_entries(user) -> list[dict]:
    """A unit with 整改任务 finds them in the navigation; 纪委 and 组织部 reach the module from 管理."""
    if access.reads_all(user) or not access.has_tasks(user):
        return []
    return [{"key": "inspection", "label": "整改任务", "url": url_for("inspection.tasks")}]


def admin_entries(user) -> list[dict]:
    if not access.reads_all(user):
        return []
    return [{"label": "巡察与监督检查", "url": url_for("inspection.plans"),
             "hint": "巡察/监督检查计划、发现的问题和整改任务，跟踪到验收销号（§五3）"}]
