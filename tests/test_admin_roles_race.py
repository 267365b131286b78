"""Two administrators acting on one account at the same moment: the rules that read other rows
before writing (no overlapping terms of the same role at the same organization; 三员分立; one
account per member) hold for both, on PostgreSQL (row lock) and on SQLite (one writer).

No timing decides the outcome. Each administrator runs in its own thread, with its own app
context, session and connection. The first ("A") runs its operation up to its commit and waits
there, its rows written but not committed. Then the second ("B") starts, and A is let go only once
B has sent its first locking or writing statement. So B's checks can never be made before that
statement: without the account's lock they would read the database while A's rows are still
uncommitted and let both through; with it, B waits for A's commit and sees A's rows.
"""
import threading
from datetime import date

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from dangjian.accounts import operations
from dangjian.accounts.operations import AdminError
from dangjian.extensions import db
from dangjian.models import AuditEvent, Role, RoleAssignment, User
from tests.factories import make_member, make_user

WAIT = 30  # seconds: a safety net against a hung test, never a condition of the outcome


def _writes_or_locks(statement: str) -> bool:
    head = statement.lstrip().upper()
    return head.startswith(("INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in head


def one_after_the_other(app, first, second):
    """Run first(), then second() while first's transaction is still open (see the module's
    docstring). Each is called with no arguments inside its own app context and returns or
    raises; the results are the values or the exceptions, in order."""
    db.session.commit()  # the test's own session holds nothing while the threads write
    a_waiting, release_a, b_sent = threading.Event(), threading.Event(), threading.Event()
    results = [None, None]

    def before_commit(session):
        if threading.current_thread().name == "admin-A":
            a_waiting.set()
            assert release_a.wait(WAIT), "A was never released"

    def before_execute(conn, cursor, statement, *args):
        if threading.current_thread().name == "admin-B" and _writes_or_locks(statement):
            b_sent.set()

    def run(i, work):
        with app.app_context():
            try:
                results[i] = work()
            except Exception as exc:  # noqa: BLE001 — reported to the test
                db.session.rollback()
                results[i] = exc
            finally:
                (a_waiting if i == 0 else b_sent).set()  # finished early: nothing more to wait for
                db.session.remove()

    event.listen(Session, "before_commit", before_commit)
    event.listen(db.engine, "before_cursor_execute", before_execute)
    a = threading.Thread(target=run, args=(0, first), name="admin-A")
    b = threading.Thread(target=run, args=(1, second), name="admin-B")
    try:
        a.start()
        assert a_waiting.wait(WAIT), "A never reached its commit"
        b.start()
        assert b_sent.wait(WAIT), "B never wrote"
        release_a.set()
        a.join(WAIT)
        b.join(WAIT)
        assert not a.is_alive() and not b.is_alive()
    finally:
        release_a.set()
        event.remove(Session, "before_commit", before_commit)
        event.remove(db.engine, "before_cursor_execute", before_execute)
    db.session.expire_all()
    return results


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count(model.id)).where(*where))


def _in_thread(user_id):
    """The account and the administrator as a view loads them: from this thread's own session,
    with their assignments loaded before any lock (User.role_assignments is selectin)."""
    def load():
        user = db.session.get(User, user_id)
        actor = db.session.scalar(select(User).where(User.username == "sysadmin"))
        assert user.role_assignments is not None
        return actor, user
    return load


def test_two_overlapping_terms_of_one_role_at_once(app, org):
    target = make_user("newcomer")
    db.session.commit()
    load, branch_id = _in_thread(target.id), org.branch_b1.id  # ids only: threads use their own sessions

    def assign(starts):
        def work():
            actor, user = load()
            return operations.assign_role(actor, user, role="branch_secretary", organization_id=branch_id,
                                          starts_on=starts).id
        return work

    first, second = one_after_the_other(app, assign(date(2026, 1, 1)), assign(date(2026, 3, 1)))
    assert isinstance(first, int), repr(first)
    assert isinstance(second, AdminError), repr(second)
    assert second.message == (f"该账号已在「{org.branch_b1.name}」担任「支部书记/支委」（2026-01-01 至 未定结束日期），"
                              "任期不能重叠")
    assert _count(RoleAssignment, RoleAssignment.user_id == target.id) == 1
    assert _count(AuditEvent, AuditEvent.action == "admin.role_assigned") == 1


def test_sysadmin_and_a_business_role_on_one_account_at_once(app, org):
    """三员分立 read from the assignments: A makes the account 系统管理员, B gives it 纪委/监督."""
    target = make_user("plain")
    db.session.commit()
    load, school_id = _in_thread(target.id), org.school.id

    def assign(role):
        def work():
            actor, user = load()
            return operations.assign_role(actor, user, role=role, organization_id=school_id).id
        return work

    first, second = one_after_the_other(app, assign("sysadmin"), assign("supervisor"))
    assert isinstance(first, int), repr(first)
    assert isinstance(second, AdminError) and second.message.startswith("按三员分立要求，系统管理员账号不能兼任业务角色")
    assert [ra.role for ra in db.session.get(User, target.id).role_assignments] == [Role.SYSADMIN]


def test_sysadmin_and_a_member_link_on_one_account_at_once(app, org):
    """三员分立 read from the account's member link: A makes it 系统管理员, B links a member to it."""
    target = make_user("plain")
    member = make_member(org.branch_b1, "韩立")
    db.session.commit()
    load, member_id, school_id = _in_thread(target.id), member.id, org.school.id

    def make_sysadmin():
        actor, user = load()
        return operations.assign_role(actor, user, role="sysadmin", organization_id=school_id).id

    def link():
        actor, user = load()
        return operations.update_account(actor, user, display_name="韩立", member_id=member_id)

    first, second = one_after_the_other(app, make_sysadmin, link)
    assert isinstance(first, int), repr(first)
    assert isinstance(second, AdminError) and second.message.startswith("按三员分立要求，系统管理员账号不能关联党员信息")
    assert db.session.get(User, target.id).member_id is None
    # And the other way round: the link first, then 系统管理员 is refused.
    other = make_user("plain2")
    db.session.commit()
    load = _in_thread(other.id)

    def link_other():
        actor, user = load()
        return operations.update_account(actor, user, display_name="韩立", member_id=member_id)

    def make_other_sysadmin():
        actor, user = load()
        return operations.assign_role(actor, user, role="sysadmin", organization_id=school_id).id

    first, second = one_after_the_other(app, link_other, make_other_sysadmin)
    assert first == ["姓名", "关联党员"], repr(first)
    assert isinstance(second, AdminError) and second.message.startswith("按三员分立要求，系统管理员使用不关联党员信息的专用账号")
    assert db.session.get(User, other.id).role_assignments == []


def test_one_member_linked_to_two_accounts_at_once(app, org):
    """Two accounts, so two different locks: the unique member link decides."""
    one, two = make_user("account_one"), make_user("account_two")
    member = make_member(org.branch_b1, "秦岚")
    db.session.commit()
    member_id = member.id

    def link(user_id):
        def work():
            actor, user = _in_thread(user_id)()
            return operations.update_account(actor, user, display_name="秦岚", member_id=member_id)
        return work

    first, second = one_after_the_other(app, link(one.id), link(two.id))
    assert first == ["姓名", "关联党员"], repr(first)
    assert isinstance(second, AdminError) and second.field == "member_id", repr(second)
    assert second.message in (f"党员秦岚（{member.staff_no}）已有账号「account_one」，一名党员只能有一个账号",
                              "该党员刚刚已关联到其他账号，请刷新后重试")
    assert db.session.scalars(select(User.username).where(User.member_id == member_id)).all() == ["account_one"]
    assert _count(AuditEvent, AuditEvent.action == "admin.account_updated") == 1


@pytest.mark.parametrize("round_", range(3))
def test_released_together_one_term_wins(app, org, round_):
    """The plain race as well: both released at one barrier, whichever gets the lock first wins."""
    target = make_user(f"racer{round_}")
    db.session.commit()
    target_id, branch_id = target.id, org.branch_a2.id  # the threads never touch this session's objects
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i, starts):
        with app.app_context():
            try:
                actor = db.session.scalar(select(User).where(User.username == "sysadmin"))
                user = db.session.get(User, target_id)
                barrier.wait(timeout=WAIT)
                results[i] = operations.assign_role(actor, user, role="branch_secretary",
                                                    organization_id=branch_id, starts_on=starts).id
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, date(2026, 1 + i, 1))) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert sum(isinstance(r, AdminError) and "任期不能重叠" in r.message for r in results) == 1, results
    db.session.expire_all()
    assert _count(RoleAssignment, RoleAssignment.user_id == target.id) == 1


def test_an_accounts_import_and_an_administrator_on_one_account_at_once(app, org, tmp_path):
    """三员分立 between the two ways roles are given: A makes the account 系统管理员 on its page, B
    confirms an accounts import giving it 支部书记. The import takes the account's lock and plans
    again under it, so it sees A's role and writes nothing."""
    from dangjian.org.imports import operations as imports
    from dangjian.org.imports.operations import ImportRefused
    from tests.import_support import ACCOUNT_HEADER, write_xlsx

    target = make_user("plain")
    db.session.commit()
    load, school_id = _in_thread(target.id), org.school.id
    path = str(write_xlsx(tmp_path / "accounts.xlsx", {"账号": [
        ACCOUNT_HEADER, ["plain", "", "", "", "支部书记", org.branch_a1.name, "", ""]]}))

    def make_sysadmin():
        actor, user = load()
        return operations.assign_role(actor, user, role="sysadmin", organization_id=school_id).id

    def import_secretary():
        actor = db.session.scalar(select(User).where(User.username == "sysadmin"))
        return imports.confirm("accounts", path, user=actor, sha256="s")

    first, second = one_after_the_other(app, make_sysadmin, import_secretary)
    assert isinstance(first, int), repr(first)
    assert isinstance(second, ImportRefused), repr(second)
    roles = db.session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == target.id)).all()
    assert roles == [Role.SYSADMIN]
    assert _count(AuditEvent, AuditEvent.action == "import.accounts") == 0
