"""The 巡察/监督检查 pages as their users meet them: 纪委 records a plan, a finding and a task; the unit
submits evidence; 纪委 signs it off. Scope: every page, file and export answers 404 outside it."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.inspection.models import InspectionFile, InspectionPlan, InspectionTask, TaskState
from dangjian.models import AuditEvent
from dangjian.timeutil import local_today
from tests.test_inspection_tasks import PNG, new_plan, new_task, png
from dangjian.inspection import tasks


@pytest.fixture
def task_a(org):
    """A task of 会计学院党委 with evidence submitted, and one of 会计学院教工第一党支部."""
    t = new_task(org)
    t = tasks.act(t, org.secondary, "submit", version=t.version, note="已整改。", files=[png()])
    branch = new_task(org, owner=org.branch_a1, plan=t.finding.plan)
    return t, branch


def test_jiwei_records_a_plan_a_finding_and_a_task_and_the_unit_closes_it(app, org, auth, client):
    today = local_today()
    auth.login(org.supervisor)
    form = client.get("/inspection/plans/new").get_data(as_text=True)
    assert "会计学院党委" in form and "　会计学院教工第一党支部" in form
    bad = client.post("/inspection/plans/new", data={"year": str(today.year), "kind": "inspection", "title": "",
                                                     "starts_on": today.isoformat(), "ends_on": today.isoformat(),
                                                     "team": "组长：纪检", "unit_ids": [str(org.sec_a.id)]})
    assert bad.status_code == 200 and "请填写计划名称" in bad.get_data(as_text=True)
    resp = client.post("/inspection/plans/new", data={
        "year": str(today.year), "kind": "inspection", "title": "第一轮巡察", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(), "team": "组长：纪检", "unit_ids": [str(org.sec_a.id)]})
    plan = db.session.scalar(select(InspectionPlan))
    assert resp.status_code == 302 and resp.location.endswith(f"/inspection/plans/{plan.id}")
    page = client.get(resp.location).get_data(as_text=True)
    assert "已新建计划「第一轮巡察」" in page and "尚未记录发现的问题" in page

    resp = client.post(f"/inspection/plans/{plan.id}/findings", data={"org_id": str(org.sec_b.id), "severity": "major",
                                                                      "text": "签收单不全。"})
    assert "请选择本计划覆盖的单位" in resp.get_data(as_text=True)
    resp = client.post(f"/inspection/plans/{plan.id}/findings", data={"org_id": str(org.sec_a.id), "severity": "major",
                                                                      "text": "签收单不全。"})
    assert resp.status_code == 302
    finding = plan.findings[0]
    resp = client.post(f"/inspection/findings/{finding.id}/tasks", data={
        "owner_org_id": str(org.sec_a.id), "requirement": "补齐签收单", "deadline": (today - timedelta(days=1)).isoformat()})
    assert "整改期限不能早于今天" in resp.get_data(as_text=True)
    resp = client.post(f"/inspection/findings/{finding.id}/tasks", data={
        "owner_org_id": str(org.sec_a.id), "requirement": "补齐签收单", "deadline": (today + timedelta(days=7)).isoformat()})
    assert resp.status_code == 302
    task = db.session.scalar(select(InspectionTask))
    assert "已向会计学院党委下达整改任务" in client.get(resp.location).get_data(as_text=True)

    auth.login(org.secondary)
    assert ">整改任务<" in client.get("/inbox/todo").get_data(as_text=True)  # the unit finds its tasks in the navigation
    page = client.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    assert "提交整改材料" in page and "验收销号" not in page
    resp = client.post(f"/inspection/tasks/{task.id}/submit", data={"version": str(task.version), "note": "已补齐。"})
    assert resp.status_code == 200 and "至少一个文件" in resp.get_data(as_text=True)
    resp = client.post(f"/inspection/tasks/{task.id}/submit", data={
        "version": str(task.version), "note": "已补齐签收单，建立发放台账。", "files": [(io.BytesIO(PNG), "签收单.png")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    assert "已提交整改材料，待纪委验收" in client.get(resp.location).get_data(as_text=True)

    auth.login(org.supervisor)
    db.session.expire_all()
    task = db.session.get(InspectionTask, task.id)
    page = client.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    assert "签收单.png" in page and "已补齐签收单，建立发放台账。" in page
    resp = client.post(f"/inspection/tasks/{task.id}/return", data={"version": str(task.version), "note": ""})
    assert "请填写退回理由" in resp.get_data(as_text=True)
    resp = client.post(f"/inspection/tasks/{task.id}/sign_off", data={"version": str(task.version), "note": "同意销号"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(InspectionTask, task.id).state is TaskState.CLOSED
    # The page the other click came from: the task has moved on.
    resp = client.post(f"/inspection/tasks/{task.id}/return", data={"version": str(task.version), "note": "不足"})
    assert "当前为「已销号」" in resp.get_data(as_text=True)


@pytest.mark.parametrize("who,plans,task,branch_task,file", [
    ("supervisor", 200, 200, 200, 200),
    ("org_dept_user", 200, 200, 200, 200),
    ("secondary", 200, 200, 200, 200),
    ("secretary", 200, 404, 200, 404),  # 会计学院教工第一党支部: its own task only
    ("secondary_b", 404, 404, 404, 404),
    ("secretary_b", 404, 404, 404, 404),
    ("school_user", 404, 404, 404, 404),
    ("member", 404, 404, 404, 404),
    ("sysadmin", 404, 404, 404, 404),
])
def test_scope_of_every_page_and_file(app, org, auth, client, task_a, who, plans, task, branch_task, file):
    t, branch = task_a
    evidence = db.session.scalar(select(InspectionFile))
    auth.login(getattr(org, who))
    listing = 404 if who in ("school_user", "member", "sysadmin") else 200
    assert client.get("/inspection/plans").status_code == listing
    assert client.get("/inspection/tasks").status_code == listing
    assert client.get(f"/inspection/plans/{t.finding.plan_id}").status_code == plans
    assert client.get(f"/inspection/tasks/{t.id}").status_code == task
    assert client.get(f"/inspection/tasks/{branch.id}").status_code == branch_task
    assert client.get(f"/inspection/files/{evidence.id}").status_code == file
    resp = client.post(f"/inspection/tasks/{t.id}/sign_off", data={"version": str(t.version)})
    if task == 404:
        assert resp.status_code == 404
    elif who != "supervisor":  # in scope, not 纪委: the page says why, and nothing changes
        assert resp.status_code == 200 and "只有纪委可以验收销号" in resp.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(InspectionTask, t.id).state is TaskState.SUBMITTED
    # Only 纪委 records: the forms are not there for anyone else.
    expected_new = 200 if who == "supervisor" else 404
    assert client.get("/inspection/plans/new").status_code == expected_new


def test_the_export_lists_what_the_user_sees_and_is_audited(app, org, auth, client, task_a):
    t, branch = task_a
    auth.login(org.secretary)
    resp = client.get("/inspection/tasks/export.xlsx")
    rows = list(load_workbook(io.BytesIO(resp.data))["整改任务"].iter_rows(min_row=2, values_only=True))
    assert [r[5] for r in rows] == ["会计学院教工第一党支部"]
    auth.login(org.supervisor)
    rows = list(load_workbook(io.BytesIO(client.get("/inspection/tasks/export.xlsx?state=all").data))["整改任务"]
                .iter_rows(min_row=2, values_only=True))
    assert sorted(r[5] for r in rows) == ["会计学院党委", "会计学院教工第一党支部"]
    assert {r[8] for r in rows} == {"待验收", "待整改"}
    auth.login(org.secondary_b)
    rows = list(load_workbook(io.BytesIO(client.get("/inspection/tasks/export.xlsx?state=all").data))["整改任务"]
                .iter_rows(min_row=2, values_only=True))
    assert rows == []
    auth.login(org.member)
    assert client.get("/inspection/tasks/export.xlsx").status_code == 404
    exported = db.session.scalars(select(AuditEvent.user_id).where(AuditEvent.action == "inspection.tasks.exported")
                                  .order_by(AuditEvent.id)).all()
    assert exported == [org.secretary.id, org.supervisor.id, org.secondary_b.id]


def test_the_task_list_filters_overdue_and_says_so(app, org, auth, client, task_a):
    t, branch = task_a
    from sqlalchemy import update
    db.session.execute(update(InspectionTask).where(InspectionTask.id == branch.id)
                       .values(deadline=local_today() - timedelta(days=2)))
    db.session.commit()
    auth.login(org.supervisor)
    page = client.get("/inspection/tasks?state=overdue").get_data(as_text=True)
    assert "已逾期 2 天" in page and "会计学院教工第一党支部" in page and page.count("table-danger") == 1
    empty = client.get(f"/inspection/tasks?state=overdue&unit_id={org.sec_b.id}").get_data(as_text=True)
    assert "没有符合条件的整改任务" in empty


def test_a_plan_page_shows_a_unit_only_its_own_findings(app, org, auth, client):
    plan = new_plan(org, units=[org.sec_a, org.sec_b])
    from dangjian.inspection import operations
    operations.add_finding(plan, org.supervisor, org_id=org.sec_a.id, text="会计学院的问题。", severity="minor")
    operations.add_finding(plan, org.supervisor, org_id=org.sec_b.id, text="经济学院的问题。", severity="minor")
    auth.login(org.secondary_b)
    page = client.get(f"/inspection/plans/{plan.id}").get_data(as_text=True)
    assert "经济学院的问题。" in page and "会计学院的问题。" not in page
    assert "记录发现的问题" not in page


def test_a_long_task_list_pages_like_every_list_and_keeps_its_filter(app, org, auth, client, monkeypatch):
    from dangjian.inspection import views
    monkeypatch.setattr(views, "PER_PAGE", 2)
    plan = new_plan(org)
    for _ in range(5):
        new_task(org, plan=plan)
    auth.login(org.supervisor)
    first = client.get(f"/inspection/tasks?unit_id={org.sec_a.id}").get_data(as_text=True)
    nav = first.split('aria-label="分页"')[1].split("</nav>")[0]
    assert 'class="page-item active" aria-current="page"' in nav and "上一页" in nav and "下一页" in nav
    assert f'href="/inspection/tasks?page=2&amp;unit_id={org.sec_a.id}&amp;state=unfinished">下一页' in nav  # filters kept
    last = client.get(f"/inspection/tasks?page=3&unit_id={org.sec_a.id}").get_data(as_text=True)
    assert len(set(re.findall(r'href="/inspection/tasks/(\d+)"', last))) == 1  # 5 tasks, 2 a page: one on the last
