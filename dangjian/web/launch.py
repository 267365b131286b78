"""发起申请 (what the user may start) and 管理 (the management pages the user may open):
both are grids collected from the request-type packages."""
from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required

from .. import plugins
from ..models import Role

bp = Blueprint("launch", __name__)

# Roles that see the 管理 entry (budget, standards, cycles …): 组织部, and the secondary units
# for what they record (assessments).
MANAGER_ROLES = {Role.ORG_DEPT, Role.SECONDARY, Role.SUPERVISOR}


def can_manage(user) -> bool:
    return any(ra.role in MANAGER_ROLES for ra in user.roles)


def core_admin_entries(user) -> list[dict]:
    from ..documents.register_views import admin_entries as register_entries
    from ..schedule.views import admin_entries as schedule_entries
    from ..supervision.dashboard_views import admin_entries as dashboard_entries
    from ..supervision.overdue_views import admin_entries as overdue_entries
    from .archive import admin_entries as archive_entries
    from .budget import unit_entries
    from .cc import admin_entries as cc_entries

    entries = []
    if any(ra.role in (Role.ORG_DEPT, Role.SUPERVISOR) for ra in user.roles):
        entries.append({"label": "经费预算", "hint": "校级专项经费：预算、已预留、已支出与余额",
                        "url": url_for("budget.index")})
    return (entries + unit_entries(user) + schedule_entries(user) + dashboard_entries(user) + overdue_entries(user)
            + archive_entries(user) + cc_entries(user) + register_entries(user))


@bp.route("/new")
@login_required
def start():
    return render_template("launch/start.html", entries=plugins.start_entries(current_user))


@bp.route("/manage")
@login_required
def manage():
    entries = core_admin_entries(current_user) + plugins.admin_entries(current_user)
    return render_template("launch/manage.html", entries=entries)
