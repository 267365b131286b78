"""The request types. Each package holds its model, workflow, form, views, documents and demo data.

A package plugs into the app through optional module attributes (its `__init__.py`):
- `blueprints`: Flask blueprints to register;
- `start_entries(user)`: what the user may start, as dicts (label, hint, url) for 发起申请;
- `admin_entries(user)`: management pages for the user, as dicts (label, hint, url) for 管理;
- `nav_entries(user)`: extra main-navigation items, as dicts (key, label, url);
- `load_demo(ctx)`: demo data, called by `flask demo load` after the organization exists;
- `periodic_tasks`: callables the ticker runs every round (e.g. closing 公示 periods).
"""
from . import award_nomination, condolence, dues_waiver, secretary_allowance

PACKAGES = (dues_waiver, condolence, secretary_allowance, award_nomination)


def _collect(name: str, *args) -> list:
    out = []
    for pkg in PACKAGES:
        fn = getattr(pkg, name, None)
        if fn is not None:
            out.extend(fn(*args))
    return out


def blueprints() -> list:
    return [bp for pkg in PACKAGES for bp in getattr(pkg, "blueprints", ())]


def start_entries(user) -> list[dict]:
    return _collect("start_entries", user)


def admin_entries(user) -> list[dict]:
    return _collect("admin_entries", user)


def nav_entries(user) -> list[dict]:
    return _collect("nav_entries", user)


def periodic_tasks() -> list:
    return [task for pkg in PACKAGES for task in getattr(pkg, "periodic_tasks", ())]


def load_demo(ctx) -> None:
    for pkg in PACKAGES:
        if hasattr(pkg, "load_demo"):
            pkg.load_demo(ctx)
