"""表彰推荐 award nomination (§三(一)2): cycles with quotas, nominations by the branches, ranking and
forwarding by the secondary units, 组织部审核, 校党委决定, then the 公示 with objections, and 已表彰 by
itself when the period ends (`periodic_tasks`, run by `flask ticker`). The 公示 shows on the 党务公开
board (dangjian/openness), the one board of what is made public."""
from flask import url_for

from ...inbox import CONFLICTS
from . import model, workflow  # noqa: F401  (workflow attaches itself to the model)
from . import cycle_views, publicity_views, rewards, views  # noqa: F401  (routes on the blueprint)
from .access import (accepting_cycles, branches_of, can_read_cycles, led_branch_condition,
                     register_template_helpers, units_of)
from .blueprint import bp
from .demo import load_demo  # noqa: F401
from .publicity import close_publicity_periods

register_template_helpers(bp)
blueprints = [bp]
# The secretaries of a branch nominated as 先进基层党组织 may not decide on it: out of their 待办 (回避).
if led_branch_condition not in CONFLICTS:
    CONFLICTS.append(led_branch_condition)
periodic_tasks = [close_publicity_periods]


def start_entries(user) -> list[dict]:
    if not branches_of(user):
        return []
    cycles = accepting_cycles()
    if not cycles:
        return []
    c = cycles[0]
    more = f"等 {len(cycles)} 项评选" if len(cycles) > 1 else ""
    return [{"label": "表彰推荐", "icon": "new", "url": url_for("award_nomination.new"),
             "hint": f"{c.name}{more}：推荐先进基层党组织、优秀共产党员等，{c.deadline.month}月{c.deadline.day}日截止"}]


def admin_entries(user) -> list[dict]:
    entries = []
    if can_read_cycles(user):
        entries.append({"label": "表彰评选", "url": url_for("award_nomination.cycles"),
                        "hint": "评选设置与名额、推荐进度、发布公示、异议处理、表彰决定"})
    if units_of(user):
        entries.append({"label": "表彰推荐审核排序", "url": url_for("award_nomination.ranking_index"),
                        "hint": "对本单位各支部的推荐审核排序，在名额内报送组织部"})
    return entries
