"""The member's 帮扶历史 (plugins.member_history) and 纪委's figures (plugins.supervision_figures)."""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Organization
from ..scope import org_visible
from . import access
from .models import Pairing, PairingState, VolunteerRecord, format_hours


def member_history(member, viewer) -> list[dict]:
    """Pairings in which `member` was helped, and `member`'s volunteer service: for a viewer whose
    scope holds the member's branch, or the member themself. No measures or contact notes (the
    pairing's page shows them to whoever may open it)."""
    own = viewer.member_id is not None and viewer.member_id == member.id
    if not own and not (access.can_read(viewer) and access.can_see_member(viewer, member)):
        return []
    out = []
    pairings = db.session.scalars(select(Pairing).where(Pairing.member_id == member.id)
                                  .options(selectinload(Pairing.helper), selectinload(Pairing.contacts))
                                  .order_by(Pairing.started_on))
    openable = set(db.session.scalars(select(Pairing.id).where(Pairing.member_id == member.id,
                                                               access.visible_pairings(viewer))))
    for p in pairings:
        until = f"至{p.ended_on.isoformat()}" if p.ended_on else "至今"
        out.append({"on": p.started_on, "kind": "结对帮扶",
                    "summary": f"帮扶人：{p.helper.name}；{p.started_on.isoformat()}{until}；联系{len(p.contacts)}次"
                               + ("" if p.state is PairingState.ACTIVE else "（已结束）"),
                    "url": url_for("pairing.view", pairing_id=p.id) if p.id in openable else None})
    for r in db.session.scalars(select(VolunteerRecord).where(VolunteerRecord.member_id == member.id)
                                .order_by(VolunteerRecord.served_on)):
        organizer = f"（{r.organizer}）" if r.organizer else ""
        out.append({"on": r.served_on, "kind": "志愿服务", "summary": f"{r.activity}，{r.hours}小时{organizer}",
                    "url": None})
    return out


def supervision_figures(org, year: int, viewer) -> list[dict]:
    if not access.can_read(viewer) or not org_visible(viewer, org):
        return []
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_org = select(Organization.id).where(Organization.path.startswith(org.path))
    active = db.session.scalar(select(func.count(Pairing.id)).where(
        Pairing.organization_id.in_(in_org), Pairing.started_on <= end,
        (Pairing.ended_on.is_(None)) | (Pairing.ended_on >= start)))
    tenths, people = db.session.execute(select(func.coalesce(func.sum(VolunteerRecord.hours_tenths), 0),
                                               func.count(func.distinct(VolunteerRecord.member_id))).where(
        VolunteerRecord.organization_id.in_(in_org), VolunteerRecord.served_on >= start,
        VolunteerRecord.served_on <= end)).one()
    return [
        {"key": "pairings_active", "label": "结对帮扶（年内在帮对数）", "value": active or 0,
         "url": url_for("pairing.index", state="all"), "alert": False},
        {"key": "volunteer_hours", "label": "党员志愿服务时长（小时）", "value": format_hours(tenths),
         "url": url_for("pairing.volunteers", year=year), "alert": False},
        {"key": "volunteer_people", "label": "参加志愿服务党员（人）", "value": people or 0,
         "url": url_for("pairing.volunteers", year=year), "alert": False},
    ]
