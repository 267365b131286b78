"""党建考核's business steps, one function per action. Each checks the actor (lifecycle.refusal),
changes the state with one conditional UPDATE, writes the history and the audit row, tells the
people concerned, and commits — or raises WorkflowError with a Chinese message and leaves nothing
half-written (uploaded files of a failed action are removed). Views parse input and call these."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, or_, select, update

from .. import audit, uploads
from ..dates import cn_day
from ..extensions import db
from ..models import Organization, OrgKind
from ..models.base import utcnow
from ..notifications import notify_people, path_for
from ..timeutil import local_today
from ..workflow.errors import ActionRefused, AlreadyHandled, WorkflowError
from . import access, lifecycle
from .grades import MAX_SCORE, AssessmentGrade, band_of
from .lifecycle import ASSESSMENT_STATUS, TASK_STATUS
from .models import (Assessment, AssessmentCycle, AssessmentEvent, AssessmentFile, AssessmentState, Interview,
                     RectificationTask, TaskState)

S, T = AssessmentState, TaskState
HANDLED = "该考核已被他人处理，请刷新后查看最新状态"
TASK_HANDLED = "该整改任务已被他人处理，请刷新后查看最新状态"


def _event(a: Assessment, user, action: str, note: str = "", task: RectificationTask | None = None) -> None:
    db.session.add(AssessmentEvent(assessment_id=a.id, task_id=task.id if task else None, action=action,
                                   actor_id=user.id if user else None, note=note, created_at=utcnow()))


def _link(a: Assessment) -> str:
    """The assessment page's path, in a web request or in the ticker (no request of its own)."""
    return path_for("assessment.view", assessment_id=a.id)


def _tell(kind: str, a: Assessment, recipients, actor, text: str) -> None:
    """A notice (notifications.notify_people): "assessment" for a step someone now has to take or
    has been told of, "rectify_overdue" for a task past its deadline. Organization names and dates
    only, never the self-evaluation, the 约谈 or a task's text."""
    notify_people("rectify_overdue" if kind == "overdue" else "assessment", recipients,
                  subject=f"党建考核 {a.organization.name} {a.year}年度", text=text, link=_link(a), actor=actor)


def _refuse_unless_allowed(reason: str | None) -> None:
    if reason:
        raise ActionRefused(reason)


def _store_files(files, user, a: Assessment, task: RectificationTask | None, written: list[str]) -> int:
    for f in files:
        db.session.add(AssessmentFile(assessment_id=a.id, task_id=task.id if task else None,
                                      uploaded_by_id=user.id, **uploads.store(f, written)))
    return len(files)


def _with_files(fn):
    """Run an action that stores files: on any failure the transaction rolls back and the files
    written so far are removed."""
    def run(*args, **kw):
        written: list[str] = []
        try:
            return fn(*args, written=written, **kw)
        except Exception:
            db.session.rollback()
            uploads.discard(written)
            raise
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


# --- the cycle ----------------------------------------------------------------------------------

def assessed_orgs(year: int) -> list[Organization]:
    """Every secondary unit and branch that exists at some time in `year`."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return list(db.session.scalars(
        select(Organization).where(
            Organization.kind.in_((OrgKind.SECONDARY, OrgKind.BRANCH)),
            or_(Organization.founded_on.is_(None), Organization.founded_on <= last),
            or_(Organization.dissolved_on.is_(None), Organization.dissolved_on > first))
        .order_by(Organization.path)))


def open_cycle(user, year: int, name: str, deadline: date) -> AssessmentCycle:
    """组织部 opens a year's assessment: one 待自评 assessment per secondary unit and branch. A year
    carried over from the former 党支部年度考核 gets its missing organizations added."""
    if not access.is_org_dept(user):
        raise ActionRefused("只有组织部可以发起年度党建考核")
    if deadline < local_today():
        raise ActionRefused("自评截止日期不能早于今天", field="deadline")
    cycle = db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.year == year))
    if cycle is not None and db.session.scalar(
            select(Assessment.id).where(Assessment.cycle_id == cycle.id, Assessment.note == "").limit(1)):
        raise ActionRefused(f"{year}年度党建考核已经发起", field="year")
    if cycle is None:
        cycle = AssessmentCycle(year=year, name=name, deadline=deadline, created_by_id=user.id)
        db.session.add(cycle)
    else:
        cycle.name, cycle.deadline = name, deadline
    db.session.flush()
    have = set(db.session.scalars(select(Assessment.organization_id).where(Assessment.cycle_id == cycle.id)))
    orgs = [o for o in assessed_orgs(year) if o.id not in have]
    for org in orgs:
        db.session.add(Assessment(cycle_id=cycle.id, organization_id=org.id, year=year, state=S.PENDING))
    db.session.flush()
    audit.record("assessment.cycle.open", cycle, user=user, year=year, name=name, deadline=deadline,
                 organizations=len(orgs))
    for org in orgs:
        people = access.unit_people(org)
        if people:
            a = db.session.scalar(select(Assessment).where(Assessment.cycle_id == cycle.id,
                                                           Assessment.organization_id == org.id))
            _tell("todo", a, people, user, f"{name}已发起，请于{cn_day(deadline)}前提交{org.name}的自评")
    db.session.commit()
    return cycle


# --- self-evaluation ----------------------------------------------------------------------------

@_with_files
def submit(user, a: Assessment, report: str, self_score: Decimal | None, files=(), *, written) -> None:
    """提交自评 (again after 退回修改): the report, the unit's own score and files."""
    _refuse_unless_allowed(lifecycle.refusal(a, user, "submit"))
    now = utcnow()
    late = a.cycle.deadline_passed()
    if ASSESSMENT_STATUS.move(a, S.SUBMITTED, self_report=report, self_score=self_score,
                              submitted_by_id=user.id, submitted_at=now) != 1:
        raise AlreadyHandled(HANDLED)
    count = _store_files(files, user, a, None, written)
    note = "逾期提交" if late else ""
    _event(a, user, "submit", note)
    audit.record("assessment.submit", a, user=user, organization=a.organization.name, year=a.year,
                 self_score=self_score, files=count, late=late)
    _tell("todo", a, access.org_dept_people(a.organization), user,
          f"{a.organization.name}已提交{a.year}年度党建考核自评，待评定")
    db.session.commit()


def return_for_revision(user, a: Assessment, reason: str) -> None:
    _refuse_unless_allowed(lifecycle.refusal(a, user, "return"))
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("退回修改时必须写明理由", field="reason")
    if ASSESSMENT_STATUS.move(a, S.RETURNED) != 1:
        raise AlreadyHandled(HANDLED)
    _event(a, user, "return", reason)
    audit.record("assessment.return", a, user=user, organization=a.organization.name, year=a.year)
    _tell("returned", a, access.unit_people(a.organization), user,
          f"{a.organization.name}{a.year}年度党建考核自评被退回修改，请修改后重新提交")
    db.session.commit()


# --- grading ------------------------------------------------------------------------------------

def check_grade(score: Decimal | None, grade: AssessmentGrade | None, opinion: str) -> dict[str, str]:
    """The grading rules (grades.RULES_TEXT), as {field: message}; empty when the grade may stand."""
    errors = {}
    if score is None:
        errors["score"] = "请填写考核得分（0–100分）"
    elif not Decimal("0") <= score <= MAX_SCORE:
        errors["score"] = "考核得分应在0–100分之间"
    elif score != score.quantize(Decimal("0.1")):
        errors["score"] = "考核得分最多保留一位小数"
    if grade is None:
        errors["grade"] = "请选择考核等次"
    if errors:
        return errors
    band = band_of(score)
    if grade.rank < band.rank:
        errors["grade"] = f"{score}分不能评为「{grade.label}」：该分数最高可评「{band.label}」"
    elif grade.rank > band.rank and not opinion:
        errors["opinion"] = f"{score}分可评「{band.label}」，评为「{grade.label}」须在评定意见中写明理由"
    return errors


def grade(user, a: Assessment, score: Decimal | None, grade_: AssessmentGrade | None, opinion: str = "") -> None:
    """评定: 优秀/良好 end the assessment (已评定); 一般/差 put it in 整改中 (约谈 and 整改任务 follow)."""
    _refuse_unless_allowed(lifecycle.refusal(a, user, "grade"))
    opinion = (opinion or "").strip()
    errors = check_grade(score, grade_, opinion)
    if errors:
        field, message = next(iter(errors.items()))
        raise ActionRefused(message, field=field)
    target = S.RECTIFYING if grade_.needs_rectification else S.GRADED
    unsubmitted = a.state is not S.SUBMITTED
    if ASSESSMENT_STATUS.move(a, target, score=score, grade=grade_, grade_opinion=opinion,
                              graded_by_id=user.id, graded_at=utcnow()) != 1:
        raise AlreadyHandled(HANDLED)
    note = f"{score}分，{grade_.label}" + ("（未提交自评）" if unsubmitted else "") + (f"。{opinion}" if opinion else "")
    _event(a, user, "grade", note)
    audit.record("assessment.grade", a, user=user, organization=a.organization.name, year=a.year,
                 score=score, grade=grade_.value, band=band_of(score).value, unsubmitted=unsubmitted)
    then = "，须接受约谈并限期整改" if grade_.needs_rectification else ""
    _tell("completed", a, access.unit_people(a.organization), user,
          f"{a.organization.name}{a.year}年度党建考核已评定为「{grade_.label}」{then}")
    db.session.commit()


# --- 约谈 and 整改 -------------------------------------------------------------------------------

def record_interview(user, a: Assessment, values: dict) -> Interview:
    """约谈: held_on, place, interviewers, interviewees, notes (checked by the form)."""
    _refuse_unless_allowed(lifecycle.refusal(a, user, "interview"))
    if values["held_on"] > local_today():
        raise ActionRefused("约谈日期不能晚于今天", field="held_on")
    if values["held_on"] < date(a.year, 1, 1):
        raise ActionRefused(f"约谈日期不能早于{a.year}年", field="held_on")
    if _touch(a) != 1:
        raise AlreadyHandled(HANDLED)
    interview = Interview(assessment_id=a.id, recorded_by_id=user.id, **values)
    db.session.add(interview)
    db.session.flush()
    _event(a, user, "interview", f"{values['held_on']:%Y-%m-%d} 约谈{values['interviewees']}")
    audit.record("assessment.interview", a, user=user, organization=a.organization.name, year=a.year,
                 interview_id=interview.id, held_on=values["held_on"])
    _complete_if_done(a, user)
    db.session.commit()
    return interview


def add_task(user, a: Assessment, problem: str, requirement: str, deadline: date) -> RectificationTask:
    _refuse_unless_allowed(lifecycle.refusal(a, user, "add_task"))
    if deadline < local_today():
        raise ActionRefused("整改期限不能早于今天", field="deadline")
    if _touch(a) != 1:
        raise AlreadyHandled(HANDLED)
    task = RectificationTask(assessment_id=a.id, problem=problem, requirement=requirement, deadline=deadline,
                             state=T.OPEN, created_by_id=user.id)
    db.session.add(task)
    db.session.flush()
    _event(a, user, "add_task", f"整改期限 {deadline:%Y-%m-%d}", task)
    audit.record("assessment.task.create", task, user=user, organization=a.organization.name, year=a.year,
                 deadline=deadline)
    _tell("todo", a, access.unit_people(a.organization), user,
          f"{a.organization.name}有新的整改任务，请于{cn_day(deadline)}前完成整改并提交整改情况")
    db.session.commit()
    return task


def _touch(a: Assessment) -> int:
    """An action inside 整改中 that adds a row (约谈, 任务) holds the assessment there: the same
    conditional UPDATE as a move, so it cannot slip in after the assessment was closed."""
    return ASSESSMENT_STATUS.move(a, S.RECTIFYING, frm=S.RECTIFYING)


@_with_files
def submit_task(user, task: RectificationTask, evidence: str, files=(), *, written) -> None:
    """提交整改情况: the evidence of closure (text and files)."""
    _refuse_unless_allowed(lifecycle.task_refusal(task, user, "submit"))
    a = task.assessment
    if TASK_STATUS.move(task, T.SUBMITTED, evidence=evidence, submitted_by_id=user.id,
                        submitted_at=utcnow()) != 1:
        raise AlreadyHandled(TASK_HANDLED)
    count = _store_files(files, user, a, task, written)
    _event(a, user, "task_submit", "逾期提交" if task.overdue() else "", task)
    audit.record("assessment.task.submit", task, user=user, organization=a.organization.name, files=count)
    _tell("todo", a, access.org_dept_people(a.organization), user,
          f"{a.organization.name}已提交整改情况，待验收")
    db.session.commit()


def sign_off_task(user, task: RectificationTask, opinion: str = "") -> None:
    """验收销号; the last one (with a 约谈 on record) completes the assessment's 整改."""
    _refuse_unless_allowed(lifecycle.task_refusal(task, user, "sign_off"))
    a = task.assessment
    if TASK_STATUS.move(task, T.CLOSED, closed_by_id=user.id, closed_at=utcnow()) != 1:
        raise AlreadyHandled(TASK_HANDLED)
    _event(a, user, "task_sign_off", (opinion or "").strip(), task)
    audit.record("assessment.task.sign_off", task, user=user, organization=a.organization.name)
    _complete_if_done(a, user)
    _tell("completed", a, access.unit_people(a.organization), user,
          f"{a.organization.name}的一项整改任务已验收销号")
    db.session.commit()


def reject_task(user, task: RectificationTask, reason: str) -> None:
    _refuse_unless_allowed(lifecycle.task_refusal(task, user, "reject"))
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("退回重新整改时必须写明理由", field="reason")
    a = task.assessment
    if TASK_STATUS.move(task, T.OPEN) != 1:
        raise AlreadyHandled(TASK_HANDLED)
    _event(a, user, "task_reject", reason, task)
    audit.record("assessment.task.reject", task, user=user, organization=a.organization.name)
    _tell("returned", a, access.unit_people(a.organization), user,
          f"{a.organization.name}提交的整改情况被退回，请继续整改后重新提交")
    db.session.commit()


def _complete_if_done(a: Assessment, user) -> None:
    """整改中 → 已整改 once a 约谈 is on record and every task is signed off (in the caller's transaction)."""
    db.session.flush()
    db.session.expire_all()  # the moves are UPDATEs: read the tasks' states as they now are
    if lifecycle.refusal(a, None, "rectified") is not None:
        return
    if ASSESSMENT_STATUS.move(a, S.RECTIFIED, rectified_at=utcnow()) != 1:
        return
    _event(a, None, "rectified", "已约谈，整改任务全部验收销号")
    audit.record("assessment.rectified", a, user=user, organization=a.organization.name, year=a.year)


# --- reminders (flask ticker) -------------------------------------------------------------------

def remind_overdue_tasks(today: date | None = None) -> int:
    """Tell the unit's people of every 整改任务 past its deadline and not handed in, at most once a
    day per task (claimed with a conditional UPDATE, so two tickers never both send). Returns how
    many tasks were reminded."""
    today = today or local_today()
    due = db.session.scalars(select(RectificationTask).join(Assessment).where(
        RectificationTask.state == T.OPEN, RectificationTask.deadline < today,
        Assessment.state == S.RECTIFYING,
        or_(RectificationTask.reminded_on.is_(None), RectificationTask.reminded_on < today))).all()
    count = 0
    for task in due:
        claimed = db.session.execute(
            update(RectificationTask).where(
                RectificationTask.id == task.id, RectificationTask.state == T.OPEN,
                or_(RectificationTask.reminded_on.is_(None), RectificationTask.reminded_on < today))
            .values(reminded_on=today).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue
        a = task.assessment
        audit.record("assessment.task.reminded", task, user=None, organization=a.organization.name,
                     deadline=task.deadline, days_overdue=task.days_overdue(today))
        _tell("overdue", a, access.unit_people(a.organization), None,
              f"{a.organization.name}的整改任务已超过整改期限（{cn_day(task.deadline)}）"
              f"{task.days_overdue(today)}天，请尽快完成整改并提交整改情况")
        count += 1
    db.session.commit()
    return count


def overdue_tasks_query(user, today: date | None = None):
    """The overdue 整改任务 the user may see, most overdue first."""
    today = today or local_today()
    return (select(RectificationTask).join(Assessment)
            .where(and_(RectificationTask.state == T.OPEN, RectificationTask.deadline < today,
                        Assessment.state == S.RECTIFYING, access.visible_condition(user)))
            .order_by(RectificationTask.deadline, RectificationTask.id))


__all__ = ["WorkflowError", "open_cycle", "submit", "return_for_revision", "grade", "record_interview", "add_task",
           "submit_task", "sign_off_task", "reject_task", "remind_overdue_tasks", "check_grade"]
