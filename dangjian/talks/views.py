"""谈心谈话 pages (/talks): the records, recording a talk, a record's page, voiding, the compliance
view and its export, and 组织部's 联系点. Every object is loaded through access.py (404 outside
the user's scope); views parse input, call one operation, and render."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import Member, Organization, OrgKind, Role
from ..models.base import utcnow
from ..timeutil import local_today, to_local
from . import access, compliance, export, operations
from .forms import EndLinkForm, LinkForm, TalkForm, VoidForm
from .models import Talk, TalkKind, TalkLink, TalkParticipant
from .periods import parse_semester, recent_semesters, year_period

bp = Blueprint("talks", __name__, url_prefix="/talks")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user():
    return current_user._get_current_object()


@bp.before_request
@login_required
def _users_only():
    if not access.can_use(current_user):
        abort(404)


# --- records --------------------------------------------------------------------------------

@bp.route("")
def index():
    user = _user()
    mine = request.args.get("show", "mine" if access.capacities(user) else "all") == "mine"
    query = select(Talk).where(access.visible_talks(user))
    if mine:
        query = query.where(Talk.held_by_id == user.id)
    kind = request.args.get("kind", "")
    if kind in {k.value for k in TalkKind}:
        query = query.where(Talk.kind == TalkKind(kind))
    else:
        kind = ""
    q = (request.args.get("q") or "").strip()[:30]
    if q:
        query = query.where(Talk.id.in_(select(TalkParticipant.talk_id).join(Member).where(
            (Member.name.like(f"%{q}%")) | (Member.staff_no == q))))
    query = query.options(selectinload(Talk.participants).selectinload(TalkParticipant.member),
                          selectinload(Talk.held_by), selectinload(Talk.organization))
    page = db.paginate(query.order_by(Talk.held_on.desc(), Talk.id.desc()), page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    args = {k: v for k, v in {"show": "mine" if mine else "all", "kind": kind, "q": q}.items() if v}
    return render_template("talks/index.html", page=page, mine=mine, kind=kind, q=q, args=args, kinds=list(TalkKind),
                           can_record=bool(access.capacities(user)))


@bp.route("/new", methods=["GET", "POST"])
def new():
    user = _user()
    caps = access.capacities(user)
    if not caps:
        abort(404)
    form = TalkForm()
    form.org_id.choices = [(c.org.id, c.label) for c in caps]
    chosen = request.form.get("org_id", type=int) if request.method == "POST" else request.args.get("as", type=int)
    capacity = access.capacity_for(user, chosen) or caps[0]
    if request.method == "GET":
        form.org_id.data = capacity.org.id
        form.held_on.data = local_today()
        form.kind.data = request.args.get("kind", TalkKind.ROUTINE.value)
    picked = {int(i) for i in request.form.getlist("members") if i.isdigit()} if request.method == "POST" \
        else {request.args.get("member", type=int)}
    if request.method == "POST" and form.validate():
        try:
            ids = [int(i) for i in request.form.getlist("members") if i.isdigit()]
            ids += operations.members_by_staff_no(capacity, user, form.staff_nos.data or "")
            talk = operations.record_talk(user, form.org_id.data, held_on=form.held_on.data, kind=form.kind.data,
                                          place=form.place.data, reason=form.reason.data,
                                          content=form.content.data, member_ids=list(dict.fromkeys(ids)))
        except operations.TalkError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            flash(f"已记录{talk.held_on.month}月{talk.held_on.day}日与{talk.participant_names}的谈心谈话。", "success")
            return redirect(url_for(".view", talk_id=talk.id), code=303)
    # A secretary picks from the branch's members; a leader from the people their 联系点 name,
    # and anyone else in their unit by 工号.
    if capacity.kind == "secretary":
        choices = access.candidates(capacity, user)
    else:
        today = local_today()
        c = compliance.leader_duties(capacity.org, year_period(today.year), today, leader_id=user.id)
        choices = [d.member for row in c for d in row.items]
        extra = [i for i in picked if i and i not in {m.id for m in choices}]
        if extra:
            choices += list(db.session.scalars(select(Member).where(Member.id.in_(extra))))
    return render_template("talks/form.html", form=form, capacity=capacity, caps=caps, choices=choices,
                           picked=picked)


def _field_error(form, exc) -> None:
    field = getattr(form, exc.field, None) if exc.field and exc.field != "members" else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.members_error = exc.message if exc.field == "members" else None
        if exc.field != "members":
            flash(exc.message, "danger")


@bp.route("/<int:talk_id>")
def view(talk_id: int):
    user = _user()
    talk = access.get_talk_or_404(talk_id, user)
    return render_template("talks/view.html", talk=talk, private=access.can_read_content(user, talk),
                           void_form=VoidForm())


@bp.route("/<int:talk_id>/void", methods=["POST"])
def void(talk_id: int):
    user = _user()
    talk = access.get_talk_or_404(talk_id, user)
    if talk.held_by_id != user.id:
        abort(404)
    form = VoidForm()
    if form.validate():
        try:
            operations.void_talk(user, talk, form.reason.data)
        except operations.TalkError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("该谈话记录已作废，不再计入完成情况。", "success")
    return redirect(url_for(".view", talk_id=talk.id), code=303)


# --- compliance -----------------------------------------------------------------------------

def _units(user) -> list[Organization]:
    """The units the user may pick on the compliance page, in tree order."""
    query = select(Organization).where(access.orgs_condition(user), Organization.dissolved_on.is_(None),
                                       Organization.kind.in_((OrgKind.SCHOOL, OrgKind.SECONDARY, OrgKind.BRANCH)))
    return list(db.session.scalars(query.order_by(Organization.path)))


def _default_unit(user) -> Organization | None:
    if access.is_school_wide(user):
        return db.session.scalar(select(Organization).where(Organization.kind == OrgKind.SCHOOL,
                                                            Organization.parent_id.is_(None)))
    orgs = [ra.organization for ra in user.roles if ra.role in access.READER_ROLES]
    orgs.sort(key=lambda o: len(o.path))
    return orgs[0] if orgs else None


def _compliance_args():
    user = _user()
    today = local_today()
    unit_id = request.args.get("unit_id", type=int)
    unit = db.session.get(Organization, unit_id) if unit_id else _default_unit(user)
    if unit is None or not access.org_in_scope(user, unit):
        abort(404)
    semester = parse_semester(request.args.get("semester"), today)
    # A secretary and nobody above: their branch's members; the leaders' part is for the levels above.
    leaders = access.is_school_wide(user) or any(ra.role is Role.SECONDARY for ra in user.roles)
    return user, unit, semester, today, leaders


@bp.route("/compliance", endpoint="compliance")
def compliance_page():
    user, unit, semester, today, leaders = _compliance_args()
    report = compliance.build(unit, semester, today, leaders=leaders)
    record_as = {c.org.id for c in access.capacities(user) if c.kind == "secretary"}
    return render_template("talks/compliance.html", report=report, unit=unit, units=_units(user),
                           semesters=recent_semesters(today), leaders=leaders, record_as=record_as)



@bp.route("/compliance.xlsx")
def compliance_export():
    user, unit, semester, today, leaders = _compliance_args()
    report = compliance.build(unit, semester, today, leaders=leaders)
    now = utcnow()
    out = export.write_xlsx(report, user, now)
    audit.record("talk.compliance_exported", unit, user=user, unit=unit.name, semester=semester.label,
                 due=report.branch_counts.total + report.leader_counts.total)
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"谈心谈话完成情况_{unit.name}_{semester.key}_{to_local(now):%Y%m%d}.xlsx")


# --- 联系点 (组织部) ----------------------------------------------------------------------------

def _org_dept_only():
    if not access.can_manage_links(current_user):
        abort(404)


def _branch_choices():
    branches = db.session.scalars(select(Organization).where(Organization.kind == OrgKind.BRANCH,
                                                             Organization.dissolved_on.is_(None))
                                  .order_by(Organization.path))
    return [(0, "（不联系党支部）")] + [(b.id, b.name) for b in branches]


@bp.route("/links", methods=["GET", "POST"])
def links():
    _org_dept_only()
    user = _user()
    form = LinkForm()
    form.leader_id.choices = [(0, "请选择")] + [(u.id, u.display_name) for u in operations.leader_choices()]
    form.branch_id.choices = _branch_choices()
    if request.method == "POST" and form.validate():
        try:
            link = operations.add_link(user, leader_id=form.leader_id.data, branch_id=form.branch_id.data or None,
                                       staff_no=form.staff_no.data, starts_on=form.starts_on.data, note=form.note.data)
        except operations.TalkError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            flash(f"已为{link.leader.display_name}设置联系点：{link.target_label}。", "success")
            return redirect(url_for(".links"), code=303)
    show_ended = request.args.get("show") == "all"
    query = select(TalkLink).options(selectinload(TalkLink.leader), selectinload(TalkLink.branch),
                                     selectinload(TalkLink.member).selectinload(Member.branch))
    if not show_ended:
        query = query.where(TalkLink.ends_on.is_(None) | (TalkLink.ends_on >= local_today()))
    page = db.paginate(query.order_by(TalkLink.leader_id, TalkLink.id), page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("talks/links.html", form=form, page=page, show_ended=show_ended, end_form=EndLinkForm())


@bp.route("/links/<int:link_id>/end", methods=["POST"])
def end_link(link_id: int):
    _org_dept_only()
    link = db.session.get(TalkLink, link_id) or abort(404)
    form = EndLinkForm()
    if form.validate():
        try:
            operations.end_link(_user(), link, form.ends_on.data)
        except operations.TalkError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(f"已结束{link.leader.display_name}的联系点：{link.target_label}。", "success")
    return redirect(url_for(".links"), code=303)


@bp.context_processor
def _tabs():
    return {"talks_can_manage_links": access.can_manage_links(current_user)}
