"""查看完整身份证号 / 联系电话 on a member's page: 组织部 and 纪委 only, after typing a reason; the
htmx POST returns the number in place, and every reveal is an audit row with the reason. Without a
reason, or without the CSRF token, nothing is shown and nothing is recorded."""
import json

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent
from tests.org_support import real_member
from tests.test_csrf import login

HTMX = {"HX-Request": "true"}


def _reveals():
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("member.reveal_%"))
                              .order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("who", ["org_dept_user", "supervisor"])
def test_reveal_with_a_reason_is_audited(app, csrf_app, org, client, who):
    zheng = real_member(org.branch_b1)
    csrf = login(client, getattr(org, who))
    page = client.get(f"/org/members/{zheng.id}").get_data(as_text=True)
    assert "查看完整身份证号" in page and zheng.id_number not in page and zheng.id_number_masked in page
    assert "13912345678" not in page and "139****5678" in page
    resp = client.post(f"/org/members/{zheng.id}/reveal", headers={**HTMX, "X-CSRFToken": csrf},
                       data={"field": "id_number", "reason": "办理组织关系转接，核对身份"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert f'data-revealed="id_number">{zheng.id_number}<' in html and "记入审计日志" in html
    resp = client.post(f"/org/members/{zheng.id}/reveal", headers={**HTMX, "X-CSRFToken": csrf},
                       data={"field": "phone", "reason": "联系家属"})
    assert 'data-revealed="phone">13912345678<' in resp.get_data(as_text=True)
    events = _reveals()
    assert [(e.action, e.object_id, e.user_id) for e in events] == [
        ("member.reveal_id_number", zheng.id, getattr(org, who).id), ("member.reveal_phone", zheng.id, getattr(org, who).id)]
    assert json.loads(events[0].detail)["reason"] == "办理组织关系转接，核对身份"
    assert zheng.id_number not in events[0].detail and "13912345678" not in events[1].detail


def test_reveal_without_a_reason_is_refused_and_not_recorded(app, csrf_app, org, client):
    zheng = real_member(org.branch_b1)
    csrf = login(client, org.org_dept_user)
    for reason in ("", "  ", "看看"):
        resp = client.post(f"/org/members/{zheng.id}/reveal", headers={**HTMX, "X-CSRFToken": csrf},
                           data={"field": "id_number", "reason": reason})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200 and zheng.id_number not in html
        assert "请填写查看完整身份证号的事由（至少4个字），查看将记入审计日志" in html
    assert _reveals() == []


def test_reveal_without_the_csrf_token_is_refused(app, csrf_app, org, client):
    zheng = real_member(org.branch_b1)
    login(client, org.org_dept_user)
    resp = client.post(f"/org/members/{zheng.id}/reveal", headers=HTMX,
                       data={"field": "id_number", "reason": "核对身份信息"})
    assert resp.status_code == 400 and zheng.id_number not in resp.get_data(as_text=True)
    assert _reveals() == []


def test_reveal_without_htmx_shows_the_page_with_the_number(app, org, auth, client):
    zheng = real_member(org.branch_b1)
    auth.login(org.supervisor)
    html = client.post(f"/org/members/{zheng.id}/reveal", data={"field": "id_number", "reason": "纪律审查核对"}
                       ).get_data(as_text=True)
    assert "<html" in html and zheng.id_number in html and "13912345678" not in html
    assert len(_reveals()) == 1


def test_unknown_fields_and_members_are_404(app, org, auth, client):
    auth.login(org.org_dept_user)
    assert client.post(f"/org/members/{org.member.member_id}/reveal",
                       data={"field": "birth_date", "reason": "核对身份信息"}).status_code == 404
    assert client.post("/org/members/999999/reveal", data={"field": "id_number", "reason": "核对身份信息"}).status_code == 404
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("member.reveal_%"))) == 0
