"""In headless Chromium, CSRF on (issue 10 §5): 组织部 grades a branch's self-evaluation 「一般」
through the app's confirm dialog, records the 约谈 and sets an 整改 task; the branch secretary
hands in the evidence; 组织部 signs it off, and the assessment reads 已整改."""
import os
from datetime import timedelta
from decimal import Decimal

from dangjian.assessment import operations
from dangjian.assessment.grades import AssessmentGrade
from dangjian.assessment.models import Assessment, AssessmentState, TaskState
from dangjian.extensions import db
from dangjian.models import Role
from dangjian.timeutil import local_today
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import make_user
from tests.factories_assessment import assessment
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_graded_fair_then_interview_and_a_task_closed_in_the_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    make_user("zuzhibu2", None, [(Role.ORG_DEPT, org.org_dept)])
    a = assessment(org.branch_a1, org.org_dept_user, 2025)
    db.session.commit()
    operations.submit(org.secretary, a, "全年开展“三会一课”，但组织生活会质量不高。", Decimal("78"))
    deadline = (local_today() + timedelta(days=30)).isoformat()
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("zuzhibu2")
        page.goto(f"{base}/assessments/view/{a.id}")
        page.get_by_label("考核得分").fill("72")
        page.get_by_label("考核等次").select_option(label="一般")
        page.get_by_role("button", name="评定", exact=True).click()
        assert confirm_dialog(page) == "确定评定吗？评定后不能修改；「一般」「差」将进入约谈与整改。"
        expect(page.get_by_text("已评定会计学院教工第一党支部2025年度党建考核：72分，「一般」")).to_be_visible()
        expect(page.locator("#assessment-state")).to_have_text("整改中")

        form = page.locator("#interview-form")
        form.get_by_label("地点").fill("行政楼312会议室")
        form.get_by_label("被约谈人").fill("会计学院教工第一党支部书记 李书记")
        form.get_by_label("约谈情况").fill("指出组织生活会质量不高，书记表态一个月内重开组织生活会。")
        form.get_by_role("button", name="保存约谈记录").click()
        expect(page.get_by_text("已记录约谈")).to_be_visible()
        expect(page.locator("#interviews")).to_contain_text("会计学院教工第一党支部书记 李书记")

        form = page.locator("#task-form")
        form.get_by_label("存在问题").fill("组织生活会批评与自我批评流于形式。")
        form.get_by_label("整改期限").fill(deadline)
        form.get_by_role("button", name="下达整改任务").click()
        expect(page.get_by_text("已下达整改任务")).to_be_visible()
        _shot(page, "assessment-rectifying.png")
        s.logout()

        s.login("secretary")
        page.goto(f"{base}/assessments/view/{a.id}")
        task = page.locator("[id^=task-]").filter(has_text="流于形式").first
        task.get_by_label("整改情况").fill("已于本月重开组织生活会，逐人开展批评与自我批评，形成会议记录。")
        task.get_by_role("button", name="提交整改情况").click()
        expect(page.get_by_text("已提交整改情况，等待组织部验收")).to_be_visible()
        s.logout()

        s.login("zuzhibu2")
        page.goto(f"{base}/assessments/view/{a.id}")
        page.get_by_role("button", name="验收销号").click()
        assert confirm_dialog(page) == "确定验收销号吗？销号后不能撤回。"
        expect(page.get_by_text("已验收销号；整改任务已全部销号，该组织整改完成")).to_be_visible()
        expect(page.locator("#assessment-state")).to_have_text("已整改")
        _shot(page, "assessment-rectified.png")
        page.set_viewport_size({"width": 390, "height": 844})
        _shot(page, "assessment-rectified-390.png")

    assert errors == []
    db.session.expire_all()
    fresh = db.session.get(Assessment, a.id)
    assert (fresh.state, fresh.grade) == (AssessmentState.RECTIFIED, AssessmentGrade.FAIR)
    assert [t.state for t in fresh.tasks] == [TaskState.CLOSED] and len(fresh.interviews) == 1
