"""我的党员信息: the member's own record, with approved waivers applied to dues owed."""
from datetime import date

from ..timeutil import local_today

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..request_types.dues_waiver.model import approved_waivers, dues_owed

bp = Blueprint("me", __name__)


def _next_months(start: date, n: int) -> list[date]:
    months, y, m = [], start.year, start.month
    for _ in range(n):
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


@bp.route("/me")
@login_required
def profile():
    member = current_user.member
    if member is None:
        return render_template("me/profile.html", member=None)
    waivers = approved_waivers(member.id)
    # Each month's dues from the effective-dated history (Member.dues_on), less approved waivers.
    months = [(m, member.dues_on(m), dues_owed(member, m, waivers))
              for m in _next_months(local_today().replace(month=1, day=1), 12)]
    return render_template("me/profile.html", member=member, waivers=waivers, months=months,
                           dues_now=member.dues_on(local_today()))
