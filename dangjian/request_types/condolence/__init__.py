"""慰问金 condolence and sympathy payment (§三(二)2, §三(三)1, §四). See workflow.py for the steps."""
from flask import url_for

from . import model, workflow  # noqa: F401  (workflow attaches itself to the model)
from . import campaign  # noqa: F401  (its routes are on the blueprint of views.py)
from .demo import load_demo  # noqa: F401
from .standards import can_manage_standards
from .views import applicable_members, bp, can_start

blueprints = [bp]


def start_entries(user) -> list[dict]:
    if not can_start(user) or not applicable_members(user):
        return []
    return [
        {"label": "慰问金", "hint": "党员亡故、患病住院、家庭意外、生活特殊困难，或定期走访老党员、老模范时，为党员申请慰问金",
         "url": url_for("condolence.new"), "icon": "new"},
        {"label": "七一/春节集中慰问", "hint": "为本单位困难党员台账中的党员一次生成慰问金草稿，逐一核对后提交",
         "url": url_for("condolence.campaign"), "icon": "new"},
    ]


def admin_entries(user) -> list[dict]:
    if not can_manage_standards(user):
        return []
    return [{"label": "慰问金标准", "hint": "各类别慰问标准与报校级审批金额线，调整留痕",
             "url": url_for("condolence.standards")}]
