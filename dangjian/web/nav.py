"""The main navigation (base.html): what a user sees in it, in which group, and which item is the
current page (aria-current="page").

Three groups, so that the bar holds any number of modules at every width:
- `core`: 待办, 已办, 我发起的, 发起申请 — always in the bar, on a phone too;
- `work`: every package's `nav_entries` (plugins.py), under one menu, 「党建工作」 (shown in the bar
  itself when the user has only one);
- `tools`: 申请查询, 管理, 组织与党员, 审计日志, 账号与角色 — in the bar on wide screens, under
  「更多」 on laptops below 1200 px; on phones and tablets `work` and `tools` share one 「更多」, so
  the bottom bar never holds more than five items.
我的信息 is in the personal menu under the user's name, beside 委托代理 and 修改密码.

The current item is derived, not listed: core pages by their blueprint; a module's pages by the
module's blueprints (named NAME or NAME_…, plugins.py), so a new module highlights itself; any
package's entry on its own URL and below it; and a package's page reached from 发起申请 or 管理 (the
user has no entry of that package in `work`) highlights 发起申请 or 管理.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for

from .. import plugins

# Core blueprints and the navigation item their pages belong to.
CORE_BLUEPRINTS = {
    "launch": "new", "budget": "manage", "cc": "manage", "schedule": "manage", "overdue_report": "manage",
    "archive": "manage", "supervision": "manage", "me": "me", "admin": "admin", "org": "org",
    "audit_log": "audit", "request_search": "search",
}


def _under(path: str, url: str) -> int:
    """How closely `path` lies at or below `url`'s path: its length when it does, else 0."""
    base = urlsplit(url).path.rstrip("/")
    if base and (path == base or path.startswith(base + "/")):
        return len(base)
    return 0


def _core_key(endpoint: str, view_args: dict) -> str | None:
    if endpoint == "inbox.tab":
        return view_args.get("tab")
    if endpoint == "launch.manage":
        return "manage"
    blueprint = endpoint.partition(".")[0]
    if blueprint == "imports":
        return "admin" if view_args.get("area") == "admin" else "org"
    if endpoint.startswith("notifications.robot"):
        return "org"
    return CORE_BLUEPRINTS.get(blueprint)


def _entry_key(entries: list[dict], blueprint: str | None, path: str) -> str | None:
    """The package entry this page belongs to: the one whose URL the path lies under (the closest),
    else the entry of the module that owns the page's blueprint."""
    owner = plugins.module_of_blueprint(blueprint)
    best, score = None, 0
    for e in entries:
        depth = _under(path, e["url"])
        s = depth + 1 if depth else (1 if owner and e["package"] == owner else 0)
        if s > score:
            best, score = e["key"], s
    return best


def current_key(user, entries: list[dict], endpoint: str, view_args: dict, blueprint: str | None,
                path: str) -> str | None:
    """The key of the navigation item for this page, or None when no item holds it."""
    key = _core_key(endpoint, view_args)
    if key:
        return key
    key = _entry_key(entries, blueprint, path)
    if key:
        return key
    if endpoint.endswith(".new"):
        return "new"
    if plugins.package_of_blueprint(blueprint) is None:
        return None
    # A package's page the user reached from 管理 or 发起申请 (not from an entry of theirs).
    from .launch import core_admin_entries
    if any(_under(path, e["url"]) for e in core_admin_entries(user) + plugins.admin_entries(user)):
        return "manage"
    if any(_under(path, e["url"]) for e in plugins.start_entries(user)):
        return "new"
    return None


def _item(key, label, url, short=None, icon=None) -> dict:
    return {"key": key, "label": label, "url": url, "short": short, "icon": icon or key, "current": False}


def main_nav(user, *, admin_only: bool, can_manage: bool, nav_org: bool, nav_audit: bool,
             nav_admin: bool, search_entries: list[dict]) -> dict:
    """The navigation for `user` on the current request: {core, work, tools, me, current}."""
    core, work, tools = [], [], []
    if not admin_only:
        core = [_item("todo", "待办", url_for("inbox.tab", tab="todo")),
                _item("done", "已办", url_for("inbox.tab", tab="done")),
                _item("mine", "我发起的", url_for("inbox.tab", tab="mine"), "我发起"),
                _item("new", "发起申请", url_for("launch.start"), "发起")]
        work = [dict(_item(e["key"], e["label"], e["url"], e.get("short"), e.get("icon")), package=e["package"])
                for e in plugins.nav_entries(user)]
        tools += [_item(e["key"], e["label"], e["url"], e.get("short")) for e in search_entries]
    if can_manage:
        tools.append(_item("manage", "管理", url_for("launch.manage")))
    if nav_org:
        tools.append(_item("org", "组织与党员", url_for("org.members"), "党员"))
    if nav_audit:
        tools.append(_item("audit", "审计日志", url_for("audit_log.index"), "审计"))
    if nav_admin:
        tools.append(_item("admin", "账号与角色", url_for("admin.accounts"), "账号"))
    me = _item("me", "我的信息", url_for("me.profile")) if user.member_id and not admin_only else None

    key = current_key(user, work, request.endpoint or "", request.view_args or {}, request.blueprint,
                      request.path)
    for it in core + work + tools + ([me] if me else []):
        it["current"] = it["key"] == key
    return {"core": core, "work": work, "tools": tools, "me": me, "current": key, "admin_only": admin_only,
            "work_current": any(it["current"] for it in work),
            "tools_current": any(it["current"] for it in tools)}
