"""监督统计 (§五3, issue 10 §9): the dashboard per organization and year, and its 导出Excel.

Who: 纪委/监督 and 组织部, school-wide; a 二级党组织 holder, for its own subtree (to check itself);
nobody else (404), never the 系统管理员 (三员分立). Read-only. Every view and export is audited with
the organization and the year.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from .. import audit, spending
from ..accounts.permissions import is_sysadmin
from ..extensions import db
from ..models import Organization, OrgKind, Role
from ..models.base import utcnow
from ..money import format_yuan
from ..timeutil import local_today, to_local
from . import charts, dashboard, dashboard_export

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCHOOL_READERS = (Role.SUPERVISOR, Role.ORG_DEPT)


def reads_school(user) -> bool:
    return not is_sysadmin(user) and any(ra.role in SCHOOL_READERS for ra in user.roles)


def unit_paths(user) -> list[str]:
    return [] if is_sysadmin(user) else [ra.organization.path for ra in user.roles if ra.role is Role.SECONDARY]


def can_read(user) -> bool:
    return bool(user and user.is_authenticated) and (reads_school(user) or bool(unit_paths(user)))


@bp.before_request
@login_required
def _readers_only():
    if not can_read(current_user):
        abort(404)


def org_choices(user) -> list[Organization]:
    """The organizations the user may pick, in tree order: the whole tree (but 组织部's own node) for
    纪委 and 组织部, a 二级党组织's subtree for its holders."""
    q = select(Organization).where(Organization.kind != OrgKind.ORG_DEPT)
    if not reads_school(user):
        q = q.where(or_(*[Organization.path.startswith(p) for p in unit_paths(user)]))
    return sorted(db.session.scalars(q), key=lambda o: [int(x) for x in o.path.strip("/").split("/")])


def _pick(user) -> tuple[Organization, int]:
    """The organization and year asked for; out of the user's reach: 404."""
    choices = org_choices(user)
    if not choices:
        abort(404)
    org_id = request.args.get("org", type=int)
    org = choices[0] if org_id is None else next((o for o in choices if o.id == org_id), None)
    if org is None:
        abort(404)
    this_year = local_today().year
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= this_year + 1:
        year = this_year
    return org, year


def _indent(org: Organization) -> str:
    return "　" * (org.path.count("/") - 2) + org.name


@bp.route("/")
def index():
    user = current_user._get_current_object()
    org, year = _pick(user)
    d = dashboard.build(org, year, user)
    from ..web.search import can_search  # drill-down into 申请查询 for those who may search
    from .overdue_views import can_read as can_read_overdue  # 超期统计: school-wide readers only
    count = str
    unit_bars = charts.bar_chart("chart-units", f"{year}年各单位申请数（件）", [(u.label, u.requests) for u in d.units], count)
    school_funds, unit_funds = spending.SOURCES[spending.SCHOOL], spending.SOURCES[spending.UNIT]
    money_bars = charts.grouped_bar_chart("chart-units-money", f"{year}年各单位经费支出（元）：{school_funds}与{unit_funds}",
                                          [(u.label, [u.school, u.unit]) for u in d.units], ["校级", "自有"],
                                          format_yuan)
    kinds = [t for t in d.types if any(y.counts.get(t.key) for y in d.years)] or d.types
    line = charts.line_chart("chart-years", f"{d.years[0].year}—{year}年各类申请数（件）",
                             [f"{y.year}" for y in d.years], [(t.label, [y.counts.get(t.key, 0) for y in d.years])
                                                              for t in kinds], count, unit="件")
    html = render_template("supervision/dashboard.html", d=d, org=org, year=year, orgs=org_choices(user),
                           indent=_indent, years=list(range(local_today().year + 1, local_today().year - 9, -1)),
                           unit_bars=unit_bars, money_bars=money_bars, line=line,
                           legend=charts.legend([t.label for t in kinds]), can_search=can_search(user),
                           can_read_overdue=can_read_overdue(user),
                           sources={"school": school_funds, "unit": unit_funds},
                           args={"org": org.id, "year": year})
    audit.record("supervision.dashboard.viewed", org, user=user, org=org.name, year=year)
    db.session.commit()
    return html


@bp.route("/export.xlsx")
def export():
    user = current_user._get_current_object()
    org, year = _pick(user)
    now = utcnow()
    d = dashboard.build(org, year, user, to_local(now).date())
    out = dashboard_export.write_xlsx(d, user, now)
    audit.record("supervision.dashboard.exported", org, user=user, org=org.name, year=year, requests=d.total)
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"监督统计_{org.name}_{year}年_{to_local(now):%Y%m%d-%H%M}.xlsx")


def admin_entries(user) -> list[dict]:
    if not can_read(user):
        return []
    return [{"label": "监督统计", "url": url_for("supervision.index"),
             "hint": "按单位和年度：申请数量与状态、经费支出、审批超期、整改和台账复核等监督指标，附图表，可导出Excel（§五3）"}]

