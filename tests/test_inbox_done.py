"""已办 says what I did (as DingTalk's 已处理 does): each card carries 「我的处理」, my latest decision
on the request and when — 同意, 退回修改, 取回决定 — read for the whole page in one query; a request
someone else decided is not in my 已办."""
import io
import re

from openpyxl import load_workbook

from dangjian.workflow import Action, apply_action
from tests.factories import approve, new_waiver


def _cards(html: str) -> dict[int, str]:
    parts = re.split(r'(?=<article class="dj-card[^"]*" id="inbox-item-\d+")', html)
    return {int(re.search(r'id="inbox-item-(\d+)"', p).group(1)): p for p in parts if 'id="inbox-item-' in p}


def _handling(card: str) -> str:
    dd = re.search(r"<dt>我的处理</dt><dd>(.*?)</dd>", card, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", dd).split())


def test_each_card_of_done_says_my_latest_decision_and_when(app, org, auth, client):
    approved = new_waiver(org.member)
    approve(approved, org.secretary)
    returned = new_waiver(org.member2)
    apply_action(returned, org.secretary, Action.RETURN, opinion="请补充诊断证明")
    taken_back = new_waiver(org.direct_member)  # another branch: its own secretary decides
    approve(taken_back, org.direct_secretary)
    apply_action(taken_back, org.direct_secretary, Action.TAKE_BACK)
    by_colleague = new_waiver(org.member_b)
    approve(by_colleague, org.secretary_b)

    auth.login(org.secretary)
    cards = _cards(client.get("/inbox/done").get_data(as_text=True))
    assert set(cards) == {approved.id, returned.id}
    assert re.fullmatch(r"同意 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", _handling(cards[approved.id]))
    assert _handling(cards[returned.id]).startswith("退回修改 ")
    assert "dj-state-acted-return" in cards[returned.id]
    # The rows htmx swaps in when filtering carry it too.
    rows = _cards(client.get("/inbox/done?q=王喆", headers={"HX-Request": "true"}).get_data(as_text=True))
    assert set(rows) == {approved.id} and _handling(rows[approved.id]).startswith("同意 ")

    auth.login(org.direct_secretary)
    cards = _cards(client.get("/inbox/done").get_data(as_text=True))
    assert set(cards) == {taken_back.id}
    assert _handling(cards[taken_back.id]).startswith("取回决定 ")  # the latest, not the 同意 before it

    # Other lists have no such line.
    auth.login(org.member)
    assert "我的处理" not in client.get("/inbox/mine").get_data(as_text=True)


def test_the_done_export_has_my_handling_as_its_last_column(app, org, auth, client):
    approved = new_waiver(org.member)
    approve(approved, org.secretary)
    returned = new_waiver(org.member2)
    apply_action(returned, org.secretary, Action.RETURN, opinion="请补充诊断证明")
    auth.login(org.secretary)
    sheet = load_workbook(io.BytesIO(client.get("/inbox/done/export.xlsx").data)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][-1] == "我的处理"
    handled = {r[0]: r[-1] for r in rows[1:]}
    assert set(handled) == {approved.number, returned.number}
    assert re.fullmatch(r"同意 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", handled[approved.number])
    assert handled[returned.number].startswith("退回修改 ")
    # The other lists' exports keep their columns.
    mine = load_workbook(io.BytesIO(client.get("/inbox/mine/export.xlsx").data)).worksheets[0]
    assert "我的处理" not in next(mine.iter_rows(values_only=True))
