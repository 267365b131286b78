"""The status machines besides the request workflows (issue 8 §9): a document being rendered, an
award cycle, an objection. Each is declared as a table of allowed moves (workflow/statuses.py,
award_nomination/workflow.py); every status change of those objects goes through it, which refuses
an undeclared move in Chinese and makes an allowed one with a conditional UPDATE."""
import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Document, DocumentStatus
from dangjian.request_types.award_nomination.model import AwardCycle, CycleStatus, Objection, ObjectionStatus
from dangjian.request_types.award_nomination.publicity import file_objection, handle_objection, publish_cycle
from dangjian.request_types.award_nomination.workflow import CYCLE_STATUS, OBJECTION_STATUS
from dangjian.workflow.statuses import DOCUMENT_STATUS, MACHINES, StatusRefused
from tests.factories import approve, new_waiver
from tests.factories_award import MEMBER, ORG, WORKER, aorg, decided, make_cycle  # noqa: F401

D, C, O = DocumentStatus, CycleStatus, ObjectionStatus

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
    for machine in (DOCUMENT_STATUS, CYCLE_STATUS, OBJECTION_STATUS):
        enum = type(next(iter(machine.transitions)))
        assert set(machine.transitions) == set(enum), machine.noun
        assert all(to in set(enum) for tos in machine.transitions.values() for to in tos)
    assert all(any(m is known for known in MACHINES) for m in (DOCUMENT_STATUS, CYCLE_STATUS, OBJECTION_STATUS))


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
