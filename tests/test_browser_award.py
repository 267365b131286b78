"""表彰推荐 end to end in headless Chromium: the branch secretary nominates a member, the secondary unit
forwards it from its ranking page (htmx, within the quota), 组织部 approves from 待办, 校党委 decides at a
党委会, 组织部 publishes the 公示, another member sees it on the board (without private data), time
moves on (the ticker's task runs), and the nominee sees 已表彰 and downloads the 表彰决定 rendered by
a real `flask worker`. CSRF is on and every request stays on our host."""
import re
from datetime import date, timedelta

from dangjian.extensions import db
from dangjian.request_types.award_nomination.model import AwardCycle
from dangjian.request_types.award_nomination.publicity import close_publicity_periods
from tests.browser_support import chromium, confirm_dialog, flask_worker, live_server
from tests.factories_award import add_award_people, make_cycle
from tests.test_browser import Session

DEEDS = "长期扎根会计学教学一线，主讲课程获评省级一流本科课程；指导学生获全国大学生会计技能大赛一等奖。"


def test_award_nomination_from_nomination_to_the_decision(app, org, redis_conn, tmp_path):
    from playwright.sync_api import expect

    add_award_people(org)
    cycle = make_cycle(org, quota=1)
    cycle_id = cycle.id
    meeting_day = (date.today() - timedelta(days=1)).isoformat()
    requested, console_errors = [], []

    with live_server(app) as base, chromium(tmp_path / "chromium-profile") as context:
        context.on("request", lambda r: requested.append(r.url))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        dialogs = []
        s = Session(page, base)

        # 1. The branch secretary nominates 王喆 as 优秀共产党员.
        s.login("secretary")
        s.nav("发起申请")
        page.get_by_role("link", name="表彰推荐").click()
        expect(page.get_by_role("heading", name="表彰推荐")).to_be_visible()
        page.get_by_text("优秀共产党员", exact=True).click()
        nominee = page.get_by_label("被推荐对象")
        nominee.select_option(label=nominee.locator("option", has_text="王喆").inner_text())
        page.get_by_label("主要事迹").fill(DEEDS)
        expect(page.locator(".dj-count")).to_have_text(f"{len(DEEDS)} / 1500")  # the live counter
        page.get_by_role("button", name="提交推荐").click()
        page.wait_for_url(re.compile(r"/requests/\d+$"))
        request_id = int(page.url.rsplit("/", 1)[1])
        main = page.locator("#request-main")
        expect(main).to_contain_text("推荐王喆为优秀共产党员")
        expect(main).to_contain_text("二级党组织审核排序")
        s.logout()

        # 2. The secondary unit forwards it from the ranking page, without a page reload.
        s.login("secondary")
        s.nav("管理")
        page.get_by_role("link", name="表彰推荐审核排序").click()
        section = page.locator("#rank-excellent_member")
        expect(section).to_contain_text("名额 1 名 · 已报送 0 名")
        s.mark()
        section.get_by_placeholder("审核意见（可不填）").fill("经会计学院党委研究，同意推荐。")
        section.get_by_role("button", name="报送").click()
        dialogs.append(confirm_dialog(page))
        expect(section).to_contain_text("已报送：王喆（排序第 1 名）")
        expect(section).to_contain_text("名额 1 名 · 已报送 1 名")
        s.assert_not_reloaded()
        assert any("报送后占用 1 个名额" in m for m in dialogs)
        s.logout()

        # 3. 组织部审核 from 待办.
        s.login("orgdept")
        card = page.locator(f"#inbox-item-{request_id}")
        card.get_by_role("button", name="处理").click()
        card.get_by_label("意见", exact=True).fill("经审核，符合推荐条件。")
        card.get_by_role("button", name="同意", exact=True).click()
        dialogs.append(confirm_dialog(page))
        expect(card).to_contain_text("已同意")
        s.logout()

        # 4. 校党委决定 at a 党委会, on the request page.
        s.login("school")
        page.goto(f"{base}/requests/{request_id}")
        main = page.locator("#request-main")
        main.get_by_label("会议类型").select_option(label="党委会")
        main.get_by_label("会议日期").fill(meeting_day)
        main.get_by_label("同意票").fill("21")
        main.get_by_label("反对票").fill("0")
        main.get_by_label("弃权票").fill("0")
        main.get_by_label("意见", exact=True).fill("经校党委会议研究，同意表彰。")
        main.get_by_role("button", name="同意", exact=True).click()
        dialogs.append(confirm_dialog(page))
        expect(main.locator(".dj-state-main")).to_contain_text("已通过")
        s.logout()

        # 5. 组织部 publishes the 公示 from the cycle page.
        s.login("orgdept")
        s.nav("管理")
        page.get_by_role("link", name="表彰评选").click()
        page.get_by_role("link", name="2026年度“两优一先”表彰").click()
        page.get_by_role("button", name="发布公示").click()
        dialogs.append(confirm_dialog(page))
        expect(page.locator(".dj-flash")).to_contain_text("已发布公示：1 项推荐进入公示")
        s.logout()

        # 6. Any member sees it on the board: name, unit, category, summary — no private data.
        s.login("member_b")
        s.nav("党务公开")
        board = page.locator("main")
        expect(board).to_contain_text("2026年度“两优一先”表彰拟表彰对象公示")
        expect(board).to_contain_text("王喆")
        expect(board).to_contain_text("长期扎根会计学教学一线")
        text = board.inner_text()
        member = org.member.member
        assert member.staff_no not in text and member.id_number_masked not in text and member.phone_masked not in text
        expect(board.get_by_role("link", name="提出异议")).to_be_visible()
        s.logout()

        # 7. Time moves on: the period ends and the ticker's task runs.
        db.session.expire_all()
        ends_at = db.session.get(AwardCycle, cycle_id).publicity_ends_at
        assert close_publicity_periods(now=ends_at + timedelta(minutes=1)) == f"cycle {cycle_id}: 1 awarded, completed"

        # 8. The nominee sees 已表彰, then downloads the 表彰决定 once the worker has made it.
        s.login("member")
        page.goto(f"{base}/requests/{request_id}")
        expect(page.locator("#request-main .dj-state-main")).to_contain_text("已表彰")
        s.nav("党务公开")
        done = page.locator(f"#completed-{cycle_id}")
        expect(done).to_contain_text("表彰名单")
        expect(done).to_contain_text("王喆")
        expect(done).to_contain_text(re.compile("排队|正在生成"))
        s.mark()
        with flask_worker(app, tmp_path / "worker.log"):
            decision = done.locator(".dj-doc", has_text="表彰决定")
            link = decision.get_by_role("link", name="下载 PDF")
            expect(link).to_be_visible(timeout=30_000)
            s.assert_not_reloaded()
            with page.expect_download() as info:
                link.click()
        download = info.value
        assert "表彰决定" in download.suggested_filename and download.suggested_filename.endswith(".pdf")
        with open(download.path(), "rb") as f:
            assert f.read(5) == b"%PDF-"

    foreign = [u for u in requested if not (u.startswith(base + "/") or u.startswith("data:"))]
    assert foreign == [], foreign
    assert console_errors == [], console_errors
