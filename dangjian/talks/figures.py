"""Figures for 纪委's supervision dashboard (plugins.supervision_figures): overdue talks and the
talks held, for one organization's subtree and one year."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from ..extensions import db
from ..models import Organization
from ..timeutil import local_today
from . import access, compliance
from .models import Talk, TalkState
from .periods import semesters_of_year, year_period


def overdue_count(org, year: int, today) -> int:
    """People not talked with in the periods of `year` that have ended: both semesters that start
    in the year (branch secretaries: the routine talks and the 入党/转正 talks) and the year itself
    (leaders' 联系点)."""
    total = 0
    for sem in semesters_of_year(year):
        if sem.ended_by(today):
            total += sum(r.counts.overdue + r.occasion_counts.overdue
                         for r in compliance.secretary_duties(org, sem, today))
    yp = year_period(year)
    if yp.ended_by(today):
        total += sum(r.counts.overdue for r in compliance.leader_duties(org, yp, today))
    return total


def supervision_figures(org, year: int, viewer) -> list[dict]:
    if not access.can_use(viewer) or not access.org_in_scope(viewer, org):
        return []
    today = local_today()
    overdue = overdue_count(org, year, today)
    held = db.session.scalar(select(func.count(Talk.id)).join(Organization, Organization.id == Talk.organization_id)
                             .where(Organization.path.startswith(org.path), Talk.state == TalkState.RECORDED,
                                    Talk.held_on >= year_period(year).start, Talk.held_on <= year_period(year).end))
    sem = semesters_of_year(year)[0]
    link = url_for("talks.compliance", unit_id=org.id, semester=sem.key)
    return [
        {"key": "talks_overdue", "label": "谈心谈话逾期（人次）", "value": overdue, "url": link, "alert": overdue > 0},
        {"key": "talks_held", "label": "谈心谈话记录（次）", "value": held or 0, "url": link, "alert": False},
    ]
