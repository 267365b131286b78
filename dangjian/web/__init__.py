"""The web layer: blueprints, filters, error pages and response headers."""
from flask import g, make_response, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..extensions import login_manager
from ..dates import clock, cn_day, cn_month, day, short_stamp, stamp
from ..money import format_yuan, yuan_capital
from ..timeutil import local_today


def register_web(app) -> None:
    from .. import plugins
    from ..accounts import admin_views, self_views, signin
    from ..documents import register_views
    from ..org import views as org_views
    from ..org.imports import views as import_views
    from ..notifications import views as notification_views
    from ..schedule import views as schedule_views
    from ..supervision import audit_views, dashboard_views, overdue_views
    from . import (archive, assets, batch, budget, cc, delegations, documents, inbox, launch, me, payments, requests,
                   search, transfer, urge, verify)

    assets.init_app(app)  # compression and static versions; its after_request hooks run last
    core = (signin.bp, self_views.bp, inbox.bp, batch.bp, requests.bp, urge.bp, documents.bp, me.bp, launch.bp,
            budget.bp, search.bp, cc.bp, notification_views.bp, delegations.bp, transfer.bp, payments.bp, verify.bp)
    administration = (admin_views.bp, org_views.bp, import_views.bp, audit_views.bp, schedule_views.bp,
                      overdue_views.bp, dashboard_views.bp, archive.bp, register_views.bp)
    for bp in (*core, *administration, *plugins.blueprints()):
        app.register_blueprint(bp)

    # Dates (dangjian/dates.py says the rule): `date` and `dt` in lists, tables, field values and
    # timestamps (2026-08-16, 2026-08-16 14:05); `ymd` and `ym` in prose and documents (2026年8月16日).
    app.jinja_env.filters.update(yuan=format_yuan, yuan_capital=yuan_capital, date=day, dt=stamp, dt_short=short_stamp,
                                 hm=clock, ymd=cn_day, ym=cn_month)
    from ..workflow.history import action_label, actor_name, actor_role_label, meeting_type_label
    from ..workflow.routing import acting_label
    from ..budget import held_amount, payment_of
    from ..deadlines import RULE as deadline_rule
    app.jinja_env.globals.update(today=local_today, deadline_rule=deadline_rule, timeline_action_label=action_label,
                                 timeline_role_label=actor_role_label, meeting_type_label=meeting_type_label,
                                 private_withheld=cc.private_withheld, cc_picked=cc.picked_users,
                                 timeline_actor=actor_name, acting_label=acting_label,
                                 req_held_amount=lambda req: held_amount(req.id), req_payment=lambda req: payment_of(req.id))

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    from ..accounts.sessions import load_user
    login_manager.user_loader(load_user)
    signin.init_app(app)  # sessions' guard, login rate limit, proxy addresses, 429 page
    from . import page_cache
    page_cache.init_app(app)  # after the guard: its lookup runs first, or right after the guard (SSO)

    @app.context_processor
    def inject_masthead():
        from .masthead import issuer_names

        def footer_issuer() -> str:  # called by base.html only: partials cost nothing
            return " · ".join(n for n in issuer_names(app) if n)
        return {"footer_issuer": footer_issuer}

    @app.context_processor
    def inject_badge():
        if current_user.is_authenticated:
            from ..inbox import todo_count
            # The 待办 page without filters has just counted the same rows (g.todo_count).
            count = g.get("todo_count")
            return {"todo_count": todo_count(current_user) if count is None else count, "main_nav": _main_nav}
        return {}

    def _main_nav() -> dict:  # called by base.html only: partials cost nothing
        from ..accounts.permissions import is_sysadmin, only_sysadmin
        from ..org import access as org_access
        from ..supervision.audit_views import can_read_audit_log
        from .nav import main_nav

        user = current_user._get_current_object()
        return main_nav(user, admin_only=only_sysadmin(user), can_manage=launch.can_manage(user),
                        nav_org=org_access.can_read_members(user), nav_audit=can_read_audit_log(user),
                        nav_admin=is_sysadmin(user), search_entries=search.nav_entries(user))

    @app.errorhandler(404)
    def not_found(e):
        return render_template("errors/error.html", code=404, message="页面不存在，或您无权查看。"), 404

    @app.errorhandler(403)
    def forbidden(e):
        return render_template("errors/error.html", code=403, message="您无权执行此操作。"), 403

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        resp = make_response(render_template("errors/error.html", code=400,
                                             message="页面已过期或请求来源无法验证，请刷新页面后重试。"), 400)
        if request.headers.get("HX-Request"):
            # htmx does not swap a 400: reload the page so the user gets a fresh token.
            resp.headers["HX-Refresh"] = "true"
        return resp

    @app.errorhandler(413)
    def too_large(e):
        return render_template("errors/error.html", code=413, message="上传的文件过大（单次不超过20MB）。"), 413

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'self'")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        # A signed-in session's pages are never kept by the browser. Read from the session, not from
        # current_user: that would load the user, which a page from the cache never needs.
        if request.endpoint != "static" and "_user_id" in session:
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp
