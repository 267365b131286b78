"""The organization tree: view it, create a unit, edit (rename, 组织编码, 成立日期, type), move a
branch, dissolve a unit."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..dates import cn_day
from ..extensions import db
from ..models import Organization, OrgKind
from ..timeutil import local_today
from . import operations, queries
from .forms import DissolveForm, MoveForm, UnitForm, parse_day
from .views import bp, manage_only


def _unit_or_404(unit_id: int) -> Organization:
    unit = db.session.get(Organization, unit_id)
    if unit is None:
        abort(404)
    return unit


def _user():
    return current_user._get_current_object()


@bp.route("/tree")
@manage_only
def tree():
    units = queries.all_units()
    counts = queries.member_counts()
    rows = queries.ordered_tree(units)
    today = local_today()
    live = [u for u, _ in rows if u.dissolved_on is None or u.dissolved_on > today]
    summary = {
        "secondary": sum(1 for u in live if u.kind is OrgKind.SECONDARY),
        "branches": sum(1 for u in live if u.kind is OrgKind.BRANCH),
        "direct": sum(1 for u in live if u.kind is OrgKind.BRANCH and u.parent.kind is OrgKind.SCHOOL),
        "members": counts.get(rows[0][0].id, 0) if rows else 0,
    }
    return render_template("org/tree.html", rows=rows, counts=counts, summary=summary, today=today)


def _new_kind(parent: Organization) -> OrgKind | None:
    """What can be created under `parent`: a 党支部 under a secondary unit; under the school, a
    secondary unit or a 直属党支部 (chosen with ?kind=)."""
    if parent.kind is OrgKind.SECONDARY:
        return OrgKind.BRANCH
    if parent.kind is OrgKind.SCHOOL:
        return OrgKind.BRANCH if request.values.get("kind") == "branch" else OrgKind.SECONDARY
    return None


@bp.route("/units/new", methods=["GET", "POST"])
@manage_only
def unit_new():
    parent = _unit_or_404(request.values.get("parent_id", type=int) or 0)
    kind = _new_kind(parent)
    if kind is None:
        abort(404)
    form = UnitForm()
    form.kind.data = kind.value
    if request.method == "POST":
        values = form.typed()
        if values is not None:
            try:
                unit = operations.create_unit(_user(), kind=kind, parent=parent, **values)
            except operations.OrgError as exc:
                db.session.rollback()
                _field_error(form, exc)
            else:
                flash(f"已新建{unit.type_label}「{unit.name}」", "success")
                return redirect(url_for("org.tree", _anchor=f"unit-{unit.id}"))
    return render_template("org/unit_form.html", form=form, parent=parent, kind=kind, unit=None)


def _field_error(form, exc: operations.OrgError) -> None:
    """The refusal next to its field, or above the form (a rule about the unit as a whole)."""
    field = getattr(form, exc.field, None) if exc.field and exc.field != "parent" else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@manage_only
def unit_edit(unit_id: int):
    unit = _unit_or_404(unit_id)
    form = UnitForm()
    if request.method == "GET":
        form.name.data, form.code.data = unit.name, unit.code or ""
        form.founded_on.data = unit.founded_on.isoformat() if unit.founded_on else ""
        form.unit_type.data = unit.unit_type.value if unit.unit_type else ""
        form.branch_type.data = unit.branch_type.value if unit.branch_type else ""
    else:
        values = form.typed()
        if values is not None:
            try:
                changed = operations.update_unit(_user(), unit, **values)
            except operations.OrgError as exc:
                db.session.rollback()
                _field_error(form, exc)
            else:
                flash(f"已保存「{unit.name}」：修改了{'、'.join(changed)}" if changed else "没有修改任何内容", "success")
                return redirect(url_for("org.tree", _anchor=f"unit-{unit.id}"))
    return render_template("org/unit_form.html", form=form, parent=unit.parent, kind=unit.kind, unit=unit)


@bp.route("/units/<int:unit_id>/move", methods=["GET", "POST"])
@manage_only
def unit_move(unit_id: int):
    unit = _unit_or_404(unit_id)
    if unit.kind is not OrgKind.BRANCH:
        abort(404)
    targets = queries.move_targets(unit)
    form = MoveForm()
    form.parent_id.choices = [(0, "请选择")] + [
        (t.id, f"{t.name}（作为直属党支部）" if t.kind is OrgKind.SCHOOL else t.name) for t in targets]
    if request.method == "POST" and form.validate():
        target = next((t for t in targets if t.id == form.parent_id.data), None)
        try:
            if target is None:
                raise operations.OrgError("请选择要迁入的二级单位党组织，或校党委（作为直属党支部）", field="parent_id")
            operations.move_unit(_user(), unit, target, note=form.note.data)
        except operations.OrgError as exc:
            db.session.rollback()
            form.parent_id.errors = list(form.parent_id.errors) + [exc.message]
        else:
            unit = _unit_or_404(unit_id)
            flash(f"已将「{unit.name}」迁移至「{target.name}」" + ("（直属党支部）" if target.kind is OrgKind.SCHOOL else ""),
                  "success")
            return redirect(url_for("org.tree", _anchor=f"unit-{unit.id}"))
    return render_template("org/unit_move.html", form=form, unit=unit,
                           members=operations.members_in(unit))


@bp.route("/units/<int:unit_id>/dissolve", methods=["GET", "POST"])
@manage_only
def unit_dissolve(unit_id: int):
    unit = _unit_or_404(unit_id)
    if unit.kind not in (OrgKind.SECONDARY, OrgKind.BRANCH):
        abort(404)
    form = DissolveForm()
    if request.method == "GET":
        form.dissolved_on.data = local_today().isoformat()
    elif form.validate():
        on = parse_day(form.dissolved_on)
        if on is not None:
            try:
                operations.dissolve_unit(_user(), unit, on, note=form.note.data)
            except operations.OrgError as exc:
                db.session.rollback()
                target = form.dissolved_on if exc.field == "dissolved_on" else None
                if target is not None:
                    target.errors = list(target.errors) + [exc.message]
                else:
                    form.form_errors.append(exc.message)
            else:
                flash(f"已撤销「{unit.name}」（撤销日期{cn_day(on)}）", "success")
                return redirect(url_for("org.tree", _anchor=f"unit-{unit.id}"))
    return render_template("org/unit_dissolve.html", form=form, unit=unit,
                           members=operations.members_in(unit))
