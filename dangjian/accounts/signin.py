"""登录与退出, and the guard in front of every page: timeouts, stale sessions, the forced password
change, single sign-on, the login rate limit and the client address behind a proxy.

Blueprint "auth" (endpoints auth.login, auth.logout). `init_app` wires the rest into the app.
"""
import time
from urllib.parse import urlparse

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from .. import audit, htmx
from ..extensions import db, limiter, login_manager
from ..web.forms import ChineseForm
from . import authentication, lockout, sessions, sso

bp = Blueprint("auth", __name__)

TIMEOUT_MESSAGE = "登录已超时，请重新登录"
# While a password must be changed, only these pages open.
_OPEN_WHILE_FORCED = {"account.password", "auth.logout", "auth.login", "static"}


class LoginForm(ChineseForm):
    printed = False  # never reaches a PDF
    username = StringField("账号", validators=[DataRequired("请输入账号")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def _safe_next(target: str | None) -> str:
    """Only a path on this site. Browsers read a backslash as a slash, so "/\\evil.example" would
    leave the site like "//evil.example"; control characters are refused too."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 32 for c in target) and urlparse(target).netloc == ""):
        return target
    return url_for("inbox.index")


def rate_limit_key() -> str:
    """Failed sign-ins are counted per client address (after ProxyFix: the real client behind
    trusted proxies only), under this deployment's namespace in Redis."""
    return f"{current_app.config['LOGIN_RATE_LIMIT_NAMESPACE']}:{request.remote_addr}"


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=rate_limit_key, methods=["POST"],
               deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        outcome = authentication.authenticate(form.username.data, form.password.data)
        if outcome.ok:
            sessions.start(outcome.user, outcome.method)
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = True
        error = lockout.failure_message()
    demo_accounts = None
    if current_app.config.get("DEMO_MODE"):
        from ..demo import DEMO_ACCOUNTS, DEMO_PASSWORD
        demo_accounts = (DEMO_ACCOUNTS, DEMO_PASSWORD)
    return render_template("auth/login.html", form=form, error=error, demo_accounts=demo_accounts,
                           logged_out=request.args.get("bye") == "1" and not error)


@bp.route("/logout", methods=["POST"])
def logout():
    """退出: every session of the user ends (on every device), and the browser is told to forget
    this site's cookies, storage and cache."""
    method = sessions.method()
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        sessions.end_all_sessions(user)
        audit.record("auth.logout", user)
        db.session.commit()
    sessions.end()
    sso_logout = current_app.config.get("AUTH_TRUSTED_LOGOUT_URL")
    if method == sessions.METHOD_SSO and sso_logout:
        resp = redirect(sso_logout)
    else:
        resp = redirect(url_for("auth.login", bye=1))
    resp.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return resp


def _to_login(with_next: bool = True):
    """To the login page: the whole page, for htmx too (never a login form inside a card)."""
    if request.headers.get("HX-Request"):
        return htmx.redirect(url_for("auth.login"))
    target = request.full_path.rstrip("?") if with_next and request.method == "GET" else None
    return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))


def _unauthorized():
    """Flask-Login's answer to a page that needs a signed-in user."""
    flash(login_manager.login_message, login_manager.login_message_category)
    return _to_login()


def guard():
    """Before every request: end a timed-out or stale session, let the SSO proxy sign a user in,
    and hold a user who must change the password on that page."""
    if request.endpoint == "static":
        return None
    timed_out = False
    # Load the user first: Flask-Login would also accept a remember-me cookie, which carries no
    # sign-in time and is therefore ended below like any unstamped session.
    authenticated = current_user.is_authenticated
    if "_user_id" in session:
        if not authenticated:
            session.clear()  # a stale version (退出 elsewhere, password changed, disabled): start afresh
        else:
            reason = sessions.expired()
            if reason:
                audit.record("auth.session_timeout", current_user._get_current_object(), reason=reason,
                             signed_in_at=sessions.signed_in_at())
                db.session.commit()
                sessions.end()
                timed_out = True
    if sso.enabled():
        sso.sign_in_from_header()
    if timed_out and not current_user.is_authenticated:
        flash(TIMEOUT_MESSAGE, "warning")
        return None if request.endpoint == "auth.login" else _to_login()
    if (current_user.is_authenticated and current_user.must_change_password
            and sessions.method() == sessions.METHOD_PASSWORD and request.endpoint not in _OPEN_WHILE_FORCED):
        if request.headers.get("HX-Request"):
            return htmx.redirect(url_for("account.password"))
        return redirect(url_for("account.password"))
    return None


def too_many_requests(e):
    message = "登录失败次数过多，请稍后再试。如需帮助，请联系本单位党务工作人员或系统管理员。"
    resp = current_app.make_response((render_template("errors/error.html", code=429, message=message), 429))
    current = limiter.current_limit
    if current is not None:  # the seconds until the window of failures ends
        resp.headers["Retry-After"] = str(max(1, current.reset_at - int(time.time())))
    return resp


def init_app(app: Flask) -> None:
    """The client address behind trusted proxies, the login rate limit, the guard, and
    Flask-Login's answers (an htmx request gets HX-Redirect, never a login form in a card)."""
    proxies = app.config.get("PROXY_COUNT") or 0
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or app.config["REDIS_URL"]
    limiter.init_app(app)
    app.before_request(guard)
    app.register_error_handler(429, too_many_requests)
    login_manager.unauthorized_handler(_unauthorized)
