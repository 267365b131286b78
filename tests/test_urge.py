"""催办 (issue 8 §3): at most once per 24 hours per request, whoever urges; the holders of the current
step are reminded (ended roles, disabled accounts and recused people left out); the timeline shows it;
it is not a decision, so it never counts as acting on a step, never appears in 已办, and leaves an
approver's open form valid. On the request page: a button by the waiting step, or when the next urge
is possible."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from dangjian.extensions import db
from dangjian.inbox import done
from dangjian.models import AuditEvent, Request, RequestState, TimelineEntry
from dangjian.notifications.models import Message
from dangjian.timeutil import local_today
from dangjian.workflow import Action, available_actions
from dangjian.workflow.urge import UrgeRefused, step_holders, urge
from tests.factories import approve, new_waiver
from tests.test_csrf import form_token, login

HX = {"HX-Request": "true"}
T0 = datetime(2026, 3, 2, 1, 30)  # naive UTC: 09:30 in Beijing


def urges(req_id):
    return db.session.scalar(select(func.count(TimelineEntry.id)).where(
        TimelineEntry.request_id == req_id, TimelineEntry.action == "urge"))


def test_once_in_24_hours_whoever_urges(app, org):
    req = new_waiver(org.member)
    urge(req, org.member, now=T0)
    for user, later, message in (
            (org.member, timedelta(hours=1), "今天已催办，可于3月3日 09:30 后再次催办"),
            (org.org_dept_user, timedelta(hours=23, minutes=59), "24小时内已催办，可于3月3日 09:30 后再次催办")):
        with pytest.raises(UrgeRefused) as exc:
            urge(req, user, now=T0 + later)
        db.session.rollback()
        assert exc.value.message == message
    entry = urge(req, org.org_dept_user, now=T0 + timedelta(hours=24))
    assert entry.created_at == T0 + timedelta(hours=24)
    assert urges(req.id) == 2


def test_an_urge_late_yesterday_says_within_24_hours(app, org):
    req = new_waiver(org.member)
    urge(req, org.member, now=datetime(2026, 3, 2, 14, 0))  # 22:00 in Beijing
    with pytest.raises(UrgeRefused) as exc:
        urge(req, org.member, now=datetime(2026, 3, 3, 1, 0))  # 09:00 the next morning
    assert exc.value.message == "24小时内已催办，可于3月3日 22:00 后再次催办"


def test_the_24_hours_hold_in_the_database_whatever_the_session_believes(app, org):
    """Two browsers loaded the request before either urged: the second is refused by the UPDATE."""
    req = new_waiver(org.member)
    urge(req, org.member, now=T0)
    db.session.expire_all()
    stale = db.session.get(Request, req.id)
    set_committed_value(stale, "last_urged_at", None)  # as read before the first urge committed
    with pytest.raises(UrgeRefused) as exc:
        urge(stale, org.org_dept_user, now=T0 + timedelta(minutes=5))
    assert "今天已催办" in exc.value.message
    db.session.rollback()
    assert urges(req.id) == 1


def test_an_urge_is_not_acting_on_the_step(app, org):
    req = new_waiver(org.member)
    seen = req.version
    urge(req, org.org_dept_user)
    db.session.expire_all()
    assert req.version == seen and req.state is RequestState.PENDING
    assert Action.WITHDRAW in available_actions(req, org.member)  # nobody acted on the step yet
    assert db.session.scalars(done(org.org_dept_user)).all() == []  # not in 组织部's 已办
    approve(req, org.secretary, seen_version=seen)  # the open form is still valid
    assert req.current_step == "secondary"


def test_an_urge_does_not_stop_a_take_back(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    urge(req, org.member)
    assert Action.TAKE_BACK in available_actions(req, org.secretary)


def test_ended_roles_and_disabled_accounts_are_not_reminded(app, org):
    req = new_waiver(org.member)
    (role,) = org.committee.role_assignments
    role.ends_on = local_today() - timedelta(days=1)
    db.session.commit()
    assert step_holders(req) == [org.secretary]
    org.secretary.active = False
    db.session.commit()
    assert step_holders(req) == []
    entry = urge(req, org.member)
    assert entry.detail == "「党支部讨论」（会计学院教工第一党支部）暂无可处理人，请组织部协调"


def test_the_timeline_and_the_audit_say_who_urged_whom(app, org):
    req = new_waiver(org.member)
    entry = urge(req, org.org_dept_user)
    assert (entry.actor_role, entry.actor_org_id) == ("org_dept", org.org_dept.id)
    assert entry.detail == "提醒「党支部讨论」（会计学院教工第一党支部）的李书记、赵支委尽快办理"
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.urge")).one()
    assert f'"recipients": [{org.secretary.id}, {org.committee.id}]' in audit.detail
    assert req.number in audit.detail
    # The holders find it in their 消息 (the notifications centre), the urger does not.
    messages = db.session.scalars(select(Message).where(Message.kind == "urge", Message.request_id == req.id)).all()
    assert sorted(m.recipient_id for m in messages) == sorted([org.secretary.id, org.committee.id])
    assert all("刘组织部催办" in m.text for m in messages)


# --- through the request page ------------------------------------------------------------------

def test_the_initiator_urges_from_the_request_page(app, org, client):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    login(client, org.member)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "dj-btn-urge" in page and 'hx-confirm="确定催办吗？系统将提醒「二级党组织意见」的处理人尽快办理' in page
    html = client.post(f"/requests/{req.id}/urge", data={"csrf_token": form_token(page)},
                       headers=HX).get_data(as_text=True)
    assert "已催办：提醒「二级党组织意见」（会计学院党委）的陈组织员尽快办理。" in html
    assert 'dj-tl-urge' in html and "催办" in html  # the timeline, swapped in place
    assert "dj-btn-urge" not in html and "今天已催办，可于" in html
    # The page says so on the next visit too.
    again = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "dj-btn-urge" not in again and "今天已催办，可于" in again


def test_a_second_urge_from_a_stale_page_is_refused_and_recorded_once(app, org, client):
    req = new_waiver(org.member)
    login(client, org.member)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    token = form_token(page)
    client.post(f"/requests/{req.id}/urge", data={"csrf_token": token}, headers=HX)
    html = client.post(f"/requests/{req.id}/urge", data={"csrf_token": token}, headers=HX).get_data(as_text=True)
    assert "今天已催办，可于" in html and 'role="alert"' in html
    assert urges(req.id) == 1


@pytest.mark.parametrize("user_key", ["secretary", "secondary", "supervisor", "beneficiary"])
def test_who_may_not_urge_sees_no_button_and_is_refused(app, org, client, user_key):
    """The step's holder, a reader above, 纪委, and a beneficiary for whom the secretary filed."""
    if user_key == "beneficiary":
        req, user = new_waiver(org.member, initiator=org.committee), org.member
    else:
        req, user = new_waiver(org.member), getattr(org, user_key)
    login(client, user)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "dj-btn-urge" not in page
    html = client.post(f"/requests/{req.id}/urge", data={"csrf_token": form_token(page)},
                       headers=HX).get_data(as_text=True)
    assert "只有发起人或组织部可以催办" in html
    assert urges(req.id) == 0


def test_outside_the_scope_the_urge_is_404(app, org, client):
    req = new_waiver(org.member)
    token = login(client, org.secretary_b)
    resp = client.post(f"/requests/{req.id}/urge", headers={**HX, "X-CSRFToken": token})
    assert resp.status_code == 404
    assert urges(req.id) == 0


def test_without_the_csrf_token_nothing_is_urged(app, org, client):
    req = new_waiver(org.member)
    login(client, org.member)
    assert client.post(f"/requests/{req.id}/urge", headers=HX).status_code == 400
    assert urges(req.id) == 0
