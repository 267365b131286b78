"""党务公开 (§三(二)4): a board of published items — election results, decisions, 发展党员公示, the yearly
党费收缴和使用情况 computed from the data — each with a scope (全校 or one unit), a publication period
and a withdrawal with a reason; the award 公示 (表彰推荐) shows on the same board.

Plug-in contract (dangjian/plugins.py): blueprint `openness`, templates in templates/openness/.
"""
from flask import url_for

from . import models  # noqa: F401  (the tables, for Alembic and the app)
from .access import can_manage_any, reads_business_content
from .demo import load_demo  # noqa: F401
from .figures import supervision_figures  # noqa: F401
from .views import bp

blueprints = [bp]


def nav_entries(user) -> list[dict]:
    if not reads_business_content(user):
        return []
    return [{"key": "notice", "label": "党务公开", "short": "公开", "url": url_for("openness.board")}]


def admin_entries(user) -> list[dict]:
    if not reads_business_content(user) or not can_manage_any(user):
        return []
    return [{"label": "党务公开管理", "url": url_for("openness.manage"),
             "hint": "起草、发布和撤回党务公开事项；按年度生成党费收缴和使用情况"}]
