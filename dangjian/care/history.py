"""帮扶历史: everything a member received, through `plugins.member_history` (the page itself is in
views.py). This package answers for four kinds: 党费减免 and 慰问金 (the request types: what was
approved), 走访慰问 and 困难党员台账. Each entry is already cut to what the viewer may see: requests
through the viewer's request scope, hardship texts never (the linked page shows them to whoever may
read them)."""
from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from sqlalchemy import select

from ..extensions import db
from ..models import RequestState
from ..money import format_yuan
from ..scope import visible_requests
from . import access
from .models import EntryState, RegistryEntry, Visit

RECEIVED = (RequestState.APPROVED, RequestState.COMPLETED)


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _requests(cls, member, viewer):
    return db.session.scalars(select(cls).where(cls.beneficiary_id == member.id, cls.state.in_(RECEIVED),
                                                visible_requests(viewer, copies=False)).order_by(cls.id))


def waivers(member, viewer) -> list[dict]:
    from ..request_types.dues_waiver.model import DuesWaiver
    out = []
    for r in _requests(DuesWaiver, member, viewer):
        span = f"{r.start_month.year}年{r.start_month.month}月至{r.end_month.year}年{r.end_month.month}月"
        out.append({"on": _day(r.start_month), "kind": "党费减免",
                    "summary": f"{r.number} {r.mode.label}，每月{format_yuan(r.monthly_amount)}，{span}（{r.state.label}）",
                    "url": url_for("requests.view", request_id=r.id)})
    return out


def condolences(member, viewer) -> list[dict]:
    from ..request_types.condolence.model import CondolencePayment
    out = []
    for r in _requests(CondolencePayment, member, viewer):
        paid = r.paid_amount if r.paid_amount is not None else r.amount
        out.append({"on": _day(r.visit_date or r.event_date), "kind": "慰问金",
                    "summary": f"{r.number} {r.category.label}，{format_yuan(paid)}（{r.state.label}）",
                    "url": url_for("requests.view", request_id=r.id)})
    return out


def visits(member, viewer) -> list[dict]:
    if not access.may_see_member(viewer, member):
        return []
    return [{"on": v.visited_on, "kind": "走访慰问",
             "summary": f"{v.occasion_label}，事由：{v.reason.label}，走访人：{v.visitors}",
             "url": url_for("care.visit", visit_id=v.id)}
            for v in db.session.scalars(select(Visit).where(Visit.member_id == member.id).order_by(Visit.id))]


def registry(member, viewer) -> list[dict]:
    if not access.may_see_member(viewer, member):
        return []
    out = []
    for e in db.session.scalars(select(RegistryEntry).where(RegistryEntry.member_id == member.id)
                                .order_by(RegistryEntry.id)):
        url = url_for("care.entry", entry_id=e.id)
        if e.confirmed_on:
            out.append({"on": e.confirmed_on, "kind": "困难党员台账",
                        "summary": f"列入困难党员台账（{e.category_labels}）", "url": url})
        if e.state is EntryState.CLOSED and e.closed_on:
            out.append({"on": e.closed_on, "kind": "困难党员台账", "summary": "台账销号", "url": url})
        elif e.state in (EntryState.PROPOSED, EntryState.RETURNED):
            out.append({"on": _day(e.proposed_at), "kind": "困难党员台账",
                        "summary": f"申报列入困难党员台账（{e.state.label}）", "url": url})
    return out


def member_history(member, viewer) -> list[dict]:
    return waivers(member, viewer) + condolences(member, viewer) + visits(member, viewer) + registry(member, viewer)
