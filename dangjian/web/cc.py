"""抄送 pages: 组织部's 抄送规则 (per request type), and the approver's person picker in the 处理
panel (search as you type, htmx only). The copying itself is workflow.cc, called by the engine."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField

from ..extensions import db
from ..models import CcRule, CcTarget, CcWhen, Role
from ..request_filters import type_labels
from ..scope import get_request_or_404
from ..workflow import Action, available_actions
from ..workflow import cc as copies
from .forms import ChineseForm

bp = Blueprint("cc", __name__)

PICKING_ACTIONS = {Action.APPROVE, Action.REJECT, Action.RETURN}


def can_manage_rules(user) -> bool:
    return user.holds(Role.ORG_DEPT)


class RuleForm(ChineseForm):
    request_type = SelectField("申请类型", validate_choice=False)
    target = SelectField("抄送对象", choices=[("", "请选择")] + CcTarget.choices(), validate_choice=False)
    username = StringField("指定人员账号")
    when = SelectField("抄送时机", choices=CcWhen.choices(), default=CcWhen.APPROVED.value, validate_choice=False)
    note = StringField("说明")


@bp.route("/cc/rules", methods=["GET", "POST"])
@login_required
def rules():
    user = current_user._get_current_object()
    if not can_manage_rules(user):
        abort(404)
    labels = type_labels()
    form = RuleForm()
    form.request_type.choices = [("", "请选择")] + list(labels.items())
    if request.method == "POST" and form.validate():
        try:
            rule = copies.add_rule(user, request_type=form.request_type.data, target=form.target.data,
                                   when=form.when.data, username=form.username.data, note=form.note.data)
        except copies.RuleInvalid as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors = list(getattr(form, name).errors) + [message]
        else:
            flash(f"已添加抄送规则：{labels[rule.request_type]} · {rule.target_label} · {rule.timing.label}", "success")
            return redirect(url_for("cc.rules"))
    rows = db.session.scalars(copies.active_rules().options(selectinload(CcRule.user),
                                                             selectinload(CcRule.created_by))).all()
    grouped = {key: [r for r in rows if r.request_type == key] for key in labels}
    return render_template("cc/rules.html", form=form, grouped=grouped, type_labels=labels)


@bp.route("/cc/rules/<int:rule_id>/remove", methods=["POST"])
@login_required
def remove(rule_id: int):
    user = current_user._get_current_object()
    if not can_manage_rules(user):
        abort(404)
    rule = db.session.scalar(select(CcRule).where(CcRule.id == rule_id, CcRule.removed_at.is_(None)))
    if rule is None:
        abort(404)
    label = f"{type_labels().get(rule.request_type, rule.request_type)} · {rule.target_label} · {rule.timing.label}"
    copies.remove_rule(user, rule)
    flash(f"已删除抄送规则：{label}（已抄送的不受影响）", "success")
    return redirect(url_for("cc.rules"))


# --- the approver's picker ---------------------------------------------------------------------

def _picking_request(request_id: int):
    """The request, for someone who may decide it now; anyone else gets 404."""
    req = get_request_or_404(request_id, current_user)
    if not PICKING_ACTIONS & set(available_actions(req, current_user)):
        abort(404)
    return req


def _selected_ids() -> list[int]:
    return request.args.getlist("cc_user", type=int)


@bp.route("/requests/<int:request_id>/cc/candidates")
@login_required
def candidates(request_id: int):
    """Search results under the picker's box: people the approver may copy."""
    req = _picking_request(request_id)
    q = request.args.get("cc_q", "")
    found = copies.search_pickable(current_user, q, exclude=[*_selected_ids(), req.initiator_id])
    return render_template("cc/_candidates.html", req=req, q=q.strip(), found=found)


@bp.route("/requests/<int:request_id>/cc/selected")
@login_required
def selected(request_id: int):
    """The chosen people (hidden inputs `cc_user`), after adding or removing one."""
    req = _picking_request(request_id)
    ids = _selected_ids()
    add, drop = request.args.get("add", type=int), request.args.get("remove", type=int)
    if add and add not in ids and len(ids) < copies.MAX_PICKS:
        ids.append(add)
    ids = [i for i in ids if i != drop]
    users = copies.load_pickable(current_user, ids)
    return render_template("cc/_selected.html", req=req, picked=users, cleared=add is not None)


def picked_users(req) -> list:
    """The people chosen in the form just posted (so an error keeps them in the re-rendered panel)."""
    if request.method != "POST":
        return []
    return copies.load_pickable(current_user, request.form.getlist("cc_user", type=int))


def private_withheld(req) -> bool:
    """True when the current user sees `req` only because it was copied to them: the page then
    leaves out the 困难情况/事由 text, the attachments and the documents (workflow.cc)."""
    if not current_user.is_authenticated:
        return False
    cache = g.setdefault("cc_withheld", {})
    if req.id not in cache:
        copy = copies.my_copy(req, current_user)
        cache[req.id] = not copies.sees_private(req, current_user, copy)
    return cache[req.id]


def page_context(req) -> dict:
    """For the request page: who it was copied to, and the viewer's own copy."""
    listed = copies.copies_of(req)
    mine = next((c for c in listed if c.user_id == current_user.id), None)
    return {"cc_copies": listed, "my_copy": mine}


def admin_entries(user) -> list[dict]:
    if can_manage_rules(user):
        return [{"label": "抄送规则", "hint": "各类申请审批通过或办结时抄送哪些人",
                 "url": url_for("cc.rules")}]
    return []
