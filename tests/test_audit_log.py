"""纪委's audit log (issue 6 §7): a paged viewer filterable by person, action, object and date,
an .xlsx export of the filtered view, 404 for everyone else, and every view and export audited."""
import io
import json
import pathlib
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Role, RoleAssignment
from dangjian.supervision import actions
from dangjian.workflow.definition import Action
from tests.factories import approve, new_waiver
from tests.test_scope import approved_waiver, finish_document

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORG_USERS = ["member", "member2", "secretary", "committee", "secretary_a2", "secondary", "member_b",
             "secretary_b", "secondary_b", "org_dept_user", "school_user", "school_user2", "sysadmin",
             "direct_member", "direct_secretary"]


def labels(html: str) -> list[str]:
    """The action labels of the table's rows, top to bottom."""
    body = html.split('<tbody>', 1)[1].split('</tbody>', 1)[0] if '<tbody>' in html else ""
    return re.findall(r'<span class="fw-semibold">([^<]+)</span>', body)


def details(html: str) -> list[str]:
    """The detail cells (the wide-screen column) of the table's rows, as text."""
    cells = re.findall(r'<td class="d-none d-lg-table-cell" data-col="detail">(.*?)</td>', html, re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def add_event(action, at, user=None, **detail):
    db.session.execute(insert(AuditEvent).values(
        action=action, user_id=user.id if user else None, created_at=at, ip="10.0.0.9",
        detail=json.dumps(detail, ensure_ascii=False) if detail else ""))
    db.session.commit()


@pytest.fixture
def supervisor(org, auth):
    auth.login(org.supervisor)
    return org.supervisor


# --- who may read it --------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/audit/", "/audit/export.xlsx", "/audit/?action=auth.login&page=2"])
@pytest.mark.parametrize("who", ORG_USERS)
def test_everyone_but_the_supervisor_gets_404(app, org, auth, client, who, url):
    auth.login(getattr(org, who))
    assert client.get(url).status_code == 404


def test_a_visitor_is_sent_to_the_login_page(app, org, client):
    resp = client.get("/audit/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_an_administrator_who_also_holds_the_supervisor_role_still_gets_404(app, org, auth, client):
    """三员分立: the security auditor reads the log, never the administrator."""
    org.sysadmin.role_assignments.append(RoleAssignment(role=Role.SUPERVISOR, organization=org.school))
    db.session.commit()
    auth.login(org.sysadmin)
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.xlsx").status_code == 404


def test_only_the_supervisor_has_the_nav_entry(app, org, auth, client):
    auth.login(org.supervisor)
    assert 'href="/audit/"' in client.get("/inbox/todo").get_data(as_text=True)
    auth.login(org.org_dept_user)
    assert 'href="/audit/"' not in client.get("/inbox/todo").get_data(as_text=True)


# --- the viewer -------------------------------------------------------------------------

def test_the_log_shows_newest_first_with_labels_links_and_readable_details(app, org, auth, client):
    req = new_waiver(org.member)
    approve(req, org.secretary, opinion="同意减免")
    auth.login(org.supervisor)
    html = client.get("/audit/").get_data(as_text=True)
    shown = labels(html)
    # Newest first: the supervisor's own sign-in, then the approval, the submission, the creation.
    request_rows = [x for x in shown if x in ("新建申请", "提交申请", "同意")]
    assert request_rows == ["同意", "提交申请", "新建申请"]
    assert shown.index("登录") < shown.index("同意")
    assert f'<a href="/requests/{req.id}">{req.number}</a>' in html  # 纪委 may open the request
    assert "原状态：</span>审批中" in html and "环节：</span>党支部" in html
    assert "李书记（secretary）" in html
    assert "127.0.0.1" in html


def test_the_page_is_paged_and_the_pages_keep_the_filters(app, org, supervisor, client):
    for i in range(120):
        add_event("document.download", datetime(2026, 3, 1, 2, 0, i % 60), org.member, number=f"DF-2026-{i:04d}")
    html = client.get("/audit/?action=document.download").get_data(as_text=True)
    assert len(labels(html)) == 50 and "共 120 条，第 1 / 3 页" in html
    assert "/audit/?page=2&amp;action=document.download" in html or "action=document.download&amp;page=2" in html
    html = client.get("/audit/?action=document.download&page=3").get_data(as_text=True)
    assert len(labels(html)) == 20 and labels(html) == ["下载文件"] * 20


def test_filter_by_person_matches_account_or_name_and_failed_sign_ins(app, org, auth, client):
    new_waiver(org.member)  # 王喆 (member) creates and submits
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"username": "nobody", "password": "wrong"})
    auth.login(org.supervisor)
    by_name = labels(client.get("/audit/?person=王喆").get_data(as_text=True))
    assert by_name == ["提交申请", "新建申请"]
    by_account = labels(client.get("/audit/?person=membe").get_data(as_text=True))
    assert by_account == ["提交申请", "新建申请"]
    html = client.get("/audit/?person=nobody").get_data(as_text=True)
    assert labels(html) == ["登录失败"] and "未登录（尝试账号 nobody）" in html
    assert "原因：</span>账号不存在" in html


def test_filter_by_action_and_by_action_group(app, org, supervisor, client):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    assert labels(client.get("/audit/?action=request.approve").get_data(as_text=True)) == ["同意"]
    group = labels(client.get("/audit/?action=group:request").get_data(as_text=True))
    assert group == ["同意", "提交申请", "新建申请"]
    html = client.get("/audit/").get_data(as_text=True)
    assert '<optgroup label="申请审批">' in html and '<option value="request.reject">不同意</option>' in html


def test_filter_by_request_number_includes_its_downloads(app, org, supervisor, client):
    req = approved_waiver(org)
    other = new_waiver(org.member_b)
    doc = finish_document(req)
    assert client.get(f"/documents/{doc.id}/download").status_code == 200
    html = client.get(f"/audit/?object_type=request&object={req.number.lower()}").get_data(as_text=True)
    shown = labels(html)
    assert shown[0] == "下载文件" and shown.count("同意") == 3 and "新建申请" in shown
    assert other.number not in html
    assert f"申请 {req.number}（含其文件和附件的下载）" in html
    # Without a type, the text is a request number.
    assert labels(client.get(f"/audit/?object={req.number}").get_data(as_text=True)) == shown[:0] + shown


def test_filter_by_member_and_by_account(app, org, supervisor, client):
    member = org.member.member
    with app.test_request_context():
        from dangjian import audit
        audit.record("member.reveal_id_number", member, user=org.org_dept_user, reason="核对困难党员身份")
        audit.record("admin.account_disabled", org.member2, user=org.sysadmin)
        db.session.commit()
    html = client.get(f"/audit/?object_type=member&object={member.staff_no}").get_data(as_text=True)
    assert labels(html) == ["查看完整身份证号"]
    assert "原因：</span>核对困难党员身份" in html
    assert f'<a href="/org/members/{member.id}">王喆（{member.staff_no}）</a>' in html  # 纪委 reads member pages
    assert labels(client.get("/audit/?object_type=user&object=member2").get_data(as_text=True)) == ["停用账号"]


def test_an_unknown_object_says_so(app, org, supervisor, client):
    new_waiver(org.member)
    html = client.get("/audit/?object_type=request&object=DF-1999-0001").get_data(as_text=True)
    assert labels(html) == [] and "没有编号为「DF-1999-0001」的申请" in html and "没有符合条件的记录" in html


def test_filter_by_local_dates(app, org, supervisor, client):
    """Dates are Beijing dates; times are stored in UTC (a Beijing day starts at 16:00 UTC)."""
    add_event("budget.set", datetime(2026, 2, 28, 15, 59, 59), org.org_dept_user, year=2026)  # 02-28 23:59:59
    add_event("budget.set", datetime(2026, 2, 28, 16, 0, 0), org.org_dept_user, year=2027)  # 03-01 00:00:00
    add_event("budget.set", datetime(2026, 3, 1, 15, 59, 59), org.org_dept_user, year=2028)  # 03-01 23:59:59
    add_event("budget.set", datetime(2026, 3, 1, 16, 0, 0), org.org_dept_user, year=2029)  # 03-02 00:00:00
    html = client.get("/audit/?action=budget.set&date_from=2026-03-01&date_to=2026-03-01").get_data(as_text=True)
    assert details(html) == ["年度：2028", "年度：2027"]
    assert "2026-03-01" in html and "23:59:59" in html and "00:00:00" in html
    html = client.get("/audit/?action=budget.set&date_from=2026-03-02").get_data(as_text=True)
    assert details(html) == ["年度：2029"]


def test_bad_dates_are_explained_and_not_applied(app, org, supervisor, client):
    add_event("budget.set", datetime(2026, 3, 1, 2, 0, 0), org.org_dept_user, year=2026)
    html = client.get("/audit/?action=budget.set&date_from=2026-13-01").get_data(as_text=True)
    assert "日期格式应为 年-月-日" in html and labels(html) == ["设定年度预算"]
    html = client.get("/audit/?action=budget.set&date_from=2026-03-02&date_to=2026-03-01").get_data(as_text=True)
    assert "结束日期不能早于开始日期" in html


def test_an_action_without_a_label_still_shows_with_its_code(app, org, supervisor, client):
    add_event("member.merged", datetime(2026, 3, 1, 2, 0, 0), org.org_dept_user)
    html = client.get("/audit/").get_data(as_text=True)
    assert "党员：member.merged" in html
    assert '<optgroup label="其他">' in html  # and it can be chosen in the filter


# --- the log of the log -----------------------------------------------------------------

def test_each_view_is_audited_with_its_filters(app, org, supervisor, client):
    client.get("/audit/?person=王喆&action=group:request&date_from=2026-01-01&page=1")
    (viewed,) = events("audit.viewed")
    assert viewed.user_id == org.supervisor.id and viewed.ip == "127.0.0.1"
    detail = json.loads(viewed.detail)
    assert detail["filters"] == {"person": "王喆", "action": "group:request", "date_from": "2026-01-01"}
    assert detail["page"] == 1 and detail["rows"] == 0
    # The next view shows the first one, in words.
    html = client.get("/audit/").get_data(as_text=True)
    assert labels(html)[0] == "查看审计日志"
    assert details(html)[0] == "筛选条件：操作人：王喆；操作：全部申请审批；开始日期：2026-01-01页码：1条数：0"


# --- the export -------------------------------------------------------------------------

def _workbook(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.headers["Cache-Control"].startswith("no-store") or "no-cache" in resp.headers["Cache-Control"]
    return load_workbook(io.BytesIO(resp.get_data()), read_only=True)


def test_the_export_holds_the_filtered_view_in_words(app, org, supervisor, client):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    new_waiver(org.member_b)
    wb = _workbook(client.get(f"/audit/export.xlsx?object={req.number}"))
    rows = list(wb["审计日志"].iter_rows(values_only=True))
    assert rows[0][:5] == ("时间（北京时间）", "操作人", "账号", "操作", "操作代码")
    assert [r[3] for r in rows[1:]] == ["同意", "提交申请", "新建申请"]
    approved = rows[1]
    assert approved[1] == "李书记（secretary）" and approved[2] == "secretary" and approved[4] == "request.approve"
    assert (approved[5], approved[6], approved[7]) == ("党费减免申请", req.number, req.id)
    assert "原状态：审批中" in approved[9] and "环节：党支部" in approved[9]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", approved[0])
    about = dict(wb["说明"].iter_rows(values_only=True))
    assert about["导出人"] == "supervisor（supervisor）" and about["对象"] == f"申请 {req.number}"
    assert about["记录条数"] == "3"
    (exported,) = events("audit.exported")
    assert json.loads(exported.detail) == {"filters": {"object": req.number}, "rows": 3}
    assert exported.user_id == org.supervisor.id


def test_the_export_streams_a_long_log_in_order(app, org, supervisor, client):
    """More rows than one batch of the streamed query (1000): all of them, newest first."""
    db.session.execute(insert(AuditEvent), [
        {"action": "document.download", "user_id": org.member.id, "created_at": datetime(2026, 1, 1, 0, i // 60, i % 60),
         "detail": json.dumps({"number": f"DF-2026-{i:04d}"}), "ip": "10.0.0.1"} for i in range(2500)])
    db.session.commit()
    wb = _workbook(client.get("/audit/export.xlsx?action=document.download"))
    numbers = [r[9] for r in wb["审计日志"].iter_rows(min_row=2, values_only=True)]
    assert len(numbers) == 2500
    assert numbers[0] == "编号：DF-2026-2499" and numbers[-1] == "编号：DF-2026-0000"


# --- one registry of labels -------------------------------------------------------------

def _recorded_codes() -> set[str]:
    """Every action code the sources pass to audit.record, the engine's f-strings expanded."""
    codes = set()
    for path in (ROOT / "dangjian").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for first_argument in re.findall(r"audit\.record\(\s*([^,)]+)", text):
            codes |= set(re.findall(r'(?<!f)"([a-z_]+(?:\.[a-z_]+)+)"', first_argument))
    codes |= {f"request.{a.value}" for a in Action}
    from dangjian.request_types.award_nomination.model import ObjectionStatus
    codes |= {f"award_objection.{s.value}" for s in ObjectionStatus if s is not ObjectionStatus.OPEN}
    return codes


def test_every_recorded_action_has_a_chinese_label():
    missing = sorted(c for c in _recorded_codes() if not actions.is_known(c))
    assert missing == [], f"add these to dangjian/supervision/actions.py: {missing}"
