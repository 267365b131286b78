"""axe-core in headless Chromium over the pages people use every day, at desktop and phone width.

axe comes from npm (package.json) and is served from our own static folder, as `make vendor`
copies it next to htmx: the test never reaches a CDN. Any serious or critical violation fails,
with the rule, the elements and axe's own explanation in the message. Set A11Y_SCREENSHOTS=dir to
keep a screenshot of every page checked."""
import os
import re
from pathlib import Path

import pytest

from dangjian.extensions import db
from dangjian.models import BudgetLine, BudgetLineKind
from tests.browser_support import ROOT, chromium, live_server
from tests.factories import approve, new_waiver

AXE = ROOT / "dangjian" / "static" / "vendor" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")


def axe_violations(page, base):
    """Inject axe from /static and run it on the whole document; the serious and critical findings."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=base + "/static/vendor/axe.min.js")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))}));
    }""")
    return [v for v in result if v["impact"] in BLOCKING]


def _report(found):
    lines = []
    for where, violations in found:
        for v in violations:
            lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
            lines.extend(f"    {n}" for n in v["nodes"][:8])
            if len(v["nodes"]) > 8:
                lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def _login(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill("pw")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_main_pages_have_no_serious_or_critical_axe_violations(app, org, tmp_path, width):
    from playwright.sync_api import expect

    assert AXE.exists(), f"{AXE} is missing: `make vendor` copies it from node_modules/axe-core"
    handled = new_waiver(org.member)
    approve(handled, org.secretary, opinion="经支委会讨论，同意减免")
    waiting = new_waiver(org.member2)
    new_waiver(org.secretary)  # something in the secretary's 我发起的
    db.session.add(BudgetLine(year=2026, kind=list(BudgetLineKind)[0], amount=200000))
    db.session.commit()
    shots = os.environ.get("A11Y_SCREENSHOTS")
    found, errors, visited = [], [], []

    def check(name):
        visited.append(name)
        violations = axe_violations(page, base)
        h1 = page.locator("h1")
        if h1.count() != 1 or not h1.first.is_visible():  # every page shows exactly one h1
            violations.append({"id": "one-visible-h1", "impact": "serious", "help": "exactly one visible h1",
                               "nodes": [f"{h1.count()} h1, first visible: {h1.count() and h1.first.is_visible()}"]})
        found.append((f"{name} ({width})", violations))
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{name}-{width}.png"), full_page=True)

    with live_server(app) as base, chromium(tmp_path / "profile", viewport=VIEWPORTS[width]) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/login")
        check("login")

        _login(page, base, "secretary")
        for tab in ("todo", "done", "mine"):
            page.goto(f"{base}/inbox/{tab}")
            check(f"inbox-{tab}")
        page.goto(f"{base}/inbox/todo")
        card = page.locator(f"#inbox-item-{waiting.id}")
        card.get_by_role("button", name="处理").click()
        expect(card.get_by_role("button", name="同意", exact=True)).to_be_visible()
        check("inbox-todo-panel")
        page.goto(f"{base}/requests/{waiting.id}")
        check("request")
        page.goto(f"{base}/new")
        check("launch")

        _login(page, base, "orgdept")
        page.goto(f"{base}/budget/?year=2026")
        check("budget")
        page.goto(f"{base}/org/members")
        check("org-members")
        page.goto(f"{base}/requests/search")
        check("request-search")
        page.goto(f"{base}/requests/search?q=无此人")
        check("request-search-no-match")

        _login(page, base, "sysadmin")
        page.goto(f"{base}/admin/accounts")
        check("admin-accounts")

        _login(page, base, "supervisor")
        page.goto(f"{base}/audit/")
        check("audit-log")

    assert not errors, errors
    assert len(visited) == 13
    assert not any(v for _, v in found), "axe found serious or critical violations:\n" + _report(found)
