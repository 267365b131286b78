"""党费减免 dues waiver (§三(二)3)."""
from flask import url_for

from . import model, workflow  # noqa: F401  (workflow attaches itself to the model)
from .views import applicable_members, bp

blueprints = [bp]


def start_entries(user) -> list[dict]:
    if not applicable_members(user):
        return []
    return [{"label": "党费减免", "hint": "生活困难党员申请减免党费，本人申请或支部代为申请",
             "url": url_for("dues_waiver.new"), "icon": "new"}]
