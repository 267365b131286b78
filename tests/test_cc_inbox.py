"""抄送我的 (issue 7 §2, issue 8 §2): the requests copied to me, with the same search, filters, sort,
paging and 导出Excel as the other lists; nothing that was not copied to me appears, not even a request
I can see through my role."""
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent
from tests.factories import approve, new_waiver

ITEM = re.compile(r'id="inbox-item-(\d+)"')


def _ids(html):
    return {int(i) for i in ITEM.findall(html)}


def _rows(resp):
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)], wb


@pytest.fixture
def copies(org):
    """组织部 (which sees everything) is copied on two requests: 王喆's, approved at the branch with a
    copy, and 周珺玥's of another unit, decided by 校党委, who also copies 张堃 (a member of branch a1);
    张堃's own request is not copied to 组织部."""
    wang = new_waiver(org.member)
    approve(wang, org.secretary, cc=[org.org_dept_user.id])
    zhang = new_waiver(org.member2)
    other = new_waiver(org.member_b)
    approve(other, org.secretary_b, cc=[org.org_dept_user.id])
    approve(other, org.secondary_b)
    approve(other, org.school_user, cc=[org.member2.id])
    return wang, zhang, other


def test_the_list_holds_exactly_what_was_copied_to_me(org, auth, client, copies):
    wang, zhang, other = copies
    auth.login(org.org_dept_user)
    page = client.get("/inbox/cc").get_data(as_text=True)
    assert "<h1 class=\"dj-page-title\">抄送我的</h1>" in page
    assert _ids(page) == {wang.id, other.id}  # not 张堃's, though 组织部 may read it
    assert page.index(f'inbox-item-{other.id}') < page.index(f'inbox-item-{wang.id}')  # latest copy first
    auth.login(org.member2)  # a member with no role: only the copy of another unit's request
    assert _ids(client.get("/inbox/cc").get_data(as_text=True)) == {other.id}
    auth.login(org.secretary)  # copied nothing
    body = client.get("/inbox/cc").get_data(as_text=True)
    assert _ids(body) == set() and "暂无抄送给您的申请" in body


def test_search_filters_and_sort(org, auth, client, copies):
    wang, zhang, other = copies
    auth.login(org.org_dept_user)
    assert _ids(client.get(f"/inbox/cc?q={wang.number}").get_data(as_text=True)) == {wang.id}
    assert _ids(client.get("/inbox/cc?q=周珺玥").get_data(as_text=True)) == {other.id}
    assert _ids(client.get("/inbox/cc?q=张堃").get_data(as_text=True)) == set()  # in scope, not copied
    assert _ids(client.get(f"/inbox/cc?org={org.sec_b.id}").get_data(as_text=True)) == {other.id}
    assert _ids(client.get("/inbox/cc?type=condolence").get_data(as_text=True)) == set()
    assert _ids(client.get("/inbox/cc?state=pending&type=dues_waiver").get_data(as_text=True)) == {wang.id}
    assert _ids(client.get("/inbox/cc?state=approved").get_data(as_text=True)) == {other.id}
    assert _ids(client.get("/inbox/cc?from=2099-01-01").get_data(as_text=True)) == set()
    oldest = client.get("/inbox/cc?sort=oldest").get_data(as_text=True)
    assert oldest.index(f'inbox-item-{wang.id}') < oldest.index(f'inbox-item-{other.id}')
    resp = client.get("/inbox/cc?q=周珺玥&type=&state=", headers={"HX-Request": "true"})
    assert "<h1" not in resp.get_data(as_text=True)
    assert resp.headers["HX-Push-Url"] == "/inbox/cc?q=%E5%91%A8%E7%8F%BA%E7%8E%A5"
    body = client.get("/inbox/cc?q=没有这个人").get_data(as_text=True)
    assert "没有符合条件的申请" in body


def test_paging(org, auth, client, app, copies):
    app.config["PER_PAGE"] = 1
    auth.login(org.org_dept_user)
    first = client.get("/inbox/cc").get_data(as_text=True)
    second = client.get("/inbox/cc?page=2").get_data(as_text=True)
    assert "共 2 条，第 1 / 2 页" in first and len(_ids(first)) == 1 and len(_ids(second)) == 1
    assert _ids(first) != _ids(second)


def test_export_has_the_copied_rows_only_masked_and_audited(org, auth, client, copies):
    wang, zhang, other = copies
    auth.login(org.org_dept_user)
    rows, wb = _rows(client.get("/inbox/cc/export.xlsx"))
    assert {r[0] for r in rows[1:]} == {wang.number, other.number}
    text = json.dumps(rows, ensure_ascii=False)
    assert "13812345678" not in text and "610113" not in text and "患病" not in text
    rows, wb = _rows(client.get("/inbox/cc/export.xlsx?q=周珺玥"))
    assert [r[0] for r in rows[1:]] == [other.number]
    about = dict(wb["说明"].iter_rows(values_only=True))
    assert about["列表"] == "抄送我的" and about["搜索"] == "周珺玥" and about["记录条数"] == "1"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "inbox.exported")
                               .order_by(AuditEvent.id.desc())).first()
    assert json.loads(event.detail) == {"tab": "cc", "filters": {"q": "周珺玥"}, "rows": 1}
    auth.login(org.member2)
    rows, _ = _rows(client.get("/inbox/cc/export.xlsx"))
    assert [r[0] for r in rows[1:]] == [other.number]


def test_the_system_administrator_has_no_cc_list(org, auth, client, copies):
    auth.login(org.sysadmin)
    assert client.get("/inbox/cc/export.xlsx").status_code == 404
    assert client.get("/inbox/cc").status_code == 302
