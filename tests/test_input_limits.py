"""Amounts and text that never end in a 500 (issue 9 §8): one money parser with a range and no
exponent notation behind every money field, budgets included; control characters refused in every
text field. Each refusal is a Chinese message next to the field, and nothing is saved.
"""
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, BudgetEntry, BudgetLine, Request, TimelineEntry
from dangjian.money import MAX_YUAN, Money, MoneyError, parse_yuan
from dangjian.org.imports.cells import CellError, name, parse_money, text
from dangjian.request_types.secretary_allowance.model import SecretaryAllowance
from tests.factories_allowance import allowance_world, line_of, new_batch
from tests.test_allowance_pages import adjust_form
from tests.test_dues_waiver_form import field_errors, post, valid

HX = {"HX-Request": "true"}


def rows():
    return tuple(db.session.scalar(select(func.count()).select_from(t))
                 for t in (Request, TimelineEntry, AuditEvent, BudgetLine, BudgetEntry))


def errors(resp, field) -> list[str]:
    return [unescape(e) for e in field_errors(resp.get_data(as_text=True), field)]


@pytest.mark.parametrize("typed, expected", [
    ("1,200.5", "1200.50"), ("１２００．５", "1200.50"), ("¥20", "20.00"), (".5", "0.50"),
    ("100000000", "100000000.00"), ("0", "0.00"),
])
def test_plain_amounts_are_read_exactly(typed, expected):
    assert parse_yuan(typed) == Decimal(expected)


@pytest.mark.parametrize("typed, message", [
    ("1e400", "不能使用科学计数法"), ("1E5", "不能使用科学计数法"), ("2.5e-1", "不能使用科学计数法"),
    ("NaN", "金额格式不正确"), ("Infinity", "金额格式不正确"), ("-inf", "金额格式不正确"),
    ("100000000.01", "金额不能超过¥100,000,000.00"), ("100000000000000000000", "金额不能超过¥100,000,000.00"),
    ("-5", "金额不能为负数"), ("+-5", "金额格式不正确"), ("0x10", "金额格式不正确"), ("٣", "金额格式不正确"),
    ("20.005", "最多保留两位小数"), ("", "请输入金额"),
])
def test_everything_else_is_refused_in_chinese(typed, message):
    with pytest.raises(MoneyError, match=message):
        parse_yuan(typed)


def test_the_money_column_refuses_what_would_overflow_bigint_instead_of_the_database_failing():
    with pytest.raises(MoneyError, match="超出可保存的范围"):
        Money().process_bind_param(Decimal("1e20"), None)
    assert Money().process_bind_param(MAX_YUAN, None) == 10_000_000_000


@pytest.mark.parametrize("amount", ["1e400", "100000000000000000000", "NaN"])
def test_the_dues_waiver_form_refuses_absurd_amounts(app, org, auth, client, amount):
    auth.login(org.member)
    before = rows()
    resp = post(client, valid(org.member.member_id, monthly_amount=amount))
    assert resp.status_code == 200 and errors(resp, "monthly_amount")
    assert rows() == before


@pytest.mark.parametrize("amount, message", [
    ("100000000000000000000", "金额不能超过¥100,000,000.00"), ("1e400", "不能使用科学计数法"),
    ("-1", "金额不能为负数"),
])
def test_the_budget_page_refuses_an_overflowing_budget(app, org, auth, client, amount, message):
    auth.login(org.org_dept_user)
    before = rows()
    resp = client.post("/budget/", data={"kind": "condolence", "amount": amount})
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert rows() == before
    # The largest budget the page takes is stored and read back exactly, on either database.
    assert client.post("/budget/", data={"kind": "condolence", "amount": "100,000,000.00"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(BudgetLine)).one().amount == MAX_YUAN


def test_the_allowance_adjustment_refuses_an_exponent_amount(app, org, auth, client):
    world = allowance_world(org)
    batch = new_batch(world.sec_a, world.secondary)
    line = line_of(batch, world.branch_a1)
    auth.login(world.org_dept_user)
    before = rows()
    resp = client.post(f"/secretary-allowances/{batch.id}/adjust", headers=HX,
                       data=adjust_form(line, batch.version, amount="1e400", phone="1E5"))
    page = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "补贴金额：金额请直接填写数字，不能使用科学计数法" in page and "电话补助：金额请直接填写数字" in page
    assert rows() == before
    db.session.expire_all()
    assert db.session.get(SecretaryAllowance, batch.id).version == batch.version


@pytest.mark.parametrize("field, value, message", [
    ("hardship_description", "本人患病住院\x00，需长期治疗，家庭经济困难。", "困难情况说明含有不可见的控制字符（U+0000）"),
    ("hardship_description", "本人患病住院\x1b[31m，需长期治疗，家庭困难。", "困难情况说明含有不可见的控制字符（U+001B）"),
    ("start_month", "2026-01\n", "起始年月含有不可见的控制字符（U+000A）"),
])
def test_control_characters_are_refused_in_text_fields(app, org, auth, client, field, value, message):
    auth.login(org.member)
    before = rows()
    resp = post(client, valid(org.member.member_id, **{field: value}))
    assert resp.status_code == 200
    assert any(e.startswith(message) for e in errors(resp, field)), errors(resp, field)
    assert rows() == before


def test_line_breaks_and_tabs_are_fine_in_a_multi_line_field(app, org, auth, client):
    auth.login(org.member)
    text_ = "本人患病住院，\r\n需长期治疗，\t家庭经济困难。"
    assert post(client, valid(org.member.member_id, hardship_description=text_)).status_code == 302


def test_an_excel_import_refuses_control_characters_unprintable_names_and_huge_amounts():
    with pytest.raises(CellError, match="控制字符"):
        text("王\x00喆")
    with pytest.raises(CellError, match='"😀" 无法打印'):
        name("王😀")
    assert name("周珺玥") == "周珺玥"
    for cell in (1e20, float("inf"), float("nan"), "1e400"):
        with pytest.raises(CellError):
            parse_money(cell, "月缴党费")
    assert parse_money(45.499999999) == Decimal("45.50")
