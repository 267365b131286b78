"""评选管理 (组织部): open a cycle and edit it before the deadline (categories, quota grid, deadline,
公示 working days), follow its nominations, publish the 公示, and handle objections.
校党委 and 纪委 read these pages; everyone else gets 404."""
from __future__ import annotations

from math import ceil

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ... import audit
from ...extensions import db
from ...models import Organization, OrgKind, RequestState
from ...models.base import utcnow
from ...scope import get_request_or_404
from ...timeutil import local_today
from ...workflow import WorkflowError
from .access import can_manage_cycles, can_read_cycles, sees_objector
from .blueprint import bp
from .form import CycleForm, HandleObjectionForm, read_quotas
from .model import (AwardCategory, AwardCycle, AwardNomination, AwardQuota, CycleStatus, Objection,
                    ObjectionStatus, quota_orgs)
from .publicity import handle_objection, in_review_summary, publish_cycle

PER_PAGE = 20


def _reader_or_404():
    if not can_read_cycles(current_user):
        abort(404)


def _manager_or_404():
    if not can_manage_cycles(current_user):
        abort(404)


def _school() -> Organization:
    return db.session.scalar(select(Organization).where(Organization.kind == OrgKind.SCHOOL)
                             .order_by(Organization.id).limit(1))


def _cycle_or_404(cycle_id: int) -> AwardCycle:
    cycle = db.session.scalar(select(AwardCycle).where(AwardCycle.id == cycle_id)
                              .options(selectinload(AwardCycle.quotas)))
    if cycle is None:
        abort(404)
    return cycle


@bp.route("/cycles")
@login_required
def cycles():
    _reader_or_404()
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count(AwardCycle.id))) or 0
    rows = db.session.scalars(select(AwardCycle).order_by(AwardCycle.year.desc(), AwardCycle.id.desc())
                              .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    counts = dict(db.session.execute(
        select(AwardNomination.cycle_id, func.count(AwardNomination.id))
        .where(AwardNomination.cycle_id.in_([c.id for c in rows]),
               AwardNomination.state.notin_((RequestState.DRAFT,)))
        .group_by(AwardNomination.cycle_id)).all()) if rows else {}
    return render_template("award_nomination/cycles.html", cycles=rows, counts=counts, page=page,
                           pages=max(ceil(total / PER_PAGE), 1), can_manage=can_manage_cycles(current_user))


def _used_by_category(cycle: AwardCycle | None) -> dict[str, int]:
    if cycle is None:
        return {}
    return {c.value: n for c, n in db.session.execute(
        select(AwardNomination.category, func.count(AwardNomination.id))
        .where(AwardNomination.cycle_id == cycle.id).group_by(AwardNomination.category)).all()}


def _grid(cycle, orgs, values=None):
    """{(org id, category value): (quota, used)} for the quota inputs."""
    grid = {}
    for org in orgs:
        for cat in AwardCategory:
            q = cycle.quota_for(org.id, cat) if cycle else None
            v = values.get((org.id, cat)) if values else None
            grid[org.id, cat.value] = (v if v is not None else (q.quota if q else ""), q.used if q else 0)
    return grid


@bp.route("/cycles/new", methods=["GET", "POST"])
@login_required
def cycle_new():
    _manager_or_404()
    return _cycle_form(None)


@bp.route("/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
@login_required
def cycle_edit(cycle_id: int):
    _manager_or_404()
    cycle = _cycle_or_404(cycle_id)
    if cycle.status is not CycleStatus.OPEN or cycle.deadline_passed():
        flash("推荐截止后（或公示开始后）不能再修改评选设置", "warning")
        return redirect(url_for(".cycle_view", cycle_id=cycle.id))
    return _cycle_form(cycle)


def _cycle_form(cycle: AwardCycle | None):
    user = current_user._get_current_object()
    orgs = quota_orgs(_school())
    form = CycleForm(obj=None)
    if request.method == "GET":
        if cycle is None:
            year = local_today().year
            form.year.data, form.name.data = year, f"{year}年度“两优一先”表彰"
            form.categories.data = [c.value for c in AwardCategory
                                    if c not in (AwardCategory.SPECIAL, AwardCategory.INNOVATION)]
            form.publicity_days.data = 5
        else:
            form.year.data, form.name.data = cycle.year, cycle.name
            form.categories.data = [c.value for c in cycle.category_list]
            form.special_name.data = cycle.special_name
            form.deadline.data = cycle.deadline.isoformat()
            form.publicity_days.data = cycle.publicity_days
        return render_template("award_nomination/cycle_form.html", form=form, cycle=cycle, orgs=orgs,
                               categories=list(AwardCategory), grid=_grid(cycle, orgs), grid_errors={})
    values = form.check(cycle, _used_by_category(cycle))
    cats = [AwardCategory(v) for v in (form.categories.data or []) if v in {c.value for c in AwardCategory}]
    quotas, grid_errors = read_quotas(request.form, orgs, cats)
    if values is not None and not grid_errors:
        saved_id, grid_errors = _save(cycle, values, quotas, orgs, user)
        if not grid_errors:
            return redirect(url_for(".cycle_view", cycle_id=saved_id))
    return render_template("award_nomination/cycle_form.html", form=form, cycle=cycle, orgs=orgs,
                           categories=list(AwardCategory), grid=_grid(cycle, orgs, quotas),
                           grid_errors={(o, c.value): e for (o, c), e in grid_errors.items()},
                           form_error=True)


def _save(cycle: AwardCycle | None, values: dict, quotas: dict, orgs, user) -> tuple[int | None, dict]:
    """Write the settings and the grid in one transaction. A quota never goes below what the unit
    already forwarded (a conditional UPDATE, so a forwarding at the same moment cannot slip under).
    Returns (the cycle's id, {}) or (None, errors per grid cell) with nothing saved."""
    creating = cycle is None
    if creating:
        cycle = AwardCycle(created_by_id=user.id, status=CycleStatus.OPEN)
        db.session.add(cycle)
    cycle.year, cycle.name = values["year"], values["name"]
    cycle.set_categories(values["categories"])
    cycle.special_name = values["special_name"]
    cycle.deadline = values["deadline"]
    cycle.publicity_days = values["publicity_days"]
    cycle.updated_at = utcnow()
    db.session.flush()
    errors = {}
    for org in orgs:
        for cat in AwardCategory:
            row = cycle.quota_for(org.id, cat) if not creating else None
            if cat not in values["categories"]:
                if row is not None and row.used == 0:
                    db.session.delete(row)
                continue
            n = quotas.get((org.id, cat), 0)
            if row is None:
                db.session.add(AwardQuota(cycle_id=cycle.id, organization_id=org.id, category=cat, quota=n, used=0))
                continue
            changed = db.session.execute(
                update(AwardQuota).where(AwardQuota.id == row.id, AwardQuota.used <= n).values(quota=n)
                .execution_options(synchronize_session=False)).rowcount
            if not changed:
                db.session.refresh(row)
                errors[org.id, cat] = f"已报送 {row.used} 名，名额不能少于 {row.used}"
    if errors:
        db.session.rollback()
        return None, errors
    audit.record("award_cycle.create" if creating else "award_cycle.update", cycle, user=user,
                 name=cycle.name, deadline=cycle.deadline,
                 quotas={f"{o}-{c.value}": n for (o, c), n in quotas.items()})
    db.session.commit()
    flash(f"评选「{cycle.name}」已{'创建' if creating else '保存'}", "success")
    return cycle.id, {}


@bp.route("/cycles/<int:cycle_id>")
@login_required
def cycle_view(cycle_id: int):
    _reader_or_404()
    cycle = _cycle_or_404(cycle_id)
    return render_template("award_nomination/cycle.html", **_cycle_context(cycle))


def _cycle_context(cycle: AwardCycle, **extra) -> dict:
    user = current_user._get_current_object()
    noms = db.session.scalars(
        select(AwardNomination).where(AwardNomination.cycle_id == cycle.id)
        .options(selectinload(AwardNomination.organization), selectinload(AwardNomination.beneficiary),
                 selectinload(AwardNomination.nominee_org), selectinload(AwardNomination.quota_org),
                 selectinload(AwardNomination.objections))
        .order_by(AwardNomination.category, AwardNomination.quota_org_id, AwardNomination.rank,
                  AwardNomination.position, AwardNomination.id)).all()
    by_category = {c: [n for n in noms if n.category is c] for c in cycle.category_list}
    objections = db.session.scalars(
        select(Objection).join(AwardNomination, AwardNomination.id == Objection.nomination_id)
        .where(AwardNomination.cycle_id == cycle.id)
        .options(selectinload(Objection.objector), selectinload(Objection.handled_by))
        .order_by(Objection.status != ObjectionStatus.OPEN, Objection.id)).all()
    pending, where = in_review_summary(cycle.id)
    states = {}
    for n in noms:
        states[n.state] = states.get(n.state, 0) + 1
    orgs = quota_orgs(_school())
    return {
        "cycle": cycle, "by_category": by_category, "objections": objections, "orgs": orgs,
        "pending": pending, "pending_where": where, "states": states,
        "approved": states.get(RequestState.APPROVED, 0),
        "can_manage": can_manage_cycles(user), "sees_objector": sees_objector(user),
        "handle_form": HandleObjectionForm(formdata=None),
        "notice": cycle.document("award_publicity_notice"), "decision": cycle.document("award_decision"),
        **extra,
    }


@bp.route("/cycles/<int:cycle_id>/publish", methods=["POST"])
@login_required
def publish(cycle_id: int):
    _manager_or_404()
    cycle = _cycle_or_404(cycle_id)
    try:
        n = publish_cycle(cycle.id, current_user._get_current_object())
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.expire_all()
        cycle = db.session.get(AwardCycle, cycle_id)
        flash(f"已发布公示：{n} 项推荐进入公示，公示期 {cycle.publicity_starts_on:%Y-%m-%d} 至 "
              f"{cycle.publicity_ends_on:%Y-%m-%d}（{cycle.publicity_days}个工作日）", "success")
    return redirect(url_for(".cycle_view", cycle_id=cycle_id))


@bp.route("/objections/<int:objection_id>/handle", methods=["POST"])
@login_required
def handle(objection_id: int):
    """异议处理: upheld → 撤销推荐; dismissed → proceeds. Each with a written reason."""
    _manager_or_404()
    objection = db.session.get(Objection, objection_id) or abort(404)
    nom = get_request_or_404(objection.nomination_id, current_user, AwardNomination)
    form = HandleObjectionForm()
    back = (url_for("requests.view", request_id=nom.id) if form.next.data == "request"
            else url_for(".cycle_view", cycle_id=nom.cycle_id) + "#objections")
    if form.decision.data not in ("uphold", "dismiss"):
        abort(400)
    try:
        handled = handle_objection(objection.id, current_user._get_current_object(),
                                   form.decision.data == "uphold", form.reason.data)
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        word = "异议成立，已撤销推荐" if handled.status is ObjectionStatus.UPHELD else "异议不成立，推荐继续公示"
        flash(f"已处理异议（{nom.number} {nom.nominee_name}）：{word}", "success")
    return redirect(back)
