"""考核「优秀」→ 先进基层党组织: the secondary unit sees its branches graded 优秀 on its ranking page,
「按考核优秀推荐」 makes a draft for each one not yet nominated, the unit completes and submits it
(its submission is its forwarding: quota taken, to 组织部审核), and the nomination shows the grade as
evidence. The award's rules still hold: one nomination per organization, the deadline, the quota."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dangjian.assessment.grades import AssessmentGrade as G
from dangjian.extensions import db
from dangjian.models import AuditEvent, RequestState
from dangjian.request_types.award_nomination.model import AwardNomination, AwardQuota
from dangjian.timeutil import local_today
from tests.factories_assessment import graded
from tests.factories_award import MEMBER, ORG, aorg, make_cycle, nominate  # noqa: F401


@pytest.fixture
def world(aorg):  # noqa: F811
    o = aorg
    o.cycle = make_cycle(o, quota=1)
    graded(o.branch_a1, G.EXCELLENT, o.org_dept_user, o.cycle.year - 1)
    graded(o.branch_a2, G.GOOD, o.org_dept_user, o.cycle.year - 1)
    graded(o.branch_b1, G.EXCELLENT, o.org_dept_user, o.cycle.year - 4)  # too long ago for this cycle
    db.session.commit()
    return o


def _ranking(client, o, unit):
    return client.get(f"/awards/cycles/{o.cycle.id}/ranking?unit={unit.id}").get_data(as_text=True)


def _draft(client, o, unit):
    return client.post(f"/awards/cycles/{o.cycle.id}/ranking/from-assessment", data={"unit": unit.id})


def _nominations():
    db.session.expire_all()
    return list(db.session.scalars(select(AwardNomination).order_by(AwardNomination.id)))


def test_the_unit_drafts_submits_and_the_nomination_shows_the_grade(world, auth, client):
    o = world
    auth.login(o.secondary)
    page = _ranking(client, o, o.sec_a)
    assert 'id="excellent-branches"' in page and f'id="excellent-{o.branch_a1.id}"' in page
    assert f'id="excellent-{o.branch_a2.id}"' not in page  # 良好
    assert "按考核优秀推荐（1）" in page and "hx-confirm=" in page
    resp = _draft(client, o, o.sec_a)
    assert resp.status_code == 302
    [draft] = _nominations()
    assert (draft.state, draft.category, draft.nominee_org_id, draft.initiator_id, draft.by_unit) == \
        (RequestState.DRAFT, ORG, o.branch_a1.id, o.secondary.id, True)
    assert "「优秀」（92.0分）" in draft.deeds
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "award_nomination.drafts_from_assessment")).one()
    assert json.loads(audit.detail)["numbers"] == [draft.number]
    page = _ranking(client, o, o.sec_a)
    assert draft.number in page and "按考核优秀推荐（" not in page  # listed with its number, nothing left to draft
    # The draft's form shows the evidence; submitting it forwards it within the quota.
    form = client.get(f"/awards/nominations/{draft.id}/edit").get_data(as_text=True)
    assert "核对并提交" in form and 'id="assessment-evidence"' in form and f"{o.cycle.year - 1}年度" in form
    resp = client.post(f"/awards/nominations/{draft.id}/edit",
                       data={"deeds": draft.deeds + "全年组织生活规范，党员发展质量高。", "version": draft.version})
    assert resp.status_code == 302
    [req] = _nominations()
    assert (req.state, req.current_step, req.rank, req.quota_counted) == (RequestState.PENDING, "org_dept", 1, True)
    quota = db.session.scalar(select(AwardQuota).where(AwardQuota.cycle_id == o.cycle.id,
                                                       AwardQuota.organization_id == o.sec_a.id,
                                                       AwardQuota.category == ORG))
    assert quota.used == 1
    # 组织部 reviews it with the grade in view.
    auth.login(o.org_dept2)
    html = client.get(f"/requests/{req.id}").get_data(as_text=True)
    evidence = html[html.index('id="assessment-evidence"'):][:400]
    assert f"{o.cycle.year - 1}年度" in evidence and "优秀" in evidence and "92.0分" in evidence


def test_a_branch_already_nominated_is_shown_not_drafted_again(world, auth, client):
    o = world
    mine = nominate(o.cycle, o.secretary, ORG, org=o.branch_a1)
    auth.login(o.secondary)
    page = _ranking(client, o, o.sec_a)
    assert mine.number in page and "按考核优秀推荐（" not in page
    html = client.get(_draft(client, o, o.sec_a).headers["Location"]).get_data(as_text=True)
    assert "没有尚未推荐的考核「优秀」党支部" in html
    assert len(_nominations()) == 1


def test_the_grade_shows_on_a_branchs_own_nomination_too(world, auth, client):
    o = world
    req = nominate(o.cycle, o.secretary, ORG, org=o.branch_a2)
    auth.login(o.secondary)
    html = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "良好" in html[html.index('id="assessment-evidence"'):][:400]


@pytest.mark.parametrize("who,unit", [("secondary_b", "sec_a"), ("secretary", "sec_a"), ("org_dept_user", "sec_a"),
                                      ("supervisor", "sec_a")])
def test_only_the_units_own_people_draft(world, auth, client, who, unit):
    auth.login(getattr(world, who))
    assert _draft(client, world, getattr(world, unit)).status_code == 404
    assert _nominations() == []


def test_the_deadline_and_the_category_are_the_cycles_rules(world, auth, client):
    o = world
    auth.login(o.secondary)
    o.cycle.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    assert "按考核优秀推荐（" not in _ranking(client, o, o.sec_a)
    html = client.get(_draft(client, o, o.sec_a).headers["Location"]).get_data(as_text=True)
    assert "已不再接受推荐" in html
    o.cycle.deadline = local_today() + timedelta(days=3)
    o.cycle.set_categories([MEMBER])
    db.session.commit()
    assert 'id="excellent-branches"' not in _ranking(client, o, o.sec_a)
    html = client.get(_draft(client, o, o.sec_a).headers["Location"]).get_data(as_text=True)
    assert "未设置「先进基层党组织」类别" in html
    assert db.session.scalar(select(func.count(AwardNomination.id))) == 0


def test_the_initiator_deletes_a_draft_and_the_branch_may_be_nominated_again(world, auth, client):
    o = world
    auth.login(o.secondary)
    _draft(client, o, o.sec_a)
    [draft] = _nominations()
    form = client.get(f"/awards/nominations/{draft.id}/edit").get_data(as_text=True)
    assert 'id="delete-draft"' in form and "hx-confirm=" in form
    resp = client.post(f"/requests/{draft.id}/act", data={"action": "delete_draft", "version": draft.version})
    assert resp.status_code in (200, 302)
    assert _nominations() == []
    assert nominate(o.cycle, o.secretary, ORG, org=o.branch_a1).state is RequestState.PENDING
