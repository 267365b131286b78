"""登记发放 on the request page (§四): the form 组织部 fills in once school money reserved for an
approved request was paid (the allowance batch, a money award), and its route. The rules and the
money are dangjian/payments.py and the type's transition; this is the page's part only."""
from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from wtforms import HiddenField, StringField

from .. import budget, payments
from ..extensions import db
from ..htmx import is_htmx
from ..money import MoneyError, parse_yuan
from ..scope import get_request_or_404
from ..timeutil import local_today
from ..workflow import Action, AlreadyHandled, WorkflowError, apply_action
from .forms import ChineseForm

bp = Blueprint("payments", __name__, url_prefix="/requests")


class PaidForm(ChineseForm):
    paid_on = StringField("发放日期")
    payer = StringField("经办人")
    voucher_no = StringField("凭证号")
    amount = StringField("实际发放金额（元）")
    version = HiddenField()

    def values(self, held) -> dict | None:
        """The payload, or None with the errors on the fields (the same rules as the transition)."""
        self.validate()
        try:
            paid_on = date.fromisoformat((self.paid_on.data or "").strip())
        except ValueError:
            paid_on = None
        try:
            amount = parse_yuan(self.amount.data or "")
        except MoneyError as exc:
            self.amount.errors = list(self.amount.errors) + [str(exc)]
            amount = None
        payer, voucher = (self.payer.data or "").strip(), (self.voucher_no.data or "").strip()
        for name, message in payments.check(paid_on, payer, voucher, amount, held):
            field = getattr(self, name)
            if not (name == "amount" and amount is None and field.errors):
                field.errors = list(field.errors) + [message]
        if any(f.errors for f in self):
            return None
        return {"paid_on": paid_on, "payer": payer, "voucher_no": voucher, "amount": amount}


def paid_form(req, form=None) -> PaidForm:
    """The form for the panel (pre-filled: today, the user, the amount reserved)."""
    if form is None:
        form = PaidForm(formdata=None, paid_on=local_today().isoformat(), payer=current_user.display_name,
                        amount=str(budget.held_amount(req.id)))
    form.version.data = str(req.version)
    return form


@bp.route("/<int:request_id>/paid", methods=["POST"])
@login_required
def record_paid(request_id: int):
    from . import requests as pages  # the request pages import this module

    user = current_user._get_current_object()
    req = get_request_or_404(request_id, user, options=pages.PAGE_LOADS)
    form = PaidForm()
    error = None
    values = form.values(budget.held_amount(req.id))
    if values is not None:
        seen = int(form.version.data) if (form.version.data or "").isdigit() else -1
        try:
            apply_action(req, user, Action.RECORD_PAID, seen_version=seen, payload=values)
        except WorkflowError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = list(field.errors) + [exc.message]
            else:
                error = exc.message
            db.session.expire_all()
            req = get_request_or_404(request_id, user, options=pages.PAGE_LOADS)
            if isinstance(exc, AlreadyHandled):
                error = pages._already_handled_message(req)
        else:
            req = get_request_or_404(request_id, user, options=pages.PAGE_LOADS)
            return pages._after_action(req, Action.RECORD_PAID, "page")
    if not is_htmx(request):
        return render_template("requests/view.html", **pages.page_context(req, message=error, paid_form=form))
    return render_template("requests/_panel.html", **pages.panel_context(req, message=error, paid_form=form))
