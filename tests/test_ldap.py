"""LDAP sign-in (issue 6 §5) against a real OpenLDAP: `make test` starts a throwaway slapd
(scripts/lib.sh start_slapd) and exports TEST_LDAP_URL, TEST_LDAP_BASE_DN, TEST_LDAP_ADMIN_DN and
TEST_LDAP_ADMIN_PASSWORD. A missing server is an error, never a skip.

Each test adds its own people under ou=people (unique uids, so parallel workers never meet) and
removes them afterwards."""
import os
import uuid

import pytest
from sqlalchemy import select

from dangjian.accounts import ldap, lockout
from dangjian.extensions import db
from dangjian.models import Role, User
from tests.factories import make_member, make_user
from tests.signin_support import WRONG, clock, detail, events, post_login  # noqa: F401

SETTINGS = ("TEST_LDAP_URL", "TEST_LDAP_BASE_DN", "TEST_LDAP_ADMIN_DN", "TEST_LDAP_ADMIN_PASSWORD")


class Directory:
    """The test's view of the real directory: adds people, removes them at the end."""

    def __init__(self):
        missing = [name for name in SETTINGS if not os.environ.get(name)]
        if missing:
            pytest.fail(f"no LDAP server for the tests ({', '.join(missing)} unset): run `make test`, "
                        "or start one with scripts/lib.sh start_slapd and export those variables")
        from ldap3 import Connection, Server
        self.url = os.environ["TEST_LDAP_URL"]
        self.people = "ou=people," + os.environ["TEST_LDAP_BASE_DN"]
        self.admin_dn, self.admin_password = os.environ["TEST_LDAP_ADMIN_DN"], os.environ["TEST_LDAP_ADMIN_PASSWORD"]
        self.conn = Connection(Server(self.url), self.admin_dn, self.admin_password, auto_bind=True)
        self.tag = uuid.uuid4().hex[:6]
        self.added = []

    def uid(self, name: str) -> str:
        return f"{name}{self.tag}"

    def add(self, uid: str, password: str, cn: str = "目录用户", mail: str = "") -> str:
        dn = f"uid={uid},{self.people}"
        attributes = {"uid": uid, "cn": cn, "sn": cn[:1], "userPassword": password}
        if mail:
            attributes["mail"] = mail
        assert self.conn.add(dn, ["inetOrgPerson"], attributes), self.conn.result
        self.added.append(dn)
        return dn

    def close(self):
        for dn in self.added:
            self.conn.delete(dn)
        self.conn.unbind()


@pytest.fixture
def directory(app):
    d = Directory()
    app.config.update(AUTH_LDAP_URL=d.url, AUTH_LDAP_BASE_DN=d.people, WTF_CSRF_ENABLED=False)
    yield d
    d.close()


def member_with_staff_no(branch, staff_no, **kw):
    member = make_member(branch, **kw)
    member.staff_no = staff_no
    return member


def local_account(org, uid, roles=()):
    user = make_user(uid, member_with_staff_no(org.branch_a1, uid) if not roles else None, roles)
    db.session.commit()
    return user  # its local password is "pw" (tests.factories)


def test_the_directory_password_signs_in_the_local_account(app, org, directory, client):
    uid = directory.uid("t")
    directory.add(uid, "Dir#pass2026")
    user = local_account(org, uid)
    assert post_login(client, uid, "Dir#pass2026").status_code == 302
    assert client.get("/me").status_code == 200
    [login] = events("auth.login")
    assert login.user_id == user.id and detail(login)["method"] == "ldap"


def test_for_a_directory_user_the_local_password_is_not_tried(app, org, directory, client):
    uid = directory.uid("t")
    directory.add(uid, "Dir#pass2026")
    user = local_account(org, uid)
    assert post_login(client, uid, "pw").status_code == 200
    assert user.failed_logins == 1
    assert detail(events("auth.login_failed")[0])["reason"] == "ldap_bad_password"


def test_directory_failures_count_towards_the_lockout(app, org, directory, client, clock):
    uid = directory.uid("t")
    directory.add(uid, "Dir#pass2026")
    user = local_account(org, uid)
    for _ in range(5):
        post_login(client, uid, WRONG)
    assert lockout.is_locked(user) and events("auth.locked")
    assert post_login(client, uid, "Dir#pass2026").status_code == 200  # right, but locked
    clock.advance(minutes=15)
    assert post_login(client, uid, "Dir#pass2026").status_code == 302


def test_directory_failures_count_towards_the_rate_limit(app, org, directory, client, redis_conn):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    uid = directory.uid("t")
    directory.add(uid, "Dir#pass2026")
    local_account(org, uid)
    post_login(client, uid, WRONG)
    post_login(client, uid, WRONG)
    assert post_login(client, uid, "Dir#pass2026").status_code == 429


def test_the_system_administrator_always_uses_the_local_password(app, org, directory, client):
    uid = directory.uid("admin")
    directory.add(uid, "Dir#pass2026")
    local_account(org, uid, roles=[(Role.SYSADMIN, org.school)])
    assert post_login(client, uid, "Dir#pass2026").status_code == 200
    assert post_login(client, uid, "pw").status_code == 302
    assert detail(events("auth.login")[0])["method"] == "password"


def test_an_account_unknown_to_the_directory_uses_its_local_password(app, org, directory, client):
    assert post_login(client, "member", "pw").status_code == 302
    assert detail(events("auth.login")[0])["method"] == "password"


def test_when_the_directory_is_down_the_local_password_still_works(app, org, directory, client):
    app.config["AUTH_LDAP_URL"] = "ldap://127.0.0.1:9"  # nothing listens there
    assert post_login(client, "member", "pw").status_code == 302


def test_nothing_is_created_for_a_directory_user_without_an_account(app, org, directory, client):
    uid = directory.uid("new")
    directory.add(uid, "Dir#pass2026")
    resp = post_login(client, uid, "Dir#pass2026")
    assert resp.status_code == 200 and "账号或密码不正确" in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == uid)) is None
    assert detail(events("auth.login_failed")[0])["reason"] == "no_local_account"


def test_when_the_setting_says_so_an_account_is_created_linked_to_the_member(app, org, directory, client):
    app.config["AUTH_LDAP_CREATE_USERS"] = True
    uid = directory.uid("new")
    directory.add(uid, "Dir#pass2026", cn="目录里的名字", mail="new@example.edu.cn")
    member = member_with_staff_no(org.branch_b1, uid, name="新党员")
    db.session.commit()
    assert post_login(client, uid, "Dir#pass2026").status_code == 302
    user = db.session.scalar(select(User).where(User.username == uid))
    assert user.member_id == member.id and user.display_name == "新党员" and user.role_assignments == []
    assert user.email == "new@example.edu.cn" and not user.check_password("")
    assert events("auth.account_created_from_directory")[0].object_id == user.id


def test_a_created_account_without_a_member_takes_the_directory_name(app, org, directory, client):
    app.config["AUTH_LDAP_CREATE_USERS"] = True
    uid = directory.uid("new")
    directory.add(uid, "Dir#pass2026", cn="目录里的名字")
    assert post_login(client, uid, "Dir#pass2026").status_code == 302
    user = db.session.scalar(select(User).where(User.username == uid))
    assert user.member is None and user.display_name == "目录里的名字"


def test_the_search_can_bind_as_a_service_account(app, org, directory, client):
    app.config.update(AUTH_LDAP_BIND_DN=directory.admin_dn, AUTH_LDAP_BIND_PASSWORD=directory.admin_password)
    uid = directory.uid("t")
    directory.add(uid, "Dir#pass2026")
    local_account(org, uid)
    assert post_login(client, uid, "Dir#pass2026").status_code == 302


def test_a_wrong_service_account_password_falls_back_to_the_local_password(app, org, directory, client):
    app.config.update(AUTH_LDAP_BIND_DN=directory.admin_dn, AUTH_LDAP_BIND_PASSWORD="wrong")
    assert post_login(client, "member", "pw").status_code == 302


def test_the_user_filter_is_configurable(app, org, directory, client):
    """E.g. a directory that keeps the 工号 in employeeNumber."""
    uid = directory.uid("t")
    dn = directory.add(uid, "Dir#pass2026")
    assert directory.conn.modify(dn, {"employeeNumber": [("MODIFY_ADD", ["G" + uid])]}), directory.conn.result
    local_account(org, "G" + uid)
    app.config["AUTH_LDAP_USER_FILTER"] = "(&(objectClass=inetOrgPerson)(employeeNumber={username}))"
    assert post_login(client, "G" + uid, "Dir#pass2026").status_code == 302


@pytest.mark.parametrize("username", ["*", "*)(uid=*", "t*"])
def test_filter_characters_in_the_username_match_nothing(app, org, directory, username):
    directory.add(directory.uid("t"), "Dir#pass2026")
    with app.test_request_context():
        assert ldap.check_password(username, "Dir#pass2026").outcome == ldap.NOT_FOUND


def test_an_empty_password_is_never_sent_as_an_unauthenticated_bind(app, org, directory):
    uid = directory.uid("t")
    directory.add(uid, "Dir#pass2026")
    with app.test_request_context():
        assert ldap.check_password(uid, "").outcome == ldap.BAD_PASSWORD
        assert ldap.check_password(uid, "Dir#pass2026").outcome == ldap.OK
        assert ldap.check_password(uid, "wrong").outcome == ldap.BAD_PASSWORD


def test_a_forced_change_does_not_hold_a_directory_sign_in(app, org, directory, client):
    uid = directory.uid("t")
    directory.add(uid, "Dir#pass2026")
    user = local_account(org, uid)
    user.must_change_password = True
    db.session.commit()
    post_login(client, uid, "Dir#pass2026")
    assert client.get("/me").status_code == 200


def test_ldap_is_off_unless_configured(app, org, client):
    app.config["WTF_CSRF_ENABLED"] = False
    assert not app.config["AUTH_LDAP_URL"]
    assert post_login(client, "member", "pw").status_code == 302
    assert detail(events("auth.login")[0])["method"] == "password"
