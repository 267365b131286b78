"""Every irreversible action asks first, in the app's own dialog, and 取消 sends nothing (issue 7 §4).

In headless Chromium, CSRF on: 同意, 退回修改 and 不同意 on a request page and in a 待办 panel, 撤回 and
then 撤销申请 on the initiator's request page, 取消发放 of a 慰问金, 确认导入 of a roster and 停用账号 of an account.
Each is clicked, the styled dialog shows that action's own question, 取消 leaves the browser without a
POST and the record unchanged; clicked again and answered 确定, exactly one POST goes out and the
record has changed. (撤回 has no 待办 panel: an initiator's requests are under 我发起的, which links to
the request page.)"""
import os
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import Member, Request, RequestState, User
from dangjian.workflow import Action, apply_action
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import make_member, make_user, new_waiver
from tests.factories_condolence import new_condolence, setup_settings
from tests.import_support import MEMBER_HEADER, ORG_HEADER, member_row, write_xlsx
from tests.test_browser import Session

SHOTS = os.environ.get("CONFIRM_SCREENSHOTS")  # a folder to keep the screenshots in

APPROVE_Q = "确定同意该申请吗？"
RETURN_Q = "确定退回修改吗？申请将退回发起人。"
REJECT_Q = "确定不同意该申请吗？该申请将就此结束，无法恢复。"
WITHDRAW_Q = "确定撤回该申请吗？"
ABANDON_Q = "确定撤销该申请吗？撤销后申请即告结束，不能恢复，也不能再修改提交。"


def state_of(request_id):
    db.session.expire_all()
    return db.session.get(Request, request_id).state


def version_of(request_id):
    db.session.expire_all()
    return db.session.get(Request, request_id).version


def test_each_irreversible_action_asks_in_the_app_dialog_and_cancel_sends_nothing(app, org, tmp_path):
    from playwright.sync_api import expect

    meeting_day = (date.today() - timedelta(days=2)).isoformat()
    applicants = [make_user(f"applicant{i}", make_member(org.branch_a1, f"申请人{i}")) for i in range(6)]
    db.session.commit()
    waivers = [new_waiver(u) for u in applicants]
    on_page, in_panel = waivers[:3], waivers[3:]
    withdrawable = new_waiver(org.member)
    setup_settings(org)
    condolence = new_condolence(org.member2, org.secretary)
    apply_action(condolence, org.secondary, Action.APPROVE, opinion="同意")  # unit-funded: 二级党组织 decides
    assert condolence.state is RequestState.APPROVED
    ids = {"page": [w.id for w in on_page], "panel": [w.id for w in in_panel], "withdraw": withdrawable.id,
           "condolence": condolence.id, "account": org.member_b.id}
    roster = write_xlsx(tmp_path / "名册.xlsx", {
        "组织": [ORG_HEADER, ["S1", "第一学院党委", "二级党委", "", "2001-07-01"],
                 ["B01", "第一党支部", "教职工党支部", "S1", "2002-07-01"]],
        "党员": [MEMBER_HEADER] + [member_row(n, "B01") for n in range(1, 4)]})
    db.session.remove()

    posts = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        native = []
        page.on("dialog", lambda d: (native.append(d.message), d.dismiss()))
        s = Session(page, base)

        def sent(path):
            return sum(1 for url in posts if url.endswith(path))

        def ask_cancel_then_ok(trigger, question, path, unchanged, changed, screenshot=None):
            """Click: the dialog asks `question`; 取消: no POST to `path`, nothing changed. Click again,
            确定: exactly one POST, and the change is made."""
            before = sent(path)
            trigger.click()
            if screenshot:
                page.screenshot(path=str(tmp_path / screenshot))
                if SHOTS:
                    os.makedirs(SHOTS, exist_ok=True)
                    page.screenshot(path=os.path.join(SHOTS, screenshot))
            assert confirm_dialog(page, "取消") == question
            assert sent(path) == before, "取消 still sent the request"
            assert unchanged()
            trigger.click()
            with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(path)):
                assert confirm_dialog(page, "确定") == question
            page.wait_for_load_state()
            assert sent(path) == before + 1
            assert changed()

        def fill_decision(scope, opinion, votes=None):
            if votes:
                scope.get_by_label("会议类型").select_option(label="支委会")
                scope.get_by_label("会议日期").fill(meeting_day)
                for label, value in zip(("同意票", "反对票", "弃权票"), votes):
                    scope.get_by_label(label).fill(value)
            scope.get_by_label("意见", exact=True).fill(opinion)

        decisions = [("同意", APPROVE_Q, "经支委会研究，同意。", ("5", "0", "0"), RequestState.PENDING),
                     ("退回修改", RETURN_Q, "请补充证明材料。", None, RequestState.RETURNED),
                     ("不同意", REJECT_Q, "经支委会研究，不同意。", ("1", "4", "0"), RequestState.REJECTED)]

        # 1. The branch secretary decides on three request pages…
        s.login("secretary")
        for (label, question, opinion, votes, after), rid in zip(decisions, ids["page"]):
            page.goto(f"{base}/requests/{rid}")
            main = page.locator("#request-main")
            fill_decision(main, opinion, votes)
            version = version_of(rid)
            ask_cancel_then_ok(
                main.get_by_role("button", name=label, exact=True), question, f"/requests/{rid}/act",
                unchanged=lambda rid=rid, v=version: state_of(rid) is RequestState.PENDING and version_of(rid) == v,
                changed=lambda rid=rid, v=version, after=after: state_of(rid) is after and version_of(rid) > v,
                screenshot="dialog-page.png" if label == "同意" else None)
            expect(main).to_contain_text(f"已{label}：")

        # 2. …and three in 待办, each in its card's panel, without leaving the page.
        page.goto(base + "/inbox/todo")
        for (label, question, opinion, votes, after), rid in zip(decisions, ids["panel"]):
            card = page.locator(f"#inbox-item-{rid}")
            card.get_by_role("button", name="处理").click()
            fill_decision(card, opinion, votes)
            version = version_of(rid)
            ask_cancel_then_ok(
                card.get_by_role("button", name=label, exact=True), question, f"/requests/{rid}/act",
                unchanged=lambda rid=rid, v=version: state_of(rid) is RequestState.PENDING and version_of(rid) == v,
                changed=lambda rid=rid, v=version, after=after: state_of(rid) is after and version_of(rid) > v,
                screenshot="dialog-inbox.png" if label == "不同意" else None)
            expect(card).to_contain_text(f"已{label}")

        # 3. 取消发放 of an approved 慰问金 (a request type's own irreversible action).
        page.goto(f"{base}/requests/{ids['condolence']}")
        main = page.locator("#request-main")
        main.get_by_text("不再发放？取消本申请").click()
        main.get_by_label("取消原因").fill("党员本人婉拒。")
        rid = ids["condolence"]
        ask_cancel_then_ok(main.get_by_role("button", name="取消发放"), "确定取消该慰问金吗？取消后不能恢复。",
                           f"/condolence/{rid}/cancel",
                           unchanged=lambda: state_of(rid) is RequestState.APPROVED,
                           changed=lambda: state_of(rid) is RequestState.CANCELLED)
        s.logout()

        # 4. The initiator withdraws from the request page.
        s.login("member")
        rid = ids["withdraw"]
        page.goto(f"{base}/requests/{rid}")
        ask_cancel_then_ok(page.get_by_role("button", name="撤回申请"), WITHDRAW_Q, f"/requests/{rid}/act",
                           unchanged=lambda: state_of(rid) is RequestState.PENDING,
                           changed=lambda: state_of(rid) is RequestState.WITHDRAWN)
        # …and, having withdrawn it, gives it up for good (撤销申请, with a reason).
        main = page.locator("#request-main")
        main.get_by_text("不再申请？撤销申请").click()
        main.get_by_label("撤销原因").fill("情况已有变化，不再申请。")
        ask_cancel_then_ok(main.get_by_role("button", name="撤销申请", exact=True), ABANDON_Q, f"/requests/{rid}/act",
                           unchanged=lambda: state_of(rid) is RequestState.WITHDRAWN,
                           changed=lambda: state_of(rid) is RequestState.ABANDONED)
        expect(main).to_contain_text("已撤销申请：")
        s.logout()

        # 5. 组织部 confirms a roster import (a boosted form: htmx asks through the same dialog).
        s.login("orgdept")
        page.goto(base + "/org/import")
        section = page.locator("#import-members")
        section.locator("input[type=file]").set_input_files(str(roster))
        section.get_by_role("button", name="上传并预览").click()
        page.wait_for_url(re.compile(r"/org/import/[A-Za-z0-9_-]{32}"))
        token = page.url.rsplit("/", 1)[1]

        def imported():
            db.session.expire_all()
            return db.session.scalar(select(func.count()).select_from(Member).where(Member.staff_no.like("M%")))

        ask_cancel_then_ok(page.get_by_role("button", name="确认导入"),
                           "确认导入？将新增 5 行、更新 0 行，写入后请在相关页面核对。", f"/import/{token}/confirm",
                           unchanged=lambda: imported() == 0, changed=lambda: imported() == 3)
        expect(page.locator(".alert-success")).to_contain_text("党员：新增3人")
        page.goto(base + "/inbox/todo")
        s.logout()

        # 6. The 系统管理员 disables an account.
        page.goto(base + "/login")
        page.get_by_label("账号").fill("sysadmin")
        page.get_by_label("密码").fill("pw")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/admin/accounts$"))
        uid = ids["account"]
        page.goto(f"{base}/admin/accounts/{uid}")

        def active():
            db.session.expire_all()
            return db.session.get(User, uid).active

        ask_cancel_then_ok(page.get_by_role("button", name="停用账号"),
                           "确定停用账号「member_b」吗？停用后该账号立即退出登录，且不能再登录。",
                           f"/admin/accounts/{uid}/disable", unchanged=active, changed=lambda: not active())
        expect(page.locator(".dj-flash")).to_contain_text("已停用账号「member_b」")

        assert native == [], "the browser's own confirm() appeared"


def test_the_dialog_is_keyboard_safe(app, org, tmp_path):
    """Focus starts on 取消 and Tab stays inside the dialog; Esc cancels and sends nothing."""
    from playwright.sync_api import expect

    rid = new_waiver(org.member).id
    db.session.remove()
    posts = []
    with live_server(app) as base, chromium(tmp_path / "profile") as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        s = Session(page, base)
        s.login("member")
        page.goto(f"{base}/requests/{rid}")
        withdraw = page.get_by_role("button", name="撤回申请")
        withdraw.click()
        dialog = page.get_by_role("alertdialog", name="请确认")
        expect(dialog).to_be_visible()
        expect(dialog).to_have_accessible_description(WITHDRAW_Q)
        focused = "document.activeElement.textContent.trim()"
        assert page.evaluate(focused) == "取消"
        for expected in ("确定", "取消", "确定"):
            page.keyboard.press("Tab")
            assert page.evaluate(focused) == expected
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(focused) == "取消"
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert not any(url.endswith(f"/requests/{rid}/act") for url in posts)
        assert state_of(rid) is RequestState.PENDING
        # Esc has cancelled this question only: the next click asks again.
        withdraw.click()
        expect(dialog).to_be_visible()


def test_every_confirmation_sits_on_the_element_that_sends_the_request():
    """htmx reads hx-confirm from the element that triggers the request (TECH-NOTES): on a submit
    button of an hx-post form it is ignored and the request goes out unasked. So every hx-confirm
    sits on an element with its own hx-post (or another verb), or on a form that the body boosts."""
    from html.parser import HTMLParser

    from tests.browser_support import ROOT

    verbs = {"hx-post", "hx-put", "hx-patch", "hx-delete", "hx-get"}
    misplaced, found = [], []

    class Scan(HTMLParser):
        def handle_starttag(self, tag, attrs):
            names = dict(attrs)
            if "hx-confirm" not in names:
                return
            found.append(self.path)
            boosted_form = tag == "form" and names.get("hx-boost") != "false"
            if not (verbs & names.keys() or boosted_form):
                misplaced.append(f"{self.path}:{self.getpos()[0]} <{tag}>")

    for path in sorted((ROOT / "templates").rglob("*.html")):
        scan = Scan()
        scan.path = str(path.relative_to(ROOT))
        scan.feed(path.read_text(encoding="utf-8"))
    assert "templates/requests/_panel.html" in found and len(found) >= 20
    assert misplaced == []
