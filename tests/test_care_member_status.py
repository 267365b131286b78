"""困难党员台账 and 党籍状态: when a member dies or leaves the party (去世, 出党) — on the member page or
by the Excel import — their open entry is closed by the system with that reason (a history row and an
audit row), in the transaction of the status change; 停止党籍 leaves it open. The members' hardship
flags follow. A roster's 困难情况 columns are not imported: the registry is the one source."""
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from dangjian.care import registry
from dangjian.care.models import EntryState, RegistryEntry, RegistryEvent
from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, MemberStatus
from dangjian.org import operations as org_ops
from dangjian.org.imports import operations as imports
from dangjian.org.imports import workbook_templates
from dangjian.timeutil import local_today
from tests.factories_care import registered
from tests.import_support import MEMBER_HEADER, member_row, write_xlsx

SITUATION = "爱人长期患病，家庭月收入低于当地最低生活保障标准。"
YESTERDAY = local_today() - timedelta(days=1)


def _entry(org, state):
    m = org.member.member
    if state is EntryState.CONFIRMED:
        e = registered(m, "living", "frail")
        db.session.commit()
        return e
    e = registry.propose(org.secretary, m, categories=["living"], situation=SITUATION)
    if state is EntryState.RETURNED:
        registry.act(e, org.secondary, "return", version=e.version, note="请补充证明材料")
    if state is EntryState.CLOSED:
        registry.act(e, org.secondary, "confirm", version=e.version)
        registry.act(e, org.secretary, "close", version=e.version, note="已就业，困难消除")
    return e


def _fresh(entry):
    db.session.expire_all()
    return db.session.get(RegistryEntry, entry.id)


P, R, C, X = EntryState.PROPOSED, EntryState.RETURNED, EntryState.CONFIRMED, EntryState.CLOSED
DEAD, OUT, SUSPENDED = MemberStatus.DECEASED, MemberStatus.EXPELLED, MemberStatus.SUSPENDED
# (the entry's state, the member's new 党籍状态, the entry's state after, the close reason's words or None)
TABLE = [
    (P, DEAD, X, "去世，系统自动销号"),
    (R, DEAD, X, "去世，系统自动销号"),
    (C, DEAD, X, "去世，系统自动销号"),
    (C, OUT, X, "出党，系统自动销号"),
    (P, OUT, X, "出党，系统自动销号"),
    (C, SUSPENDED, C, None),  # 停止党籍 may be restored: the entry stays
    (X, DEAD, X, "已就业，困难消除"),  # already closed: untouched
]


@pytest.mark.parametrize("state,status,after,reason", TABLE,
                         ids=[f"{s.value}-{st.value}" for s, st, *_ in TABLE])
def test_the_status_table(org, state, status, after, reason):
    e = _entry(org, state)
    before = _fresh(e)
    version_before, events_before = before.version, len(before.events)
    org_ops.change_status(org.org_dept_user, org.member.member, status, YESTERDAY, note="支部大会决定")
    fresh = _fresh(e)
    assert fresh.state is after
    if after is state:  # nothing happened to the entry
        assert (fresh.version, len(fresh.events)) == (version_before, events_before)
        if state is X:
            assert fresh.close_reason == reason
        return
    ymd = f"{YESTERDAY.year}年{YESTERDAY.month}月{YESTERDAY.day}日"
    assert fresh.close_reason == f"党员于{ymd}{reason}" and fresh.closed_on == YESTERDAY
    assert fresh.version == version_before + 1
    last = fresh.events[-1]
    assert (last.action, last.from_state, last.to_state, last.actor_id) == (
        "status_close", state.value, "closed", org.org_dept_user.id)
    assert last.note == fresh.close_reason
    assert registry.EVENT_LABELS[last.action] == "自动销号"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "care.entry.closed_by_status"))
    assert audit.object_id == e.id and audit.user_id == org.org_dept_user.id
    m = db.session.get(Member, org.member.member.id)
    assert (m.living_difficulty, m.frail_sick_disabled, m.difficulty_reason) == (False, False, "")
    # The member's place in the registry is free again (nobody can propose a deceased member, though).
    assert registry.open_entry_of(m.id) is None


def test_status_and_close_are_one_transaction(org):
    """The close is written with the status change, not after it: undo one, and both are undone."""
    e = _entry(org, C)
    org_ops.change_status(org.org_dept_user, org.member.member, DEAD, YESTERDAY, commit=False)
    assert db.session.scalar(select(RegistryEntry.state).where(RegistryEntry.id == e.id)) is X
    db.session.rollback()
    fresh = _fresh(e)
    assert fresh.state is C and db.session.get(Member, org.member.member.id).status is MemberStatus.NORMAL
    assert db.session.scalar(select(func.count(RegistryEvent.id)).where(RegistryEvent.action == "status_close")) == 0


def test_the_member_page_closes_the_entry_and_the_entry_page_says_why(org, auth, client):
    e = _entry(org, C)
    auth.login(org.org_dept_user)
    m = org.member.member_id
    resp = client.post(f"/org/members/{m}/status", data={"status": "deceased", "status_on": YESTERDAY.isoformat()})
    assert resp.status_code == 302
    assert _fresh(e).state is X
    auth.login(org.secondary)
    html = client.get(f"/care/registry/{e.id}").get_data(as_text=True)
    assert "已销号" in html and "自动销号" in html and "系统自动销号" in html
    # Nobody is offered 自动销号 as a button.
    assert 'value="status_close"' not in html and "/status_close" not in html


def test_the_import_closes_the_entry_of_a_member_it_marks_deceased(org, tmp_path):
    e = _entry(org, C)
    member = org.member.member
    header = ["工号", "姓名", "党籍状态", "党籍状态日期"]
    path = str(write_xlsx(tmp_path / "gone.xlsx", {"党员": [header, [member.staff_no, member.name, "去世",
                                                                     YESTERDAY.isoformat()]]}))
    plan = imports.prepare("members", path).plan
    db.session.rollback()
    assert plan.ok, plan.as_dict()
    imports.confirm("members", path, user=org.org_dept_user, sha256="t", filename="gone.xlsx",
                    expected_digest=plan.digest())
    fresh = _fresh(e)
    assert fresh.state is X and "去世，系统自动销号" in fresh.close_reason
    assert fresh.events[-1].actor_id == org.org_dept_user.id
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "care.entry.closed_by_status", AuditEvent.user_id == org.org_dept_user.id)) == 1


# --- the import and the three hardship flags ------------------------------------------------------

def test_a_rosters_hardship_columns_are_skipped_and_the_preview_says_so(org, tmp_path):
    """The registry is the one source: a roster can neither set nor clear the flags, and the preview
    tells how many rows marked a hardship, naming nobody."""
    entry = registered(org.member.member, "living")
    db.session.commit()
    header = [*MEMBER_HEADER, "是否生活困难", "独居", "困难情况说明"]
    rows = [[*member_row(1, org.branch_a1.name, 姓名="新党员甲"), "是", "否", "下岗"],
            [*member_row(2, org.branch_a1.name, 姓名="新党员乙"), "否", "", ""],
            [*member_row(3, org.branch_a1.name, 姓名="新党员丙"), "", "", "独自照顾老人"]]
    existing = org.member.member
    rows.append([existing.staff_no, existing.name, "", "", "", "", "", "", "", "", "", "否", "否", ""])
    path = str(write_xlsx(tmp_path / "r.xlsx", {"党员": [header, *rows]}))
    plan = imports.prepare("members", path).plan
    db.session.rollback()
    assert plan.ok and plan.unknown_columns == []  # recognised, not "unknown"
    [note] = [n for n in plan.notes if "困难" in n]
    assert note.startswith("「党员」表的「是否生活困难」、「独居」、「困难情况说明」列未导入：困难情况不通过名册导入，以「困难党员台账」为准")
    assert note.endswith("本表有2行标有困难情况，请通知所在党支部申报。")
    assert "新党员" not in note
    assert [r.outcome.value for r in plan.rows] == ["new", "new", "new", "same"]  # the 否 does not clear the entry
    imports.confirm("members", path, user=org.org_dept_user, sha256="t", filename="r.xlsx", expected_digest=plan.digest())
    new = db.session.scalar(select(Member).where(Member.name == "新党员甲"))
    assert (new.living_difficulty, new.lives_alone, new.difficulty_reason) == (False, False, "")
    m = db.session.get(Member, existing.id)
    assert m.living_difficulty and _fresh(entry).state is C


def test_the_template_and_the_import_page_say_where_hardship_is_kept(org, auth, client):
    import io
    wb = load_workbook(io.BytesIO(workbook_templates.build("members")))
    headers = [c.value for c in wb["党员"][1]]
    assert "生活困难" not in headers and "困难情况说明" not in headers and "老模范" in headers
    help_text = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "名册中的困难情况列（生活困难、独居、老弱病残、困难情况说明）不会导入" in help_text
    auth.login(org.org_dept_user)
    html = client.get("/org/import").get_data(as_text=True)
    assert "困难情况（生活困难、独居、老弱病残）不通过名册导入，以「困难党员台账」为准" in html


def test_a_deceased_member_cannot_be_proposed_again(org):
    _entry(org, C)
    org_ops.change_status(org.org_dept_user, org.member.member, DEAD, YESTERDAY)
    with pytest.raises(registry.RegistryRefused):
        registry.propose(org.secretary, db.session.get(Member, org.member.member.id), categories=["living"],
                         situation=SITUATION)
