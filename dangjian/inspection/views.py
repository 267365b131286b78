"""The inspection pages (blueprint `inspection`): plans, their findings and 整改任务, each task's
page with its submission and sign-off, the task list with 导出Excel. Each view parses input, calls
one operation and renders; everything is loaded through access.py's scope (outside it: 404)."""
from __future__ import annotations


from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit
from ..dates import cn_day
from ..extensions import db
from ..models import Organization
from ..models.base import utcnow
from ..timeutil import local_today, to_local
from ..web.forms import parse_date
from . import access, operations, queries, tasks
from .export import tasks_xlsx
from .forms import ActionForm, CloseForm, ExtendForm, FindingForm, PlanForm, TaskForm, parse_year
from .models import InspectionFile, InspectionFinding, InspectionPlan, PlanKind, InspectionTask
from .operations import InspectionRefused
from .tasks import EVENT_LABELS, TRANSITIONS

bp = Blueprint("inspection", __name__, url_prefix="/inspection")
PER_PAGE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user():
    return current_user._get_current_object()


@bp.before_request
@login_required
def _only_readers():
    if not access.can_use(current_user):
        abort(404)


def _plan_or_404(plan_id: int) -> InspectionPlan:
    plan = db.session.scalar(select(InspectionPlan).where(InspectionPlan.id == plan_id, access.plan_scope(_user())))
    if plan is None:
        abort(404)
    return plan


def _finding_or_404(finding_id: int) -> InspectionFinding:
    finding = db.session.scalar(select(InspectionFinding).where(InspectionFinding.id == finding_id,
                                                                access.finding_scope(_user())))
    if finding is None:
        abort(404)
    return finding


def _task_or_404(task_id: int) -> InspectionTask:
    task = db.session.scalar(select(InspectionTask).where(InspectionTask.id == task_id,
                                                             access.task_scope(_user())))
    if task is None:
        abort(404)
    return task


def _years() -> list[int]:
    year = local_today().year
    return list(range(year + 1, year - 6, -1))


# --- plans -------------------------------------------------------------------------------------------

@bp.route("/")
def index():
    return redirect(url_for("inspection.plans"))


@bp.route("/plans")
def plans():
    user = _user()
    year = request.args.get("year", type=int)
    page = db.paginate(queries.plan_query(user, year), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    visible = _visible_findings_of([p.id for p in page.items], user)
    return render_template("inspection/plans.html", page=page, year=year, years=_years(), visible=visible,
                           can_create=access.is_inspector(user), today=local_today())


def _visible_findings(plan, user) -> list[InspectionFinding]:
    return _visible_findings_of([plan.id], user)[plan.id]


def _visible_findings_of(plan_ids: list[int], user) -> dict[int, list[InspectionFinding]]:
    """{plan id: the findings `user` may see}, for a page of plans in one query."""
    out: dict[int, list[InspectionFinding]] = {pid: [] for pid in plan_ids}
    if plan_ids:
        for f in db.session.scalars(select(InspectionFinding).where(
                InspectionFinding.plan_id.in_(plan_ids), access.finding_scope(user)).order_by(InspectionFinding.id)):
            out[f.plan_id].append(f)
    return out


def _plan_form_choices(form: PlanForm) -> None:
    form.unit_ids.choices = access.unit_choices()


def _save_plan(form: PlanForm, plan: InspectionPlan | None):
    user = _user()
    values = dict(year=parse_year(form.year.data), kind=form.kind.data, title=form.title.data,
                  starts_on=parse_date(form.starts_on.data), ends_on=parse_date(form.ends_on.data),
                  team=form.team.data, unit_ids=form.unit_ids.data)
    if plan is None:
        return operations.create_plan(user, **values)
    return operations.update_plan(plan, user, **values)


@bp.route("/plans/new", methods=["GET", "POST"])
def plan_new():
    return _plan_form(None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
def plan_edit(plan_id: int):
    return _plan_form(_plan_or_404(plan_id))


def _plan_form(plan: InspectionPlan | None):
    if not access.is_inspector(_user()):
        abort(404)
    if plan is not None and plan.closed_at is not None:
        flash("该检查计划已结束，不能再修改", "warning")
        return redirect(url_for("inspection.plan", plan_id=plan.id))
    if request.method == "POST":
        form = PlanForm()
    elif plan is not None:
        form = PlanForm(formdata=None, year=str(plan.year), kind=plan.kind.value, title=plan.title,
                        starts_on=plan.starts_on.isoformat(), ends_on=plan.ends_on.isoformat(), team=plan.team,
                        unit_ids=[u.org_id for u in plan.units])
    else:
        form = PlanForm(formdata=None, year=str(local_today().year), kind=PlanKind.INSPECTION.value)
    _plan_form_choices(form)
    error = None
    if request.method == "POST" and form.validate():
        try:
            saved = _save_plan(form, plan)
        except InspectionRefused as exc:
            db.session.rollback()
            if not form.put_refusal(exc):
                error = exc.message
        else:
            flash("已保存巡察/监督检查计划" if plan else f"已新建计划「{saved.title}」，请记录发现的问题", "success")
            return redirect(url_for("inspection.plan", plan_id=saved.id))
    return render_template("inspection/plan_form.html", form=form, plan=plan, error=error)


@bp.route("/plans/<int:plan_id>")
def plan(plan_id: int):
    return _plan_page(_plan_or_404(plan_id))


def _plan_page(plan, finding_form=None, task_form=None, task_finding_id=None, error=None, close_form=None):
    user = _user()
    findings = _visible_findings(plan, user)
    inspector = access.is_inspector(user) and plan.closed_at is None  # a closed plan takes nothing more
    visible_tasks = {f.id: list(db.session.scalars(select(InspectionTask).where(
        InspectionTask.finding_id == f.id, access.task_scope(user)).order_by(InspectionTask.id)))
        for f in findings}
    if inspector and finding_form is None:
        finding_form = FindingForm(formdata=None)
    if finding_form is not None:
        finding_form.org_id.choices = [(0, "请选择")] + [
            (o.id, label) for o, label in access.units()
            if any(o.path.startswith(c.path) for c in plan.unit_orgs)]
    task_forms = {}
    if inspector:
        for f in findings:
            form = task_form if (task_form is not None and task_finding_id == f.id) else TaskForm(formdata=None)
            form.owner_org_id.choices = [(o.id, label.strip("　")) for o, label in access.units()
                                         if o.path.startswith(f.organization.path)]
            for field in form:
                field.id = f"{field.name}-{f.id}"  # one form per finding: each label finds its own box
            task_forms[f.id] = form
    can_close = access.is_inspector(user) and plan.closed_at is None
    return render_template("inspection/plan.html", plan=plan, findings=findings, visible_tasks=visible_tasks,
                           inspector=inspector, finding_form=finding_form, task_forms=task_forms,
                           open_task_form=task_finding_id, error=error, today=local_today(),
                           recused={f.id: access.involved(user, f.organization) for f in findings},
                           can_close=can_close, close_refusal=operations.close_refusal(plan, user) if can_close else None,
                           close_form=close_form or (CloseForm(formdata=None) if can_close else None))


@bp.route("/plans/<int:plan_id>/close", methods=["POST"])
def plan_close(plan_id: int):
    plan = _plan_or_404(plan_id)
    if not access.is_inspector(_user()):
        abort(404)
    form = CloseForm()
    if form.validate():
        try:
            operations.close_plan(plan, _user(), note=form.note.data)
        except InspectionRefused as exc:
            db.session.rollback()
            db.session.refresh(plan)
            if exc.field == "note":
                form.put_refusal(exc)
                return _plan_page(plan, close_form=form)
            return _plan_page(plan, error=exc.message)
        flash(f"已结束检查计划「{plan.title}」", "success")
        return redirect(url_for("inspection.plan", plan_id=plan.id))
    return _plan_page(plan, close_form=form)


@bp.route("/plans/<int:plan_id>/findings", methods=["POST"])
def finding_new(plan_id: int):
    plan = _plan_or_404(plan_id)
    if not access.is_inspector(_user()):
        abort(404)
    form = FindingForm()
    if form.validate():
        try:
            operations.add_finding(plan, _user(), org_id=form.org_id.data, text=form.text.data,
                                   severity=form.severity.data)
        except InspectionRefused as exc:
            db.session.rollback()
            if not form.put_refusal(exc):
                return _plan_page(plan, finding_form=form, error=exc.message)
        else:
            flash("已记录发现的问题，请下达整改任务", "success")
            return redirect(url_for("inspection.plan", plan_id=plan.id) + "#findings")
    return _plan_page(plan, finding_form=form)


@bp.route("/findings/<int:finding_id>/tasks", methods=["POST"])
def task_new(finding_id: int):
    finding = _finding_or_404(finding_id)
    if not access.is_inspector(_user()):
        abort(404)
    form = TaskForm()
    if form.validate():
        try:
            task = operations.add_task(finding, _user(), owner_org_id=form.owner_org_id.data,
                                       requirement=form.requirement.data, deadline=parse_date(form.deadline.data))
        except InspectionRefused as exc:
            db.session.rollback()
            if not form.put_refusal(exc):
                return _plan_page(finding.plan, error=exc.message)
        else:
            flash(f"已向{task.owner.name}下达整改任务，整改期限{cn_day(task.deadline)}", "success")
            return redirect(url_for("inspection.plan", plan_id=finding.plan_id) + f"#finding-{finding.id}")
    for field in form:
        field.id = f"{field.name}-{finding.id}"
    return _plan_page(finding.plan, task_form=form, task_finding_id=finding.id)


# --- tasks -------------------------------------------------------------------------------------------

@bp.route("/tasks", endpoint="tasks")
def tasks_page():
    user = _user()
    f = queries.TaskFilter.from_args(request.args)
    today = local_today()
    page = db.paginate(queries.task_query(user, f, today), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    return render_template("inspection/tasks.html", page=page, f=f, units=access.unit_choices(user),
                           years=_years(), states=queries.STATE_FILTERS, today=today)



def _describe(f: queries.TaskFilter) -> list[tuple[str, str]]:
    rows = [("状态", queries.STATE_FILTERS[f.state])]
    if f.unit_id:
        org = db.session.get(Organization, f.unit_id)
        rows.append(("单位", org.name if org else str(f.unit_id)))
    if f.year:
        rows.append(("计划年度", f"{f.year}年以前" if f.before_year else f"{f.year}年"))
    if f.plan_id:
        plan = db.session.get(InspectionPlan, f.plan_id)
        rows.append(("检查计划", plan.title if plan else str(f.plan_id)))
    return rows


@bp.route("/tasks/export.xlsx")
def tasks_export():
    user = _user()
    f = queries.TaskFilter.from_args(request.args)
    now = utcnow()
    today = to_local(now).date()
    out, count = tasks_xlsx(db.session.scalars(queries.task_query(user, f, today)), _describe(f), user, now, today)
    audit.record("inspection.tasks.exported", user=user, filter=f.args(), rows=count)
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"整改任务_{to_local(now):%Y%m%d-%H%M}.xlsx")


@bp.route("/tasks/<int:task_id>")
def task(task_id: int):
    return _task_page(_task_or_404(task_id))


def _task_page(task, form=None, failed_action=None, error=None, extend_form=None):
    user = _user()
    actions = tasks.available_actions(task, user)
    can_extend = tasks.extend_refusal(task, user) is None
    if can_extend and extend_form is None:
        extend_form = ExtendForm(formdata=None, version=task.version)
    forms = {}
    for a in actions:
        forms[a] = form if (form is not None and failed_action == a) else ActionForm(formdata=None, version=task.version)
        t = TRANSITIONS[a]
        forms[a].note.label.text = t.note_label if t.note_required else f"{t.note_label}（可不填）"
        forms[a].note.id = f"note-{a}"
    return render_template("inspection/task.html", t=task, actions=actions, forms=forms, transitions=TRANSITIONS,
                           event_labels=EVENT_LABELS, today=local_today(), error=error,
                           max_files=tasks.MAX_FILES, states={s.value: s.label for s in type(task.state)},
                           extend_form=extend_form if can_extend else None)


@bp.route("/tasks/<int:task_id>/extend", methods=["POST"])
def task_extend(task_id: int):
    user = _user()
    task = _task_or_404(task_id)
    form = ExtendForm()
    if not form.validate():
        return _task_page(task, extend_form=form)
    try:
        tasks.extend_deadline(task, user, version=int(form.version.data or 0), deadline=parse_date(form.deadline.data),
                              reason=form.reason.data)
    except InspectionRefused as exc:
        db.session.rollback()
        db.session.refresh(task)
        if exc.field in ("deadline", "reason"):
            form.put_refusal(exc)
            return _task_page(task, extend_form=form)
        return _task_page(task, error=exc.message)
    flash(f"已将整改期限延长至{cn_day(task.deadline)}", "success")
    return redirect(url_for("inspection.task", task_id=task.id))


@bp.route("/tasks/<int:task_id>/<action>", methods=["POST"])
def task_action(task_id: int, action: str):
    user = _user()
    task = _task_or_404(task_id)
    if action not in TRANSITIONS:
        abort(404)
    form = ActionForm()
    if not form.validate():
        return _task_page(task, form, action)
    try:
        tasks.act(task, user, action, version=int(form.version.data or 0), note=form.note.data,
                  files=request.files.getlist("files"))
    except InspectionRefused as exc:
        db.session.rollback()
        db.session.refresh(task)
        if exc.field == "note":
            form.put_refusal(exc)
            return _task_page(task, form, action)
        if exc.field == "files":
            return _task_page(task, form, action, error=exc.message)
        return _task_page(task, error=exc.message)
    done = {"submit": "已提交整改材料，待纪委验收", "sign_off": "已验收销号", "return": "已退回，责任单位需重新整改",
            "cancel": "已撤销该整改任务"}[action]
    flash(done, "success")
    return redirect(url_for("inspection.task", task_id=task.id))


# --- files -------------------------------------------------------------------------------------------

def _file(file_id: int, preview: bool):
    from ..web.documents import send_upload  # one way to send a stored file: inline only when safe
    user = _user()
    f = db.session.scalar(select(InspectionFile).join(InspectionTask, InspectionTask.id == InspectionFile.task_id)
                          .where(InspectionFile.id == file_id, access.task_scope(user)))
    if f is None:
        abort(404)
    return send_upload(f, "inspection.file", preview, user=user)


@bp.route("/files/<int:file_id>")
def file_download(file_id: int):
    return _file(file_id, preview=False)


@bp.route("/files/<int:file_id>/preview")
def file_preview(file_id: int):
    return _file(file_id, preview=True)

