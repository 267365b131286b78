"""纪委: the audit log viewer and its export (issue 6 §7). Read-only: 纪委 changes nothing, and
every view and export of the log is itself audited (audit.viewed / audit.exported, with the filters).

Who: holders of 纪委/监督 (SUPERVISOR) only; everyone else gets 404. The 系统管理员 never reads the
log (三员分立: the security auditor reads it, not the administrator), even if it also held
SUPERVISOR.
"""
from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user, login_required

from .. import audit
from ..accounts.permissions import is_supervisor, is_sysadmin
from ..extensions import db
from ..models.base import utcnow
from ..timeutil import to_local
from . import actions, export, queries
from .forms import AuditFilterForm
from .present import detail_items, object_refs, person_text

bp = Blueprint("audit_log", __name__, url_prefix="/audit")

PER_PAGE = 50


def can_read_audit_log(user) -> bool:
    return is_supervisor(user) and not is_sysadmin(user)


@bp.before_request
@login_required
def _supervisor_only():
    if not can_read_audit_log(current_user):
        abort(404)


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.validate()
    return form


@bp.route("/")
def index():
    form = _filter_form()
    filters = form.filters()
    number = request.args.get("page", 1, type=int)
    page, note = queries.page(filters, number, PER_PAGE)
    viewer = current_user._get_current_object()
    refs = object_refs([(e.object_type, e.object_id) for e in page.items], viewer)
    rows = [{"event": e, "when": to_local(e.created_at), "person": person_text(e.user.username if e.user else None,
                                               e.user.display_name if e.user else None, e.action, e.detail),
             "label": actions.label(e.action), "known": actions.is_known(e.action),
             "ref": refs.get((e.object_type, e.object_id)), "detail": detail_items(e.detail)}
            for e in page.items]
    html = render_template("audit_log/index.html", form=form, filters=filters, page=page, rows=rows,
                           note=note, object_kinds=queries.OBJECT_KINDS,
                           action_choices=actions.choices(queries.recorded_actions()), args=filters.query_args())
    # Recorded after the query: the page shows the log as it was, not its own row. Committed after
    # rendering: a commit expires the loaded rows, and the template would reload each one by one.
    audit.record("audit.viewed", user=viewer, filters=filters.as_detail(), page=page.page, rows=page.total)
    db.session.commit()
    return html


@bp.route("/export.xlsx")
def export_xlsx():
    form = _filter_form()
    filters = form.filters()
    viewer = current_user._get_current_object()
    now = utcnow()
    out, count = export.write_xlsx(filters, viewer, now)
    audit.record("audit.exported", user=viewer, filters=filters.as_detail(), rows=count)
    db.session.commit()
    current_app.logger.info("audit log exported by %s: %s rows", viewer.username, count)
    name = f"审计日志_{to_local(now):%Y%m%d-%H%M}.xlsx"
    return send_file(out, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=name, max_age=0)
