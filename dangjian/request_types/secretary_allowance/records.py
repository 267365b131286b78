"""The records the allowance is computed from: its secretaries' terms (兼职 or 专职), and when it
was founded or dissolved (each branch's grade is its 党建考核: dangjian/assessment, shown here). 组织部 records for every branch, a
secondary unit for its own; 纪委 reads. Every change writes an audit row."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import audit
from ...dates import cn_day
from ...extensions import db
from ...models import Member, Organization
from ...timeutil import local_today
from . import access
from ...assessment.queries import graded_history
from .forms import BranchDatesForm, EndTermForm, TermForm, overlap_message, period_label
from .model import BranchSecretaryTerm
from .views import bp


def _user():
    user = current_user._get_current_object()
    if not access.can_read_records(user):
        abort(404)
    return user


def _branch_page(user, unit_id: int | None):
    """A page of the branches the user may read, optionally of one unit only."""
    units = access.filter_units(user)
    query = select(Organization).where(access.branch_condition(user))
    unit = None
    if unit_id is not None:
        if unit_id not in {u for u, _ in units}:
            abort(404)
        unit = db.session.get(Organization, unit_id)
        query = query.where(access.unit_branch_condition(unit))
    query = query.order_by(Organization.parent_id, Organization.sort_order, Organization.id)
    page = db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return units, unit, page


# --- secretaries -------------------------------------------------------------------------------

@bp.route("/secretaries")
@login_required
def secretaries():
    user = _user()
    units, unit, page = _branch_page(user, request.args.get("unit_id", type=int))
    ids = [b.id for b in page.items]
    today = local_today()
    current = {}
    if ids:
        for t in db.session.scalars(select(BranchSecretaryTerm).where(BranchSecretaryTerm.branch_id.in_(ids))
                                    .options(selectinload(BranchSecretaryTerm.member))
                                    .order_by(BranchSecretaryTerm.start_on)):
            if t.in_office(today):
                current[t.branch_id] = t
    return render_template("secretary_allowance/secretaries.html", units=units, unit=unit, page=page,
                           current=current, period_label=period_label)


def _branch_context(user, branch, term_form=None, dates_form=None, end_forms=None):
    terms = db.session.scalars(select(BranchSecretaryTerm).where(BranchSecretaryTerm.branch_id == branch.id)
                               .options(selectinload(BranchSecretaryTerm.member),
                                        selectinload(BranchSecretaryTerm.recorded_by))
                               .order_by(BranchSecretaryTerm.start_on.desc())).all()
    members = _members(branch)
    if term_form is None:
        term_form = TermForm(formdata=None)
        term_form.part_time.data = "1"
    term_form.member_id.choices = [(0, "请选择")] + [(m.id, f"{m.name}（{m.staff_no}）") for m in members]
    if dates_form is None:
        dates_form = BranchDatesForm(formdata=None, founded_on=branch.founded_on, dissolved_on=branch.dissolved_on)
    assessments = graded_history(branch.id)
    return {"branch": branch, "terms": terms, "term_form": term_form, "dates_form": dates_form,
            "end_forms": end_forms or {}, "can_write": access.can_write_branch(user, branch),
            "can_set_dates": access.writes_all(user), "assessments": assessments,
            "period_label": period_label, "today": local_today()}


def _members(branch) -> list[Member]:
    return db.session.scalars(select(Member).where(Member.branch_id == branch.id).order_by(Member.name)).all()


@bp.route("/branches/<int:branch_id>")
@login_required
def branch(branch_id: int):
    user = _user()
    return render_template("secretary_allowance/branch.html", **_branch_context(user, access.branch_or_404(user, branch_id)))


@bp.route("/branches/<int:branch_id>/terms", methods=["POST"])
@login_required
def add_term(branch_id: int):
    user = _user()
    branch = access.branch_or_404(user, branch_id, write=True)
    form = TermForm()
    others = db.session.scalars(select(BranchSecretaryTerm).where(BranchSecretaryTerm.branch_id == branch.id)).all()
    values = form.check(_members(branch), others)
    if values is None:
        return render_template("secretary_allowance/branch.html", **_branch_context(user, branch, term_form=form))
    term = BranchSecretaryTerm(branch_id=branch.id, member_id=values["member"].id, start_on=values["start_on"],
                               end_on=values["end_on"], part_time=values["part_time"], recorded_by_id=user.id)
    db.session.add(term)
    db.session.flush()
    audit.record("allowance.term.create", term, user=user, branch=branch.name, member=values["member"].name,
                 start_on=values["start_on"], end_on=values["end_on"], part_time=values["part_time"])
    db.session.commit()
    flash(f"已录入{branch.name}书记 {values['member'].name}（{term.kind_label}，"
          f"{period_label(term.start_on, term.end_on)}）", "success")
    return redirect(url_for("secretary_allowance.branch", branch_id=branch.id))


def _term_or_404(user, term_id: int) -> BranchSecretaryTerm:
    term = db.session.get(BranchSecretaryTerm, term_id)
    if term is None:
        abort(404)
    access.branch_or_404(user, term.branch_id, write=True)
    return term


@bp.route("/terms/<int:term_id>/end", methods=["POST"])
@login_required
def end_term(term_id: int):
    """Set (or correct) the last day of a term."""
    user = _user()
    term = _term_or_404(user, term_id)
    form = EndTermForm()
    ok = form.validate()
    end = form.end_on.data
    if ok and end < term.start_on:
        form.end_on.errors = list(form.end_on.errors) + ["任职结束日期不能早于开始日期"]
        ok = False
    if ok:
        others = db.session.scalars(select(BranchSecretaryTerm).where(
            BranchSecretaryTerm.branch_id == term.branch_id, BranchSecretaryTerm.id != term.id)).all()
        clash = next((t for t in others if t.overlaps(term.start_on, end)), None)
        if clash:
            form.end_on.errors = list(form.end_on.errors) + [overlap_message(clash)]
            ok = False
    if not ok:
        branch = term.branch
        return render_template("secretary_allowance/branch.html",
                               **_branch_context(user, branch, end_forms={term.id: form}))
    before = term.end_on
    term.end_on = end
    audit.record("allowance.term.end", term, user=user, branch=term.branch.name, member=term.member.name,
                 before=before, end_on=end)
    db.session.commit()
    flash(f"已将{term.member.name}的任期结束日期设为{cn_day(end)}", "success")
    return redirect(url_for("secretary_allowance.branch", branch_id=term.branch_id))


@bp.route("/terms/<int:term_id>/delete", methods=["POST"])
@login_required
def delete_term(term_id: int):
    """Remove a term recorded by mistake (batches already submitted keep what they computed)."""
    user = _user()
    term = _term_or_404(user, term_id)
    branch_id, name = term.branch_id, term.member.name
    audit.record("allowance.term.delete", term, user=user, branch=term.branch.name, member=name,
                 start_on=term.start_on, end_on=term.end_on, part_time=term.part_time)
    db.session.delete(term)
    db.session.commit()
    flash(f"已删除{name}的任职记录", "success")
    return redirect(url_for("secretary_allowance.branch", branch_id=branch_id))


@bp.route("/branches/<int:branch_id>/dates", methods=["POST"])
@login_required
def branch_dates(branch_id: int):
    """组织部 sets when a branch was founded and dissolved (the months it existed)."""
    user = _user()
    branch = access.branch_or_404(user, branch_id, write=True)
    if not access.writes_all(user):
        abort(403)
    form = BranchDatesForm()
    if not form.check():
        return render_template("secretary_allowance/branch.html", **_branch_context(user, branch, dates_form=form))
    before = (branch.founded_on, branch.dissolved_on)
    branch.founded_on, branch.dissolved_on = form.founded_on.data, form.dissolved_on.data
    audit.record("org.dates.set", branch, user=user, name=branch.name, before=before,
                 founded_on=branch.founded_on, dissolved_on=branch.dissolved_on)
    db.session.commit()
    flash(f"已更新{branch.name}的成立与撤销日期", "success")
    return redirect(url_for("secretary_allowance.branch", branch_id=branch.id))
