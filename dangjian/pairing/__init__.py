"""结对帮扶 and 志愿服务 (§三(三)2), a module (see dangjian/plugins.py): pairings of a helper with a
member in difficulty (start, end, contacts) and volunteer service records; both on the member's
帮扶历史 (member_history) and in 纪委's figures (supervision_figures)."""
from __future__ import annotations

from flask import url_for

from . import access
from . import models  # noqa: F401  (register the tables)
from .demo import load_demo  # noqa: F401
from .history import member_history, supervision_figures  # noqa: F401
from .views import bp

blueprints = [bp]


def nav_entries(user) -> list[dict]:
    """结对帮扶 under 党建工作 for those who keep or read pairings (secretaries, the levels above,
    纪委) and for a helper (a plain member who was paired with someone)."""
    if access.can_read(user) or access.is_helper(user):
        return [{"key": "pairing", "label": "结对帮扶", "short": "帮扶", "url": url_for("pairing.index")}]
    return []


def start_entries(user) -> list[dict]:
    if not access.can_keep(user):
        return []
    return [{"label": "登记结对帮扶", "url": url_for("pairing.new"),
             "hint": "为困难党员确定帮扶人和帮扶措施，记录每次联系（§三(三)2）"},
            {"label": "结对帮扶与志愿服务", "url": url_for("pairing.index"),
             "hint": "查看结对帮扶和联系记录，登记党员志愿服务的活动、日期、时长和组织单位"}]


def admin_entries(user) -> list[dict]:
    if not access.can_read(user) or not any(ra.role.value in ("secondary", "org_dept", "supervisor", "school")
                                            for ra in user.roles):
        return []
    return [{"label": "结对帮扶与志愿服务", "url": url_for("pairing.index"),
             "hint": "困难党员的结对帮扶、联系记录和党员志愿服务时长"}]
