"""党务公开 pages: the board every signed-in user reads (with the award 公示 on it), an item's page,
and the publishers' pages (管理, new, edit, generate 党费收缴和使用情况, publish, withdraw)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Organization
from ..timeutil import local_today
from ..workflow.errors import WorkflowError
from . import operations, privacy
from .access import (can_manage_any, managed_scope, manages, on_board, publishing_orgs, reader_scope,
                     reads_business_content)
from .forms import DuesForm, ItemForm, VersionForm, WithdrawForm, add_error, parse_date
from .models import ItemKind, ItemStatus, OpenItem

bp = Blueprint("openness", __name__, url_prefix="/openness")
PER_PAGE = 20
DEFAULT_DAYS = 30  # a new item is public for a month unless the publisher says otherwise


@bp.app_template_filter("public_text")
def public_text(text: str) -> str:
    """A text written for another purpose (an award's 事迹), as the board may show it."""
    return privacy.redact(text)


@bp.app_template_filter("as_decimal")
def as_decimal(text: str) -> Decimal:
    """An amount kept as text (the figures of a 党费收缴和使用情况 item) for the `yuan` filter."""
    return Decimal(text)


def _user():
    return current_user._get_current_object()


def _reader_or_404():
    if not reads_business_content(current_user):
        abort(404)


def _page() -> int:
    return max(request.args.get("page", 1, type=int), 1)


@bp.route("/")
@login_required
def board():
    from ..request_types.award_nomination.publicity_views import board_sections

    _reader_or_404()
    today, page = local_today(), _page()
    cond = on_board(_user(), today)
    total = db.session.scalar(select(func.count(OpenItem.id)).where(cond)) or 0
    items = db.session.scalars(select(OpenItem).where(cond).options(selectinload(OpenItem.organization))
                               .order_by(OpenItem.starts_on.desc(), OpenItem.id.desc())
                               .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    current, done = board_sections()
    return render_template("openness/board.html", items=items, current=current, done=done, page=page,
                           pages=max(1, -(-total // PER_PAGE)), today=today,
                           can_manage=can_manage_any(current_user))


def _item_or_404(item_id: int) -> OpenItem:
    """An item the user manages (any status), or one in their scope that is on the board or was
    withdrawn from it, during its period; anything else answers 404."""
    _reader_or_404()
    item = db.session.get(OpenItem, item_id)
    if item is None:
        abort(404)
    if manages(current_user, item):
        return item
    in_scope = db.session.scalar(select(OpenItem.id).where(OpenItem.id == item.id, reader_scope(_user())))
    # During its period only; withdrawn, it says why (and no more) until the period would have ended.
    visible = item.status in (ItemStatus.PUBLISHED, ItemStatus.WITHDRAWN) and item.in_period(local_today())
    if in_scope is None or not visible:
        abort(404)
    return item


def _managed_or_404(item_id: int) -> OpenItem:
    item = db.session.get(OpenItem, item_id)
    if item is None or not reads_business_content(current_user) or not manages(current_user, item):
        abort(404)
    return item


@bp.route("/items/<int:item_id>")
@login_required
def item(item_id: int):
    item = _item_or_404(item_id)
    return _item_page(item)


def _item_page(item: OpenItem, withdraw_form=None, message=None, status=200):
    managing = manages(current_user, item)
    return render_template("openness/item.html", item=item, managing=managing, today=local_today(),
                           withdraw_form=withdraw_form or WithdrawForm(formdata=None, version=item.version),
                           version_form=VersionForm(formdata=None, version=item.version), message=message), status


@bp.route("/manage")
@login_required
def manage():
    if not reads_business_content(current_user) or not can_manage_any(current_user):
        abort(404)
    status = request.args.get("status", "")
    query = select(OpenItem).where(managed_scope(_user()))
    if status in {s.value for s in ItemStatus}:
        query = query.where(OpenItem.status == ItemStatus(status))
    page = _page()
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(query.options(selectinload(OpenItem.organization), selectinload(OpenItem.created_by))
                               .order_by(OpenItem.updated_at.desc(), OpenItem.id.desc())
                               .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template("openness/manage.html", items=items, status=status, statuses=list(ItemStatus),
                           page=page, pages=max(1, -(-total // PER_PAGE)), today=local_today())


def _scope_choices() -> list[tuple[str, str]]:
    return [(str(o.id), "全校" if o.parent_id is None else o.name) for o in publishing_orgs(_user())]


def _item_form(item: OpenItem | None = None) -> ItemForm:
    today = local_today()
    if request.method == "POST":
        form = ItemForm()
    elif item is not None:
        form = ItemForm(formdata=None, kind=item.kind.value, organization_id=str(item.organization_id),
                        title=item.title, body=item.body, starts_on=item.starts_on.isoformat(),
                        ends_on=item.ends_on.isoformat(), version=str(item.version))
    else:
        form = ItemForm(formdata=None, starts_on=today.isoformat(),
                        ends_on=(today + timedelta(days=DEFAULT_DAYS)).isoformat())
    form.organization_id.choices = _scope_choices()
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not reads_business_content(current_user) or not can_manage_any(current_user):
        abort(404)
    form = _item_form()
    if request.method == "POST":
        draft = form.draft()
        problems = operations.check(draft, _user())
        if not problems and not form.errors:
            try:
                item = operations.create(draft, _user())
            except WorkflowError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            else:
                flash("已保存为草稿。请核对后发布。", "success")
                return redirect(url_for(".item", item_id=item.id))
        form.show(problems)
    return render_template("openness/form.html", form=form, item=None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int):
    item = _managed_or_404(item_id)
    if item.status is not ItemStatus.DRAFT:
        flash("已发布的公开事项不能修改；如内容有误，请撤回后重新发布", "warning")
        return redirect(url_for(".item", item_id=item.id))
    form = _item_form(item)
    if item.kind is ItemKind.DUES:
        form.kind.data, form.organization_id.data = item.kind.value, str(item.organization_id)
    if request.method == "POST":
        draft = form.draft()
        if item.kind is ItemKind.DUES:
            draft.kind, draft.organization_id = item.kind, item.organization_id
        problems = operations.check(draft, _user(), item)
        if not problems and not form.errors:
            seen = int(form.version.data) if (form.version.data or "").isdigit() else -1
            try:
                operations.update_draft(item, draft, _user(), seen)
            except WorkflowError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            else:
                flash("草稿已保存", "success")
                return redirect(url_for(".item", item_id=item.id))
        form.show(problems)
    return render_template("openness/form.html", form=form, item=item)


def _seen(form) -> int:
    return int(form.version.data) if (form.version.data or "").isdigit() else -1


@bp.route("/items/<int:item_id>/publish", methods=["POST"])
@login_required
def publish(item_id: int):
    item = _managed_or_404(item_id)
    form = VersionForm()
    try:
        operations.publish(item, _user(), _seen(form))
    except WorkflowError as exc:
        db.session.rollback()
        db.session.expire_all()
        return _item_page(db.session.get(OpenItem, item_id), message=exc.message)
    flash(f"已发布：{item.title}（公开期 {item.starts_on:%Y-%m-%d} 至 {item.ends_on:%Y-%m-%d}）", "success")
    return redirect(url_for(".item", item_id=item.id))


@bp.route("/items/<int:item_id>/withdraw", methods=["POST"])
@login_required
def withdraw(item_id: int):
    item = _managed_or_404(item_id)
    form = WithdrawForm()
    form.validate()
    try:
        operations.withdraw(item, _user(), form.reason.data)
    except WorkflowError as exc:
        db.session.rollback()
        db.session.expire_all()
        item = db.session.get(OpenItem, item_id)
        if exc.field == "reason":
            add_error(form.reason, exc.message)
            return _item_page(item, withdraw_form=form)
        return _item_page(item, message=exc.message)
    flash(f"已撤回：{item.title}", "success")
    return redirect(url_for(".item", item_id=item.id))


@bp.route("/items/<int:item_id>/delete", methods=["POST"])
@login_required
def delete(item_id: int):
    item = _managed_or_404(item_id)
    try:
        operations.delete_draft(item, _user(), _seen(VersionForm()))
    except WorkflowError as exc:
        db.session.rollback()
        db.session.expire_all()
        return _item_page(db.session.get(OpenItem, item_id), message=exc.message)
    flash("草稿已删除", "success")
    return redirect(url_for(".manage"))


@bp.route("/dues/new", methods=["GET", "POST"])
@login_required
def dues_new():
    if not reads_business_content(current_user) or not can_manage_any(current_user):
        abort(404)
    today = local_today()
    if request.method == "POST":
        form = DuesForm()
    else:
        form = DuesForm(formdata=None, year=today.year - 1 if today.month < 3 else today.year,
                        starts_on=today.isoformat(), ends_on=(today + timedelta(days=DEFAULT_DAYS)).isoformat())
    form.organization_id.choices = _scope_choices()
    if request.method == "POST":
        form.validate()
        org_id = int(form.organization_id.data) if (form.organization_id.data or "").isdigit() else 0
        org = db.session.get(Organization, org_id)
        if org is None or org_id not in {int(v) for v, _ in form.organization_id.choices}:
            add_error(form.organization_id, "请选择公开范围")
        if form.year.data is None:
            add_error(form.year, "请填写年度")
        starts_on, ends_on = parse_date(form.starts_on.data), parse_date(form.ends_on.data)
        if not any(f.errors for f in form):
            try:
                item = operations.generate_dues(org, form.year.data, _user(), starts_on, ends_on)
            except WorkflowError as exc:
                db.session.rollback()
                field = getattr(form, exc.field, None) if exc.field else None
                if field is not None:
                    add_error(field, exc.message)
                else:
                    flash(exc.message, "danger")
            else:
                flash("已根据党费和经费数据生成草稿，请核对后发布", "success")
                return redirect(url_for(".item", item_id=item.id))
    return render_template("openness/dues_form.html", form=form)
