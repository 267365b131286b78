"""消息: the bell's list, read marks and the user's 消息设置 (/messages), and 组织部's 群机器人 pages
(/messages/robots). Every message is loaded through its recipient: another's is 404."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.permissions import is_org_dept, only_sysadmin
from ..extensions import db
from ..htmx import is_htmx
from ..models import Organization, Request
from ..scope import visible_requests
from . import operations, texts
from .forms import SettingsForm, WebhookForm
from .models import Message, OrgWebhook

bp = Blueprint("notifications", __name__, url_prefix="/messages")


@bp.app_context_processor
def _bell():
    """`message_unread()` for the bell in base.html: called by full pages only, so partials
    cost no query."""
    def message_unread() -> int:
        return operations.unread_count(current_user) if current_user.is_authenticated else 0
    return {"message_unread": message_unread, "message_kind_label": texts.kind_label,
            "message_kind_css": texts.kind_css}


@bp.before_request
def _no_sysadmin():
    if current_user.is_authenticated and only_sysadmin(current_user):
        abort(404)  # 三员分立: the administrator is told nothing about requests


def _user():
    return current_user._get_current_object()


@bp.route("")
@login_required
def index():
    unread_only = request.args.get("show") == "unread"
    query = select(Message).where(Message.recipient_id == current_user.id)
    if unread_only:
        query = query.where(Message.read_at.is_(None))
    page = db.paginate(query.order_by(Message.id.desc()), page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           visible=_visible_ids(page.items), unread=operations.unread_count(current_user))


def _visible_ids(messages) -> set[int]:
    """Of these messages' requests, those the user may open now (one query for the page)."""
    ids = {m.request_id for m in messages if m.request_id is not None}
    if not ids:
        return set()
    return set(db.session.scalars(select(Request.id).where(Request.id.in_(ids), visible_requests(current_user))))


def _own_or_404(message_id: int) -> Message:
    message = operations.own_message_or_none(current_user, message_id)
    if message is None:
        abort(404)
    return message


@bp.route("/<int:message_id>/read", methods=["POST"])
@login_required
def read(message_id: int):
    message = _own_or_404(message_id)
    operations.mark_read(_user(), message)
    if not is_htmx(request):
        return redirect(request.referrer or url_for(".index"))
    html = render_template("notifications/_item.html", m=message, visible=_visible_ids([message]))
    return html + render_template("notifications/_bell.html", oob=True,
                                  unread=operations.unread_count(current_user))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    count = operations.mark_all_read(_user())
    flash(f"已将{count}条消息标为已读。" if count else "没有未读消息。", "success" if count else "info")
    return redirect(url_for(".index"))


@bp.route("/<int:message_id>/open", methods=["POST"])
@login_required
def open_message(message_id: int):
    """Mark read, then go to the request, when the user may still see it (else 404); a notice
    goes to its own link (that page checks its own scope)."""
    message = _own_or_404(message_id)
    operations.mark_read(_user(), message)
    if message.request_id is None:
        return redirect(message.link if message.link.startswith("/") and not message.link.startswith("//")
                        else url_for(".index"), code=303)
    if not _visible_ids([message]):
        abort(404)
    return redirect(url_for("requests.view", request_id=message.request_id), code=303)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    current = operations.settings_of(current_user)
    mode = "off" if not current.email_enabled else ("digest" if current.daily_digest else "each")
    form = SettingsForm(data={"email_mode": mode} if request.method == "GET" else None)
    if form.validate_on_submit():
        chosen = form.email_mode.data
        operations.save_settings(_user(), email_enabled=chosen != "off", daily_digest=chosen == "digest")
        flash("消息设置已保存。", "success")
        return redirect(url_for(".settings"))
    return render_template("notifications/settings.html", form=form,
                           smtp_on=bool(current_app.config.get("SMTP_HOST")),
                           digest_hour=current_app.config.get("NOTIFY_DIGEST_HOUR", 8))


# --- 群机器人 (组织部) ---------------------------------------------------------------------------

def _org_dept_only():
    if not is_org_dept(current_user):
        abort(404)


def _org_choices():
    orgs = db.session.scalars(select(Organization).where(Organization.dissolved_on.is_(None))
                              .order_by(Organization.path))
    return [(o.id, ("　" * (o.path.count("/") - 2)) + o.name) for o in orgs]


@bp.route("/robots", methods=["GET", "POST"])
@login_required
def robots():
    _org_dept_only()
    form = WebhookForm()
    form.organization_id.choices = [(0, "请选择党组织")] + _org_choices()
    if request.method == "POST" and form.validate():
        org = db.session.get(Organization, form.organization_id.data or 0)
        if org is None:
            form.organization_id.errors = ["请选择党组织"]
        elif operations.webhook_of(org.id) is not None:
            form.organization_id.errors = [f"「{org.name}」已设置群机器人，请在下方列表中修改"]
        elif _saved(form, org):
            flash(f"已为「{org.name}」设置群机器人。", "success")
            return redirect(url_for(".robots"))
    hooks = db.session.scalars(select(OrgWebhook).join(Organization).order_by(Organization.path)).all()
    return render_template("notifications/robots.html", form=form, hooks=hooks)


def _saved(form, org, keep_secret=False) -> bool:
    try:
        operations.set_webhook(_user(), org, provider=form.provider.data, url=form.url.data,
                               secret=form.secret.data, enabled=form.enabled.data, keep_secret=keep_secret)
    except operations.NotificationError as exc:
        db.session.rollback()
        getattr(form, exc.field).errors = list(getattr(form, exc.field).errors) + [exc.message]
        return False
    return True


@bp.route("/robots/<int:org_id>", methods=["GET", "POST"])
@login_required
def robot_edit(org_id: int):
    _org_dept_only()
    org = db.session.get(Organization, org_id) or abort(404)
    hook = operations.webhook_of(org.id) or abort(404)
    form = WebhookForm(data={"provider": hook.provider.value, "url": hook.url, "enabled": hook.enabled}
                       if request.method == "GET" else None)
    if request.method == "POST" and form.validate() and _saved(form, org, keep_secret=True):
        flash(f"「{org.name}」的群机器人已保存。", "success")
        return redirect(url_for(".robots"))
    return render_template("notifications/robot_edit.html", form=form, org=org, hook=hook)


@bp.route("/robots/<int:org_id>/delete", methods=["POST"])
@login_required
def robot_delete(org_id: int):
    _org_dept_only()
    org = db.session.get(Organization, org_id) or abort(404)
    if operations.delete_webhook(_user(), org):
        flash(f"已删除「{org.name}」的群机器人。", "success")
    return redirect(url_for(".robots"))
