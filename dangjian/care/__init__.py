"""关怀帮扶 care module: 困难党员台账 (§三(三)1), 走访慰问 (§三(二)2) and a member's 帮扶历史.

Joins the app through the plug-in contract (dangjian/plugins.py) only.
"""
from flask import url_for

from . import models  # noqa: F401  (register the tables for Alembic)
from .demo import load_demo  # noqa: F401
from .figures import supervision_figures  # noqa: F401
from .history import member_history  # noqa: F401
from .registry import close_for_status as member_status_changed  # noqa: F401
from .reminders import remind_reviews
from .views import bp
from . import access

blueprints = [bp]
periodic_tasks = [remind_reviews]


def nav_entries(user) -> list[dict]:
    if not access.can_use(user):
        return []
    return [{"key": "care", "label": "关怀帮扶", "url": url_for("care.registry")}]


def start_entries(user) -> list[dict]:
    out = []
    if access.proposable_members(user):
        out.append({"label": "申报困难党员", "hint": "将本支部生活困难、独居、老弱病残等党员申报列入困难党员台账，由上级党组织确认",
                    "url": url_for("care.propose"), "icon": "new"})
    if access.can_record_visits(user):
        out.append({"label": "登记走访慰问", "hint": "记录对老党员、老模范和患病、遇困党员的走访：走访人、日期、事由和照片，不涉及慰问金",
                    "url": url_for("care.visit_new"), "icon": "new"})
    return out
