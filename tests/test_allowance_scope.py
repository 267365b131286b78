"""Scope of the allowance pages: every URL answers 404 outside the user's scope and changes nothing.

A batch is seen by its unit (initiator and the unit's secondary role), by 组织部, 校党委 and 纪委, and
by every secretary it pays — and by nobody else, not even another branch secretary of the unit.
The record pages (secretary terms, branch dates; the grades are 党建考核's) are for 组织部 (every branch), the
secondary unit (its own branches) and 纪委 (reading only).
"""
import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Document, Request, RequestState
from dangjian.assessment.models import Assessment
from dangjian.request_types.secretary_allowance.model import BranchSecretaryTerm
from dangjian.workflow import Action, apply_action
from tests.factories_allowance import YEAR, allowance_world, new_batch
from tests.test_scope import finish_document


@pytest.fixture
def world(app, org):
    allowance_world(org)
    pending = new_batch(org.sec_a, org.secondary)  # pays 李书记 (org.secretary)
    approved = new_batch(org.sec_b, org.secondary_b)  # pays 刘组织部 and 张校领导
    apply_action(approved, org.org_dept2, Action.APPROVE, opinion="核定无误")
    apply_action(approved, org.school_user2, Action.APPROVE, opinion="同意")
    notice = db.session.scalars(select(Document).where(Document.request_id == approved.id,
                                                       Document.kind == "allowance_notice")).one()
    db.session.delete(db.session.scalars(select(Document).where(Document.request_id == approved.id,
                                                                Document.kind == "allowance_batch")).one())
    db.session.commit()
    doc = finish_document(approved)
    term = db.session.scalars(select(BranchSecretaryTerm).where(BranchSecretaryTerm.branch_id == org.branch_a1.id)).one()
    assert doc.id == notice.id
    return {"pending": pending.id, "approved": approved.id, "doc": doc.id, "a1": org.branch_a1.id,
            "term": term.id, "line": pending.lines[0].id}


BATCH_URLS = [
    ("GET", "/requests/{pending}"),
    ("GET", "/requests/{pending}/panel"),
    ("GET", "/secretary-allowances/{pending}/edit"),
    ("POST", "/secretary-allowances/{pending}/edit"),
    ("GET", "/secretary-allowances/{pending}/adjust"),
    ("GET", "/secretary-allowances/{pending}/adjust?line_id={line}"),
    ("POST", "/secretary-allowances/{pending}/adjust"),
    ("POST", "/requests/{pending}/act"),
]
BATCH_OUTSIDERS = [
    "member2",  # a member of the paid secretary's branch
    "member_b",
    "secretary_a2",  # another branch secretary of the same unit, not paid by the batch
    "secretary_b",
    "secondary_b",  # another secondary unit
    "direct_secretary",
    "sysadmin",  # 三员分立
]
POST_DATA = {"action": "approve", "version": "1", "opinion": "同意", "year": str(YEAR),
             "adj-line_id": "1", "adj-amount": "1.00", "adj-phone": "1.00", "adj-transport": "0",
             "adj-materials": "0", "adj-post": "0", "adj-reward": "0", "adj-payment_method": "to_secretary",
             "adj-version": "1"}


@pytest.mark.parametrize("user_key", BATCH_OUTSIDERS)
def test_outside_the_scope_every_batch_url_is_404(world, org, auth, client, user_key):
    """Each user tries every URL (one test per user keeps the suite fast; the URL is in the message)."""
    auth.login(getattr(org, user_key))
    for method, url in BATCH_URLS:
        target = url.format(**world)
        resp = client.post(target, data=POST_DATA) if method == "POST" else client.get(target)
        assert resp.status_code == 404, f"{method} {target}: {resp.status_code}"
        body = resp.get_data(as_text=True)
        assert "李书记" not in body and "SB-" not in body, target
    db.session.expire_all()
    req = db.session.get(Request, world["pending"])
    assert (req.state, req.current_step, req.version) == (RequestState.PENDING, "org_dept", 1)


@pytest.mark.parametrize("user_key", [u for u in BATCH_OUTSIDERS if u != "secondary_b"] + ["member", "secretary",
                                                                                         "secondary"])
def test_documents_of_another_units_batch_are_404(world, org, auth, client, user_key):
    auth.login(getattr(org, user_key))
    assert client.get(f"/documents/{world['doc']}/download").status_code == 404
    assert client.get(f"/requests/{world['approved']}").status_code == 404


@pytest.mark.parametrize("user_key", ["secondary", "org_dept_user", "org_dept2", "school_user", "supervisor",
                                      "secretary"])
def test_the_unit_the_school_level_and_the_paid_secretary_see_the_batch(world, org, auth, client, user_key):
    auth.login(getattr(org, user_key))
    page = client.get(f"/requests/{world['pending']}")
    assert page.status_code == 200
    assert "会计学院党委2025年度兼职支部书记补贴" in page.get_data(as_text=True)


@pytest.mark.parametrize("user_key", ["org_dept_user", "school_user"])
def test_paid_secretaries_see_and_download_their_notice(world, org, auth, client, user_key):
    """刘组织部 and 张校领导 are paid by 经济学院党委's batch: they see it (they also hold school-wide
    roles), and the paid secretary who holds no such role sees it too (test above)."""
    auth.login(getattr(org, user_key))
    assert client.get(f"/requests/{world['approved']}").status_code == 200
    resp = client.get(f"/documents/{world['doc']}/download")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_a_paid_secretary_without_any_role_sees_the_batch_and_the_mine_page(world, org, auth, client):
    from dangjian.models import RoleAssignment

    db.session.execute(RoleAssignment.__table__.delete().where(RoleAssignment.user_id == org.secretary.id))
    db.session.commit()
    auth.login(org.secretary)
    assert client.get(f"/requests/{world['pending']}").status_code == 200
    mine = client.get("/secretary-allowances/mine").get_data(as_text=True)
    assert "会计学院教工第一党支部" in mine and "¥3,000.00" in mine
    assert client.get(f"/secretary-allowances/{world['pending']}/adjust").status_code == 403
    inbox = client.get("/inbox/todo").get_data(as_text=True)
    # the nav entry for a paid secretary (in the bar, or in the 党建工作 menu)
    assert 'href="/secretary-allowances/mine"' in inbox and 'data-dj-nav="file"' in inbox


@pytest.mark.parametrize("user_key", ["member", "member_b", "secretary_a2", "direct_secretary"])
def test_the_mine_page_lists_only_my_own_allowances(world, org, auth, client, user_key):
    auth.login(getattr(org, user_key))
    body = client.get("/secretary-allowances/mine").get_data(as_text=True)
    assert "暂无兼职支部书记补贴" in body and "SB-" not in body
    assert 'data-dj-nav="file"' not in client.get("/inbox/todo").get_data(as_text=True)


def test_insiders_without_the_right_get_403_for_edit_and_adjust(world, org, auth, client):
    auth.login(org.school_user)  # sees the batch, is not its initiator and not at its step
    assert client.get(f"/secretary-allowances/{world['pending']}/edit").status_code == 403
    assert client.get(f"/secretary-allowances/{world['pending']}/adjust").status_code == 403


# --- the record pages ---------------------------------------------------------------------------------

RECORD_URLS = [
    ("GET", "/secretary-allowances/secretaries"),
    ("GET", "/secretary-allowances/branches/{a1}"),
    ("POST", "/secretary-allowances/branches/{a1}/terms"),
    ("POST", "/secretary-allowances/terms/{term}/end"),
    ("POST", "/secretary-allowances/terms/{term}/delete"),
    ("POST", "/secretary-allowances/branches/{a1}/dates"),
    ("GET", "/secretary-allowances/new"),
]
RECORD_OUTSIDERS = ["member", "secretary", "school_user2", "sysadmin", "direct_secretary"]
RECORD_POST = {"branch_id": "{a1}", "grade": "fail", "member_id": "1", "start_on": "2025-01-01",
               "end_on": "2025-02-01", "part_time": "1", "founded_on": "2025-01-01"}


def _post_data(world):
    return {k: v.format(**world) for k, v in RECORD_POST.items()}


def _records_unchanged(org):
    db.session.expire_all()
    grade = db.session.scalar(select(Assessment.grade).where(Assessment.organization_id == org.branch_a1.id,
                                                             Assessment.year == YEAR))
    terms = db.session.scalar(select(func.count(BranchSecretaryTerm.id)))
    assert (grade.value, terms, org.branch_a1.founded_on) == ("excellent", 5, None)
    term = db.session.scalars(select(BranchSecretaryTerm).where(BranchSecretaryTerm.branch_id == org.branch_a1.id)).one()
    assert term.end_on is None


@pytest.mark.parametrize("user_key", RECORD_OUTSIDERS)
def test_outside_the_scope_every_record_url_is_404(world, org, auth, client, user_key):
    auth.login(getattr(org, user_key))
    for method, url in RECORD_URLS:
        target = url.format(**world)
        resp = client.post(target, data=_post_data(world)) if method == "POST" else client.get(target)
        assert resp.status_code == 404, f"{method} {target}: {resp.status_code}"
    _records_unchanged(org)


def test_another_units_branch_is_404_for_a_secondary_unit(world, org, auth, client):
    auth.login(org.secondary_b)
    for method, url in [u for u in RECORD_URLS if "{a1}" in u[1] or "{term}" in u[1]]:
        target = url.format(**world)
        resp = client.post(target, data=_post_data(world)) if method == "POST" else client.get(target)
        assert resp.status_code == 404, f"{method} {target}: {resp.status_code}"
    _records_unchanged(org)


def test_supervision_reads_the_records_and_changes_nothing(world, org, auth, client):
    auth.login(org.supervisor)
    for url in ("/secretary-allowances/secretaries", f"/secretary-allowances/branches/{world['a1']}"):
        assert client.get(url).status_code == 200
    for url in (f"/secretary-allowances/branches/{world['a1']}/terms",
                f"/secretary-allowances/terms/{world['term']}/delete"):
        assert client.post(url, data=_post_data(world)).status_code == 404
    _records_unchanged(org)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("allowance.%"))) == 0
