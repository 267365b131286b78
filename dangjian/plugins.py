"""The plug-in contract: how a package joins the app, in one place.

Two kinds of package plug in. Both are plain Python packages; the core only ever reaches them
through the attributes below, and `check()` holds every package to this contract at start-up
(`create_app` calls it), so a wrong package fails loudly instead of half-working.

Request types (`dangjian/request_types/<name>/`, listed in `request_types.PACKAGES`)
    Requests that move through the approval engine (党费减免, 慰问金, 兼职支部书记补贴, 表彰推荐).
    Their NAME (the package's last dotted name) must equal, everywhere:
    - the polymorphic identity of their model (`Request.type`): a `Request` subclass declared with
      `__mapper_args__ = {"polymorphic_identity": NAME}` and carrying `workflow` (a `Workflow`);
    - the name of one of their blueprints: the core builds `url_for(NAME + ".edit", ...)`;
    - a template folder `templates/NAME/` holding `_fields.html` (the detail page and the 待办 panel
      include `NAME/_fields.html`).

Modules (`dangjian/<name>/`, listed in `MODULES` below)
    Whole features beside the request types (困难党员台账, 谈心谈话, 党建考核, 党务公开 …): their own
    models, operations, views and templates. Rules:
    - every blueprint's name is NAME or starts with NAME + "_";
    - their templates live in `templates/NAME/`;
    - anything with a lifecycle changes state through declared transitions with the engine's
      guarantees: a conditional UPDATE, an audit row (codes labelled in supervision/actions.py),
      the user's scope, and recusal where a person judges their own unit.

Optional attributes of either kind (all in the package's `__init__.py`):
- `blueprints`: Flask blueprints to register;
- `start_entries(user)`: what the user may start, as dicts (label, hint, url[, icon]) for 发起申请;
- `admin_entries(user)`: management pages, as dicts (label, hint, url[, icon]) for 管理;
- `nav_entries(user)`: the user's items for the main navigation, as dicts (key, label, url[, short,
  icon]). They all go under one menu, 「党建工作」 (dangjian/web/nav.py; in the bar itself when a user
  has only one, and then `short`, at most 4 characters, is its label on a phone's bottom bar). `key`
  is unique in the navigation and none of `CORE_NAV_KEYS`; `icon` names an icon in
  templates/_icons.html (default: `key`; a generic icon for a name it lacks). The current page's
  item is derived: a module's entry is current on every page of the module's blueprints, any entry
  on its own URL and below it — so an entry lists no pages. Entries depend on the user, so
  `check()` cannot see them at start-up: `nav_entries` below checks them on every page, and a
  malformed one fails loudly;
- `load_demo(ctx)`: demo data, called by `flask demo load` after the organization exists
  (request types first, then modules, each in the order listed);
- `periodic_tasks`: callables the ticker (`flask ticker`) runs every round;
- `member_history(member, viewer)`: the help a member received through this package, for the
  member's 帮扶历史 page, as dicts (on: date, kind: short label, summary: text, url: link or None),
  already cut to what `viewer` may see (hardship text only where the viewer's scope allows);
- `supervision_figures(org, year, viewer)`: figures for 纪委's supervision dashboard for one
  organization (and its subtree) and year, as dicts (key, label, value, url: drill-down or None,
  alert: True when the figure means something is overdue or open);
- `member_status_changed(member, before, user)`: a member's 党籍状态 has just changed (出党, 去世 …;
  `member.status` is the new one, `before` the old, `user` who recorded it: the member page or the
  Excel import), called inside that transaction before its commit: the package settles what the
  member had open (its own history and audit rows) and never commits.
Anything else a package needs from the core it imports itself; the core imports nothing from a
package except through this list.
"""
from __future__ import annotations

import os

from flask import Blueprint, Flask

from . import assessment, care, inspection, openness, pairing, request_types, talks

# Feature modules, in navigation order. A module joins by being added here.
MODULES: tuple = (care, talks, pairing, assessment, openness, inspection)

# The core navigation's own item keys (dangjian/web/nav.py): no package's entry may take one.
CORE_NAV_KEYS = frozenset({"todo", "done", "mine", "new", "search", "manage", "org", "audit", "admin", "me"})

_CALLABLES = ("start_entries", "admin_entries", "nav_entries", "load_demo", "member_history",
              "supervision_figures", "member_status_changed")


class PluginContractError(RuntimeError):
    """A package breaks the contract above; the message says which package and which rule."""


def packages() -> tuple:
    return tuple(request_types.PACKAGES) + tuple(MODULES)


def name_of(pkg) -> str:
    return pkg.__name__.rsplit(".", 1)[-1]


def _collect(attr: str, *args) -> list:
    out = []
    for pkg in packages():
        fn = getattr(pkg, attr, None)
        if fn is not None:
            out.extend(fn(*args))
    return out


def blueprints() -> list:
    return [bp for pkg in packages() for bp in getattr(pkg, "blueprints", ())]


def start_entries(user) -> list[dict]:
    return _collect("start_entries", user)


def admin_entries(user) -> list[dict]:
    return _collect("admin_entries", user)


def nav_entries(user) -> list[dict]:
    """Every package's navigation entries, each marked with its package's name (`package`)."""
    out, keys = [], set()
    for pkg in packages():
        fn = getattr(pkg, "nav_entries", None)
        for entry in (fn(user) if fn else ()):
            name = name_of(pkg)
            missing = [k for k in ("key", "label", "url") if not entry.get(k)]
            if missing or entry["key"] in keys | CORE_NAV_KEYS or len(entry.get("short") or "") > 4:
                raise PluginContractError(
                    f"{pkg.__name__}: nav entry {entry!r} needs a key of its own (not a core item's, not "
                    "another entry's), a label and a url, and a short label of at most 4 characters "
                    "(see dangjian/plugins.py)")
            keys.add(entry["key"])
            out.append({**entry, "package": name})
    return out


def package_of_blueprint(blueprint: str | None):
    """The package (request type or module) that registered the blueprint named so, or None."""
    if blueprint:
        for pkg in packages():
            if any(bp.name == blueprint for bp in getattr(pkg, "blueprints", ())):
                return pkg
    return None


def module_of_blueprint(blueprint: str | None) -> str | None:
    """The name of the module whose blueprint this is (NAME or NAME_…), or None."""
    pkg = package_of_blueprint(blueprint)
    return name_of(pkg) if pkg in MODULES else None


def member_history(member, viewer) -> list[dict]:
    """All packages' entries for one member, newest first."""
    return sorted(_collect("member_history", member, viewer), key=lambda e: e["on"], reverse=True)


def supervision_figures(org, year: int, viewer) -> list[dict]:
    return _collect("supervision_figures", org, year, viewer)


def member_status_changed(member, before, user) -> None:
    """Tell every package that `member`'s 党籍状态 changed from `before` (inside the caller's transaction)."""
    for pkg in packages():
        fn = getattr(pkg, "member_status_changed", None)
        if fn is not None:
            fn(member, before, user)


def periodic_tasks() -> list:
    return [task for pkg in packages() for task in getattr(pkg, "periodic_tasks", ())]


def load_demo(ctx) -> None:
    for pkg in packages():
        if hasattr(pkg, "load_demo"):
            pkg.load_demo(ctx)


def _common_problems(pkg, name: str) -> list[str]:
    problems = []
    if not name.isidentifier() or name != name.lower():
        problems.append(f"name {name!r} must be a lower-case identifier")
    bps = getattr(pkg, "blueprints", ())
    if not isinstance(bps, (list, tuple)) or not all(isinstance(bp, Blueprint) for bp in bps):
        problems.append("`blueprints` must be a list of flask.Blueprint")
    for attr in _CALLABLES:
        if hasattr(pkg, attr) and not callable(getattr(pkg, attr)):
            problems.append(f"`{attr}` must be callable")
    tasks = getattr(pkg, "periodic_tasks", ())
    if not isinstance(tasks, (list, tuple)) or not all(callable(t) for t in tasks):
        problems.append("`periodic_tasks` must be a list of callables")
    return problems


def _request_type_problems(pkg, name: str, template_folder: str) -> list[str]:
    from .models import Request
    from .workflow.definition import Workflow

    problems = []
    if name not in {getattr(bp, "name", None) for bp in getattr(pkg, "blueprints", ())}:
        problems.append(f"no blueprint named {name!r} (the core links to {name}.edit)")
    if not os.path.isfile(os.path.join(template_folder, name, "_fields.html")):
        problems.append(f"no template templates/{name}/_fields.html")
    mapper = Request.__mapper__.polymorphic_map.get(name)
    if mapper is None:
        problems.append(f"no Request model with polymorphic_identity {name!r}")
    elif not isinstance(getattr(mapper.class_, "workflow", None), Workflow):
        problems.append(f"model {mapper.class_.__name__} carries no `workflow`")
    return problems


def _module_problems(pkg, name: str, template_folder: str) -> list[str]:
    problems = []
    for bp in getattr(pkg, "blueprints", ()):
        if isinstance(bp, Blueprint) and not (bp.name == name or bp.name.startswith(name + "_")):
            problems.append(f"blueprint {bp.name!r} must be named {name!r} or {name}_…")
    if getattr(pkg, "blueprints", ()) and not os.path.isdir(os.path.join(template_folder, name)):
        problems.append(f"no template folder templates/{name}/")
    return problems


def problems(template_folder: str) -> list[str]:
    """Every breach of the contract, as 'package: rule' lines (empty when all packages comply)."""
    out, seen = [], set()
    for pkg in packages():
        name = name_of(pkg)
        if name in seen:
            out.append(f"{pkg.__name__}: name {name!r} is used by two packages")
        seen.add(name)
        found = _common_problems(pkg, name)
        if pkg in request_types.PACKAGES:
            found += _request_type_problems(pkg, name, template_folder)
        else:
            found += _module_problems(pkg, name, template_folder)
        out.extend(f"{pkg.__name__}: {p}" for p in found)
    return out


def check(app: Flask) -> None:
    found = problems(app.template_folder)
    if found:
        raise PluginContractError("plug-in contract broken (see dangjian/plugins.py):\n  " + "\n  ".join(found))
