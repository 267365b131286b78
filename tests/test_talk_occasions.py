"""谈心谈话 on occasions (§三(二)1: "新党员入职…所在党组织负责人都要与其谈心一次"): a member who joined
the party (入党日期) or became a full member (转正日期) during a semester is due a talk of that kind —
in the compliance view (due, done, overdue), its export, the reminders and 纪委's overdue figure.
退休 and 出国（境） have no dates in the member record: recordable, not tracked, and the page says so."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import MemberStatus, RoleAssignment
from dangjian.notifications.models import Message
from dangjian.talks import compliance, operations, reminders
from dangjian.talks.figures import overdue_count
from dangjian.talks.models import TalkKind
from dangjian.talks.periods import semester
from dangjian.timeutil import local_today
from tests.factories import make_member

TODAY = date(2026, 5, 20)  # in the 2026 spring semester (2026-02-01 … 2026-07-31)
SPRING = semester(2026, "spring")
CONTENT = "交流入党以来的思想和工作情况，提出努力方向。"


@pytest.fixture(autouse=True)
def roles_held_since_2020(org):
    for ra in db.session.scalars(select(RoleAssignment)):
        ra.starts_on = date(2020, 1, 1)
    db.session.commit()


def newcomer(branch, name, **fields):
    """A member with the given 入党/转正 dates (and anything else)."""
    m = make_member(branch, name)
    for k, v in fields.items():
        setattr(m, k, v)
    return m


def talk(org, member, kind, on, today=TODAY):
    return operations.record_talk(org.secretary, org.branch_a1.id, held_on=on, kind=kind, place="", reason="",
                                  content=CONTENT, member_ids=[member.id], today=today)


def occasions(org, today=TODAY):
    row = next(r for r in compliance.build(org.sec_a, SPRING, today).branches if r.branch.id == org.branch_a1.id)
    return row, {(o.member.name, o.kind.value): (o.status, o.done_on) for o in row.occasions}


# (the member's dates, the talks held with them (kind, day, voided), the day looked at, what is due)
J, F = "joining", "full_member"
TABLE = [
    ("joined, no talk yet", {"joined_party_on": date(2026, 3, 1)}, [], TODAY, {J: ("due", None)}),
    ("joined, talked", {"joined_party_on": date(2026, 3, 1)}, [(J, date(2026, 3, 10), False)], TODAY,
     {J: ("done", date(2026, 3, 10))}),
    ("a routine talk is not the 入党 talk", {"joined_party_on": date(2026, 3, 1)},
     [("routine", date(2026, 3, 10), False)], TODAY, {J: ("due", None)}),
    ("a voided talk counts for nothing", {"joined_party_on": date(2026, 3, 1)}, [(J, date(2026, 3, 10), True)],
     TODAY, {J: ("due", None)}),
    ("a 入党 talk before the semester does not count", {"joined_party_on": date(2026, 2, 10)},
     [(J, date(2026, 1, 20), False)], TODAY, {J: ("due", None)}),
    ("became a full member, talked", {"full_member_on": date(2026, 4, 1)}, [(F, date(2026, 4, 2), False)], TODAY,
     {F: ("done", date(2026, 4, 2))}),
    ("the wrong kind of talk", {"full_member_on": date(2026, 4, 1)}, [(J, date(2026, 4, 2), False)], TODAY,
     {F: ("due", None)}),
    ("joined last semester: not due this one", {"joined_party_on": date(2026, 1, 15)}, [], TODAY, {}),
    ("the semester has ended: overdue", {"full_member_on": date(2026, 6, 1)}, [], date(2026, 8, 3),
     {F: ("overdue", None)}),
    ("a late talk still counts, dated", {"joined_party_on": date(2026, 7, 1)}, [(J, date(2026, 8, 2), False)],
     date(2026, 8, 3), {J: ("done", date(2026, 8, 2))}),
]


@pytest.mark.parametrize("case,dates,talks,today,expected", TABLE, ids=[t[0] for t in TABLE])
def test_the_occasion_table(org, case, dates, talks, today, expected):
    m = newcomer(org.branch_a1, "新党员", **dates)
    db.session.commit()
    for kind, on, voided in talks:
        t = talk(org, m, kind, on, today=max(on, TODAY))
        if voided:
            operations.void_talk(org.secretary, t, "记录有误")
    _, due = occasions(org, today)
    assert {k: v for (name, k), v in due.items() if name == "新党员"} == expected


def test_only_members_in_good_standing_of_the_branch_are_counted(org):
    newcomer(org.branch_a1, "已停止党籍", joined_party_on=date(2026, 3, 1), status=MemberStatus.SUSPENDED)
    newcomer(org.branch_b1, "别的支部", joined_party_on=date(2026, 3, 1))
    newcomer(org.branch_a1, "新党员", joined_party_on=date(2026, 3, 1))
    db.session.commit()
    row, due = occasions(org)
    assert set(due) == {("新党员", J)}
    assert (row.occasion_counts.total, row.occasion_counts.due) == (1, 1)
    # The 入党 talk also counts as this semester's routine talk with the member.
    talk(org, row.occasions[0].member, J, date(2026, 3, 10))
    row, due = occasions(org)
    assert due[("新党员", J)][0] == "done"
    assert next(d for d in row.items if d.member.name == "新党员").status == "done"


def test_the_branch_page_lists_them_with_a_button_that_records_the_right_kind(org, auth, client):
    today = local_today()
    m = newcomer(org.branch_a1, "新党员", joined_party_on=today)
    newcomer(org.branch_a1, "预备转正", full_member_on=today)
    db.session.commit()
    auth.login(org.secretary)
    html = client.get("/talks/compliance").get_data(as_text=True)
    section = html[html.index('id="occasion-section"'):html.index("</section>", html.index('id="occasion-section"'))]
    assert "应谈 2 人，已谈 <strong>0</strong>，待谈 <strong>2</strong>" in section
    assert "新党员" in section and "预备转正" in section and "入党" in section and "转正" in section
    assert f'member={m.id}&amp;kind=joining' in section
    assert "退休、出国（境）谈话可以在「记录谈心谈话」中记录，但党员信息中没有退休、出国（境）的日期，这里不统计应谈" in section
    form = client.get(f"/talks/new?as={org.branch_a1.id}&member={m.id}&kind=joining").get_data(as_text=True)
    assert '<option selected value="joining">' in form
    client.post("/talks/new", data={"org_id": org.branch_a1.id, "held_on": today.isoformat(), "kind": "joining",
                                    "content": CONTENT, "members": [m.id]})
    html = client.get("/talks/compliance").get_data(as_text=True)
    assert "应谈 2 人，已谈 <strong>1</strong>，待谈 <strong>1</strong>" in html
    # The unit above sees counts per branch, each linking to the branch's list.
    auth.login(org.secondary)
    html = client.get(f"/talks/compliance?unit_id={org.sec_a.id}").get_data(as_text=True)
    table = html[html.index('id="occasion-branch-table"'):]
    assert "会计学院教工第一党支部" in table.split("</table>")[0] and "会计学院本科生党支部" not in table.split("</table>")[0]


def test_an_empty_semester_says_so_and_still_explains_retirement_and_abroad(org, auth, client):
    auth.login(org.secretary)
    html = client.get("/talks/compliance").get_data(as_text=True)
    assert "本学期没有入党或转正的党员" in html and "不统计应谈" in html


def test_the_export_has_a_sheet_for_them(org, auth, client):
    today = local_today()
    m = newcomer(org.branch_a1, "新党员", joined_party_on=today)
    db.session.commit()
    operations.record_talk(org.secretary, org.branch_a1.id, held_on=today, kind="joining", place="", reason="",
                           content="谈话的私密内容，不得导出。", member_ids=[m.id])
    auth.login(org.secondary)
    wb = load_workbook(BytesIO(client.get(f"/talks/compliance.xlsx?unit_id={org.sec_a.id}").data))
    rows = [tuple(r) for r in wb["入党转正谈话"].iter_rows(values_only=True)]
    assert rows[1] == ("二级党组织", "党支部", "党员", "工号/学号", "谈话类别", "入党/转正日期", "状态", "谈话日期")
    assert rows[2:] == [("会计学院党委", "会计学院教工第一党支部", "新党员", m.staff_no, "入党", today.isoformat(), "已谈",
                         today.isoformat())]
    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    assert about["入党转正谈话"] == "本学期入党或转正 1 人，已谈 1，待谈 0，逾期 0"
    assert "退休、出国（境）谈话可以记录" in about["说明"]
    assert "私密内容" not in repr([list(ws.iter_rows(values_only=True)) for ws in wb.worksheets])


def _reminders_of(user):
    return [m.text for m in db.session.scalars(select(Message).where(Message.recipient_id == user.id,
                                                                     Message.kind == "talk_due"))]


def test_reminders_count_them_even_when_every_routine_talk_is_done(org):
    m = newcomer(org.branch_a1, "新党员", joined_party_on=date(2026, 3, 1))
    db.session.commit()
    members = [org.member.member, org.member2.member, org.secondary.member, m]
    operations.record_talk(org.secretary, org.branch_a1.id, held_on=date(2026, 3, 5), kind="routine", place="",
                           reason="", content=CONTENT, member_ids=[x.id for x in members], today=TODAY)
    reminders.send_talk_reminders(date(2026, 7, 10))
    [text] = _reminders_of(org.secretary)
    assert text == ("2026年春季学期「会计学院教工第一党支部」还有1名本学期入党或转正的党员尚未进行入党、转正谈话，"
                    "学期于7月31日结束，请及时谈心并在系统中记录。")
    assert "新党员" not in text


def test_reminders_name_both_counts(org):
    newcomer(org.branch_a1, "新党员", full_member_on=date(2026, 6, 1))
    db.session.commit()
    reminders.send_talk_reminders(date(2026, 7, 10))
    [text] = _reminders_of(org.secretary)
    assert text.startswith("2026年春季学期「会计学院教工第一党支部」还有4名党员尚未谈心谈话，"
                           "另有1名本学期入党或转正的党员尚未进行入党、转正谈话，学期于7月31日结束")


def test_the_overdue_figure_counts_them(org):
    newcomer(org.branch_a1, "新党员", joined_party_on=date(2026, 3, 1))
    db.session.commit()
    # branch_a1 owes 张堃, 王喆, 陈组织员 and 新党员 the routine talk, and 新党员 the 入党 talk
    assert overdue_count(org.sec_a, 2026, date(2026, 8, 3)) == 4 + 1
    assert TalkKind.RETIREMENT not in compliance.TRACKED_OCCASIONS and TalkKind.ABROAD not in compliance.TRACKED_OCCASIONS
