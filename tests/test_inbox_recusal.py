"""待办 holds exactly what the engine lets the user decide: a request they must recuse from (回避)
stays out of it, whatever makes them recuse. Found by the property test (tests/test_property_workflow.py)."""
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.inbox import todo, todo_count
from dangjian.models import Role
from dangjian.workflow import Action, available_actions
from tests.factories import make_member, make_user
from tests.factories_award import ORG, aorg, make_cycle, nominate  # noqa: F401


def test_a_nominated_branchs_secretary_at_org_dept_has_it_neither_in_todo_nor_as_buttons(aorg):
    # 魏书记 works in 组织部 and is also secretary of 图书馆直属党支部, which is nominated as 先进基层党组织.
    dual = make_user("dual", make_member(aorg.direct, "魏书记"),
                     [(Role.ORG_DEPT, aorg.org_dept), (Role.BRANCH_SECRETARY, aorg.direct)])
    db.session.commit()
    req = nominate(make_cycle(aorg), aorg.direct_secretary, ORG, org=aorg.direct)
    assert req.current_step == "org_dept"

    assert available_actions(req, dual) == []
    assert req.id not in db.session.scalars(select(todo(dual).subquery().c.id)).all()
    assert todo_count(dual) == 0
    # The other 组织部 holders still have it to decide.
    assert Action.APPROVE in available_actions(req, aorg.org_dept_user)
    assert req.id in [r.id for r in db.session.scalars(todo(aorg.org_dept_user))]
    assert todo_count(aorg.org_dept_user) == 1
