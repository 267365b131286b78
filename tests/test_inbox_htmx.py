"""Acting from the inbox without a full page reload (htmx): the panel is a fragment, a success
replaces the card and updates the 待办 badge out of band, and a validation error stays in the panel
with nothing changed."""
import re

import pytest

from dangjian.extensions import db
from dangjian.models import Request, RequestState
from tests.factories import make_member, make_user, new_waiver

HX = {"HX-Request": "true"}
BADGE = re.compile(r'<span id="todo-badge"([^>]*)>\s*(\d+)\s*</span>')
MEETING = {"meeting_type": "branch_committee", "meeting_date": "2026-01-05", "votes_for": "5",
           "votes_against": "0", "votes_abstain": "0"}
VOTED_DOWN = {**MEETING, "votes_for": "1", "votes_against": "4"}


def badge(html):
    m = BADGE.search(html)
    assert m, "no todo badge"
    return int(m.group(2)), m.group(1)


def state(req_id):
    db.session.expire_all()
    req = db.session.get(Request, req_id)
    return req.state, req.current_step, req.version, len(req.timeline)


@pytest.fixture
def three_waiting(app, org):
    reqs = [new_waiver(org.member), new_waiver(org.member2), new_waiver(org.direct_member)]
    return reqs[:2]


def test_the_panel_is_a_fragment_with_exactly_the_allowed_buttons(app, org, auth, client, three_waiting):
    req = three_waiting[0]
    auth.login(org.secretary)
    resp = client.get(f"/requests/{req.id}/panel?context=inbox", headers=HX)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "<body" not in html
    assert set(re.findall(r'name="action" value="(\w+)"', html)) == {"approve", "return", "reject"}
    assert 'name="meeting_type"' in html and 'name="version"' in html
    assert f'hx-post="/requests/{req.id}/act"' in html
    # The initiator sees only 撤回 in the same panel.
    auth.login(org.member)
    html = client.get(f"/requests/{req.id}/panel?context=inbox", headers=HX).get_data(as_text=True)
    assert set(re.findall(r'name="action" value="(\w+)"', html)) == {"withdraw"}


def test_approving_from_the_inbox_replaces_the_card_and_updates_the_badge(app, org, auth, client, three_waiting):
    req = three_waiting[0]
    auth.login(org.secretary)
    inbox = client.get("/inbox/todo").get_data(as_text=True)
    assert f'id="inbox-item-{req.id}"' in inbox
    before, _ = badge(inbox)
    assert before == 2
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "approve", "version": "1", "context": "inbox", "opinion": "同意", **MEETING})
    assert resp.status_code == 200
    assert resp.headers["HX-Retarget"] == f"#inbox-item-{req.id}"
    assert resp.headers["HX-Reswap"] == "outerHTML"
    html = resp.get_data(as_text=True)
    assert "<html" not in html
    assert f'id="inbox-item-{req.id}"' in html and "已同意" in html
    count, attrs = badge(html)
    assert 'hx-swap-oob="true"' in attrs
    assert count == before - 1
    assert state(req.id)[:3] == (RequestState.PENDING, "secondary", 2)
    assert f'id="inbox-item-{req.id}"' not in client.get("/inbox/todo").get_data(as_text=True)


@pytest.mark.parametrize("action,extra", [("return", {"opinion": "请补充材料"}),
                                          ("reject", {"opinion": "不符合条件", **VOTED_DOWN})])
def test_return_and_reject_from_the_inbox(app, org, auth, client, three_waiting, action, extra):
    req = three_waiting[1]
    auth.login(org.committee)
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": action, "version": "1", "context": "inbox", **extra})
    assert resp.headers["HX-Retarget"] == f"#inbox-item-{req.id}"
    assert badge(resp.get_data(as_text=True))[0] == 1
    assert state(req.id)[0] in (RequestState.RETURNED, RequestState.REJECTED)


@pytest.mark.parametrize("data,message", [
    ({"action": "reject", "opinion": "", **VOTED_DOWN}, "不同意时必须填写意见"),
    ({"action": "return", "opinion": "  "}, "退回修改时必须填写意见"),
    ({"action": "approve", "opinion": "同意"}, "请选择会议类型"),
    ({"action": "approve", "opinion": "同意", **MEETING, "meeting_date": ""}, "请填写会议日期"),
    ({"action": "approve", "opinion": "同意", **MEETING, "meeting_date": "2999-01-01"}, "会议日期不能晚于今天"),
    ({"action": "approve", "opinion": "同意", **MEETING, "votes_for": ""}, "请填写表决票数"),
    ({"action": "approve", "opinion": "同意", **MEETING, "votes_for": "0"}, "表决票数合计不能为0"),
    ({"action": "approve", "opinion": "同意", **MEETING, "votes_for": "很多"}, "不是有效的整数"),
    ({"action": "approve", "opinion": "同" * 1001, **MEETING}, "意见不能超过1000字"),
    ({"action": "return", "opinion": "请修改", "return_to": "school"}, "只能退回到之前的审批环节"),
    ({"action": "approve", "opinion": "同意", **VOTED_DOWN},
     "会议表决同意1票、反对4票、弃权0票，同意票未过半数，不能作出同意的决定"),
    ({"action": "reject", "opinion": "不符合条件", **MEETING}, "同意票已过半数，不能作出不同意的决定"),
], ids=["reject-no-opinion", "return-blank-opinion", "approve-no-meeting", "no-meeting-date", "future-meeting",
        "no-votes", "zero-votes", "votes-not-a-number", "opinion-too-long", "return-to-a-later-step",
        "approve-against-the-vote", "reject-against-the-vote"])
def test_a_validation_error_stays_in_the_panel_and_changes_nothing(app, org, auth, client, three_waiting,
                                                                   data, message):
    req = three_waiting[0]
    before = state(req.id)
    auth.login(org.secretary)
    resp = client.post(f"/requests/{req.id}/act", headers=HX, data={"version": "1", "context": "inbox", **data})
    assert resp.status_code == 200
    assert "HX-Retarget" not in resp.headers
    html = resp.get_data(as_text=True)
    assert "<html" not in html and message in html
    assert set(re.findall(r'name="action" value="(\w+)"', html)) == {"approve", "return", "reject"}
    assert "Not a valid" not in html and "This field" not in html
    assert state(req.id) == before


def test_a_second_click_after_someone_else_acted_says_already_handled(app, org, auth, client, three_waiting):
    req = three_waiting[0]
    auth.login(org.committee)
    client.post(f"/requests/{req.id}/act", headers=HX,
                data={"action": "approve", "version": "1", "context": "inbox", "opinion": "同意", **MEETING})
    auth.login(org.secretary)
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "return", "version": "1", "context": "inbox", "opinion": "请补充"})
    assert resp.status_code == 200 and "HX-Retarget" not in resp.headers
    html = resp.get_data(as_text=True)
    assert "该申请已被处理" in html
    assert 'name="action"' not in html  # no buttons left for the secretary
    assert state(req.id)[:3] == (RequestState.PENDING, "secondary", 2)


def test_acting_on_the_request_page_replaces_the_main_column(app, org, auth, client, three_waiting):
    req = three_waiting[0]
    auth.login(org.secretary)
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "approve", "version": "1", "context": "page", "opinion": "情况属实", **MEETING})
    assert resp.headers["HX-Retarget"] == "#request-main"
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "情况属实" in html and req.number in html
    assert badge(html)[0] == 1


def test_withdraw_from_the_panel(app, org, auth, client, three_waiting):
    req = three_waiting[0]
    auth.login(org.member)
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "withdraw", "version": "1", "context": "page"})
    assert resp.headers["HX-Retarget"] == "#request-main"
    assert "修改并重新提交" in resp.get_data(as_text=True)
    assert state(req.id)[0] is RequestState.WITHDRAWN


def test_an_unknown_action_is_a_bad_request(app, org, auth, client, three_waiting):
    auth.login(org.secretary)
    resp = client.post(f"/requests/{three_waiting[0].id}/act", headers=HX, data={"action": "approve-all"})
    assert resp.status_code == 400


def test_inbox_pagination_shows_page_two(app, org, auth, client):
    app.config["PER_PAGE"] = 2
    ids = []
    for i in range(5):
        user = make_user(f"p{i}", make_member(org.branch_a1, name=f"翻页{i}"))
        db.session.commit()
        ids.append(new_waiver(user).id)
    auth.login(org.secretary)
    first = client.get("/inbox/todo").get_data(as_text=True)
    second = client.get("/inbox/todo?page=2", headers=HX)
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "<html" not in html
    on_first = [int(i) for i in re.findall(r'id="inbox-item-(\d+)"', first)]
    on_second = [int(i) for i in re.findall(r'id="inbox-item-(\d+)"', html)]
    assert on_first == ids[:2] and on_second == ids[2:4]
    assert "page=3" in html and "page=1" in html
    third = client.get("/inbox/todo?page=3").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'id="inbox-item-(\d+)"', third)] == ids[4:]
    assert badge(third)[0] == 5
    beyond = client.get("/inbox/todo?page=9")
    assert beyond.status_code == 200 and "inbox-item-" not in beyond.get_data(as_text=True)


def test_an_unknown_tab_is_404(app, org, auth, client):
    auth.login(org.member)
    assert client.get("/inbox/everything").status_code == 404


def test_a_reader_who_may_not_act_changes_nothing(app, org, auth, client, three_waiting):
    """纪委/监督 reads everything and changes nothing, even by posting the form by hand."""
    req = three_waiting[0]
    before = state(req.id)
    auth.login(org.supervisor)
    panel = client.get(f"/requests/{req.id}/panel?context=inbox", headers=HX).get_data(as_text=True)
    assert 'name="action"' not in panel
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "approve", "version": "1", "context": "inbox", "opinion": "同意", **MEETING})
    assert resp.status_code == 200 and "HX-Retarget" not in resp.headers
    assert "您不是当前审批环节的处理人" in resp.get_data(as_text=True)
    assert state(req.id) == before


def test_a_recused_holder_sees_why_and_gets_no_buttons(app, org, auth, client):
    """回避: the committee member who applied for themself sees the conflict, not the approval form;
    the request waits in the other holder's 待办 only."""
    req = new_waiver(org.committee)
    auth.login(org.committee)
    html = client.get(f"/requests/{req.id}/panel?context=page", headers=HX).get_data(as_text=True)
    assert "回避" in html
    assert set(re.findall(r'name="action" value="(\w+)"', html)) == {"withdraw"}
    assert f'id="inbox-item-{req.id}"' not in client.get("/inbox/todo").get_data(as_text=True)
    auth.login(org.secretary)
    assert f'id="inbox-item-{req.id}"' in client.get("/inbox/todo").get_data(as_text=True)
