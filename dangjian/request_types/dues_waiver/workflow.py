"""党费减免: 党支部讨论 → 二级党组织意见 → 校党委审批. 直属党支部 skip the middle step."""
from ...models import Role
from ...workflow import DocumentSpec, Step, Workflow
from ...workflow.definition import at_branch, at_school, at_secondary, has_secondary
from .documents import form_context
from .model import DuesWaiver

WORKFLOW = Workflow(
    steps=(
        Step("branch", "党支部讨论", "党支部讨论意见", Role.BRANCH_SECRETARY, at_branch,
             records_meeting=True, meeting_types=("branch_committee", "branch_assembly")),
        Step("secondary", "二级党组织意见", "二级党组织意见", Role.SECONDARY, at_secondary,
             applies=has_secondary),
        Step("school", "校党委审批", "校党委审批意见", Role.SCHOOL, at_school),
    ),
    documents=(
        DocumentSpec("dues_waiver_form", "党费减免审批表", "pdf/dues_waiver_form.html", form_context),
    ),
)

DuesWaiver.workflow = WORKFLOW
