"""The branch nominates (支部推荐); the secondary unit ranks and forwards within its quota (审核排序).

Every nomination is loaded through the user's scope (404 outside); every state change goes through
apply_action (SUBMIT, APPROVE = 报送)."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ... import audit, uploads
from ...extensions import db
from ...htmx import is_htmx
from ...models import Organization, RequestState, Role
from ...org.standing import beneficiary_refusal
from ...scope import get_request_or_404
from ...workflow import Action, WorkflowError, apply_action, create_request
from . import quota
from .access import accepting_cycles, branches_of, nominee_options, units_of
from .blueprint import bp
from .form import EditDeedsForm, ForwardForm, NominationForm, add_error, duplicate, duplicate_message
from .model import AwardCategory, AwardCycle, AwardNomination, AwardQuota, CycleStatus


# --- 支部推荐 ---------------------------------------------------------------------------------------

def _selected_cycle(cycles, cycle_id):
    return next((c for c in cycles if c.id == cycle_id), cycles[0] if cycles else None)


@bp.route("/nominations/new", methods=["GET", "POST"])
@login_required
def new():
    user = current_user._get_current_object()
    if not branches_of(user):
        abort(404)
    cycles = accepting_cycles()
    if not cycles:
        flash("当前没有正在征集推荐的表彰评选", "warning")
        return redirect(url_for("launch.start"))
    form = NominationForm()
    options, groups = nominee_options(user)
    chosen = request.form.get("cycle_id", type=int) if request.method == "POST" else request.args.get("cycle", type=int)
    cycle = _selected_cycle(cycles, chosen)
    if request.method == "GET":
        form.cycle_id.data = str(cycle.id)
    form.category.choices = [(c.value, cycle.category_label(c)) for c in cycle.category_list]
    form.nominee.choices = {label: choices for label, choices in groups}
    if request.method == "POST":
        values = form.check(user, cycles, options)
        if values is not None:
            req = _create(user, values, form)
            if req is not None:
                where = "二级党组织审核排序" if req.current_step == "secondary" else "党委组织部审核"
                flash(f"推荐已提交（编号 {req.number}），等待{where}", "success")
                return redirect(url_for("requests.view", request_id=req.id))
    elif cycle.category_list:
        form.category.data = request.args.get("category") or cycle.category_list[0].value
    return render_template("award_nomination/form.html", form=form, cycle=cycle, cycles=cycles, req=None,
                           quota_note=_quota_note(cycle, user), innovation=AwardCategory.INNOVATION)


def _create(user, values: dict, form: NominationForm) -> AwardNomination | None:
    cycle, category, member, org, branch = (values[k] for k in ("cycle", "category", "member", "org", "branch"))
    written = []
    try:
        req = AwardNomination(cycle=cycle, category=category, organization=branch, beneficiary=member,
                              nominee_org=org, nominee_key=AwardNomination.key_for(member, org),
                              deeds=values["deeds"], quota_org=branch.secondary_unit or branch,
                              project_name=values["project_name"], promotion_value=values["promotion_value"])
        for f in values["files"]:
            req.attachments.append(uploads.save(f, "evidence", user, written))
        create_request(req, user)
        apply_action(req, user, Action.SUBMIT)
        return req
    except IntegrityError:
        # Nominated at the same moment by someone else: the unique key decided.
        db.session.rollback()
        uploads.discard(written)
        clash = duplicate(cycle, category, AwardNomination.key_for(member, org))
        add_error(form.nominee, duplicate_message(clash) if clash else "该对象已在本类别中被推荐")
    except WorkflowError as exc:
        db.session.rollback()
        uploads.discard(written)
        add_error(form.cycle_id, exc.message)
    except Exception:
        db.session.rollback()
        uploads.discard(written)
        raise
    return None


def _quota_note(cycle: AwardCycle, user) -> str:
    """Whose quota the branch's nominations use, shown on the form."""
    notes = []
    for branch in branches_of(user):
        unit = branch.secondary_unit or branch
        cells = [f"{cycle.category_label(q.category)} {q.quota} 名" for q in cycle.quotas
                 if q.organization_id == unit.id and cycle.offers(q.category)]
        if cells:
            who = f"{unit.name}" if unit.id != branch.id else f"{branch.name}（直属党支部，提交即报送）"
            notes.append(f"{who}名额：" + "，".join(cells))
    return "；".join(notes)


@bp.route("/nominations/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit(request_id: int):
    """After 退回修改 or 撤回, the initiator edits the 事迹 and resubmits."""
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, AwardNomination)
    if req.initiator_id != user.id:
        abort(404)
    if req.state not in (RequestState.RETURNED, RequestState.WITHDRAWN):
        flash(f"推荐当前为「{req.state.label}」状态，不能修改", "warning")
        return redirect(url_for("requests.view", request_id=req.id))
    refused = beneficiary_refusal(req.beneficiary)
    if refused:  # the nominee's 党籍 changed since (出党, 停止党籍, 去世): no resubmission
        flash(refused, "danger")
        return redirect(url_for("requests.view", request_id=req.id))
    form = EditDeedsForm()
    if request.method == "GET":
        form.deeds.data = req.deeds
    else:
        values = form.check()
        if values is not None:
            written = []
            try:
                req.deeds = values["deeds"]
                for f in values["files"]:
                    req.attachments.append(uploads.save(f, "evidence", user, written))
                apply_action(req, user, Action.SUBMIT, seen_version=request.form.get("version", -1, type=int))
            except WorkflowError as exc:
                db.session.rollback()
                uploads.discard(written)
                flash(exc.message, "danger")
                return redirect(url_for("requests.view", request_id=request_id))
            except Exception:
                db.session.rollback()
                uploads.discard(written)
                raise
            flash(f"已修改并重新提交（{req.number}）", "success")
            return redirect(url_for("requests.view", request_id=req.id))
    return render_template("award_nomination/edit.html", form=form, req=req)


# --- 二级党组织审核排序 ------------------------------------------------------------------------------

@bp.route("/ranking")
@login_required
def ranking_index():
    """The secondary unit's way in: the cycles with nominations to rank (one: straight to it)."""
    units = units_of(current_user)
    if not units:
        abort(404)
    cycles = list(db.session.scalars(select(AwardCycle).order_by(AwardCycle.id.desc()).limit(20)))
    open_cycles = [c for c in cycles if c.status is CycleStatus.OPEN]
    if len(open_cycles) == 1 and len(units) == 1:
        return redirect(url_for(".ranking", cycle_id=open_cycles[0].id))
    return render_template("award_nomination/ranking_index.html", cycles=cycles, units=units)


def _unit_or_404(user, unit_id: int | None):
    units = units_of(user)
    if unit_id is None and units:
        return units[0]
    unit = next((u for u in units if u.id == unit_id), None)
    if unit is None:
        abort(404)
    return unit


def _category_context(cycle: AwardCycle, unit, category, message=None, message_ok=False) -> dict:
    return {
        "cycle": cycle, "unit": unit, "category": category, "message": message, "message_ok": message_ok,
        "quota": db.session.scalar(select(AwardQuota).where(
            AwardQuota.cycle_id == cycle.id, AwardQuota.organization_id == unit.id,
            AwardQuota.category == category)),
        "forwarded": db.session.scalars(quota.forwarded_by_unit(cycle, unit.id, category)).all(),
        "waiting": db.session.scalars(quota.awaiting_unit(cycle, unit.id, category)).all(),
        "forward_form": ForwardForm(formdata=None),
    }


@bp.route("/cycles/<int:cycle_id>/ranking")
@login_required
def ranking(cycle_id: int):
    user = current_user._get_current_object()
    unit = _unit_or_404(user, request.args.get("unit", type=int))
    cycle = db.session.get(AwardCycle, cycle_id) or abort(404)
    sections = [_category_context(cycle, unit, c) for c in cycle.category_list]
    return render_template("award_nomination/ranking.html", cycle=cycle, unit=unit, units=units_of(user),
                           sections=sections)


def _ranked_nomination_or_404(request_id: int) -> AwardNomination:
    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, AwardNomination)
    if not user.holds(Role.SECONDARY, req.quota_org_id):
        abort(404)
    return req


def _section_response(req: AwardNomination, message: str, ok: bool):
    """htmx: the category's section (and the inbox badge); otherwise back to the page."""
    db.session.expire_all()
    cycle = db.session.get(AwardCycle, req.cycle_id)
    unit = db.session.get(Organization, req.quota_org_id)
    category = req.category
    if not is_htmx(request):
        flash(message, "success" if ok else "danger")
        return redirect(url_for(".ranking", cycle_id=cycle.id, unit=unit.id) + f"#rank-{category.value}")
    html = render_template("award_nomination/_ranking_category.html",
                           **_category_context(cycle, unit, category, message, ok))
    html += render_template("_badge.html", oob=True)
    return make_response(html)


@bp.route("/nominations/<int:request_id>/move", methods=["POST"])
@login_required
def move(request_id: int):
    req = _ranked_nomination_or_404(request_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    if req.state is not RequestState.PENDING or req.current_step != "secondary":
        return _section_response(req, "该推荐已不在审核排序环节，不能调整顺序", False)
    moved = quota.move(req, direction)
    if moved:
        audit.record("award_nomination.move", req, number=req.number, direction=direction)
    db.session.commit()
    word = "上移" if direction == "up" else "下移"
    return _section_response(req, f"已{word}：{req.nominee_name}" if moved else f"已在最{'前' if direction == 'up' else '后'}，无法{word}",
                             moved)


@bp.route("/nominations/<int:request_id>/forward", methods=["POST"])
@login_required
def forward(request_id: int):
    """报送: the secondary step's 同意, within the quota (the workflow hook takes the slot)."""
    req = _ranked_nomination_or_404(request_id)
    form = ForwardForm()
    user = current_user._get_current_object()
    if not form.validate():
        return _section_response(req, "；".join(form.opinion.errors), False)
    opinion = (form.opinion.data or "").strip() or "经审核，同意推荐。"
    try:
        apply_action(req, user, Action.APPROVE, opinion=opinion,
                     seen_version=request.form.get("version", req.version, type=int))
    except WorkflowError as exc:
        db.session.rollback()
        return _section_response(req, exc.message, False)
    db.session.refresh(req)
    return _section_response(req, f"已报送：{req.nominee_name}（排序第 {req.rank} 名）", True)
