"""The status machines besides the request workflows (issue 8 §9): a document being rendered, an
award cycle, an objection, a 困难党员台账 entry, a 巡察整改任务. Each is declared as a table of allowed moves (workflow/statuses.py,
award_nomination/workflow.py); every status change of those objects goes through it, which refuses
an undeclared move in Chinese and makes an allowed one with a conditional UPDATE."""
import pytest
from sqlalchemy import select

from dangjian.care.models import EntryState
from dangjian.care.registry import ENTRY_STATUS
from dangjian.extensions import db
from dangjian.inspection.models import TaskState
from dangjian.inspection.tasks import TASK_STATUS as INSPECTION_TASK_STATUS
from dangjian.models import AuditEvent, Document, DocumentStatus
from dangjian.request_types.award_nomination.model import AwardCycle, CycleStatus, Objection, ObjectionStatus
from dangjian.request_types.award_nomination.publicity import file_objection, handle_objection, publish_cycle
from dangjian.request_types.award_nomination.workflow import CYCLE_STATUS, OBJECTION_STATUS
from dangjian.workflow.statuses import DOCUMENT_STATUS, MACHINES, StatusRefused
from tests.factories import approve, new_waiver
from tests.factories_award import MEMBER, ORG, WORKER, aorg, decided, make_cycle  # noqa: F401
from tests.factories_care import registered

D, C, O, E, T = DocumentStatus, CycleStatus, ObjectionStatus, EntryState, TaskState

MOVES = [
    # 文档: pending → rendering → done | failed; a dead render back to pending; failed retried.
    (DOCUMENT_STATUS, D.PENDING, D.RENDERING, True),
    (DOCUMENT_STATUS, D.RENDERING, D.DONE, True),
    (DOCUMENT_STATUS, D.RENDERING, D.FAILED, True),
    (DOCUMENT_STATUS, D.RENDERING, D.PENDING, True),
    (DOCUMENT_STATUS, D.FAILED, D.PENDING, True),
    (DOCUMENT_STATUS, D.PENDING, D.DONE, False),  # only a render that ran is done
    (DOCUMENT_STATUS, D.DONE, D.PENDING, False),  # a final document is never rendered over
    (DOCUMENT_STATUS, D.DONE, D.FAILED, False),
    (DOCUMENT_STATUS, D.FAILED, D.DONE, False),
    # 评选: 征集推荐 → 公示中 → 已完成, never back.
    (CYCLE_STATUS, C.OPEN, C.PUBLICIZING, True),
    (CYCLE_STATUS, C.PUBLICIZING, C.COMPLETED, True),
    (CYCLE_STATUS, C.OPEN, C.COMPLETED, False),
    (CYCLE_STATUS, C.PUBLICIZING, C.OPEN, False),
    (CYCLE_STATUS, C.COMPLETED, C.PUBLICIZING, False),
    # 异议: 待处理 → 成立 | 不成立; a decision stays.
    (OBJECTION_STATUS, O.OPEN, O.UPHELD, True),
    (OBJECTION_STATUS, O.OPEN, O.DISMISSED, True),
    (OBJECTION_STATUS, O.UPHELD, O.DISMISSED, False),
    (OBJECTION_STATUS, O.DISMISSED, O.UPHELD, False),
    (OBJECTION_STATUS, O.UPHELD, O.OPEN, False),
    # 困难党员台账: 申报 → 确认 | 退回 → 重新提交 | 撤回; 在册 复核 (stays) or 销号; 自动销号 from any open state.
    (ENTRY_STATUS, E.PROPOSED, E.CONFIRMED, True),
    (ENTRY_STATUS, E.RETURNED, E.PROPOSED, True),
    (ENTRY_STATUS, E.CONFIRMED, E.CONFIRMED, True),
    (ENTRY_STATUS, E.RETURNED, E.CLOSED, True),
    (ENTRY_STATUS, E.RETURNED, E.CONFIRMED, False),  # a returned entry is resubmitted first
    (ENTRY_STATUS, E.CLOSED, E.CONFIRMED, False),
    (ENTRY_STATUS, E.WITHDRAWN, E.PROPOSED, False),
    # 巡察整改任务: 提交 → 验收销号 | 退回; 撤销; 延期 keeps an unfinished task where it is.
    (INSPECTION_TASK_STATUS, T.SUBMITTED, T.CLOSED, True),
    (INSPECTION_TASK_STATUS, T.RETURNED, T.SUBMITTED, True),
    (INSPECTION_TASK_STATUS, T.OPEN, T.OPEN, True),
    (INSPECTION_TASK_STATUS, T.OPEN, T.CLOSED, False),  # nothing is signed off before it is submitted
    (INSPECTION_TASK_STATUS, T.CLOSED, T.CLOSED, False),  # a closed task's deadline is not extended
    (INSPECTION_TASK_STATUS, T.CANCELLED, T.OPEN, False),
]


@pytest.mark.parametrize("machine,frm,to,allowed", MOVES,
                         ids=[f"{m.model.__name__}-{f.value}-{t.value}" for m, f, t, _ in MOVES])
def test_the_table_of_moves(machine, frm, to, allowed):
    assert machine.allows(frm, to) is allowed
    if not allowed:
        with pytest.raises(StatusRefused) as exc:
            machine.check(frm, to)
        assert exc.value.message == f"{machine.noun}当前为「{frm.label}」，不能改为「{to.label}」"


def test_every_status_of_every_machine_is_declared():
    machines = (DOCUMENT_STATUS, CYCLE_STATUS, OBJECTION_STATUS, ENTRY_STATUS, INSPECTION_TASK_STATUS)
    for machine in machines:
        enum = type(next(iter(machine.transitions)))
        assert set(machine.transitions) == set(enum), machine.noun
        assert all(to in set(enum) for tos in machine.transitions.values() for to in tos)
    assert all(any(m is known for known in MACHINES) for m in machines)


def _document(org):
    req = new_waiver(org.member)
    for user in (org.secretary, org.secondary, org.school_user):
        approve(req, user)
    return db.session.scalars(select(Document).where(Document.request_id == req.id,
                                                     Document.kind == "dues_waiver_form")).one()


def test_an_undeclared_move_changes_nothing(app, org):
    doc = _document(org)
    assert DOCUMENT_STATUS.move(doc, D.RENDERING) == 1
    assert DOCUMENT_STATUS.move(doc.id, D.DONE, frm=D.RENDERING, storage_path="x.pdf", sha256="0" * 64, size=1) == 1
    db.session.commit()
    db.session.refresh(doc)
    with pytest.raises(StatusRefused) as exc:
        DOCUMENT_STATUS.move(doc, D.PENDING)
    assert exc.value.message == "文档当前为「已生成」，不能改为「排队生成中」"
    db.session.rollback()
    db.session.refresh(doc)
    assert doc.status is D.DONE


def test_a_move_someone_else_made_first_is_not_made_twice(app, org):
    doc = _document(org)
    seen = doc.status
    assert DOCUMENT_STATUS.move(doc.id, D.RENDERING, frm=seen) == 1
    assert DOCUMENT_STATUS.move(doc.id, D.RENDERING, frm=seen) == 0  # the second worker finds it taken
    db.session.commit()


def test_a_versioned_machine_moves_only_the_version_the_page_showed(app, org):
    entry = registered(org.member.member)
    db.session.commit()
    seen = entry.version
    # A page older than the entry (someone moved it since) moves nothing, whatever its state says.
    assert ENTRY_STATUS.move(entry, E.CONFIRMED, seen_version=seen - 1, review_due_on=None) == 0
    # The page that saw this version moves it once, and the move raises the version.
    assert ENTRY_STATUS.move(entry, E.CLOSED, seen_version=seen, close_reason="困难消除") == 1
    assert ENTRY_STATUS.move(entry, E.CLOSED, frm=E.CONFIRMED, seen_version=seen, close_reason="再次点击") == 0
    db.session.commit()
    db.session.refresh(entry)
    assert (entry.state, entry.version, entry.close_reason, entry.review_due_on is not None) == \
        (E.CLOSED, seen + 1, "困难消除", True)


def test_an_action_refused_for_its_state_names_the_object_and_the_action(app, org):
    entry = registered(org.member.member)
    assert ENTRY_STATUS.refusal(entry, (E.PROPOSED,), "确认") == "该记录当前为「在册」，不能确认"
    assert ENTRY_STATUS.refusal(entry, (E.CONFIRMED,), "销号") is None


def test_publishing_and_completing_a_cycle_move_through_the_machine(app, aorg):
    cycle = make_cycle(aorg)
    decided(aorg, cycle, member_user=aorg.member)
    publish_cycle(cycle.id, aorg.org_dept_user)
    db.session.expire_all()
    cycle = db.session.get(AwardCycle, cycle.id)
    assert cycle.status is C.PUBLICIZING
    # A page acting on what it saw before the publication cannot reopen the cycle.
    with pytest.raises(StatusRefused) as exc:
        CYCLE_STATUS.move(cycle, C.OPEN)
    assert exc.value.message == "本次评选当前为「公示中」，不能改为「征集推荐」"
    db.session.rollback()
    # Completed twice (two tickers): moved once.
    assert CYCLE_STATUS.move(cycle.id, C.COMPLETED, frm=C.PUBLICIZING) == 1
    assert CYCLE_STATUS.move(cycle.id, C.COMPLETED, frm=C.PUBLICIZING) == 0


def test_a_handled_objection_stays_handled(app, aorg):
    cycle = make_cycle(aorg)
    nomination = decided(aorg, cycle, member_user=aorg.member)
    publish_cycle(cycle.id, aorg.org_dept_user)
    objection = file_objection(nomination.id, aorg.member_b, "事迹有夸大。")
    handled = handle_objection(objection.id, aorg.org_dept_user, False, "经核实，事迹材料属实，异议不成立。")
    assert handled.status is O.DISMISSED
    with pytest.raises(StatusRefused) as exc:
        OBJECTION_STATUS.move(handled, O.UPHELD)
    assert exc.value.message == "该异议当前为「异议不成立」，不能改为「异议成立」"
    db.session.rollback()
    assert db.session.get(Objection, objection.id).status is O.DISMISSED
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "award_objections").order_by(AuditEvent.id)).all() \
        == ["award_objection.file", "award_objection.dismissed"]
