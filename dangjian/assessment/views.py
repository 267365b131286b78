"""The pages of 党建考核. Every assessment, task and file is loaded through the user's scope (404
outside); every change is one call to `operations`."""
from __future__ import annotations


from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..dates import cn_day
from ..extensions import db
from ..models import Organization, OrgKind
from ..org.queries import display_order
from ..models.base import utcnow
from ..timeutil import local_today, to_local
from ..web.documents import send_upload
from ..workflow.errors import WorkflowError
from . import access, lifecycle, operations, queries
from .export import XLSX, describe_filters, export_grades
from .forms import (CycleForm, EvidenceForm, GradeForm, InterviewForm, ReasonForm, SelfEvaluationForm, SignOffForm,
                    TaskForm, add_error, default_deadline)
from .grades import RULES_TEXT, AssessmentGrade, band_label
from .models import Assessment, AssessmentCycle, AssessmentFile, AssessmentState, RectificationTask

bp = Blueprint("assessment", __name__, url_prefix="/assessments")
PER_PAGE = 30

EVENT_LABELS = {
    "submit": "提交自评", "return": "退回修改", "grade": "评定", "interview": "记录约谈", "add_task": "下达整改任务",
    "task_submit": "提交整改情况", "task_sign_off": "验收销号", "task_reject": "退回重新整改", "rectified": "整改完成",
}


def _user():
    user = current_user._get_current_object()
    if not access.can_read_any(user):
        abort(404)
    return user


def _cycles() -> list[AssessmentCycle]:
    return list(db.session.scalars(select(AssessmentCycle).order_by(AssessmentCycle.year.desc())))


@bp.app_template_global("assessment_grade_css")
def _grade_css(grade) -> str:
    return grade.css if grade is not None else ""


# --- cycles -------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    user = _user()
    cycles = _cycles()
    if cycles:
        return redirect(url_for(".cycle", year=cycles[0].year))
    return render_template("assessment/empty.html", can_open=access.is_org_dept(user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def cycle_new():
    user = _user()
    if not access.is_org_dept(user):
        abort(404)
    form = CycleForm()
    if request.method == "GET":
        year = local_today().year - (1 if local_today().month < 7 else 0)
        form.year.data, form.name.data = year, f"{year}年度基层党组织党建工作考核"
        form.deadline.data = default_deadline(local_today())
    elif form.validate():
        try:
            cycle = operations.open_cycle(user, form.year.data, form.name.data.strip(), form.deadline.data)
        except WorkflowError as exc:
            db.session.rollback()
            add_error(getattr(form, exc.field or "year"), exc.message)
        else:
            n = db.session.scalar(select(func.count(Assessment.id)).where(Assessment.cycle_id == cycle.id))
            flash(f"已发起「{cycle.name}」：{n} 个党组织待自评", "success")
            return redirect(url_for(".cycle", year=cycle.year))
    return render_template("assessment/cycle_form.html", form=form)


def _filters(user):
    args = request.args
    state = args.get("state") or ""
    grade = args.get("grade") or ""
    kind = args.get("kind") or ""
    unit_id = args.get("unit", type=int)
    return {"state": state if state in {s.value for s in AssessmentState} else "",
            "grade": grade if grade in {g.value for g in AssessmentGrade} else "",
            "kind": kind if kind in ("secondary", "branch") else "", "unit": unit_id}


def _units(user) -> list[Organization]:
    """The secondary units the user may filter by."""
    q = select(Organization).where(Organization.kind == OrgKind.SECONDARY).order_by(Organization.sort_order,
                                                                                    Organization.id)
    if not access.reads_all(user):
        paths = [o.path for o in access.led_orgs(user) if o.kind is OrgKind.SECONDARY]
        if not paths:
            return []
        q = q.where(or_(*[Organization.path.startswith(p) for p in paths]))
    return list(db.session.scalars(q))


def _listed(user, cycle: AssessmentCycle, f: dict, units: list[Organization]):
    """(the cycle's assessments in the user's scope, the same with the filters applied), in the
    organization tree's display order: one query for the page and for its export."""
    q = (select(Assessment).join(Organization, Organization.id == Assessment.organization_id)
         .where(Assessment.cycle_id == cycle.id, access.visible_condition(user)))
    filtered = q
    if f["state"]:
        filtered = filtered.where(Assessment.state == f["state"])
    if f["grade"]:
        filtered = filtered.where(Assessment.grade == f["grade"])
    if f["kind"]:
        filtered = filtered.where(Organization.kind == f["kind"])
    if f["unit"]:
        unit = next((u for u in units if u.id == f["unit"]), None) or abort(404)
        filtered = filtered.where(Organization.path.startswith(unit.path))
    return q, filtered.order_by(*display_order(Organization))


@bp.route("/<int:year>")
@login_required
def cycle(year: int):
    user = _user()
    cycle = db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.year == year)) or abort(404)
    f = _filters(user)
    units = _units(user)
    q, listed = _listed(user, cycle, f, units)
    counts = _state_counts(q)
    page = db.paginate(listed.options(selectinload(Assessment.organization), selectinload(Assessment.tasks)),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    excellent = [a for a in queries.excellent(year)] if access.reads_all(user) else []
    overdue = db.session.scalar(select(func.count()).select_from(
        operations.overdue_tasks_query(user).where(Assessment.year == year).subquery())) or 0
    return render_template("assessment/cycle.html", cycle=cycle, cycles=_cycles(), page=page, f=f, counts=counts,
                           units=units, states=list(AssessmentState), grades=list(AssessmentGrade),
                           excellent=excellent, overdue=overdue, rules=RULES_TEXT,
                           can_open=access.is_org_dept(user), mine={o.id for o in access.led_orgs(user)},
                           award_cycles=_award_cycles(year) if excellent else [],
                           export_args={k: v for k, v in f.items() if v})


@bp.route("/<int:year>/export.xlsx")
@login_required
def export(year: int):
    """The year's grades as .xlsx: the rows the list shows (scope and filters), no self-evaluation,
    约谈 or 整改 text."""
    user = _user()
    cycle = db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.year == year)) or abort(404)
    f = _filters(user)
    _, listed = _listed(user, cycle, f, _units(user))
    rows = db.session.scalars(listed.options(selectinload(Assessment.organization)
                                             .selectinload(Organization.parent),
                                             selectinload(Assessment.tasks))).all()
    now = utcnow()
    out = export_grades(cycle, rows, describe_filters(f, _units(user)), user, now)
    audit.record("assessment.exported", cycle, user=user, year=year, filters={k: v for k, v in f.items() if v},
                 rows=len(rows))
    db.session.commit()
    return send_file(out, mimetype=XLSX, as_attachment=True, max_age=0,
                     download_name=f"{cycle.year}年度党建考核等次_{to_local(now):%Y%m%d-%H%M}.xlsx")


def _state_counts(q) -> dict:
    sub = q.with_only_columns(Assessment.state).subquery()
    return {AssessmentState(s): n for s, n in db.session.execute(
        select(sub.c.state, func.count()).group_by(sub.c.state)).all()}


def _award_cycles(year: int):
    """The award cycles the 优秀 organizations of `year` may be commended in: that year's and later."""
    from ..request_types.award_nomination.model import AwardCategory, AwardCycle
    return [c for c in db.session.scalars(select(AwardCycle).where(AwardCycle.year >= year)
                                          .order_by(AwardCycle.year, AwardCycle.id))
            if c.offers(AwardCategory.ADVANCED_ORG)]


# --- one assessment -----------------------------------------------------------------------------

def _context(a: Assessment, user, **forms) -> dict:
    acts = lifecycle.actions(a, user)
    task_acts = {t.id: lifecycle.task_actions(t, user) for t in a.tasks}
    # Why a 组织部 user sees no buttons here: 回避 is shown, not hidden.
    recusal = access.conflict(user, a.organization) if access.is_org_dept(user) else None
    submit_form = forms.get("submit_form")
    if submit_form is None and "submit" in acts:
        submit_form = SelfEvaluationForm(formdata=None, report=a.self_report,
                                         self_score=str(a.self_score) if a.self_score is not None else "")
    grade_form = forms.get("grade_form") or GradeForm(formdata=None)
    interview_form = forms.get("interview_form")
    if interview_form is None:
        interview_form = InterviewForm(formdata=None, held_on=local_today(), interviewers=user.display_name)
    return {
        "a": a, "org": a.organization, "actions": acts, "task_actions": task_acts, "recusal": recusal,
        "submit_form": submit_form, "grade_form": grade_form, "return_form": forms.get("return_form") or ReasonForm(formdata=None),
        "interview_form": interview_form, "task_form": forms.get("task_form") or TaskForm(formdata=None),
        "evidence_forms": {t.id: (forms.get("evidence_forms") or {}).get(t.id)
                           or EvidenceForm(formdata=None, prefix=f"task{t.id}") for t in a.tasks},
        "reject_forms": {t.id: (forms.get("reject_forms") or {}).get(t.id)
                         or ReasonForm(formdata=None, prefix=f"reject{t.id}") for t in a.tasks},
        "event_labels": EVENT_LABELS, "rules": RULES_TEXT,
        "bands": [(g, band_label(g)) for g in AssessmentGrade], "today": local_today(),
        "open_section": forms.get("open_section"),
        "files_by_task": _files_by_task(a),
    }


def _files_by_task(a: Assessment) -> dict:
    out: dict = {}
    for f in db.session.scalars(select(AssessmentFile).where(AssessmentFile.assessment_id == a.id)
                                .order_by(AssessmentFile.id)):
        out.setdefault(f.task_id, []).append(f)
    return out


def _page(a, user, status=200, **forms):
    return render_template("assessment/view.html", **_context(a, user, **forms)), status


@bp.route("/view/<int:assessment_id>")
@login_required
def view(assessment_id: int):
    user = _user()
    a = access.assessment_or_404(assessment_id, user)
    return _page(a, user)


def _act(a, user, form, values, apply, message, shown=None):
    """The shape of every POST on an assessment or one of its tasks (the object is already loaded
    through the user's scope): the form's own checks (`values` is None when they failed), then one
    operation (`apply(values)`: it checks the actor, changes the state, writes the audit row and
    commits), then a flash saying what was done (`message(values)`) and back to the assessment.
    A failed form, or a refusal that names one of its fields, shows the page again with the form
    open (`shown`: the page's keyword arguments for it); a form with no place of its own on the
    page (`shown` None) and any other refusal go to the top of the page."""
    if values is None:
        if shown is not None:
            return _page(a, user, **shown)
        flash("；".join(e for name, errors in form.errors.items() if name != "csrf_token" for e in errors), "danger")
        return redirect(url_for(".view", assessment_id=a.id))
    try:
        apply(values)
    except WorkflowError as exc:
        db.session.rollback()
        db.session.expire_all()
        a = db.session.get(Assessment, a.id)
        if shown is not None and exc.field and hasattr(form, exc.field):
            add_error(getattr(form, exc.field), exc.message)
            return _page(a, user, **shown)
        flash(exc.message, "danger")
        return redirect(url_for(".view", assessment_id=a.id))
    flash(message(values), "success")
    return redirect(url_for(".view", assessment_id=a.id))


def _act_on_assessment(assessment_id: int, form_class, key: str, check, apply, message):
    """`_act` for a section of the assessment page (`key`: its form's name in the template)."""
    user = _user()
    a = access.assessment_or_404(assessment_id, user)
    form = form_class()
    return _act(a, user, form, check(form), lambda values: apply(user, a, values),
                lambda values: message(a, values), {key: form, "open_section": key})


def _validated(form):
    return form if form.validate() else None


@bp.route("/view/<int:assessment_id>/submit", methods=["POST"])
@login_required
def submit(assessment_id: int):
    return _act_on_assessment(
        assessment_id, SelfEvaluationForm, "submit_form", SelfEvaluationForm.check,
        lambda user, a, v: operations.submit(user, a, v["report"], v["self_score"], v["files"]),
        lambda a, v: f"已提交{a.organization.name}{a.year}年度党建考核自评，等待组织部评定")


@bp.route("/view/<int:assessment_id>/return", methods=["POST"])
@login_required
def return_(assessment_id: int):
    return _act_on_assessment(
        assessment_id, ReasonForm, "return_form", _validated,
        lambda user, a, form: operations.return_for_revision(user, a, form.reason.data),
        lambda a, form: f"已退回{a.organization.name}的自评，请其修改后重新提交")


def _graded(a, values) -> str:
    score, g, _ = values
    then = "。请记录约谈并下达整改任务" if g.needs_rectification else ""
    return f"已评定{a.organization.name}{a.year}年度党建考核：{score}分，「{g.label}」{then}"


@bp.route("/view/<int:assessment_id>/grade", methods=["POST"])
@login_required
def grade(assessment_id: int):
    return _act_on_assessment(assessment_id, GradeForm, "grade_form", GradeForm.values,
                              lambda user, a, v: operations.grade(user, a, *v), _graded)


@bp.route("/view/<int:assessment_id>/interviews", methods=["POST"])
@login_required
def interview(assessment_id: int):
    return _act_on_assessment(
        assessment_id, InterviewForm, "interview_form", InterviewForm.check, operations.record_interview,
        lambda a, v: f"已记录约谈（{cn_day(v['held_on'])}，{v['interviewees']}）")


@bp.route("/view/<int:assessment_id>/tasks", methods=["POST"])
@login_required
def add_task(assessment_id: int):
    return _act_on_assessment(
        assessment_id, TaskForm, "task_form", TaskForm.check,
        lambda user, a, v: operations.add_task(user, a, v["problem"], v["requirement"], v["deadline"]),
        lambda a, v: f"已下达整改任务，整改期限{cn_day(v['deadline'])}")


# --- 整改任务 ------------------------------------------------------------------------------------

def _task_or_404(task_id: int, user) -> RectificationTask:
    task = db.session.scalar(select(RectificationTask).join(Assessment).where(
        RectificationTask.id == task_id, access.visible_condition(user)))
    if task is None:
        abort(404)
    return task


@bp.route("/tasks/<int:task_id>/submit", methods=["POST"])
@login_required
def task_submit(task_id: int):
    user = _user()
    task = _task_or_404(task_id, user)
    form = EvidenceForm(prefix=f"task{task.id}")
    return _act(task.assessment, user, form, form.check(),
                lambda v: operations.submit_task(user, task, v["evidence"], v["files"]),
                lambda v: "已提交整改情况，等待组织部验收",
                {"evidence_forms": {task.id: form}, "open_section": f"task-{task.id}"})


@bp.route("/tasks/<int:task_id>/sign-off", methods=["POST"])
@login_required
def task_sign_off(task_id: int):
    user = _user()
    task = _task_or_404(task_id, user)
    a = task.assessment
    form = SignOffForm()

    def signed_off(form) -> str:
        db.session.refresh(a)
        return "已验收销号" + ("；整改任务已全部销号，该组织整改完成" if a.state is AssessmentState.RECTIFIED else "")
    return _act(a, user, form, _validated(form), lambda form: operations.sign_off_task(user, task, form.opinion.data),
                signed_off)


@bp.route("/tasks/<int:task_id>/reject", methods=["POST"])
@login_required
def task_reject(task_id: int):
    user = _user()
    task = _task_or_404(task_id, user)
    form = ReasonForm(prefix=f"reject{task.id}")
    return _act(task.assessment, user, form, _validated(form),
                lambda form: operations.reject_task(user, task, form.reason.data),
                lambda form: "已退回，请该组织继续整改后重新提交",
                {"reject_forms": {task.id: form}, "open_section": f"task-{task.id}"})


@bp.route("/overdue")
@login_required
def overdue():
    """超期未完成的整改任务 (the user's scope), most overdue first."""
    user = _user()
    page = db.paginate(operations.overdue_tasks_query(user).options(
        selectinload(RectificationTask.assessment).selectinload(Assessment.organization)),
        page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return render_template("assessment/overdue.html", page=page, today=local_today())


# --- files --------------------------------------------------------------------------------------

def _file(file_id: int, preview: bool):
    user = _user()
    f = db.session.scalar(select(AssessmentFile).join(Assessment, Assessment.id == AssessmentFile.assessment_id)
                          .where(AssessmentFile.id == file_id, access.visible_condition(user)))
    if f is None:
        abort(404)
    return send_upload(f, "assessment.file", preview, user=user)


@bp.route("/files/<int:file_id>")
@login_required
def file(file_id: int):
    return _file(file_id, preview=False)


@bp.route("/files/<int:file_id>/preview")
@login_required
def file_preview(file_id: int):
    return _file(file_id, preview=True)

