"""党务公开 (issue 10 §7, §三(二)4): who publishes and withdraws what (a table, like the workflow
tables), who reads an item (scope and period; out of scope → 404), privacy of the public texts, the
generated 党费收缴和使用情况, and the award 公示 on the same board."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, MemberDuesRate
from dangjian.openness import dues, operations, privacy
from dangjian.openness.models import ItemKind, ItemStatus, OpenItem
from dangjian.request_types.dues_waiver.model import WaiverMode
from dangjian.timeutil import local_today
from dangjian.workflow import ActionRefused, AlreadyHandled
from tests.factories import approve, new_waiver

TODAY = local_today()


def draft(user, org, kind=ItemKind.DECISION, title="关于调整困难党员慰问标准的决定", body="经校党委会研究决定……",
          starts=None, ends=None) -> OpenItem:
    return operations.create(operations.Draft(kind, title, body, org.id, starts or TODAY,
                                              ends or TODAY + timedelta(days=10)), user)


def published(user, org, **kw) -> OpenItem:
    item = draft(user, org, **kw)
    return operations.publish(item, user, item.version)


# --- who may do what: (status, actor, action) → allowed -------------------------------------------

def _do(action, item, user):
    if action == "publish":
        operations.publish(item, user, item.version)
    elif action == "withdraw":
        operations.withdraw(item, user, "内容有误，重新发布。")
    elif action == "edit":
        operations.update_draft(item, operations.Draft(item.kind, "改过的标题", item.body, item.organization_id,
                                                       item.starts_on, item.ends_on), user, item.version)
    elif action == "delete":
        operations.delete_draft(item, user, item.version)


# scope: "school" (全校, by 组织部) or "sec_a" (会计学院党委's own unit)
TABLE = [
    # status, scope, actor, action, allowed
    ("draft", "school", "org_dept_user", "publish", True),
    ("draft", "school", "org_dept_user", "edit", True),
    ("draft", "school", "org_dept_user", "delete", True),
    ("draft", "school", "secondary", "publish", False),   # a unit never publishes school-wide
    ("draft", "sec_a", "secondary", "publish", True),      # its own unit
    ("draft", "sec_a", "secondary", "edit", True),
    ("draft", "sec_a", "secondary_b", "publish", False),   # another unit's
    ("draft", "sec_a", "org_dept_user", "publish", True),  # 组织部 for any unit
    ("draft", "sec_a", "secretary", "publish", False),     # a branch secretary publishes nothing
    ("draft", "school", "supervisor", "publish", False),   # 纪委 reads, changes nothing
    ("draft", "school", "school_user", "publish", False),
    ("published", "school", "org_dept_user", "withdraw", True),
    ("published", "school", "org_dept_user", "edit", False),  # published: withdraw, never edit
    ("published", "school", "org_dept_user", "publish", False),
    ("published", "school", "org_dept_user", "delete", False),
    ("published", "sec_a", "secondary", "withdraw", True),
    ("published", "sec_a", "secondary_b", "withdraw", False),
    ("published", "school", "secondary", "withdraw", False),
    ("published", "school", "member", "withdraw", False),
    ("withdrawn", "school", "org_dept_user", "withdraw", False),
    ("withdrawn", "school", "org_dept_user", "publish", False),
    ("withdrawn", "school", "org_dept_user", "edit", False),
]


@pytest.mark.parametrize("status,scope,actor,action,allowed", TABLE)
def test_the_item_table(app, org, status, scope, actor, action, allowed):
    owner = org.org_dept_user if scope == "school" else org.secondary
    target = org.school if scope == "school" else org.sec_a
    item = draft(owner, target)
    if status in ("published", "withdrawn"):
        operations.publish(item, owner, item.version)
    if status == "withdrawn":
        operations.withdraw(item, owner, "撤回。")
    before = item.status
    user = getattr(org, actor)
    if allowed:
        _do(action, item, user)
    else:
        with pytest.raises((ActionRefused, AlreadyHandled)):
            _do(action, item, user)
        db.session.rollback()
        db.session.expire_all()
        fresh = db.session.get(OpenItem, item.id)
        assert fresh is not None and fresh.status is before and fresh.title == "关于调整困难党员慰问标准的决定"


def test_publish_and_withdraw_leave_audit_rows_and_the_reason(app, org):
    item = published(org.org_dept_user, org.school)
    operations.withdraw(item, org.org_dept_user, "  活动时间调整，待确定后重新发布。 ")
    assert item.status is ItemStatus.WITHDRAWN and item.withdrawal_reason == "活动时间调整，待确定后重新发布。"
    assert item.withdrawn_by_id == org.org_dept_user.id
    codes = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "openness_items",
                                                               AuditEvent.object_id == item.id)
                                .order_by(AuditEvent.id)).all()
    assert codes == ["openness.create", "openness.publish", "openness.withdraw"]


def test_a_withdrawal_needs_a_reason(app, org):
    item = published(org.org_dept_user, org.school)
    with pytest.raises(ActionRefused, match="请填写撤回原因"):
        operations.withdraw(item, org.org_dept_user, "   ")
    db.session.rollback()
    assert db.session.get(OpenItem, item.id).status is ItemStatus.PUBLISHED


def test_publishing_what_someone_changed_since_is_refused(app, org):
    item = draft(org.org_dept_user, org.school)
    seen = item.version
    operations.update_draft(item, operations.Draft(item.kind, "新标题", item.body, org.school.id, TODAY,
                                                   TODAY + timedelta(days=3)), org.org_dept_user, seen)
    with pytest.raises(AlreadyHandled, match="该记录已被他人处理"):
        operations.publish(item, org.org_dept_user, seen)
    db.session.rollback()
    assert db.session.get(OpenItem, item.id).status is ItemStatus.DRAFT


@pytest.mark.parametrize("field,value,message", [
    ("title", "", "请填写标题"),
    ("body", "", "请填写公开内容"),
    ("ends", TODAY - timedelta(days=1), "截止日期不能早于起始日期"),
    ("body", "困难党员王某，身份证号610113197503080012，已予慰问。", "疑似身份证号"),
    ("body", "如有意见请致电13912345678。", "疑似电话号码"),
    ("title", "王某（610***********1234）", "疑似身份证号"),
])
def test_a_draft_is_checked(app, org, field, value, message):
    values = {"title": "标题", "body": "内容", "ends": TODAY + timedelta(days=5)}
    values[field] = value
    with pytest.raises(ActionRefused, match=message):
        operations.create(operations.Draft(ItemKind.OTHER, values["title"], values["body"], org.school.id, TODAY,
                                           values["ends"]), org.org_dept_user)
    db.session.rollback()
    assert db.session.scalar(select(func.count(OpenItem.id))) == 0


def test_a_draft_whose_period_is_over_cannot_be_published(app, org):
    item = draft(org.org_dept_user, org.school, starts=TODAY - timedelta(days=20), ends=TODAY - timedelta(days=1))
    with pytest.raises(ActionRefused, match="公开截止日期已过"):
        operations.publish(item, org.org_dept_user, item.version)


def test_privacy_redacts_numbers_but_not_money_or_dates():
    text = "王某电话 139-1234-5678，身份证 61011319750308001X，2026年获奖励 ¥1,000.00。"
    out = privacy.redact(text)
    assert "1234-5678" not in out and "61011319750308001X" not in out
    assert "〔电话号码已隐去〕" in out and "〔身份证号已隐去〕" in out and "2026年" in out and "¥1,000.00" in out
    assert privacy.findings("2026年度预算 ¥200,000.00，共 36 个支部") == []


# --- who reads: scope and period -----------------------------------------------------------------

def _board(client):
    return client.get("/openness/").get_data(as_text=True)


def test_readers_see_their_scope_during_the_period(app, org, auth, client):
    school = published(org.org_dept_user, org.school, title="全校的公开事项")
    unit_a = published(org.secondary, org.sec_a, title="会计学院的公开事项")
    unit_b = published(org.secondary_b, org.sec_b, title="经济学院的公开事项")
    later = published(org.org_dept_user, org.school, title="下周起公开的事项", starts=TODAY + timedelta(days=7),
                      ends=TODAY + timedelta(days=14))
    gone = published(org.org_dept_user, org.school, title="已撤回的事项")
    operations.withdraw(gone, org.org_dept_user, "内容有误。")
    still_draft = draft(org.org_dept_user, org.school, title="还是草稿的事项")
    expected = {  # user → the items they see on the board
        "member": {school, unit_a}, "secretary": {school, unit_a}, "secondary": {school, unit_a},
        "member_b": {school, unit_b}, "secondary_b": {school, unit_b}, "direct_member": {school},
        "org_dept_user": {school, unit_a, unit_b}, "supervisor": {school, unit_a, unit_b},
        "school_user": {school, unit_a, unit_b},
    }
    everything = [school, unit_a, unit_b, later, gone, still_draft]
    for key, sees in expected.items():
        auth.login(getattr(org, key))
        board = _board(client)
        for item in everything:
            assert (item.title in board) is (item in sees), (key, item.title)
        for item in (unit_a, unit_b):
            status = client.get(f"/openness/items/{item.id}").status_code
            assert status == (200 if item in sees else 404), (key, item.title)
    # A reader in scope opens the withdrawn item and reads why, not what; a draft or a future item is 404.
    auth.login(org.member)
    page = client.get(f"/openness/items/{gone.id}").get_data(as_text=True)
    assert "撤回原因：内容有误。" in page and "经校党委会研究决定" not in page
    assert client.get(f"/openness/items/{still_draft.id}").status_code == 404
    assert client.get(f"/openness/items/{later.id}").status_code == 404
    # After its period an item is gone for readers, still there for those who manage it.
    school.ends_on = TODAY - timedelta(days=1)
    db.session.commit()
    assert school.title not in _board(client)
    assert client.get(f"/openness/items/{school.id}").status_code == 404
    auth.login(org.org_dept_user)
    assert "已到期" in client.get(f"/openness/items/{school.id}").get_data(as_text=True)


def test_the_administrator_reads_no_item(app, org, auth, client):
    item = published(org.org_dept_user, org.school)
    auth.login(org.sysadmin)
    for url in ("/openness/", f"/openness/items/{item.id}", "/openness/manage", "/openness/new", "/openness/dues/new"):
        assert client.get(url).status_code == 404, url


def test_publisher_pages_are_404_for_everyone_else(app, org, auth, client):
    item = draft(org.secondary, org.sec_a)
    for key in ("member", "secretary", "supervisor", "secondary_b"):
        auth.login(getattr(org, key))
        assert client.get(f"/openness/items/{item.id}").status_code == 404, key
        assert client.get(f"/openness/items/{item.id}/edit").status_code == 404, key
        assert client.post(f"/openness/items/{item.id}/publish", data={"version": item.version}).status_code == 404
        assert client.post(f"/openness/items/{item.id}/delete", data={"version": item.version}).status_code == 404
    for key in ("member", "secretary", "supervisor"):
        auth.login(getattr(org, key))
        assert client.get("/openness/manage").status_code == 404, key
    db.session.expire_all()
    assert db.session.get(OpenItem, item.id).status is ItemStatus.DRAFT


def test_a_secondary_unit_drafts_publishes_and_withdraws_through_the_pages(app, org, auth, client):
    auth.login(org.secondary)
    page = client.get("/openness/new").get_data(as_text=True)
    assert "全校" not in page.split('name="organization_id"')[1].split("</select>")[0]  # its own unit only
    form = {"kind": "election", "organization_id": str(org.sec_a.id), "title": "会计学院党委换届选举结果",
            "body": "经选举，陈建国同志当选为党委书记。", "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + timedelta(days=5)).isoformat()}
    bad = client.post("/openness/new", data={**form, "organization_id": str(org.school.id), "body": ""})
    text = bad.get_data(as_text=True)
    assert "您只能为本单位发布党务公开" in text and "请填写公开内容" in text
    resp = client.post("/openness/new", data=form)
    item = db.session.scalars(select(OpenItem)).one()
    assert resp.headers["Location"].endswith(f"/openness/items/{item.id}")
    page = client.get(f"/openness/items/{item.id}").get_data(as_text=True)
    assert "草稿" in page and 'hx-confirm="确定发布「会计学院党委换届选举结果」吗' in page
    client.post(f"/openness/items/{item.id}/publish", data={"version": item.version})
    auth.login(org.member)
    assert "会计学院党委换届选举结果" in _board(client)
    auth.login(org.secondary)
    db.session.expire_all()
    resp = client.post(f"/openness/items/{item.id}/withdraw", data={"reason": ""})
    assert "请填写撤回原因" in resp.get_data(as_text=True)
    client.post(f"/openness/items/{item.id}/withdraw", data={"reason": "名单有误，核实后重新公开。"})
    db.session.expire_all()
    assert db.session.get(OpenItem, item.id).status is ItemStatus.WITHDRAWN
    auth.login(org.member)
    assert "会计学院党委换届选举结果" not in _board(client)


# --- the generated 党费收缴和使用情况 -------------------------------------------------------------

def test_the_dues_figures_come_from_the_data(app, org):
    year = TODAY.year - 1
    # 会计学院党委's members: six in branch a1/a2 (factory dues); one waiver of 20 yuan a month for 6 months.
    waiver = new_waiver(org.member, start_month=date(year, 1, 1), end_month=date(year, 6, 1),
                        mode=WaiverMode.PARTIAL, monthly_amount=Decimal("20.00"))
    approve(waiver, org.secretary)
    approve(waiver, org.secondary)
    approve(waiver, org.school_user)
    # One member's dues changed in July.
    member2 = org.member2.member
    db.session.add(MemberDuesRate(member_id=member2.id, effective_from=date(year, 7, 1),
                                  amount=member2.monthly_dues + Decimal("10.00")))
    db.session.commit()
    from dangjian.models import Member
    members = db.session.scalars(select(Member).where(Member.branch_id.in_([org.branch_a1.id, org.branch_a2.id]))).all()
    expected_due = sum((m.monthly_dues * 12 for m in members), Decimal("0")) + Decimal("60.00")
    fig = dues.figures(org.sec_a, year)
    assert fig["members"] == len(members) and fig["months"] == 12
    assert Decimal(fig["due"]) == expected_due
    assert Decimal(fig["waived"]) == Decimal("120.00") and fig["waived_members"] == 1
    assert Decimal(fig["collected"]) == expected_due - Decimal("120.00")
    # The other unit knows nothing of it.
    assert Decimal(dues.figures(org.sec_b, year)["waived"]) == 0


def test_the_dues_item_is_a_draft_with_totals_only(app, org, auth, client):
    year = TODAY.year - 1
    item = operations.generate_dues(org.school, year, org.org_dept_user, TODAY, TODAY + timedelta(days=30))
    assert item.status is ItemStatus.DRAFT and item.kind is ItemKind.DUES and item.year == year
    assert item.title == f"全校{year}年度党费收缴和使用情况"
    auth.login(org.org_dept_user)
    page = client.get(f"/openness/items/{item.id}").get_data(as_text=True)
    assert "应缴党费" in page and "实缴党费" in page and "表彰奖励" in page
    for member_user in (org.member, org.member_b):
        m = member_user.member
        assert m.name not in page and m.staff_no not in page
    with pytest.raises(ActionRefused, match="只能生成本年度及以前年度"):
        operations.generate_dues(org.school, TODAY.year + 1, org.org_dept_user, TODAY, TODAY)
    db.session.rollback()
    with pytest.raises(ActionRefused, match="您只能为本单位生成"):
        operations.generate_dues(org.school, year, org.secondary, TODAY, TODAY)


# --- the award 公示 is on this board ----------------------------------------------------------------

def test_the_award_publicity_is_on_the_one_board_with_private_numbers_masked(app, org, auth, client):
    from dangjian.request_types.award_nomination.publicity import publish_cycle
    from tests.factories_award import add_award_people, decided, make_cycle

    add_award_people(org)
    cycle = make_cycle(org)
    req = decided(org, cycle, member_user=org.member2)
    req.deeds = "长期扎根教学一线，联系电话13912345678，成绩突出。"
    db.session.commit()
    publish_cycle(cycle.id, org.org_dept_user)
    item = published(org.org_dept_user, org.school, title="全校的公开事项")
    auth.login(org.member_b)
    board = _board(client)
    assert "拟表彰对象公示" in board and "张堃" in board and item.title in board
    assert "13912345678" not in board and "〔电话号码已隐去〕" in board
    resp = client.get("/awards/publicity")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/openness/")
