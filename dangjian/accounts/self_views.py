"""我的账号: the signed-in user's own password (修改密码). Blueprint "account", /account.

The current password is required and the policy applies (accounts.passwords). A change ends every
other session of the user; this one goes on (sessions.renew). A user with must_change_password is
held on this page after signing in with a password (accounts.signin.guard) until the change.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import PasswordField
from wtforms.validators import DataRequired

from ..web.forms import ChineseForm
from . import authentication, sessions
from .passwords import MIN_LENGTH

bp = Blueprint("account", __name__, url_prefix="/account")


class PasswordChangeForm(ChineseForm):
    printed = False  # never reaches a PDF
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm_password = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码")])


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    user = current_user._get_current_object()
    forced = user.must_change_password and sessions.method() == sessions.METHOD_PASSWORD
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            authentication.change_own_password(user, form.current_password.data, form.new_password.data,
                                               form.confirm_password.data)
        except authentication.PasswordChangeRefused as refused:
            if refused.locked:
                sessions.end()
                flash("当前密码连续输错，账号已被暂时锁定，请稍后重新登录。", "danger")
                return redirect(url_for("auth.login"))
            for name, messages in refused.errors.items():
                getattr(form, name).errors = list(messages)
        else:
            sessions.renew(user)
            flash("密码已修改。您在其他设备或浏览器上的登录已全部退出。", "success")
            return redirect(url_for("inbox.index"))
    return render_template("account/password.html", form=form, forced=forced, min_length=MIN_LENGTH,
                           ldap_on=bool(current_app.config.get("AUTH_LDAP_URL")),
                           via_directory=sessions.method() in (sessions.METHOD_LDAP, sessions.METHOD_SSO))
