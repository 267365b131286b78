"""Login and logout."""
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from .. import audit
from ..extensions import db
from ..models import User
from .forms import ChineseForm

bp = Blueprint("auth", __name__)


class LoginForm(ChineseForm):
    username = StringField("账号", validators=[DataRequired("请输入账号")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def _safe_next(target: str | None) -> str:
    """Only a path on this site. Browsers read a backslash as a slash, so "/\\evil.example" would
    leave the site like "//evil.example"; control characters are refused too."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 32 for c in target) and urlparse(target).netloc == ""):
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None or not user.check_password(form.password.data) or not user.active:
            error = "账号或密码不正确"
            audit.record("auth.login_failed", username=form.username.data.strip()[:50])
            db.session.commit()
        else:
            login_user(user)
            audit.record("auth.login", user, user=user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    demo_accounts = None
    if current_app.config.get("DEMO_MODE"):
        from ..demo import DEMO_ACCOUNTS, DEMO_PASSWORD
        demo_accounts = (DEMO_ACCOUNTS, DEMO_PASSWORD)
    return render_template("auth/login.html", form=form, error=error, demo_accounts=demo_accounts)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit.record("auth.logout", current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash("您已安全退出", "success")
    return redirect(url_for("auth.login"))
