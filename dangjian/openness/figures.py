"""The figures 党务公开 gives 纪委's supervision dashboard (plugins.supervision_figures): what was
paid for care and incentives, by budget line (yuan, Decimal: school and unit funds together), and how many items were published and withdrawn."""
from __future__ import annotations

from decimal import Decimal

from flask import url_for
from sqlalchemy import extract, func, select

from ..extensions import db
from ..models import Organization
from .dues import care_spending
from .models import ItemStatus, OpenItem

LINES = (("condolence", "慰问金"), ("allowance", "兼职支部书记补贴"), ("award", "表彰奖励"))


def supervision_figures(org: Organization, year: int, viewer) -> list[dict]:
    spending = care_spending(org, year)
    out = []
    for key, label in LINES:
        rows = [r for r in spending if r["line"] == key]
        amount = sum((r["amount"] for r in rows), Decimal("0.00"))
        out.append({"key": f"openness.paid.{key}", "label": f"{year}年{label}已发放（元）", "value": amount,
                    "url": url_for("budget.index", year=year), "alert": False})
    subtree = select(Organization.id).where(Organization.path.startswith(org.path))
    counts = dict(db.session.execute(
        select(OpenItem.status, func.count(OpenItem.id))
        .where(OpenItem.organization_id.in_(subtree), OpenItem.status != ItemStatus.DRAFT,
               extract("year", OpenItem.published_at) == year)
        .group_by(OpenItem.status)).all())
    published = sum(counts.values())
    out.append({"key": "openness.published", "label": f"{year}年党务公开发布事项", "value": published,
                "url": url_for("openness.board"), "alert": False})
    out.append({"key": "openness.withdrawn", "label": f"{year}年党务公开撤回事项",
                "value": counts.get(ItemStatus.WITHDRAWN, 0), "url": None, "alert": False})
    return out
