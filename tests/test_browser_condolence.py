"""A 慰问金 end to end in headless Chromium: the branch secretary applies (the amount follows the
category's standard; above it the reason appears), the secondary unit, 组织部 and 校党委 approve, the
慰问金审批表 appears once a real `flask worker` has rendered it, and the secretary records the visit
and the payment with a photo: the request is 已完成 and the school budget has spent the amount.
CSRF is on and every request stays on our host.
"""
import re
from datetime import date, timedelta
from decimal import Decimal

from dangjian.extensions import db
from dangjian.models import Request, RequestState
from tests.browser_support import chromium, confirm_dialog, flask_worker, live_server
from tests.factories_condolence import budget_line, set_budget, setup_settings
from tests.test_browser import Session

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\xdac\xfc\xcf\xc0P\x0f\x00\x04\x85\x01\x80\x84\xa9\x8c!\x00\x00\x00\x00IEND\xaeB`\x82"


def test_condolence_from_application_to_completed_payment(app, org, redis_conn, tmp_path):
    from playwright.sync_api import expect

    setup_settings(org)
    set_budget("10000.00")
    photo = tmp_path / "走访照片.png"
    photo.write_bytes(PNG)
    event_day = (date.today() - timedelta(days=2)).isoformat()
    requested, console_errors = [], []

    with live_server(app) as base, chromium(tmp_path / "chromium-profile") as context:
        context.on("request", lambda r: requested.append(r.url))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        s = Session(page, base)

        # 1. The branch secretary applies for 王喆 from 发起申请.
        s.login("secretary")
        s.nav("发起申请")
        page.get_by_role("link", name=re.compile("^慰问金")).click()
        expect(page.get_by_role("heading", name="申请慰问金")).to_be_visible()
        page.get_by_label("慰问对象（党员）").select_option(value=str(org.member.member_id))
        page.get_by_label("慰问类别").select_option(label="患病住院")
        amount = page.get_by_label("慰问金额")
        expect(amount).to_have_value("1000.00")  # the standard is the default…
        page.get_by_label("慰问类别").select_option(label="亡故")
        expect(amount).to_have_value("2000.00")  # …and follows the category
        expect(page.get_by_label("家属姓名")).to_be_visible()  # 亡故: paid to the family
        page.get_by_label("慰问类别").select_option(label="患病住院")
        expect(amount).to_have_value("1000.00")
        expect(page.get_by_label("家属姓名")).to_be_hidden()  # back to the member as payee
        reason = page.get_by_label("超标准理由")
        expect(reason).to_be_hidden()
        amount.fill("1200.00")
        expect(reason).to_be_visible()  # above the standard: a reason is asked for
        reason.fill("病情较重，需长期康复治疗，家庭特别困难。")
        page.get_by_label("事由日期").fill(event_day)
        page.get_by_label(re.compile(r"^事由\*?$")).fill("王喆同志因突发脑梗住院治疗，需长期康复。")
        page.get_by_text("校级专项经费", exact=True).click()
        page.get_by_label("计划走访人").fill("李书记、赵支委")
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r"/requests/\d+$"))
        request_id = int(page.url.rsplit("/", 1)[1])
        main = page.locator("#request-main")
        expect(main).to_contain_text("审批中")
        expect(main).to_contain_text("壹仟贰佰元整")
        expect(main).to_contain_text("二级党组织审批")
        s.logout()

        # 2. The secondary unit approves from 待办, 组织部 and 校党委 from the request page.
        s.login("secondary")
        card = page.locator(f"#inbox-item-{request_id}")
        card.get_by_role("button", name="处理").click()
        card.get_by_label("意见", exact=True).fill("情况属实，同意，报组织部审核。")
        card.get_by_role("button", name="同意", exact=True).click()
        confirm_dialog(page)
        expect(card).to_contain_text("已同意")
        s.logout()
        for username, opinion in (("orgdept", "经核查，预算余额充足，同意。"), ("school", "同意。")):
            s.login(username)
            page.goto(f"{base}/requests/{request_id}")
            main = page.locator("#request-main")
            main.get_by_label("意见", exact=True).fill(opinion)
            main.get_by_role("button", name="同意", exact=True).click()
            confirm_dialog(page)
            expect(main).to_contain_text("已同意：")
            s.logout()

        # 3. The secretary sees the 审批表 appear once the worker has rendered it…
        s.login("secretary")
        s.nav("我发起的")
        page.get_by_role("link", name="王喆的慰问金申请").click()
        page.wait_for_url(re.compile(rf"/requests/{request_id}$"))
        main = page.locator("#request-main")
        expect(main.locator(".dj-state-main")).to_contain_text("已通过")
        documents = page.locator(f"#documents-{request_id}")
        with flask_worker(app, tmp_path / "worker.log"):
            expect(documents.get_by_role("link", name="下载 PDF")).to_be_visible(timeout=30_000)
        expect(documents).to_contain_text("慰问金审批表")

        # 4. …then records the visit and the payment with a photo: 已完成.
        main.get_by_label("走访日期").fill(date.today().isoformat())
        expect(main.get_by_label("实际发放金额")).to_have_value("1200.00")
        main.get_by_label("走访人").fill("李书记、赵支委")
        main.get_by_label("发放凭证或走访照片").set_input_files(photo)
        main.get_by_role("button", name="登记并完成").click()
        confirm_dialog(page)
        expect(main.locator(".dj-state-main")).to_contain_text("已完成")
        expect(main).to_contain_text("实际发放")
        expect(main).to_contain_text("走访照片.png")

    db.session.expire_all()
    req = db.session.get(Request, request_id)
    assert req.state is RequestState.COMPLETED and req.paid_amount == Decimal("1200.00")
    line = budget_line()
    assert (line.reserved, line.spent) == (Decimal("0.00"), Decimal("1200.00"))
    foreign = [u for u in requested if not (u.startswith(base + "/") or u.startswith("data:"))]
    assert foreign == [], foreign
    assert any("/condolence/static/condolence.js" in u for u in requested)
    assert console_errors == [], console_errors
