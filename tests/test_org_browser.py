"""组织部 in headless Chromium: the member list searches as one types (htmx, no reload), a member's
page reveals the 身份证号 after a reason, the tree dissolves an empty branch after the browser's
confirmation. CSRF is on. Set ORG_SCREENSHOTS=dir to keep screenshots (desktop and phone width)."""
import os
import re
from pathlib import Path

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Organization
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.org_support import real_member
from tests.test_browser import Session


def _shot(page, name):
    folder = os.environ.get("ORG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_org_dept_searches_reveals_and_dissolves(app, org, tmp_path):
    from playwright.sync_api import expect

    zheng = real_member(org.branch_b1, "郑晓燕", living_difficulty=True, difficulty_reason="爱人长期患病，独自抚养子女")
    dialogs, errors = [], []
    with live_server(app) as base, chromium(tmp_path / "chromium-profile") as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("orgdept")
        s.nav("组织与党员")
        expect(page.get_by_role("heading", name="党员")).to_be_visible()
        _shot(page, "members-desktop")
        s.mark()
        page.get_by_label("搜索").fill("晓燕")
        expect(page.locator("#member-total")).to_have_text("1")
        s.assert_not_reloaded()
        assert "q=" in page.url  # the filtered view is in the address (back, share, export)
        page.get_by_role("link", name="郑晓燕").click()
        expect(page.get_by_role("heading", name=re.compile("郑晓燕"))).to_be_visible()
        _shot(page, "member-desktop")
        page.get_by_text("查看完整身份证号", exact=True).click()
        page.get_by_label("查看事由").first.fill("核对身份信息")
        page.locator("#reveal-id_number").get_by_role("button", name="查看").click()
        expect(page.locator('[data-revealed="id_number"]')).to_have_text(zheng.id_number)
        # The tree: an empty branch is dissolved after the browser's confirmation.
        page.goto(base + "/org/tree")
        _shot(page, "tree-desktop")
        empty = Organization(name="待撤销党支部", kind=org.branch_a1.kind, branch_type=org.branch_a1.branch_type, path="")
        db.session.add(empty)
        db.session.flush()
        empty.set_parent(org.sec_b)
        db.session.commit()
        page.goto(base + f"/org/units/{empty.id}/dissolve")
        page.get_by_role("button", name="撤销组织").click()
        dialogs.append(confirm_dialog(page))
        page.wait_for_url(re.compile(r"/org/tree"))
        expect(page.locator(f"#unit-{empty.id}")).to_contain_text("已撤销")
        assert dialogs == ["撤销「待撤销党支部」后不能恢复，确定撤销吗？"]
        # Phone width.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(base + "/org/members")
        _shot(page, "members-phone")
        page.goto(base + f"/org/members/{zheng.id}")
        _shot(page, "member-phone")
        page.goto(base + "/org/tree")
        _shot(page, "tree-phone")
    assert errors == []
    db.session.expire_all()
    assert db.session.get(Organization, empty.id).dissolved_on is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.reveal_id_number")) is not None
