"""Scope for 慰问金: every URL of the type answers 404 outside the user's organization subtree (and
the 组织部 settings page to anyone but 组织部); a draft is its initiator's alone until submitted."""
import io

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Request, RequestState
from dangjian.request_types.condolence.model import CondolenceCategory, FundingSource
from dangjian.scope import visible_requests
from dangjian.workflow import Action, apply_action
from tests.factories_condolence import new_condolence, set_budget, setup_settings
from tests.test_scope import add_attachment


@pytest.fixture
def world(app, org):
    setup_settings(org)
    set_budget("10000.00")
    pending = new_condolence(org.member, org.secretary)
    att = add_attachment(pending, org.secretary)
    returned = new_condolence(org.member2, org.secretary)
    apply_action(returned, org.secondary, Action.RETURN, opinion="请补充")
    approved = new_condolence(org.committee, org.secretary, funding=FundingSource.SCHOOL)
    for user in (org.secondary, org.org_dept_user, org.school_user):
        apply_action(approved, user, Action.APPROVE, opinion="同意")
    draft = new_condolence(org.member, org.secretary, submit=False, category=CondolenceCategory.SPECIAL_HARDSHIP)
    return {"pending": pending.id, "returned": returned.id, "approved": approved.id, "draft": draft.id,
            "att": att.id}


URLS = [
    ("GET", "/requests/{pending}"),
    ("GET", "/requests/{approved}"),
    ("GET", "/requests/{approved}/panel"),
    ("GET", "/requests/{draft}"),
    ("GET", "/attachments/{att}"),
    ("GET", "/condolence/{returned}/edit"),
    ("POST", "/condolence/{returned}/edit"),
    ("GET", "/condolence/{draft}/edit"),
    ("POST", "/condolence/{draft}/delete"),
    ("POST", "/condolence/{approved}/payment"),
    ("POST", "/condolence/{approved}/cancel"),
]
OUTSIDERS = ["member_b", "secretary_a2", "secretary_b", "secondary_b", "direct_secretary", "sysadmin"]


def _post_data():
    return {"member_id": "1", "category": "hospitalized", "event_date": "2026-01-01", "amount": "100",
            "event_description": "住院治疗，家庭困难。", "funding_source": "unit", "planned_visitors": "李书记",
            "planned_date": "2026-01-02", "payee_kind": "member", "pay-visit_date": "2026-01-01",
            "pay-visitors": "李书记", "pay-paid_amount": "100", "cancel-reason": "婉拒",
            "pay-receipts": [(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 16), "照片.png")]}


@pytest.mark.parametrize("user_key", OUTSIDERS)
def test_outside_the_scope_every_condolence_url_is_404(app, org, world, auth, client, user_key):
    auth.login(getattr(org, user_key))
    for method, url in URLS:
        target = url.format(**world)
        resp = client.post(target, data=_post_data(), content_type="multipart/form-data") if method == "POST" \
            else client.get(target)
        assert resp.status_code == 404, (method, url, resp.get_data(as_text=True)[:300])
        body = resp.get_data(as_text=True)
        assert "王喆" not in body and "WW-" not in body, url
    db.session.expire_all()
    states = {k: db.session.get(Request, world[k]).state for k in ("pending", "returned", "approved", "draft")}
    assert states == {"pending": RequestState.PENDING, "returned": RequestState.RETURNED,
                      "approved": RequestState.APPROVED, "draft": RequestState.DRAFT}


@pytest.mark.parametrize("user_key", ["secondary", "committee", "member", "org_dept_user", "school_user", "supervisor"])
def test_a_draft_is_seen_by_its_initiator_only(app, org, world, auth, client, user_key):
    user = getattr(org, user_key)
    assert world["draft"] not in set(db.session.scalars(select(Request.id).where(visible_requests(user))))
    auth.login(user)
    assert client.get(f"/requests/{world['draft']}").status_code == 404
    assert client.get(f"/condolence/{world['draft']}/edit").status_code == 404
    mine = client.get("/inbox/mine").get_data(as_text=True)
    assert f'id="inbox-item-{world["draft"]}"' not in mine
    auth.login(org.secretary)
    assert client.get(f"/requests/{world['draft']}").status_code == 200
    assert f'id="inbox-item-{world["draft"]}"' in client.get("/inbox/mine").get_data(as_text=True)


@pytest.mark.parametrize("user_key", ["member", "secretary", "secondary", "school_user", "supervisor", "sysadmin"])
def test_the_standards_page_is_for_org_dept_only(app, org, world, auth, client, user_key):
    auth.login(getattr(org, user_key))
    assert client.get("/condolence/standards").status_code == 404
    data = {"which": "standard", "s-category": "death", "s-amount": "1", "s-effective_from": "2099-01-01"}
    assert client.post("/condolence/standards", data=data).status_code == 404
    assert client.post("/condolence/standards", data={"which": "threshold", "t-amount": "1",
                                                      "t-effective_from": "2099-01-01"}).status_code == 404
    assert "慰问金标准" not in client.get("/manage").get_data(as_text=True)


@pytest.mark.parametrize("user_key", ["member", "org_dept_user", "school_user", "supervisor", "sysadmin"])
def test_the_campaign_is_for_branches_and_secondary_units_only(app, org, world, auth, client, user_key):
    auth.login(getattr(org, user_key))
    assert client.get("/condolence/campaign").status_code == 404
    assert client.post("/condolence/campaign", data={"occasion": "july_first"}).status_code == 404
    assert client.get("/condolence/new").status_code == 404


def test_the_request_page_and_attachments_answer_inside_the_scope(app, org, world, auth, client):
    for user_key in ["member", "secretary", "committee", "secondary", "org_dept_user", "school_user", "supervisor"]:
        auth.login(getattr(org, user_key))
        assert client.get(f"/requests/{world['pending']}").status_code == 200, user_key
        assert client.get(f"/attachments/{world['att']}").status_code == 200, user_key
