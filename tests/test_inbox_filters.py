"""待办, 已办 and 我发起的: search, filters, sort, paging and 导出Excel (issue 7 §2), all within
the user's scope: a request of another unit with the same words never shows."""
import io
import re
import json
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent
from tests.factories import approve, make_member, make_user, new_waiver


def _ids(body: str) -> set[int]:
    import re
    return {int(n) for n in re.findall(r'id="inbox-item-(\d+)"', body)}


@pytest.fixture
def reqs(org):
    """Two 党费减免 waiting at branch a1 (王喆's and 张堃's), one at branch b1 (周珺玥's, another unit)."""
    wang = new_waiver(org.member)
    zhang = new_waiver(org.member2)
    other = new_waiver(org.member_b)
    return wang, zhang, other


def test_todo_search_by_number_name_and_title_word(org, auth, client, reqs):
    wang, zhang, other = reqs
    auth.login(org.secretary)
    assert _ids(client.get("/inbox/todo").get_data(as_text=True)) == {wang.id, zhang.id}
    assert _ids(client.get(f"/inbox/todo?q={wang.number}").get_data(as_text=True)) == {wang.id}
    assert _ids(client.get("/inbox/todo?q=张堃").get_data(as_text=True)) == {zhang.id}
    # A word of the title (「王喆的党费减免」) — and 周珺玥's request of the other unit never shows.
    assert _ids(client.get("/inbox/todo?q=党费减免").get_data(as_text=True)) == {wang.id, zhang.id}
    assert _ids(client.get("/inbox/todo?q=周珺玥").get_data(as_text=True)) == set()
    assert _ids(client.get(f"/inbox/todo?q={other.number}").get_data(as_text=True)) == set()


def test_search_by_initiator_name(org, auth, client):
    mine = new_waiver(org.member2, initiator=org.committee)
    new_waiver(org.member)
    auth.login(org.secretary)
    assert _ids(client.get("/inbox/todo?q=赵支委").get_data(as_text=True)) == {mine.id}


def test_filters_type_state_org_and_dates(org, auth, client, reqs):
    wang, zhang, other = reqs
    approve(wang, org.secretary)
    auth.login(org.secretary)
    done = "/inbox/done"
    assert _ids(client.get(done).get_data(as_text=True)) == {wang.id}
    assert _ids(client.get(f"{done}?type=dues_waiver").get_data(as_text=True)) == {wang.id}
    assert _ids(client.get(f"{done}?type=condolence").get_data(as_text=True)) == set()
    assert _ids(client.get(f"{done}?state=pending").get_data(as_text=True)) == {wang.id}
    assert _ids(client.get(f"{done}?state=approved").get_data(as_text=True)) == set()
    assert _ids(client.get(f"/inbox/todo?org={org.branch_a1.id}").get_data(as_text=True)) == {zhang.id}
    assert _ids(client.get(f"/inbox/todo?org={org.sec_a.id}").get_data(as_text=True)) == {zhang.id}  # subtree
    assert _ids(client.get(f"/inbox/todo?org={org.branch_a2.id}").get_data(as_text=True)) == set()
    # Date range on the submitted date (Beijing time): yesterday excludes, today includes.
    zhang.submitted_at = datetime.utcnow() - timedelta(days=10)
    db.session.commit()
    today = datetime.utcnow() + timedelta(hours=8)
    day = lambda d: (today - timedelta(days=d)).date().isoformat()  # noqa: E731
    assert _ids(client.get(f"/inbox/todo?from={day(1)}").get_data(as_text=True)) == set()
    assert _ids(client.get(f"/inbox/todo?from={day(11)}&to={day(9)}").get_data(as_text=True)) == {zhang.id}
    # Nonsense in the URL narrows nothing and breaks nothing.
    assert client.get("/inbox/todo?from=x&org=y&state=z&type=w&sort=v").status_code == 200


def test_sort_and_paging_keep_the_filters(app, org, auth, client):
    app.config["PER_PAGE"] = 2
    reqs = []
    for i in range(3):
        reqs.append(new_waiver(make_user(f"p{i}", make_member(org.branch_a1, f"林{i}号"))))
    new_waiver(org.member)
    for i, r in enumerate(reqs):
        r.submitted_at = datetime(2026, 3, 1 + i, 2)
    db.session.commit()
    auth.login(org.secretary)
    body = client.get("/inbox/todo?q=林&sort=newest").get_data(as_text=True)
    assert body.index(f'inbox-item-{reqs[2].id}"') < body.index(f'inbox-item-{reqs[1].id}"')
    assert "共 3 条" in body
    assert "/inbox/todo?page=2&amp;q=%E6%9E%97&amp;sort=newest" in body  # the next page keeps q and sort
    page2 = client.get("/inbox/todo?page=2&q=林&sort=newest").get_data(as_text=True)
    assert _ids(page2) == {reqs[0].id}
    oldest = client.get("/inbox/todo?q=林&sort=oldest").get_data(as_text=True)
    assert _ids(oldest) == {reqs[0].id, reqs[1].id}


def test_the_url_keeps_the_filters_and_htmx_gets_the_rows(org, auth, client, reqs):
    wang, zhang, _ = reqs
    auth.login(org.secretary)
    full = client.get("/inbox/todo?q=张堃&state=pending").get_data(as_text=True)
    # A plain GET (reload, a shared link) renders the whole page with the filters filled in.
    assert "<h1" in full and 'value="张堃"' in full and '<option value="pending" selected>' in full
    assert 'hx-push-url="true"' in full
    resp = client.get("/inbox/todo?q=张堃&type=&state=&org=&from=&to=&sort=", headers={"HX-Request": "true"})
    rows = resp.get_data(as_text=True)
    assert "<h1" not in rows and _ids(rows) == {zhang.id}
    assert resp.headers["HX-Push-Url"] == "/inbox/todo?q=%E5%BC%A0%E5%A0%83"  # empty filters left out
    # Back after the history cache is gone: htmx asks for the whole page.
    restore = client.get("/inbox/todo?q=张堃", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<h1" in restore.get_data(as_text=True)


def test_empty_result_says_so_with_a_clear_link(org, auth, client, reqs):
    auth.login(org.secretary)
    body = client.get("/inbox/todo?q=没有这个人").get_data(as_text=True)
    assert "没有符合条件的申请" in body
    assert '<a class="btn btn-outline-secondary btn-sm mt-3" href="/inbox/todo">清除筛选</a>' in body


def _sheet(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(io.BytesIO(resp.data))
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)], wb


def test_export_has_the_filtered_rows_masked_and_audited(org, auth, client, reqs):
    wang, zhang, other = reqs
    auth.login(org.secretary)
    rows, wb = _sheet(client.get("/inbox/todo/export.xlsx?q=张堃"))
    assert rows[0][:4] == ["编号", "类型", "标题", "状态"]
    assert [r[0] for r in rows[1:]] == [zhang.number]
    assert rows[1][2] == "张堃的党费减免申请" and rows[1][6] == "张堃"
    assert rows[1][7] == "138****5678"  # phone masked; the ID number is not exported at all
    text = json.dumps(rows, ensure_ascii=False)
    assert "13812345678" not in text and "610113" not in text
    about = dict(wb["说明"].iter_rows(values_only=True))
    assert about["搜索"] == "张堃" and about["记录条数"] == "1"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "inbox.exported")).one()
    assert event.user_id == org.secretary.id
    assert json.loads(event.detail) == {"tab": "todo", "filters": {"q": "张堃"}, "rows": 1}


def test_export_stays_in_scope(org, auth, client, reqs):
    wang, zhang, other = reqs
    auth.login(org.secretary)
    rows, _ = _sheet(client.get("/inbox/todo/export.xlsx?q=党费减免"))
    assert {r[0] for r in rows[1:]} == {wang.number, zhang.number}
    rows, _ = _sheet(client.get(f"/inbox/todo/export.xlsx?q={other.number}"))
    assert rows[1:] == []
    auth.login(org.member)
    rows, _ = _sheet(client.get("/inbox/mine/export.xlsx"))
    assert [r[0] for r in rows[1:]] == [wang.number]


def test_export_link_carries_the_filters(org, auth, client, reqs):
    auth.login(org.secretary)
    body = client.get("/inbox/todo?q=张堃&type=dues_waiver").get_data(as_text=True)
    assert 'href="/inbox/todo/export.xlsx?q=%E5%BC%A0%E5%A0%83&amp;type=dues_waiver"' in body


def test_unknown_tab_and_sysadmin_export_are_404(org, auth, client):
    auth.login(org.secretary)
    assert client.get("/inbox/nope/export.xlsx").status_code == 404
    auth.login(org.sysadmin)
    assert client.get("/inbox/todo/export.xlsx").status_code == 404


def test_browser_search_filter_and_back(app, org, tmp_path, reqs):
    """Type in the search, pick a filter, go back: the URL and the list follow, without a reload."""
    from playwright.sync_api import expect

    from tests.browser_support import chromium, live_server
    from tests.test_browser import Session

    wang, zhang, _ = reqs
    approve(wang, org.secretary)
    with live_server(app) as base, chromium(tmp_path / "profile") as context:
        page = context.pages[0] if context.pages else context.new_page()
        s = Session(page, base)
        s.login("secretary")
        page.goto(base + "/inbox/done")
        s.mark()  # typing and filtering swap the list in place
        items = page.locator("#inbox-list article")
        expect(items).to_have_count(1)
        page.get_by_label("搜索", exact=True).fill("张堃")
        expect(page).to_have_url(re.compile(r"/inbox/done\?q=%E5%BC%A0%E5%A0%83"))
        expect(page.get_by_text("没有符合条件的申请")).to_be_visible()
        page.get_by_label("搜索", exact=True).fill("王喆")
        expect(page).to_have_url(re.compile(r"q=%E7%8E%8B%E5%96%86"))
        expect(items).to_have_count(1)
        page.get_by_label("状态").select_option(label="已通过")
        expect(page).to_have_url(re.compile(r"q=%E7%8E%8B%E5%96%86.*state=approved"))
        expect(page.get_by_text("没有符合条件的申请")).to_be_visible()
        s.assert_not_reloaded()
        page.go_back()  # htmx keeps no history cache here (private data): back loads the URL afresh
        expect(page).to_have_url(re.compile(r"/inbox/done\?q=%E7%8E%8B%E5%96%86$"))
        expect(page.locator(f"#inbox-item-{wang.id}")).to_be_visible()
        page.reload()
        expect(page.get_by_label("搜索", exact=True)).to_have_value("王喆")
        expect(page.locator(f"#inbox-item-{wang.id}")).to_be_visible()
        page.get_by_label("状态").select_option(label="已通过")
        page.get_by_role("link", name="清除筛选").click()
        expect(page).to_have_url(re.compile(r"/inbox/done$"))
        expect(page.get_by_label("搜索", exact=True)).to_have_value("")


def test_export_reads_in_batches_and_stops_at_the_sheet_limit(monkeypatch, org, auth, client, reqs):
    from dangjian import request_export
    monkeypatch.setattr(request_export, "BATCH", 1)
    monkeypatch.setattr(request_export, "MAX_ROWS", 1)
    auth.login(org.secretary)
    rows, wb = _sheet(client.get("/inbox/todo/export.xlsx"))
    assert len(rows) == 2  # the header and one row
    assert dict(wb["说明"].iter_rows(values_only=True))["记录条数"].startswith("1（已达上限")
    monkeypatch.setattr(request_export, "MAX_ROWS", 100)
    rows, _ = _sheet(client.get("/inbox/todo/export.xlsx"))
    assert len(rows) == 3  # two rows, read one at a time
