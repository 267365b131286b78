"""The care pages (blueprint `care`): 困难党员台账, 走访慰问, the 走访名单 roster and a member's
帮扶历史. Each view parses input, calls one operation and renders; everything is loaded through
access.py's scope (anything outside it is 404)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit, plugins
from ..extensions import db
from ..htmx import is_htmx
from ..models import Member, MemberStatus, Organization
from ..money import format_yuan
from ..timeutil import local_today
from ..web.forms import parse_date
from . import access, queries, registry, visits
from .export import registry_xlsx
from .forms import ActionForm, EntryForm, VisitForm
from .models import CareFile, EntryState, HardshipCategory, RegistryEntry, Visit, VisitOccasion, VisitReason
from .registry import EVENT_LABELS, TRANSITIONS, RegistryRefused

bp = Blueprint("care", __name__, url_prefix="/care")
PER_PAGE = 20


def _user():
    return current_user._get_current_object()


@bp.before_request
@login_required
def _only_readers():
    if not access.can_use(current_user):
        abort(404)


def _member_or_404(member_id) -> Member:
    member = db.session.scalar(select(Member).where(Member.id == member_id, access.member_scope(_user())))
    if member is None:
        abort(404)
    return member


def _entry_or_404(entry_id: int) -> RegistryEntry:
    entry = db.session.scalar(select(RegistryEntry).join(Member, Member.id == RegistryEntry.member_id)
                              .where(RegistryEntry.id == entry_id, access.member_scope(_user())))
    if entry is None:
        abort(404)
    return entry


def _page(query):
    per_page = request.args.get("per_page", PER_PAGE, type=int)
    return db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=per_page if per_page in (20, 50, 100) else PER_PAGE, error_out=False)


# --- 困难党员台账 ------------------------------------------------------------------------------------

@bp.route("/")
def index():
    return redirect(url_for("care.registry"))


@bp.route("/registry", endpoint="registry")
def registry_page():
    user = _user()
    f = queries.RegistryFilter.from_args(request.args)
    page = _page(queries.registry_query(user, f))
    overdue = db.session.scalar(select(db.func.count()).select_from(
        queries.registry_query(user, queries.RegistryFilter(state=queries.OVERDUE_FILTER)).subquery()))
    template = "care/_registry_rows.html" if is_htmx(request) else "care/registry.html"
    return render_template(template, page=page, f=f, units=access.unit_choices(user), overdue=overdue,
                           categories=HardshipCategory.choices(), states=EntryState.choices(),
                           today=local_today(), can_propose=bool(access.proposable_members(user)),
                           can_export=True)


@bp.route("/registry/export.xlsx")
def registry_export():
    user = _user()
    f = queries.RegistryFilter.from_args(request.args)
    private = access.may_see_all_private(user)
    today = local_today()
    data = registry_xlsx(db.session.scalars(queries.registry_query(user, f)), private, today,
                         filtered=f.active)
    audit.record("care.registry.exported", user=user, filter=f.args(), with_situation=private)
    db.session.commit()
    resp = make_response(data)
    resp.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"困难党员台账-{today:%Y%m%d}.xlsx"
    resp.headers["Content-Disposition"] = f"attachment; filename=registry-{today:%Y%m%d}.xlsx; filename*=UTF-8''{quote(name)}"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/registry/new", methods=["GET", "POST"])
def propose():
    user = _user()
    members = access.proposable_members(user)
    if not members:
        abort(404)
    form = EntryForm()
    form.member_id.choices = [(0, "请选择党员")] + [(m.id, f"{m.name}（{m.staff_no}，{m.branch.name}）") for m in members]
    if request.method == "GET" and request.args.get("member_id", type=int):
        form.member_id.data = request.args.get("member_id", type=int)
    error = None
    if request.method == "POST" and form.validate():
        member = next((m for m in members if m.id == form.member_id.data), None)
        try:
            if member is None:
                raise RegistryRefused("请选择党员", "member_id")
            entry = registry.propose(user, member, categories=form.categories.data, situation=form.situation.data,
                                     files=request.files.getlist("files"))
        except RegistryRefused as exc:
            if not form.put_refusal(exc):
                error = exc.message
        else:
            flash(f"已申报{member.name}列入困难党员台账，待{access.confirming_level(member)}确认", "success")
            return redirect(url_for("care.entry", entry_id=entry.id))
    return render_template("care/entry_form.html", form=form, error=error, entry=None,
                           max_files=registry.MAX_FILES)


@bp.route("/registry/<int:entry_id>")
def entry(entry_id: int):
    user = _user()
    e = _entry_or_404(entry_id)
    return _entry_page(e, user)


def _entry_page(e, user, form=None, failed_action=None, error=None, status=200):
    actions = registry.available_actions(e, user)
    forms = {}
    for a in actions:
        if a == "resubmit":
            continue
        forms[a] = form if (form is not None and failed_action == a) else ActionForm(formdata=None, version=e.version)
        forms[a].note.label.text = "理由" if TRANSITIONS[a].reason_required else "意见（可不填）"
        forms[a].note.id = f"note-{a}"  # several forms on one page: each label finds its own box
    private = access.may_see_private(user, e.member)
    return render_template("care/entry.html", e=e, m=e.member, actions=actions, forms=forms,
                           transitions=TRANSITIONS, private=private, event_labels=EVENT_LABELS,
                           today=local_today(), error=error, confirming_level=access.confirming_level(e.member),
                           states={s.value: s.label for s in EntryState}), status


@bp.route("/registry/<int:entry_id>/<action>", methods=["POST"])
def entry_action(entry_id: int, action: str):
    user = _user()
    e = _entry_or_404(entry_id)
    if action not in TRANSITIONS or action == "resubmit":
        abort(404)
    form = ActionForm()
    if not form.validate():
        return _entry_page(e, user, form, action)
    try:
        registry.act(e, user, action, version=int(form.version.data or 0), note=form.note.data)
    except RegistryRefused as exc:
        db.session.refresh(e)
        if exc.field == "note":
            form.put_refusal(exc)
            return _entry_page(e, user, form, action)
        return _entry_page(e, user, error=exc.message)
    done = {"confirm": "已确认列入困难党员台账，下次复核日期为 {d}", "return": "已退回党支部",
            "withdraw": "已撤回申报", "review": "已复核：继续帮扶，下次复核日期为 {d}", "close": "已销号"}[action]
    flash(done.format(d=e.review_due_on.isoformat() if e.review_due_on else ""), "success")
    return redirect(url_for("care.entry", entry_id=e.id))


@bp.route("/registry/<int:entry_id>/resubmit", methods=["GET", "POST"])
def resubmit(entry_id: int):
    user = _user()
    e = _entry_or_404(entry_id)
    reason = registry.refusal(e, user, "resubmit")
    if reason:
        flash(reason, "warning")
        return redirect(url_for("care.entry", entry_id=e.id))
    form = EntryForm(obj=None) if request.method == "POST" else EntryForm(
        formdata=None, categories=[c.value for c in e.category_list], situation=e.situation)
    form.member_id.choices = [(e.member_id, e.member.name)]
    form.member_id.data = e.member_id
    version = ActionForm(formdata=None, version=e.version)
    error = None
    if request.method == "POST" and form.validate():
        try:
            registry.act(e, user, "resubmit", version=request.form.get("version", type=int),
                         note=request.form.get("note", ""), categories=form.categories.data,
                         situation=form.situation.data, files=request.files.getlist("files"))
        except RegistryRefused as exc:
            if not form.put_refusal(exc):
                error = exc.message
        else:
            flash("已重新提交，待确认", "success")
            return redirect(url_for("care.entry", entry_id=e.id))
    return render_template("care/entry_form.html", form=form, error=error, entry=e, version=version,
                           max_files=registry.MAX_FILES)


# --- files -------------------------------------------------------------------------------------------

def _file(file_id: int, preview: bool):
    from ..web.documents import send_upload  # one way to send a stored file: inline only when safe
    user = _user()
    cf = db.session.get(CareFile, file_id)
    if cf is None:
        abort(404)
    member = cf.entry.member if cf.entry_id else cf.visit.member
    if not access.may_see_private(user, member):
        abort(404)
    return send_upload(cf, "care.file", preview, user=user)


@bp.route("/files/<int:file_id>")
def file_download(file_id: int):
    return _file(file_id, preview=False)


@bp.route("/files/<int:file_id>/preview")
def file_preview(file_id: int):
    return _file(file_id, preview=True)


# --- 走访慰问 ----------------------------------------------------------------------------------------

@bp.route("/visits", endpoint="visits")
def visits_list():
    user = _user()
    f = queries.VisitFilter.from_args(request.args)
    page = _page(queries.visit_query(user, f))
    template = "care/_visit_rows.html" if is_htmx(request) else "care/visits.html"
    year = local_today().year
    return render_template(template, page=page, f=f, units=access.unit_choices(user), reasons=VisitReason.choices(),
                           years=list(range(year, year - 6, -1)), can_record=access.can_record_visits(user))


def _visit_targets(user, chosen: Member | None) -> list[Member]:
    """Whom the form offers: the members of the user's branches and units; for 组织部, the members the
    roster and the registry name (the whole school would be too long a list), and any member the
    page was opened for."""
    local = [ra.organization.path for ra in user.roles if ra.role.value in ("branch_secretary", "secondary")]
    q = select(Member).join(Organization, Organization.id == Member.branch_id).where(
        Member.status == MemberStatus.NORMAL, Member.id != (user.member_id or 0))
    if local:
        q = q.where(db.or_(*[Organization.path.startswith(p) for p in local]))
    else:
        occ, year = visits.default_occasion(local_today())
        q = q.where(db.or_(visits.due_condition(occ, year), Member.id.in_(registry.confirmed_member_ids())))
    members = list(db.session.scalars(q.options(selectinload(Member.branch)).order_by(Organization.path, Member.staff_no)
                                      .limit(2000)))
    if chosen is not None and chosen not in members:
        members.insert(0, chosen)
    return members


@bp.route("/visits/new", methods=["GET", "POST"])
def visit_new():
    user = _user()
    if not access.can_record_visits(user):
        abort(404)
    member_id = (request.form.get("member_id", type=int) if request.method == "POST"
                 else request.args.get("member_id", type=int))
    chosen = _member_or_404(member_id) if member_id else None
    targets = _visit_targets(user, chosen)
    today = local_today()
    form = VisitForm()
    form.member_id.choices = [(0, "请选择党员")] + [(m.id, f"{m.name}（{m.staff_no}，{m.branch.name}）") for m in targets]
    form.occasion.choices = [("routine", "日常走访（随时走访）")] + [
        (f"{o.value}:{y}", f"{y}年{o.label}") for o, y in visits.occasion_choices(today)]
    conds = visits.condolence_choices(user, chosen) if chosen else []
    form.condolence_id.choices = [(0, "无（未发放慰问金）")] + [
        (r.id, f"{r.number} {r.category.label} {format_yuan(r.amount)}（{r.state.label}）") for r in conds]
    if request.method == "GET":
        form.member_id.data = member_id or 0
        form.visited_on.data = today.isoformat()
        form.visitors.data = user.display_name
        occ = request.args.get("occasion")
        if occ:
            form.occasion.data = f"{occ}:{request.args.get('year', type=int)}"
        if chosen is not None and not request.args.get("reason"):
            form.reason.data = (VisitReason.OLD_MEMBER.value if chosen.is_old_member else
                                VisitReason.MODEL_WORKER.value if chosen.is_model_worker else "")
    error = None
    if request.method == "POST" and form.validate():
        occasion, _, year = (form.occasion.data or "routine").partition(":")
        try:
            visit = visits.record_visit(
                user, chosen, visited_on=parse_date(form.visited_on.data), visitors=form.visitors.data,
                reason=form.reason.data, occasion=occasion, occasion_year=int(year) if year.isdigit() else None,
                notes=form.notes.data, condolence_id=form.condolence_id.data or None,
                photos=request.files.getlist("photos"))
        except RegistryRefused as exc:
            if exc.field == "member":
                exc.field = "member_id"
            if not form.put_refusal(exc):
                error = exc.message
        else:
            flash(f"已登记对{chosen.name}的走访", "success")
            return redirect(url_for("care.visit", visit_id=visit.id))
        if form.visited_on.data and parse_date(form.visited_on.data) is None and not form.visited_on.errors:
            form.visited_on.errors = ["走访日期格式不正确"]
    return render_template("care/visit_form.html", form=form, error=error, chosen=chosen, today=today,
                           max_files=registry.MAX_FILES)


@bp.route("/visits/<int:visit_id>")
def visit(visit_id: int):
    user = _user()
    v = db.session.scalar(select(Visit).join(Member, Member.id == Visit.member_id)
                          .where(Visit.id == visit_id, access.member_scope(user)))
    if v is None:
        abort(404)
    from ..scope import visible_requests
    from ..models import Request
    condolence_visible = v.condolence_id is not None and db.session.scalar(
        select(Request.id).where(Request.id == v.condolence_id, visible_requests(user))) is not None
    return render_template("care/visit.html", v=v, m=v.member, private=access.may_see_private(user, v.member),
                           condolence_visible=condolence_visible)


# --- 走访名单 ---------------------------------------------------------------------------------------

@bp.route("/roster")
def roster():
    user = _user()
    today = local_today()
    default_occ, default_year = visits.default_occasion(today)
    try:
        occasion = VisitOccasion(request.args.get("occasion", default_occ.value))
        if occasion is VisitOccasion.ROUTINE:
            raise ValueError
    except ValueError:
        occasion = default_occ
    year = request.args.get("year", default_year, type=int)
    years = list(range(today.year + 1, today.year - 4, -1))
    year = year if year in years else default_year
    unit_id = request.args.get("unit_id", type=int)
    done = request.args.get("done", "")
    done = done if done in ("yes", "no") else ""
    page = _page(visits.roster_query(user, occasion, year, unit_id, done))
    made = visits.visited_ids([m.id for m in page.items], occasion, year)
    args = {k: v for k, v in {"occasion": occasion.value, "year": year, "unit_id": unit_id, "done": done}.items() if v}
    return render_template("care/roster.html", page=page, occasion=occasion, year=year, years=years, unit_id=unit_id,
                           done=done, made=made, summary=visits.roster_summary(user, occasion, year),
                           units=access.unit_choices(user), args=args, when=visits.occasion_date(occasion, year),
                           can_record=access.can_record_visits(user), today=today,
                           cutoff=visits.fifty_years_before(visits.occasion_date(occasion, year)))


# --- 帮扶历史 ----------------------------------------------------------------------------------------

@bp.route("/members/<int:member_id>/history")
def member_history(member_id: int):
    user = _user()
    member = _member_or_404(member_id)
    entries = plugins.member_history(member, user)
    kinds = sorted({e["kind"] for e in entries})
    kind = request.args.get("kind", "")
    shown = [e for e in entries if not kind or e["kind"] == kind]
    from ..org import access as org_access
    return render_template("care/history.html", m=member, entries=shown, kinds=kinds, kind=kind,
                           can_propose=any(x.id == member.id for x in access.proposable_members(user)),
                           can_visit=access.visit_refusal(user, member) is None,
                           org_page=org_access.can_read_members(user),
                           open_entry=registry.open_entry_of(member.id))
