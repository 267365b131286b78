"""公示栏: every logged-in user sees the list being publicized — name, unit, category and a short
事迹 summary only, never private data — and may file an objection (异议) during the period. The
系统管理员 does not (三员分立: it sees no business content)."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import RequestState
from ...models.base import utcnow
from ...workflow import WorkflowError
from .access import sees_business_content
from .blueprint import bp
from .form import ObjectionForm, add_error
from .model import AwardCycle, AwardNomination, CycleStatus
from .publicity import file_objection

RECENT_DAYS = 30  # a completed cycle stays in the navigation this long after its 表彰决定


def board_cycles():
    """The cycles on the board: those publicizing, then the latest completed ones."""
    publicizing = db.session.scalars(select(AwardCycle).where(AwardCycle.status == CycleStatus.PUBLICIZING)
                                     .order_by(AwardCycle.publicity_ends_at, AwardCycle.id)).all()
    completed = db.session.scalars(select(AwardCycle).where(AwardCycle.status == CycleStatus.COMPLETED)
                                   .order_by(AwardCycle.completed_at.desc(), AwardCycle.id.desc()).limit(5)).all()
    return publicizing, completed


def board_visible() -> bool:
    """Whether the 公示 entry appears in the navigation (one small query per page)."""
    recent = utcnow() - timedelta(days=RECENT_DAYS)
    return db.session.scalar(select(AwardCycle.id).where(or_(
        AwardCycle.status == CycleStatus.PUBLICIZING,
        (AwardCycle.status == CycleStatus.COMPLETED) & (AwardCycle.completed_at >= recent))).limit(1)) is not None


def _listed(cycle: AwardCycle, states) -> dict:
    noms = db.session.scalars(
        select(AwardNomination).where(AwardNomination.cycle_id == cycle.id, AwardNomination.state.in_(states))
        .options(selectinload(AwardNomination.organization), selectinload(AwardNomination.beneficiary),
                 selectinload(AwardNomination.nominee_org))
        .order_by(AwardNomination.quota_org_id, AwardNomination.rank, AwardNomination.id)).all()
    return {c: [n for n in noms if n.category is c] for c in cycle.category_list}


@bp.route("/publicity")
@login_required
def board():
    if not sees_business_content(current_user):
        abort(404)
    publicizing, completed = board_cycles()
    now = utcnow()
    current = [{"cycle": c, "groups": _listed(c, (RequestState.PUBLICIZING,)), "over": c.publicity_over(now),
                "notice": c.document("award_publicity_notice")} for c in publicizing]
    done = [{"cycle": c, "groups": _listed(c, (RequestState.AWARDED,)), "decision": c.document("award_decision")}
            for c in completed]
    return render_template("award_nomination/board.html", current=current, done=done)


def _on_board_or_404(request_id: int) -> AwardNomination:
    """Only a nomination on the 公示 list is reachable here (this is not the request page)."""
    nom = db.session.get(AwardNomination, request_id)
    if nom is None or nom.state is not RequestState.PUBLICIZING or nom.cycle.status is not CycleStatus.PUBLICIZING:
        abort(404)
    return nom


@bp.route("/publicity/<int:request_id>/objection", methods=["GET", "POST"])
@login_required
def objection(request_id: int):
    if not sees_business_content(current_user):
        abort(404)
    nom = _on_board_or_404(request_id)
    form = ObjectionForm()
    over = nom.cycle.publicity_over()
    if form.is_submitted() and not over:
        try:
            file_objection(nom.id, current_user._get_current_object(), form.content.data)
        except WorkflowError as exc:
            db.session.rollback()
            if exc.field == "content":
                add_error(form.content, exc.message)
            else:
                flash(exc.message, "danger")
                return redirect(url_for(".board"))
        else:
            flash(f"您对「{nom.nominee_name}」的异议已提交，党委组织部将核实处理。您的身份信息仅组织部和纪委可见。",
                  "success")
            return redirect(url_for(".board"))
    return render_template("award_nomination/objection.html", nom=nom, form=form, over=over)


@bp.route("/cycles/<int:cycle_id>/documents")
@login_required
def cycle_documents(cycle_id: int):
    """The cycle's documents widget (polled while one is being made). A cycle document exists only
    once published, and is for every logged-in user but the 系统管理员, like the download."""
    if not sees_business_content(current_user):
        abort(404)
    cycle = db.session.get(AwardCycle, cycle_id) or abort(404)
    return render_template("award_nomination/_cycle_documents.html", cycle=cycle)
