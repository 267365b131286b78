"""No N+1: an inbox page costs the same number of SQL queries with a few rows as with many, and a
request page the same with 1 timeline entry as with many.

Rows get distinct initiators, beneficiaries and actors, so the identity map cannot hide a lazy
load; each measured request runs in a fresh app context (a fresh session), as in production.
"""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from dangjian.extensions import db
from dangjian.models import Role, RoleAssignment
from dangjian.workflow import Action, apply_action
from tests.factories import approve, make_member, make_user, new_waiver


@contextmanager
def counting(app):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", count)


def queries_for(app, client, url):
    with app.app_context():  # warm the pool and the caches
        assert client.get(url).status_code == 200
    with counting(app) as statements:
        with app.app_context():
            resp = client.get(url)
    assert resp.status_code == 200
    return len(statements), resp.get_data(as_text=True), statements


# A page that costs the same SQL for FEW rows as for MANY has no per-row query; the rows are made
# through the engine (real submissions and approvals), so MANY stays as small as shows that.
FEW, MANY = 3, 15


def _new_members(org, n, start):
    users = []
    for i in range(n):
        member = make_member(org.branch_a1, name=f"党员{start + i:03d}")
        users.append(make_user(f"m{start + i:03d}", member))
    db.session.commit()
    return users


def _fill(org, n, start):
    """n requests from n distinct members; the secretary approves them (已办), and the committee
    files n more on behalf of other members (我发起的), which wait at the branch (待办)."""
    for user in _new_members(org, n, start):
        approve(new_waiver(user), org.secretary)
    for user in _new_members(org, n, start + 500):
        new_waiver(user, initiator=org.committee)


@pytest.mark.parametrize("tab,who", [("todo", "secretary"), ("done", "secretary"), ("mine", "committee"),
                                     ("todo", "secondary")])
def test_inbox_page_costs_the_same_for_few_and_many_rows(app, org, auth, client, tab, who):
    app.config["PER_PAGE"] = 60
    auth.login(getattr(org, who))
    url = f"/inbox/{tab}"
    _fill(org, FEW, 0)
    few, body, _ = queries_for(app, client, url)
    assert body.count('id="inbox-item-') == FEW
    _fill(org, MANY - FEW, 100)
    many, body, statements = queries_for(app, client, url)
    assert body.count('id="inbox-item-') == MANY
    assert many == few, "\n".join(statements)


@pytest.mark.parametrize("url,who", [
    ("/inbox/todo?q=党员&type=dues_waiver&state=pending&from=2020-01-01&to=2099-12-31&sort=newest", "secretary"),
    ("/inbox/done?q=党员&org={org}&sort=step", "secretary"),
    ("/requests/search?q=党员&org={org}&state=pending&sort=oldest", "school_user"),
    ("/inbox/mine?q=党员&type=dues_waiver&state=pending&org={org}&from=2020-01-01&to=2099-12-31&sort=oldest",
     "committee"),
    ("/inbox/todo?q=党员&state=pending&sort=step&page=1", "secretary"),
])
def test_filtered_list_costs_the_same_for_few_and_many_rows(app, org, auth, client, url, who):
    app.config["PER_PAGE"] = 60
    auth.login(getattr(org, who))
    url = url.format(org=org.branch_a1.id)
    _fill(org, FEW, 0)
    few, body, _ = queries_for(app, client, url)
    assert body.count('id="inbox-item-') >= FEW
    _fill(org, MANY - FEW, 100)
    many, body, statements = queries_for(app, client, url)
    assert body.count('id="inbox-item-') >= MANY
    assert many == few, "\n".join(statements)


def test_htmx_inbox_rows_cost_the_same_for_few_and_many_rows(app, org, auth, client):
    app.config["PER_PAGE"] = 60
    auth.login(org.secretary)
    _fill(org, FEW, 0)
    with counting(app) as few:
        with app.app_context():
            client.get("/inbox/todo", headers={"HX-Request": "true"})
    _fill(org, MANY - FEW, 100)
    with counting(app) as many:
        with app.app_context():
            body = client.get("/inbox/todo", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert body.count('id="inbox-item-') == MANY and "<html" not in body
    assert len(many) == len(few)


def _returned_by_many(org, req, k, start):
    """k distinct branch committee members each return the request, and the member resubmits."""
    for i in range(k):
        member = make_member(org.branch_a1, name=f"支委{start + i:03d}")
        holder = make_user(f"c{start + i:03d}", member, [(Role.BRANCH_SECRETARY, org.branch_a1)])
        db.session.commit()
        apply_action(req, holder, Action.RETURN, opinion=f"第{i + 1}次退回：请补充材料")
        apply_action(req, org.member, Action.SUBMIT)


def test_request_page_costs_the_same_for_1_and_many_timeline_entries(app, org, auth, client):
    req = new_waiver(org.member)
    auth.login(org.secretary)
    url = f"/requests/{req.id}"
    one, body, _ = queries_for(app, client, url)
    assert body.count('class="mb-3"') >= 1
    _returned_by_many(org, req, 12, 0)
    many, body, statements = queries_for(app, client, url)
    assert "第12次退回" in body and "支委011" in body
    assert many == one, "\n".join(statements)


def test_role_assignments_stay_loaded_with_the_user(app, org):
    """The inbox and scope read user.roles and each role's organization: one query, not one per role."""
    for branch in (org.branch_a2, org.branch_b1, org.direct):
        org.secondary.role_assignments.append(RoleAssignment(role=Role.BRANCH_SECRETARY, organization=branch))
    db.session.commit()
    user_id = org.secondary.id
    with counting(app) as statements:
        with app.app_context():
            from dangjian.models import User
            user = db.session.get(User, user_id)
            names = [ra.organization.name for ra in user.roles]
    assert len(names) == 4
    assert len(statements) == 2, statements


def _table_rows(body: str, table_id: str) -> int:
    table = body.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return table.count("<tr") - 1  # less the header row


@pytest.mark.parametrize("url,who,table_id", [
    # Requests only: each kind of object on a page costs one query to name them all, whatever the rows.
    ("/audit/?object_type=request", "supervisor", "audit-table"),
    ("/org/members?per_page=100", "org_dept_user", "member-table"),
    ("/admin/accounts", "sysadmin", "account-table"),
])
def test_other_lists_cost_the_same_for_few_and_many_rows(app, org, auth, client, url, who, table_id):
    """The audit log, the member list and the accounts list: rows by many distinct people."""
    app.config["PER_PAGE"] = 60
    auth.login(getattr(org, who))
    _fill(org, 2, 0)
    few, body, _ = queries_for(app, client, url)
    few_rows = _table_rows(body, table_id)
    _fill(org, MANY - FEW, 100)
    many, body, statements = queries_for(app, client, url)
    assert _table_rows(body, table_id) >= few_rows + MANY - FEW
    assert many == few, "\n".join(statements)
