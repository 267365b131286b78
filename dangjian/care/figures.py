"""Figures for 纪委's supervision dashboard (§五3), one organization's subtree and one year."""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import func, select

from ..extensions import db
from ..models import Member, Organization
from ..timeutil import local_today
from . import access
from .models import EntryState, RegistryEntry, Visit, VisitOccasion
from .visits import due_condition, visited_condition


def _in(org, viewer, query):
    return (query.join(Organization, Organization.id == Member.branch_id)
            .where(Organization.path.startswith(org.path), access.member_scope(viewer)))


def supervision_figures(org, year: int, viewer) -> list[dict]:
    today = local_today()
    count = lambda q: db.session.scalar(select(func.count()).select_from(q.subquery())) or 0  # noqa: E731
    entries = select(RegistryEntry.id).join(Member, Member.id == RegistryEntry.member_id)
    overdue = count(_in(org, viewer, entries.where(RegistryEntry.state == EntryState.CONFIRMED,
                                                   RegistryEntry.review_due_on < today)))
    in_registry = count(_in(org, viewer, entries.where(RegistryEntry.state == EntryState.CONFIRMED)))
    visits = count(_in(org, viewer, select(Visit.id).join(Member, Member.id == Visit.member_id).where(
        Visit.visited_on >= date(year, 1, 1), Visit.visited_on <= date(year, 12, 31))))
    out = [
        {"key": "care.registry_overdue", "label": "困难党员台账逾期未复核", "value": overdue,
         "url": url_for("care.registry", unit_id=org.id, state="overdue"), "alert": overdue > 0},
        {"key": "care.registry_confirmed", "label": "困难党员台账在册人数", "value": in_registry,
         "url": url_for("care.registry", unit_id=org.id, state="confirmed"), "alert": False},
        {"key": "care.visits", "label": f"{year}年走访慰问次数", "value": visits,
         "url": url_for("care.visits", unit_id=org.id, year=year), "alert": False},
    ]
    for occasion in (VisitOccasion.SPRING_FESTIVAL, VisitOccasion.JULY_FIRST):
        due_q = _in(org, viewer, select(Member.id).where(due_condition(occasion, year)))
        due = count(due_q)
        done = count(due_q.where(visited_condition(occasion, year)))
        out.append({"key": f"care.roster_{occasion.value}", "label": f"{year}年{occasion.label}：已走访/应走访",
                    "value": f"{done}/{due}", "done": done, "due": due,
                    "url": url_for("care.roster", occasion=occasion.value, year=year, unit_id=org.id),
                    "alert": done < due and today > _deadline(occasion, year)})
    return out


def _deadline(occasion, year):
    from .visits import occasion_date
    return occasion_date(occasion, year)
