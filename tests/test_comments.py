"""评论 (issue 8 §4): anyone who can see a request may comment. A comment is not a decision: it shows
in the timeline, never in the 审批表's opinion boxes; it changes no state and no version (an approver
who loaded the form before it still decides); it is audited, limited to 500 字, and CSRF-protected."""
import re

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Request, RequestState, TimelineEntry
from dangjian.workflow import Action, WorkflowError, apply_action, available_actions
from dangjian.workflow.comments import add_comment
from dangjian.workflow.history import opinion_boxes
from tests.factories import approve, new_waiver
from tests.test_csrf import form_token, login

HX = {"HX-Request": "true"}


def _comments(req_id):
    return db.session.scalars(select(TimelineEntry).where(TimelineEntry.request_id == req_id,
                                                          TimelineEntry.action == "comment")).all()


@pytest.mark.parametrize("user_key,role", [
    ("member", "applicant"),  # the initiator and beneficiary
    ("secretary", "branch_secretary"),  # the current step's holder
    ("secondary", "secondary"),  # a reader above
    ("supervisor", "supervisor"),  # 纪委 reads the whole school
])
def test_anyone_who_can_see_the_request_comments_without_changing_it(app, org, user_key, role):
    req = new_waiver(org.member)
    before = (req.state, req.current_step, req.version)
    entry = add_comment(req, getattr(org, user_key), "  请注意核对减免月份。 ")
    assert (entry.action, entry.opinion, entry.actor_role, entry.step) == ("comment", "请注意核对减免月份。", role, "branch")
    assert (req.state, req.current_step, req.version) == before
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == req.id,
                                                          AuditEvent.action == "request.comment").order_by(AuditEvent.id)).all()
    assert len(audited) == 1 and audited[0].user_id == getattr(org, user_key).id


@pytest.mark.parametrize("user_key", ["secretary_b", "secondary_b", "secretary_a2", "sysadmin"])
def test_outside_the_scope_nobody_comments(app, org, user_key):
    req = new_waiver(org.member)
    with pytest.raises(WorkflowError) as exc:
        add_comment(req, getattr(org, user_key), "看看")
    assert "您无权查看该申请" in exc.value.message
    db.session.rollback()
    assert _comments(req.id) == []


@pytest.mark.parametrize("text,message", [
    ("", "请填写评论内容"), ("   ", "请填写评论内容"), ("评" * 501, "评论不能超过500字（现为501字）")])
def test_empty_or_too_long_is_refused(app, org, text, message):
    req = new_waiver(org.member)
    with pytest.raises(WorkflowError) as exc:
        add_comment(req, org.secretary, text)
    assert exc.value.message == message and exc.value.field == "comment"
    db.session.rollback()
    assert _comments(req.id) == []


def test_a_draft_takes_no_comment(app, org):
    req = new_waiver(org.member, submit=False)
    with pytest.raises(WorkflowError) as exc:
        add_comment(req, org.member, "备注")
    assert "草稿" in exc.value.message


def test_a_comment_does_not_make_a_waiting_approver_lose_the_race(app, org):
    """The approver's form carries the version they saw; a comment in between does not change it."""
    req = new_waiver(org.member)
    seen = req.version
    add_comment(req, org.member, "诊断证明已补充上传。")
    approve(req, org.secretary, seen_version=seen)
    assert req.current_step == "secondary"


def test_a_comment_is_not_acting_on_the_step(app, org):
    """撤回 stays open after an approver's comment on the current step; 已办 does not list it."""
    req = new_waiver(org.member)
    add_comment(req, org.secretary, "下周支委会研究。")
    assert Action.WITHDRAW in available_actions(req, org.member)
    from dangjian.inbox import done
    assert req.id not in [r.id for r in db.session.scalars(done(org.secretary))]
    apply_action(req, org.member, Action.WITHDRAW)
    assert req.state is RequestState.WITHDRAWN


def test_comments_never_reach_the_opinion_boxes(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary, opinion="同意减免")
    add_comment(req, org.secretary, "补充：该同志长期患病。")
    approve(req, org.secondary, opinion="情况属实")
    add_comment(req, org.supervisor, "纪委已知悉。")
    approve(req, org.school_user, opinion="同意")
    add_comment(req, org.member, "谢谢组织关怀。")  # a closed request still takes a remark
    assert [b["opinion"] for b in opinion_boxes(req)] == ["同意减免", "情况属实", "同意"]
    assert req.state is RequestState.APPROVED and len(_comments(req.id)) == 3


def test_commenting_through_the_page(app, org, client):
    """CSRF on: the form under the timeline posts with the token; the timeline updates out of band."""
    req = new_waiver(org.member)
    token = login(client, org.secondary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert 'id="request-comment"' in page and "发表评论" in page
    url = f"/requests/{req.id}/comment"
    assert client.post(url, data={"text": "无令牌"}).status_code == 400
    assert _comments(req.id) == []

    headers = {**HX, "X-CSRFToken": token}
    resp = client.post(url, headers=headers, data={"text": "评" * 501, "csrf_token": form_token(page)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "评论不能超过500字" in html and "hx-swap-oob" not in html
    assert _comments(req.id) == []

    resp = client.post(url, headers=headers, data={"text": "请支部尽快研究。", "csrf_token": form_token(page)})
    html = resp.get_data(as_text=True)
    assert "评论已发布" in html
    timeline = html.split('<div id="request-timeline" hx-swap-oob="innerHTML">', 1)[1]
    assert re.search(r'dj-tl-comment">.*陈组织员.*发表评论.*请支部尽快研究。', timeline, re.S)
    db.session.expire_all()
    assert db.session.get(Request, req.id).version == req.version


def test_outside_the_scope_the_comment_url_is_404(app, org, client):
    req = new_waiver(org.member)
    token = login(client, org.secretary_b)
    page = client.get("/inbox/todo").get_data(as_text=True)
    resp = client.post(f"/requests/{req.id}/comment", headers={"X-CSRFToken": token},
                       data={"text": "看看", "csrf_token": form_token(page) if "csrf_token" in page else token})
    assert resp.status_code == 404
    assert _comments(req.id) == []
