"""申请查询 (issue 7 §2): 组织部, 纪委 and 校党委 search every request in their scope with the inbox
filters and export them; everyone else gets 404, and nothing outside scope appears."""
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent
from tests.factories import approve, new_waiver


def _ids(body: str) -> set[int]:
    return {int(n) for n in re.findall(r'id="inbox-item-(\d+)"', body)}


@pytest.mark.parametrize("who,status", [
    ("org_dept_user", 200), ("supervisor", 200), ("school_user", 200),
    ("member", 404), ("secretary", 404), ("secondary", 404), ("sysadmin", 404),
])
def test_who_may_search(org, auth, client, who, status):
    auth.login(getattr(org, who))
    assert client.get("/requests/search").status_code == status
    assert client.get("/requests/search/export.xlsx").status_code == status
    nav = client.get("/inbox/todo" if who != "sysadmin" else "/admin/accounts").get_data(as_text=True)
    assert ('href="/requests/search"' in nav) == (status == 200)


def test_anonymous_is_sent_to_login(client, org):
    assert client.get("/requests/search").status_code == 302


def test_results_are_the_scope_with_filters(org, auth, client):
    wang = new_waiver(org.member)
    zhou = new_waiver(org.member_b)
    draft = new_waiver(org.member2, submit=False)  # a draft is its initiator's alone
    approve(wang, org.secretary)
    auth.login(org.supervisor)
    body = client.get("/requests/search").get_data(as_text=True)
    assert _ids(body) == {wang.id, zhou.id}
    assert body.count("<h1") == 1 and "申请查询" in body
    assert re.search(r'<a href="/requests/search" class="[^"]*\bactive\b[^"]*" aria-current="page"', body)  # the nav marks where we are
    assert _ids(client.get(f"/requests/search?q={zhou.number}").get_data(as_text=True)) == {zhou.id}
    assert _ids(client.get("/requests/search?q=王喆").get_data(as_text=True)) == {wang.id}
    assert _ids(client.get(f"/requests/search?org={org.sec_b.id}").get_data(as_text=True)) == {zhou.id}
    assert _ids(client.get(f"/requests/search?q={draft.number}").get_data(as_text=True)) == set()
    empty = client.get("/requests/search?q=无此人").get_data(as_text=True)
    assert "没有符合条件的申请" in empty and 'href="/requests/search">清除筛选</a>' in empty
    rows = client.get("/requests/search?q=周珺玥", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<h1" not in rows and _ids(rows) == {zhou.id}


def test_export_is_the_filtered_scope_and_audited(org, auth, client):
    wang = new_waiver(org.member)
    zhou = new_waiver(org.member_b)
    new_waiver(org.member2, submit=False)
    auth.login(org.org_dept_user)
    resp = client.get("/requests/search/export.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "编号" and {r[0] for r in rows[1:]} == {wang.number, zhou.number}
    assert "13812345678" not in json.dumps(rows, ensure_ascii=False)
    resp = client.get(f"/requests/search/export.xlsx?org={org.sec_a.id}&state=pending")
    rows = list(load_workbook(io.BytesIO(resp.data)).worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [wang.number]
    about = dict(load_workbook(io.BytesIO(resp.data))["说明"].iter_rows(values_only=True))
    assert about["组织"] == "会计学院党委" and about["状态"] == "审批中"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request_search.exported")
                                .order_by(AuditEvent.id)).all()
    assert [json.loads(e.detail)["rows"] for e in events] == [2, 1]
    assert json.loads(events[1].detail)["filters"] == {"org": org.sec_a.id, "state": "pending"}
