"""结对帮扶 and 志愿服务 pages (/pairing). Every object is loaded through access.py (404 outside the
user's scope); views parse input, call one operation, and render."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Member
from ..timeutil import local_today
from ..web.forms import ChineseForm
from . import access, operations
from .forms import ContactForm, EndForm, PairingForm, VolunteerForm
from .models import Pairing, PairingState, VolunteerRecord, format_hours

bp = Blueprint("pairing", __name__, url_prefix="/pairing")


def _user():
    return current_user._get_current_object()


@bp.before_request
@login_required
def _users_only():
    if not (access.can_read(current_user) or access.is_helper(current_user)):
        abort(404)


@bp.context_processor
def _flags():
    return {"pairing_can_keep": access.can_keep(current_user)}


def _form_error(form, exc) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "danger")


@bp.route("")
def index():
    user = _user()
    state = request.args.get("state", "active")
    query = select(Pairing).where(access.visible_pairings(user))
    if state in {s.value for s in PairingState}:
        query = query.where(Pairing.state == PairingState(state))
    else:
        state = "all"
    q = (request.args.get("q") or "").strip()[:30]
    if q:
        people = select(Member.id).where((Member.name.like(f"%{q}%")) | (Member.staff_no == q))
        query = query.where(Pairing.member_id.in_(people) | Pairing.helper_id.in_(people))
    query = query.options(selectinload(Pairing.member).selectinload(Member.branch), selectinload(Pairing.helper),
                          selectinload(Pairing.contacts))
    page = db.paginate(query.order_by(Pairing.started_on.desc(), Pairing.id.desc()),
                       page=request.args.get("page", 1, type=int), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    return render_template("pairing/index.html", page=page, state=state, q=q,
                           args={k: v for k, v in {"state": state, "q": q}.items() if v})


@bp.route("/new", methods=["GET", "POST"])
def new():
    user = _user()
    if not access.can_keep(user):
        abort(404)
    form = PairingForm()
    if request.method == "GET":
        form.started_on.data = local_today()
        form.member_staff_no.data = request.args.get("member", "")[:30]
    if request.method == "POST" and form.validate():
        try:
            pairing = operations.create_pairing(user, member_staff_no=form.member_staff_no.data,
                                                helper_staff_no=form.helper_staff_no.data,
                                                started_on=form.started_on.data, measures=form.measures.data)
        except operations.PairingError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash(f"已登记结对帮扶：{pairing.helper.name} 帮扶 {pairing.member.name}。", "success")
            return redirect(url_for(".view", pairing_id=pairing.id), code=303)
    return render_template("pairing/form.html", form=form)


@bp.route("/<int:pairing_id>", methods=["GET"])
def view(pairing_id: int):
    user = _user()
    pairing = access.get_pairing_or_404(pairing_id, user)
    contact_form = ContactForm()
    contact_form.contacted_on.data = local_today()
    return render_template("pairing/view.html", pairing=pairing, contact_form=contact_form, end_form=EndForm(),
                           can_contact=access.can_add_contact(user, pairing), can_end=access.can_end(user, pairing))


@bp.route("/<int:pairing_id>/contacts", methods=["POST"])
def add_contact(pairing_id: int):
    user = _user()
    pairing = access.get_pairing_or_404(pairing_id, user)
    if not access.can_add_contact(user, pairing):
        abort(404)
    form = ContactForm()
    if form.validate():
        try:
            operations.add_contact(user, pairing, contacted_on=form.contacted_on.data, way=form.way.data,
                                   notes=form.notes.data)
        except operations.PairingError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash("已登记一次联系。", "success")
            return redirect(url_for(".view", pairing_id=pairing.id), code=303)
    return render_template("pairing/view.html", pairing=pairing, contact_form=form, end_form=EndForm(),
                           can_contact=True, can_end=access.can_end(user, pairing))


@bp.route("/<int:pairing_id>/end", methods=["POST"])
def end(pairing_id: int):
    user = _user()
    pairing = access.get_pairing_or_404(pairing_id, user)
    if not access.can_end(user, pairing):
        abort(404)
    form = EndForm()
    if form.validate():
        try:
            operations.end_pairing(user, pairing, ended_on=form.ended_on.data, reason=form.reason.data)
        except operations.PairingError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("结对帮扶已结束。", "success")
    return redirect(url_for(".view", pairing_id=pairing.id), code=303)


# --- 志愿服务 ----------------------------------------------------------------------------------

@bp.route("/volunteers", methods=["GET", "POST"])
def volunteers():
    user = _user()
    if not access.can_read(user):
        abort(404)
    form = VolunteerForm()
    if request.method == "POST":
        if not access.can_keep(user):
            abort(404)
        if form.validate():
            try:
                record = operations.add_volunteer(user, staff_no=form.staff_no.data, activity=form.activity.data,
                                                  served_on=form.served_on.data, hours=form.hours.data,
                                                  organizer=form.organizer.data)
            except operations.PairingError as exc:
                db.session.rollback()
                _form_error(form, exc)
            else:
                flash(f"已登记{record.member.name}的志愿服务 {record.hours} 小时。", "success")
                return redirect(url_for(".volunteers"), code=303)
    elif not form.served_on.data:
        form.served_on.data = local_today()
    today = local_today()
    year = request.args.get("year", today.year, type=int)
    if not 2000 <= year <= today.year:
        year = today.year
    cond = [access.visible_volunteer_records(user), VolunteerRecord.served_on >= date(year, 1, 1),
            VolunteerRecord.served_on <= date(year, 12, 31)]
    q = (request.args.get("q") or "").strip()[:30]
    if q:
        cond.append(VolunteerRecord.member_id.in_(select(Member.id).where(
            (Member.name.like(f"%{q}%")) | (Member.staff_no == q))))
    query = select(VolunteerRecord).where(*cond).options(
        selectinload(VolunteerRecord.member), selectinload(VolunteerRecord.organization))
    page = db.paginate(query.order_by(VolunteerRecord.served_on.desc(), VolunteerRecord.id.desc()),
                       page=request.args.get("page", 1, type=int), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    total, people = db.session.execute(select(func.coalesce(func.sum(VolunteerRecord.hours_tenths), 0),
                                              func.count(func.distinct(VolunteerRecord.member_id))).where(*cond)).one()
    return render_template("pairing/volunteers.html", form=form, page=page, year=year, q=q,
                           years=list(range(today.year, today.year - 5, -1)), total=format_hours(total), people=people,
                           args={k: v for k, v in {"year": year, "q": q}.items() if v})


@bp.route("/volunteers/<int:record_id>/delete", methods=["POST"])
def delete_volunteer(record_id: int):
    user = _user()
    record = db.session.scalar(select(VolunteerRecord).where(VolunteerRecord.id == record_id,
                                                             access.visible_volunteer_records(user)))
    if record is None or not access.can_keep(user, record.organization):
        abort(404)
    form = ChineseForm()
    if form.validate():
        try:
            operations.delete_volunteer(user, record)
        except operations.PairingError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("已删除该志愿服务记录。", "success")
    return redirect(url_for(".volunteers"), code=303)
