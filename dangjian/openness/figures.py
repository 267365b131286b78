"""The figures 党务公开 gives 纪委's supervision dashboard (plugins.supervision_figures): how many items
were published and withdrawn. (What was paid, per line and source, the dashboard shows itself from
spending.py — the same figures as the 党费收缴和使用情况 here.)"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import extract, func, select

from ..extensions import db
from ..models import Organization
from .models import ItemStatus, OpenItem


def supervision_figures(org: Organization, year: int, viewer) -> list[dict]:
    out = []
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
