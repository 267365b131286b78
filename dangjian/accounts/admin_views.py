"""系统管理员 pages: accounts, and roles with terms (三员分立: nothing of the business content).

Every route 404s for anyone who does not hold 系统管理员 today. Views parse input, call one
operation (operations.py), and render; a refusal (AdminError) is shown next to its field or as a
message. A temporary password is rendered once, in the response to the POST that made it: never
put in the session (a flash would sit in the signed, readable cookie), never stored in plain text.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..htmx import is_htmx
from ..models import Member, Organization, Role, RoleAssignment, User
from ..timeutil import local_today
from . import operations, roles, sessions
from .forms import AccountEditForm, AccountForm, HistoryForm, RoleForm
from .operations import AdminError
from .permissions import is_sysadmin, only_sysadmin

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_global(only_sysadmin, "only_sysadmin")

STATUSES = {"active": "正常", "disabled": "已停用", "locked": "已锁定"}
PICKER_LIMIT = 10  # search results offered in a picker


@bp.before_request
@login_required
def _sysadmin_only():
    if not is_sysadmin(current_user):
        abort(404)


@bp.app_template_global("admin_term_status")
def _term_status(ra):
    return roles.term_status(ra)


@bp.app_template_global("admin_term_label")
def _term_label(ra):
    return roles.term_label(ra)


@bp.app_template_global("admin_is_locked")
def _is_locked(user):
    return operations.is_locked(user)


def _me() -> User:
    return current_user._get_current_object()


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _apply_error(form, exc: AdminError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


# --- accounts -------------------------------------------------------------------------------------

@bp.route("/")
def index():
    return redirect(url_for(".accounts"))


def _account_query(text: str, status: str, role: str):
    q = select(User).outerjoin(Member, User.member_id == Member.id)
    if text:
        q = q.where(or_(User.username.icontains(text, autoescape=True),
                        User.display_name.icontains(text, autoescape=True),
                        Member.staff_no.icontains(text, autoescape=True),
                        Member.name.icontains(text, autoescape=True)))
    now = sessions.now()
    locked = and_(User.locked_until.is_not(None), User.locked_until > now)
    if status == "active":
        q = q.where(User.active.is_(True), ~locked)
    elif status == "disabled":
        q = q.where(User.active.is_(False))
    elif status == "locked":
        q = q.where(User.active.is_(True), locked)
    holding = select(RoleAssignment.user_id).where(RoleAssignment.in_effect())
    if role == "none":
        q = q.where(User.id.not_in(holding))
    elif role in {r.value for r in Role}:
        q = q.where(User.id.in_(holding.where(RoleAssignment.role == Role(role))))
    return q.options(selectinload(User.member)).order_by(User.username)


@bp.route("/accounts")
def accounts():
    text = request.args.get("q", "").strip()[:50]
    status = request.args.get("status", "")
    role = request.args.get("role", "")
    query, per_page = _account_query(text, status, role), current_app.config["PER_PAGE"]
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=per_page, error_out=False)
    if page.pages and page.page > page.pages:  # an old link past the end: show the last page
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    filtered = bool(text or status in STATUSES or role)
    args = {"q": text or None, "status": status or None, "role": role or None}
    template = "admin/_account_rows.html" if is_htmx(request) else "admin/accounts.html"
    return render_template(template, page=page, q=text, status=status, role=role, statuses=STATUSES,
                           role_options=roles.role_choices(), filtered=filtered, args=args)


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new():
    form = AccountForm()
    picked = db.session.get(Member, form.member_id.data) if form.member_id.data else None
    if form.validate_on_submit():
        try:
            user, password = operations.create_account(
                _me(), username=form.username.data, display_name=form.display_name.data,
                email=form.email.data, member_id=form.member_id.data)
        except AdminError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            return render_template("admin/password.html", user=user, password=password, created=True)
    return render_template("admin/account_new.html", form=form, picked=picked)


@bp.route("/members/search")
def member_search():
    """The member picker: members by 工号 or 姓名 (name, 工号 and branch only: no personal data).
    `keep` (the account page's current link) stays offered and checked whatever the search finds."""
    text = request.args.get("member_q", "").strip()[:50]
    keep = request.args.get("keep", type=int)
    picked = db.session.get(Member, keep) if keep else None
    found = []
    if text:
        found = db.session.scalars(
            select(Member).where(or_(Member.staff_no.icontains(text, autoescape=True),
                                     Member.name.icontains(text, autoescape=True)))
            .options(selectinload(Member.user), selectinload(Member.branch))
            .order_by(Member.staff_no).limit(PICKER_LIMIT + 1)).all()
    return render_template("admin/_member_results.html", members=found[:PICKER_LIMIT], text=text,
                           more=len(found) > PICKER_LIMIT, picked=picked)


@bp.route("/accounts/search")
def account_search():
    """The account picker of an organization's page: accounts by 账号, 姓名 or 工号."""
    text = request.args.get("account_q", "").strip()[:50]
    found = []
    if text:
        found = db.session.scalars(_account_query(text, "", "").limit(PICKER_LIMIT + 1)).all()
    return render_template("admin/_account_results.html", users=found[:PICKER_LIMIT], text=text,
                           more=len(found) > PICKER_LIMIT)


def _account_page(user: User, role_form: RoleForm | None = None, status: int = 200):
    role_form = role_form or RoleForm(formdata=None, org_choices=roles.org_choices())
    return render_template("admin/account.html", user=user, role_form=role_form,
                           history=roles.history_of(user), where_held=roles.where_held,
                           today=local_today()), status


@bp.route("/accounts/<int:user_id>")
def account(user_id: int):
    return _account_page(_user_or_404(user_id))


@bp.route("/accounts/<int:user_id>/edit", methods=["GET", "POST"])
def account_edit(user_id: int):
    """修改账号信息: 姓名, 电子邮箱 and the linked member record; the username stays."""
    user = _user_or_404(user_id)
    form = AccountEditForm()
    if request.method == "GET":
        form.display_name.data, form.email.data, form.member_id.data = user.display_name, user.email, user.member_id
    elif "member_id" not in request.form:  # no picker on the page (a 系统管理员 account): link unchanged
        form.member_id.data = user.member_id
    if form.validate_on_submit():
        try:
            changed = operations.update_account(_me(), user, display_name=form.display_name.data,
                                                email=form.email.data, member_id=form.member_id.data)
        except AdminError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            if changed:
                flash(f"已保存账号「{user.username}」的修改：{'、'.join(changed)}", "success")
            else:
                flash("没有修改任何内容", "info")
            return redirect(url_for(".account", user_id=user.id))
    picked = db.session.get(Member, form.member_id.data) if form.member_id.data else None
    return render_template("admin/account_edit.html", user=user, form=form, picked=picked,
                           # 三员分立: no member to pick for a 系统管理员 (one linked by older data may be unlinked)
                           no_member=operations.is_sysadmin_account(user) and user.member_id is None)


def _account_action(user_id: int, action, done: str):
    user = _user_or_404(user_id)
    try:
        action(user)
    except AdminError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(done.format(user=user), "success")
    return redirect(url_for(".account", user_id=user.id))


@bp.route("/accounts/<int:user_id>/disable", methods=["POST"])
def account_disable(user_id: int):
    return _account_action(user_id, lambda u: operations.set_active(_me(), u, False),
                           "已停用账号「{user.username}」，其所有登录会话已结束")


@bp.route("/accounts/<int:user_id>/enable", methods=["POST"])
def account_enable(user_id: int):
    return _account_action(user_id, lambda u: operations.set_active(_me(), u, True), "已启用账号「{user.username}」")


@bp.route("/accounts/<int:user_id>/unlock", methods=["POST"])
def account_unlock(user_id: int):
    return _account_action(user_id, lambda u: operations.unlock(_me(), u), "已解锁账号「{user.username}」")


@bp.route("/accounts/<int:user_id>/reset-password", methods=["POST"])
def account_reset_password(user_id: int):
    user = _user_or_404(user_id)
    try:
        password = operations.reset_password(_me(), user)
    except AdminError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".account", user_id=user.id))
    return render_template("admin/password.html", user=user, password=password, created=False)


# --- roles ----------------------------------------------------------------------------------------

def _assign(form: RoleForm, user: User | None) -> RoleAssignment | None:
    """Validate and assign; errors go onto the form. None when refused."""
    if not form.validate_on_submit():
        return None
    if user is None:
        form.user_id.errors = list(form.user_id.errors) + ["请查找并选择账号"]
        return None
    try:
        return operations.assign_role(_me(), user, role=form.role.data, organization_id=form.organization_id.data,
                                      starts_on=form.starts_on.data, ends_on=form.ends_on.data, note=form.note.data)
    except AdminError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return None


def _assigned_message(ra: RoleAssignment) -> str:
    return f"已任命 {ra.user.display_name}（{ra.user.username}）为「{ra.organization.name} · {ra.role.label}」，{roles.term_label(ra)}"


@bp.route("/accounts/<int:user_id>/roles", methods=["POST"])
def account_assign(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm(org_choices=roles.org_choices())
    ra = _assign(form, user)
    if ra is None:
        return _account_page(user, form)
    flash(_assigned_message(ra), "success")
    return redirect(url_for(".account", user_id=user.id) + "#roles")


@bp.route("/roles/<int:assignment_id>/revoke", methods=["POST"])
def role_revoke(assignment_id: int):
    ra = db.session.get(RoleAssignment, assignment_id) or abort(404)
    back = (url_for(".org", org_id=ra.organization_id) if request.form.get("back") == "org"
            else url_for(".account", user_id=ra.user_id))
    try:
        operations.revoke_role(_me(), ra)
    except AdminError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(f"已撤销 {ra.user.display_name}（{ra.user.username}）的「{ra.organization.name} · {ra.role.label}」",
              "success")
    return redirect(back)


@bp.route("/orgs")
def orgs():
    """The organization tree, with the roles in effect at each organization."""
    tree = roles.org_tree(include_dissolved=True)
    current = db.session.scalars(select(RoleAssignment).where(RoleAssignment.in_effect())
                                 .options(selectinload(RoleAssignment.user))).all()
    held: dict[int, list[RoleAssignment]] = {}
    for ra in current:
        held.setdefault(ra.organization_id, []).append(ra)
    return render_template("admin/orgs.html", tree=tree, held=held)


def _org_page(org: Organization, form: RoleForm | None = None, picked: User | None = None, status: int = 200):
    allowed = [r for r in Role if roles.check_role_organization(r, org) is None]
    if form is None:
        form = RoleForm(formdata=None, org_choices=[(org.id, org.name)])
        if len(allowed) == 1:
            form.role.data = allowed[0].value
    form.role.choices = [("", "请选择角色")] + [(r.value, r.label) for r in allowed]
    return render_template("admin/org.html", org=org, form=form, allowed=allowed, picked=picked,
                           current=roles.current_at(org.id), upcoming=roles.upcoming_at(org.id),
                           today=local_today()), status


@bp.route("/orgs/<int:org_id>")
def org(org_id: int):
    return _org_page(db.session.get(Organization, org_id) or abort(404))


@bp.route("/orgs/<int:org_id>/roles", methods=["POST"])
def org_assign(org_id: int):
    org = db.session.get(Organization, org_id) or abort(404)
    form = RoleForm(org_choices=[(org.id, org.name)])
    form.organization_id.data = org.id  # this page assigns at this organization only
    user = db.session.get(User, form.user_id.data) if form.user_id.data else None
    ra = _assign(form, user)
    if ra is None:
        return _org_page(org, form, picked=user)
    flash(_assigned_message(ra), "success")
    return redirect(url_for(".org", org_id=org.id))


@bp.route("/roles/history")
def role_history():
    """Who held a role at an organization on a day (?org=&role=&on=YYYY-MM-DD)."""
    form = HistoryForm(request.args, org_choices=roles.org_choices(include_dissolved=True))
    held, org, asked = [], None, bool(request.args.get("org"))
    if asked and form.validate():
        org = db.session.get(Organization, form.org.data) if form.org.data else None
        if org is None:
            form.org.errors = list(form.org.errors) + ["请选择组织"]
        else:
            day = form.on.data or local_today()
            form.on.data = day
            role = Role(form.role.data) if form.role.data in {r.value for r in Role} else None
            held = roles.holders_on(org.id, role, day)
    return render_template("admin/history.html", form=form, held=held, org=org,
                           asked=asked and org is not None and not form.errors, day=form.on.data or local_today())
