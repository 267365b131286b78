"""抄送规则 (issue 8 §2): 组织部 configures, per request type, who is copied when a request is approved
or ends. Only 组织部 reaches the page (404 for everyone else); every add and removal is CSRF-checked,
audited, and refused with a Chinese message when invalid, nothing written."""
import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, CcRule, CcTarget, CcWhen, RequestCopy
from tests.factories import approve, make_user, new_waiver
from tests.test_csrf import form_token


def sign_in(client, user):
    """Log in through the form (the 系统管理员 too, whose home is not the inbox)."""
    token = form_token(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": user.username, "password": "pw", "csrf_token": token})
    assert resp.status_code == 302


def _rules():
    return db.session.scalars(select(CcRule).where(CcRule.removed_at.is_(None)).order_by(CcRule.id)).all()


def _field_errors(html: str, field_id: str) -> str:
    """The <div class="mb-3"> block holding the control `field_id`: its label, control and errors."""
    start = html.index(f'id="{field_id}"')
    block = html.rindex('<div class="mb-3">', 0, start)
    end = html.find('<div class="mb-3">', start)
    return html[block:end if end != -1 else len(html)]


@pytest.mark.parametrize("who", ["member", "secretary", "secondary", "school_user", "supervisor", "sysadmin"])
def test_only_the_organization_department_reaches_the_rules(app, org, client, who):
    rule = CcRule(request_type="dues_waiver", target=CcTarget.SECONDARY, timing=CcWhen.CLOSED)
    db.session.add(rule)
    db.session.commit()
    sign_in(client, getattr(org, who))
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.get("/cc/rules").status_code == 404
    assert client.post("/cc/rules", data={"request_type": "dues_waiver", "target": "org_dept",
                                          "when": "closed"}).status_code == 404
    assert client.post(f"/cc/rules/{rule.id}/remove").status_code == 404
    assert [(r.target, r.removed_at) for r in _rules()] == [(CcTarget.SECONDARY, None)]
    manage = client.get("/manage").get_data(as_text=True)
    assert "抄送规则" not in manage


def test_the_department_adds_and_removes_a_rule_with_csrf_and_audit(app, org, client):
    cashier = make_user("caiwu", None)
    db.session.commit()
    sign_in(client, org.org_dept_user)
    assert "抄送规则" in client.get("/manage").get_data(as_text=True)
    page = client.get("/cc/rules").get_data(as_text=True)
    assert "未设置抄送规则" in page and "慰问金" in page
    data = {"request_type": "condolence", "target": "user", "username": "caiwu", "when": "approved",
            "note": "财务处按批准金额发放"}
    assert client.post("/cc/rules", data=data).status_code == 400  # no token: refused, nothing written
    assert _rules() == []

    resp = client.post("/cc/rules", data={**data, "csrf_token": form_token(page)}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已添加抄送规则：慰问金申请 · 指定人员：caiwu（caiwu） · 审批通过时" in html
    [rule] = _rules()
    assert (rule.request_type, rule.target, rule.user_id, rule.timing, rule.note) == (
        "condolence", CcTarget.USER, cashier.id, CcWhen.APPROVED, "财务处按批准金额发放")
    assert "财务处按批准金额发放" in html and f'id="cc-rule-{rule.id}"' in html

    url = f"/cc/rules/{rule.id}/remove"
    assert client.post(url).status_code == 400
    resp = client.post(url, data={"csrf_token": form_token(html)}, follow_redirects=True)
    assert "已删除抄送规则" in resp.get_data(as_text=True)
    assert _rules() == []
    assert client.post(url, data={"csrf_token": form_token(html)}).status_code == 404  # gone
    codes = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("cc_rule.%"))
                               .order_by(AuditEvent.id)).all()
    assert codes == ["cc_rule.add", "cc_rule.remove"]


@pytest.mark.parametrize("data,field,message", [
    ({"target": "org_dept", "when": "closed"}, "request_type", "请选择申请类型"),
    ({"request_type": "nope", "target": "org_dept", "when": "closed"}, "request_type", "请选择申请类型"),
    ({"request_type": "dues_waiver", "when": "closed"}, "target", "请选择抄送对象"),
    ({"request_type": "dues_waiver", "target": "user", "when": "closed"}, "username", "请填写指定人员的账号"),
    ({"request_type": "dues_waiver", "target": "user", "username": "nobody", "when": "closed"}, "username",
     "未找到账号「nobody」"),
    ({"request_type": "dues_waiver", "target": "user", "username": "sysadmin", "when": "closed"}, "username",
     "系统管理员不能查看申请内容，不能作为抄送对象"),
    ({"request_type": "dues_waiver", "target": "org_dept", "username": "member", "when": "closed"}, "username",
     "只有抄送对象为「指定人员」时才填写账号"),
    ({"request_type": "dues_waiver", "target": "org_dept", "when": "later"}, "when", "请选择抄送时机"),
    ({"request_type": "dues_waiver", "target": "org_dept", "when": "closed", "note": "说" * 101}, "note",
     "说明不能超过100字（现为101字）"),
    ({"request_type": "dues_waiver", "target": "branch_secretary", "when": "closed"}, "target", "该抄送规则已存在"),
])
def test_invalid_rules_are_refused_in_chinese(app, org, client, data, field, message):
    db.session.add(CcRule(request_type="dues_waiver", target=CcTarget.BRANCH_SECRETARY, timing=CcWhen.CLOSED))
    db.session.commit()
    sign_in(client, org.org_dept_user)
    app.config["WTF_CSRF_ENABLED"] = False
    resp = client.post("/cc/rules", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert message in _field_errors(html, field)
    assert len(_rules()) == 1


def test_a_disabled_account_cannot_be_named(app, org, client):
    make_user("caiwu", None).active = False
    db.session.commit()
    sign_in(client, org.org_dept_user)
    app.config["WTF_CSRF_ENABLED"] = False
    html = client.post("/cc/rules", data={"request_type": "condolence", "target": "user", "username": "caiwu",
                                          "when": "approved"}).get_data(as_text=True)
    assert "账号「caiwu」已停用" in _field_errors(html, "username")
    assert _rules() == []


def test_a_removed_rule_copies_no_more_and_its_copies_stay(app, org):
    rule = CcRule(request_type="dues_waiver", target=CcTarget.SUPERVISOR, timing=CcWhen.CLOSED)
    db.session.add(rule)
    db.session.commit()
    first = new_waiver(org.member)
    for user in (org.secretary, org.secondary, org.school_user):
        approve(first, user)
    from dangjian.workflow.cc import remove_rule
    remove_rule(org.org_dept_user, rule)
    second = new_waiver(org.member2)
    for user in (org.secretary, org.secondary, org.school_user):
        approve(second, user)
    copies = db.session.execute(select(RequestCopy.request_id, RequestCopy.user_id, RequestCopy.rule_id)).all()
    assert copies == [(first.id, org.supervisor.id, rule.id)]
    assert db.session.scalar(select(func.count(CcRule.id))) == 1  # kept, marked removed
