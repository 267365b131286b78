"""公示栏 (on the 党务公开 board, dangjian/openness): every logged-in user sees the list being
publicized — name, unit, category and a short 事迹 summary only, never private data — and may file
an objection (异议) during the period. The 系统管理员 does not (三员分立: no business content)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
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


def board_cycles():
    """The cycles on the board: those publicizing, then the latest completed ones."""
    publicizing = db.session.scalars(select(AwardCycle).where(AwardCycle.status == CycleStatus.PUBLICIZING)
                                     .order_by(AwardCycle.publicity_ends_at, AwardCycle.id)).all()
    completed = db.session.scalars(select(AwardCycle).where(AwardCycle.status == CycleStatus.COMPLETED)
                                   .order_by(AwardCycle.completed_at.desc(), AwardCycle.id.desc()).limit(5)).all()
    return publicizing, completed


def _listed(cycle: AwardCycle, states) -> dict:
    noms = db.session.scalars(
        select(AwardNomination).where(AwardNomination.cycle_id == cycle.id, AwardNomination.state.in_(states))
        .options(selectinload(AwardNomination.organization), selectinload(AwardNomination.beneficiary),
                 selectinload(AwardNomination.nominee_org))
        .order_by(AwardNomination.quota_org_id, AwardNomination.rank, AwardNomination.id)).all()
    return {c: [n for n in noms if n.category is c] for c in cycle.category_list}


def board_sections() -> tuple[list[dict], list[dict]]:
    """The award part of the one 公示 board (党务公开, dangjian/openness): the lists being publicized
    (with their notice) and the latest completed ones (with their decision)."""
    publicizing, completed = board_cycles()
    now = utcnow()
    current = [{"cycle": c, "groups": _listed(c, (RequestState.PUBLICIZING,)), "over": c.publicity_over(now),
                "notice": c.document("award_publicity_notice")} for c in publicizing]
    done = [{"cycle": c, "groups": _listed(c, (RequestState.AWARDED,)), "decision": c.document("award_decision")}
            for c in completed]
    return current, done


@bp.route("/publicity")
@login_required
def board():
    """The 公示 is on the 党务公开 board now: one board for everything made public (§三(二)4)."""
    if not sees_business_content(current_user):
        abort(404)
    return redirect(url_for("openness.board"))


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
                return redirect(url_for("openness.board"))
        else:
            flash(f"您对「{nom.nominee_name}」的异议已提交，党委组织部将核实处理。您的身份信息仅组织部和纪委可见。",
                  "success")
            return redirect(url_for("openness.board"))
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
