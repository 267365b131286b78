"""Every /org page is 404 for everyone who is not 组织部 (parametrized over the users of build_org()).
纪委/监督 reads the member list and a member's page (and may reveal a number with a reason): every
other /org page, and every change, is 404 for it too. Anonymous users are sent to the login page."""
import pytest

from dangjian.extensions import db
from dangjian.models import Member

USERS = ["member", "member2", "secretary", "committee", "secretary_a2", "secondary", "member_b", "secretary_b",
         "secondary_b", "org_dept_user", "school_user", "school_user2", "supervisor", "sysadmin", "direct_member",
         "direct_secretary"]
READ_PAGES = ["/org/members", "/org/members?q=王", "/org/members/{m}"]
MANAGE_PAGES = ["/org/tree", "/org/members/new", "/org/members/export.xlsx", "/org/members/{m}/edit",
                "/org/members/{m}/transfer", "/org/members/{m}/status", "/org/members/{m}/dues",
                "/org/units/new?parent_id={sec}", "/org/units/{b}/edit", "/org/units/{b}/move", "/org/units/{b}/dissolve"]
POSTS = ["/org/members/new", "/org/members/{m}/edit", "/org/members/{m}/transfer", "/org/members/{m}/status",
         "/org/members/{m}/dues", "/org/units/new?parent_id={sec}", "/org/units/{b}/edit", "/org/units/{b}/move",
         "/org/units/{b}/dissolve"]


def _url(template, org):
    return template.format(m=org.member.member_id, sec=org.sec_a.id, b=org.branch_a1.id)


@pytest.mark.parametrize("who", USERS)
def test_org_pages_by_role(app, org, auth, client, who):
    user = getattr(org, who)
    auth.login(user)
    for page in READ_PAGES:
        expected = 200 if who in ("org_dept_user", "supervisor") else 404
        assert client.get(_url(page, org)).status_code == expected, (who, page)
    for page in MANAGE_PAGES:
        expected = 200 if who == "org_dept_user" else 404
        assert client.get(_url(page, org)).status_code == expected, (who, page)
    if who != "org_dept_user":
        for page in POSTS:
            assert client.post(_url(page, org), data={"name": "改名", "to_branch_id": org.branch_b1.id,
                                                      "transferred_on": "2026-01-01"}).status_code == 404, (who, page)
        # Nothing changed.
        db.session.expire_all()
        assert db.session.get(Member, org.member.member_id).branch_id == org.branch_a1.id
        assert org.branch_a1.name == "会计学院教工第一党支部"
    reveal = client.post(f"/org/members/{org.member.member_id}/reveal", data={"field": "id_number", "reason": "核对身份信息"})
    assert reveal.status_code == (200 if who in ("org_dept_user", "supervisor") else 404)


def test_anonymous_is_sent_to_login(app, org, client):
    resp = client.get("/org/members")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_nav_shows_the_org_pages_to_org_dept_only(app, org, auth, client):
    auth.login(org.org_dept_user)
    assert 'href="/org/members"' in client.get("/inbox/todo").get_data(as_text=True)
    auth.login(org.secretary)
    assert 'href="/org/members"' not in client.get("/inbox/todo").get_data(as_text=True)


def test_supervisor_reads_without_change_buttons(app, org, auth, client):
    auth.login(org.supervisor)
    html = client.get(f"/org/members/{org.member.member_id}").get_data(as_text=True)
    assert "王喆" in html and "查看完整身份证号" in html
    m = org.member.member_id
    for action in ("edit", "transfer", "status", "dues"):
        assert f"/org/members/{m}/{action}" not in html
    listing = client.get("/org/members").get_data(as_text=True)
    assert "/org/members/export.xlsx" not in listing and "/org/members/new" not in listing
    assert "/org/tree" not in listing
