"""The main navigation (dangjian/web/nav.py, templates/base.html) as the test client gets it: which
items a user has, where they sit (the bar, 「党建工作」, 「更多」, the personal menu), and which item
is the current page (aria-current="page") — for the core pages and for every module's pages, derived
from the blueprint that serves the page."""
from html.parser import HTMLParser

import pytest

from dangjian import plugins
from dangjian.web.nav import current_key


class _Nav(HTMLParser):
    """The links and menu buttons of the header, with the menu each sits in."""

    def __init__(self):
        super().__init__()
        self.links, self.buttons, self._menus = [], {}, []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "button" and a.get("aria-controls"):
            self.buttons[a["aria-controls"]] = a
        if tag == "div" and a.get("class", "").startswith("dj-menu-list"):
            self._menus.append((a["id"], self._depth))
        if tag == "div":
            self._depth += 1
        if tag == "a" and "data-dj-nav" in a:
            self.links.append({"key": a["data-dj-nav"], "current": a.get("aria-current") == "page",
                               "menu": self._menus[-1][0] if self._menus else None, "href": a["href"],
                               "class": a.get("class", "")})

    def handle_endtag(self, tag):
        if tag == "div":
            self._depth -= 1
            if self._menus and self._menus[-1][1] == self._depth:
                self._menus.pop()


def nav_of(client, url: str) -> _Nav:
    resp = client.get(url)
    assert resp.status_code == 200, url
    html = resp.get_data(as_text=True)
    parser = _Nav()
    parser.feed(html[html.index("<header"):html.index("</header>")])
    return parser


def current(nav: _Nav) -> set[str]:
    return {link["key"] for link in nav.links if link["current"]}


@pytest.mark.parametrize("url, key", [
    ("/inbox/todo", "todo"), ("/inbox/done", "done"), ("/inbox/mine", "mine"), ("/new", "new"),
    ("/dues-waivers/new", "new"), ("/me", "me"), ("/me/delegations", "delegations"), ("/account/password", "password"),
    # module pages: each module's blueprint, whatever the page
    ("/care/registry", "care"), ("/care/visits", "care"), ("/care/roster", "care"), ("/care/registry/new", "care"),
    ("/talks", "talks"), ("/talks/compliance", "talks"), ("/talks/new", "talks"),
    ("/pairing", "pairing"), ("/pairing/volunteers", "pairing"), ("/pairing/new", "pairing"),
    ("/openness/", "notice"),  # 党务公开
])
def test_the_secretarys_current_page_is_marked_in_the_navigation(app, org, auth, client, url, key):
    auth.login(org.secretary)
    assert current(nav_of(client, url)) == {key}


def test_a_module_page_marks_its_entry_inside_the_menu_and_the_menu_button(app, org, auth, client):
    auth.login(org.secretary)
    nav = nav_of(client, "/care/registry")
    work = [link for link in nav.links if link["menu"] == "dj-menu-work"]
    assert [link["key"] for link in work] == ["care", "talks", "pairing", "notice"]  # 结对帮扶 is back for secretaries
    assert [link["key"] for link in work if link["current"]] == ["care"]
    assert "active" in nav.buttons["dj-menu-work"]["class"]
    assert nav.buttons["dj-menu-work"]["aria-expanded"] == "false"
    # On phones the same entries are in 「更多」, the current one marked there too.
    more = [link for link in nav.links if link["menu"] == "dj-menu-more" and link["key"] == "care"]
    assert more and all(link["current"] for link in more)
    # Nothing else is current; 待办 is not.
    assert current(nav) == {"care"}


def test_a_members_history_page_belongs_to_its_module(app, org, auth, client):
    auth.login(org.secretary)
    assert current(nav_of(client, f"/care/members/{org.member.member_id}/history")) == {"care"}


def test_a_plain_member_has_no_menu_and_no_current_item_on_a_request(app, org, auth, client):
    from tests.factories import new_waiver

    req = new_waiver(org.member)
    auth.login(org.member)
    nav = nav_of(client, f"/requests/{req.id}")
    assert current(nav) == set()
    assert "dj-menu-work" not in nav.buttons and "dj-menu-more" not in nav.buttons
    keys = [link["key"] for link in nav.links if link["menu"] is None]
    assert keys[:4] == ["todo", "done", "mine", "new"]
    # 我的信息 is in the personal menu under the name.
    assert [link["menu"] for link in nav.links if link["key"] == "me"] == ["dj-menu-user"]


@pytest.mark.parametrize("url, key", [
    ("/manage", "manage"), ("/budget/?year=2026", "manage"), ("/calendar/", "manage"), ("/cc/rules", "manage"),
    ("/org/members", "org"), ("/org/tree", "org"), ("/requests/search", "search"),
    ("/care/registry", "care"), ("/talks/compliance", "talks"), ("/pairing", "pairing"),
])
def test_org_depts_management_pages_mark_their_item(app, org, auth, client, url, key):
    auth.login(org.org_dept_user)
    nav = nav_of(client, url)
    assert current(nav) == {key}
    if key in ("manage", "org", "search"):  # in the bar on wide screens, in 「更多」 below 1200 px
        assert {link["menu"] for link in nav.links if link["key"] == key} == {None, "dj-menu-more"}


def test_the_supervisor_reaches_every_module_and_the_audit_log(app, org, auth, client):
    auth.login(org.supervisor)
    assert current(nav_of(client, "/supervision/")) == {"manage"}  # 监督统计, reached from 管理
    nav = nav_of(client, "/audit/")
    assert current(nav) == {"audit"}
    assert [link["key"] for link in nav.links if link["menu"] == "dj-menu-work"] == ["care", "talks", "pairing", "notice"]
    assert [link["key"] for link in nav.links if link["menu"] is None] == [
        "todo", "done", "mine", "new", "search", "manage", "org", "audit"]


def test_the_administrator_has_one_item_and_no_menu(app, org, auth, client):
    auth.login(org.sysadmin)
    nav = nav_of(client, "/admin/accounts")
    assert [(link["key"], link["menu"], link["current"]) for link in nav.links] == [
        ("admin", None, True), ("password", "dj-menu-user", False)]
    assert set(nav.buttons) == {"dj-menu-user"}


def test_a_package_page_reached_from_manage_marks_manage(app, org):
    """A user without the module's entry who opens one of its pages from 管理 sees 管理 current; a
    request type's entry is current on its own URL, and its other pages are not."""
    with app.test_request_context():
        assert current_key(org.org_dept_user, [], "talks.compliance", {}, "talks", "/talks/compliance") == "manage"
        assert current_key(org.org_dept_user, [], "talks.view", {"talk_id": 1}, "talks", "/talks/1") is None
        board = [{"key": "notice", "url": "/awards/publicity", "package": "award_nomination"}]
        assert current_key(org.member, board, "award_nomination.objection", {"request_id": 3},
                           "award_nomination", "/awards/publicity/3/objection") == "notice"
        assert current_key(org.member, board, "award_nomination.new", {}, "award_nomination",
                           "/awards/nominations/new") == "new"
        assert current_key(org.member, board, "award_nomination.edit", {"request_id": 3}, "award_nomination",
                           "/awards/nominations/3/edit") is None


def test_a_module_marks_its_pages_by_its_blueprints_name(app, org):
    """No list of pages: a module owns the blueprints named NAME or NAME_…; the closest URL wins when a
    module has two entries."""
    entries = [{"key": "care", "url": "/care/registry", "package": "care"},
               {"key": "care_visits", "url": "/care/visits", "package": "care"}]
    with app.test_request_context():
        assert plugins.module_of_blueprint("care") == "care"
        assert plugins.module_of_blueprint("inspection") == "inspection"  # a module merged later: no list to extend
        tasks = [{"key": "inspection", "url": "/inspection/tasks", "package": "inspection"}]
        assert current_key(org.secretary, tasks, "inspection.plan", {"plan_id": 1}, "inspection", "/inspection/plans/1") == "inspection"
        assert plugins.module_of_blueprint("award_nomination") is None  # a request type, not a module
        assert current_key(org.secretary, entries, "care.visit", {"visit_id": 1}, "care", "/care/visits/1") == "care_visits"
        assert current_key(org.secretary, entries, "care.roster", {}, "care", "/care/roster") == "care"
