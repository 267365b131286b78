"""Reading one cell of a messy roster: what each parser accepts and the Chinese message it refuses with."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from dangjian.org.imports import cells
from dangjian.org.imports.cells import CellError
from dangjian.org.imports.headers import header_key


@pytest.mark.parametrize("raw", ["2005.07.01", "2005-7-1", "2005/07/01", "2005年7月1日", "2005 年 7 月 1 日",
                                 "２００５．０７．０１", "20050701", 20050701, 38534, "38534",
                                 datetime(2005, 7, 1, 0, 0), date(2005, 7, 1), 38534.5])
def test_dates(raw):
    assert cells.parse_date(raw) == date(2005, 7, 1)


@pytest.mark.parametrize("raw,needle", [("2005.13.01", "不是有效日期"), ("2005-02-30", "不是有效日期"),
                                        ("2005.07", "只有年月"), ("2005年7月", "只有年月"), ("七月一日", "不是日期"),
                                        (True, "不是日期"), (99999999, "不是日期")])
def test_bad_dates(raw, needle):
    with pytest.raises(CellError, match=needle):
        cells.parse_date(raw, "入党日期")


def test_empty_cells_are_none():
    assert cells.parse_date(None) is None and cells.parse_date("  ") is None
    assert cells.parse_money("") is None and cells.parse_bool(None) is None


@pytest.mark.parametrize("value,fmt,expected", [
    (123, "000000", "000123"), (123.0, "000000", "000123"), (123, "General", "123"), ("000123", "@", "000123"),
    (" 0001 23 ", "General", "000123"), ("Ｔ００１", "General", "T001"), (13812345678, "General", "13812345678"),
])
def test_identifiers_keep_their_digits(value, fmt, expected):
    assert cells.identifier(value, fmt) == expected


def test_identifier_that_lost_digits_or_became_a_date():
    with pytest.raises(CellError, match="丢失位数"):
        cells.identifier(6.10113e17, "General", "工号")
    with pytest.raises(CellError, match="日期"):
        cells.identifier(datetime(2020, 1, 1), "yyyy-mm-dd", "工号")


def test_id_number_as_a_number_is_refused_not_guessed():
    with pytest.raises(CellError, match="科学计数法"):
        cells.id_number(6.10113198001011e17)
    with pytest.raises(CellError, match="科学计数法"):
        cells.id_number(610113198001011234)
    assert cells.id_number("610113198001011234") == "610113198001011234"


@pytest.mark.parametrize("raw,expected", [(45, "45.00"), (45.5, "45.50"), ("45.50元", "45.50"), ("¥1,200", "1200.00"),
                                          ("４５", "45.00"), (0, "0.00"), (45.499999999, "45.50")])
def test_money(raw, expected):
    assert cells.parse_money(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["四十五", "45.123", "45元5角", True])
def test_money_that_is_not_a_number(raw):
    with pytest.raises(CellError):
        cells.parse_money(raw, "月缴党费")


def test_text_and_names():
    assert cells.text("  ＡＢＣ\u3000 １２ ") == "ABC 12"
    assert cells.name("王　喆") == "王喆" and cells.name(" 欧阳 小明 ") == "欧阳小明"
    assert cells.name("Li Ming") == "Li Ming"
    assert cells.text(45.0) == "45"


@pytest.mark.parametrize("raw,expected", [("是", True), ("√", True), ("Y", True), (1, True), ("否", False),
                                          ("无", False), ("", None)])
def test_yes_no(raw, expected):
    assert cells.parse_bool(raw) is expected


def test_choice_lists_what_is_accepted():
    with pytest.raises(CellError, match="未知的性别「M」，应为：男、女"):
        cells.parse_choice("M", {"男": "男", "女": "女"}, "性别", "男、女")
    assert cells.parse_choice(" 男 ", {"男": "男"}, "性别") == "男"


@pytest.mark.parametrize("header", ["身份证号", " 身份证号 ", "身份证号*", "*身份证号", "身份证\n号", "身份证号（必填）"])
def test_header_names_are_compared_loosely(header):
    assert header_key(header) == "身份证号"
