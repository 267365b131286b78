"""抄送 (issue 8 §2): the rules copy their people when a request of each type is approved or ends; an
approver adds people while deciding; copied people see the request read-only (no action, 404 for
everyone else), are notified, and find it under 抄送我的. Someone who sees a request only because it
was copied to them does not see the 困难情况 text, the attachments or the 审批表."""
import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import (AuditEvent, Attachment, CcRule, CcTarget, CcWhen, Document, DocumentStatus,
                             RequestCopy, RequestState)
from dangjian.workflow import Action, ActionRefused, apply_action, available_actions
from dangjian.workflow import cc as cc_module
from tests.factories import MEETING_AGAINST, approve, make_user, new_waiver
from tests.test_csrf import form_token, login

HX = {"HX-Request": "true"}


@pytest.fixture
def told(monkeypatch):
    """Every notify("cc", …) the copying makes: (request id, recipient ids, actor id)."""
    calls = []

    def notify(kind, request, recipients, *, actor=None, **data):
        assert kind == "cc"
        calls.append((request.id, sorted(u.id for u in recipients), actor.id if actor else None))
    monkeypatch.setattr(cc_module, "notify", notify)
    return calls


def rule(request_type, target, timing, user=None):
    r = CcRule(request_type=request_type, target=target, timing=timing, user=user)
    db.session.add(r)
    db.session.commit()
    return r


def copied(req):
    return sorted(db.session.scalars(select(RequestCopy.user_id).where(RequestCopy.request_id == req.id)))


def ids(*users):
    return sorted(u.id for u in users)


# --- rules, for each request type ----------------------------------------------------------------

def test_dues_decisions_copy_the_branch_and_the_secondary_unit(app, org, told):
    rule("dues_waiver", CcTarget.BRANCH_SECRETARY, CcWhen.CLOSED)
    rule("dues_waiver", CcTarget.SECONDARY, CcWhen.CLOSED)
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)
    assert copied(req) == []  # nothing while the request is on its way
    approve(req, org.school_user)
    assert req.state is RequestState.APPROVED
    assert copied(req) == ids(org.secretary, org.committee, org.secondary)
    assert told == [(req.id, ids(org.secretary, org.committee, org.secondary), None)]  # told as the rule's copy
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.cc").order_by(AuditEvent.id)).all()
    assert len(audit) == 2 and all(a.object_id == req.id and '"source": "rule"' in a.detail for a in audit)

    rejected = new_waiver(org.member2)
    apply_action(rejected, org.secretary, Action.REJECT, opinion="不符合条件", meeting=MEETING_AGAINST)
    assert rejected.state is RequestState.REJECTED
    # 办结 whatever the outcome; the secretary who decided is not copied on their own decision
    assert copied(rejected) == ids(org.committee, org.secondary)


def test_an_approval_rule_does_not_fire_on_a_rejection(app, org, told):
    rule("dues_waiver", CcTarget.SUPERVISOR, CcWhen.APPROVED)
    req = new_waiver(org.member)
    apply_action(req, org.secretary, Action.REJECT, opinion="不符合条件", meeting=MEETING_AGAINST)
    assert copied(req) == [] and told == []


def test_a_direct_branch_has_no_secondary_unit_to_copy(app, org, told):
    rule("dues_waiver", CcTarget.SECONDARY, CcWhen.CLOSED)
    rule("dues_waiver", CcTarget.SCHOOL, CcWhen.CLOSED)
    req = new_waiver(org.direct_member)
    approve(req, org.direct_secretary)
    approve(req, org.school_user)
    assert copied(req) == ids(org.school_user2)  # 校党委 minus the one who decided


def test_condolence_copies_the_cashier_on_approval_once(app, org, told):
    from tests.factories_condolence import new_condolence, payment_payload, set_budget, setup_settings
    setup_settings(org)
    set_budget("10000.00")
    cashier = make_user("caiwu", None)
    db.session.commit()
    rule("condolence", CcTarget.USER, CcWhen.APPROVED, user=cashier)
    rule("condolence", CcTarget.USER, CcWhen.CLOSED, user=cashier)
    req = new_condolence(org.member, org.secretary)
    approve(req, org.secondary)
    assert req.state is RequestState.APPROVED and copied(req) == [cashier.id]
    apply_action(req, org.committee, Action.RECORD_PAYMENT, payload=payment_payload(req))
    assert req.state is RequestState.COMPLETED
    assert copied(req) == [cashier.id] and len(told) == 1  # one copy per person, one notification


def test_a_disabled_cashier_is_not_copied(app, org, told):
    from tests.factories_condolence import new_condolence, setup_settings
    setup_settings(org)
    cashier = make_user("caiwu", None)
    db.session.commit()
    rule("condolence", CcTarget.USER, CcWhen.APPROVED, user=cashier)
    cashier.active = False
    db.session.commit()
    req = new_condolence(org.member, org.secretary)
    approve(req, org.secondary)
    assert copied(req) == [] and told == []


def test_the_allowance_batch_copies_on_the_school_decision(app, org, told):
    from tests.factories_allowance import allowance_world, new_batch
    allowance_world(org)
    rule("secretary_allowance", CcTarget.SUPERVISOR, CcWhen.CLOSED)
    rule("secretary_allowance", CcTarget.BRANCH_SECRETARY, CcWhen.CLOSED)  # a batch sits at a unit: nobody
    batch = new_batch(org.sec_a, org.secondary)
    apply_action(batch, org.org_dept_user, Action.APPROVE, opinion="核定无误")
    assert copied(batch) == []
    apply_action(batch, org.school_user, Action.APPROVE, opinion="同意")
    assert batch.state is RequestState.APPROVED
    assert copied(batch) == [org.supervisor.id]


def test_an_award_decision_copies_on_approval(app, org, told):
    from tests.factories_award import add_award_people, decided, make_cycle
    add_award_people(org)
    rule("award_nomination", CcTarget.ORG_DEPT, CcWhen.APPROVED)
    rule("award_nomination", CcTarget.SUPERVISOR, CcWhen.CLOSED)  # 已表彰 comes later, after the 公示
    req = decided(org, make_cycle(org), member_user=org.member)
    assert req.state is RequestState.APPROVED
    assert copied(req) == ids(org.org_dept_user, org.org_dept2)


# --- an approver adds people -------------------------------------------------------------------

def test_an_approver_copies_people_with_the_decision(app, org, told):
    req = new_waiver(org.member)
    approve(req, org.secretary, cc=[org.member2.id, org.secondary.id])
    assert req.current_step == "secondary"
    assert copied(req) == ids(org.member2, org.secondary)
    assert told == [(req.id, ids(org.member2, org.secondary), org.secretary.id)]
    copy = db.session.scalar(select(RequestCopy).where(RequestCopy.user_id == org.member2.id))
    assert (copy.added_by_id, copy.action, copy.rule_id, copy.read_at) == (org.secretary.id, "approve", None, None)
    assert copy.source_label == "李书记同意时抄送"
    apply_action(req, org.secondary, Action.RETURN, opinion="请补充材料", cc=[org.member2.id, org.supervisor.id])
    assert copied(req) == ids(org.member2, org.secondary, org.supervisor)  # member2 once


@pytest.mark.parametrize("pick,message", [
    ("member_b", "不在您的范围内"),  # a member of another unit
    ("sysadmin", "不在您的范围内"),
    ("secretary", "不能抄送给自己"),
    ("member", "发起人可在「我发起的」中查看本申请，无需抄送"),
    ("too_many", "一次最多抄送10人（现为11人）"),
])
def test_an_invalid_pick_refuses_the_whole_decision(app, org, told, pick, message):
    req = new_waiver(org.member)
    before = (req.state, req.current_step, req.version)
    chosen = list(range(1000, 1011)) if pick == "too_many" else [getattr(org, pick).id]
    with pytest.raises(ActionRefused) as exc:
        approve(req, org.secretary, cc=chosen)
    assert message in exc.value.message and exc.value.field == "cc"
    db.session.rollback()
    db.session.expire_all()
    assert (req.state, req.current_step, req.version) == before
    assert copied(req) == [] and told == []


def test_only_a_deciding_approver_adds_people(app, org):
    req = new_waiver(org.member)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.member, Action.WITHDRAW, cc=[org.member2.id])
    assert exc.value.message == "只有审批人在处理时可以添加抄送人"


def test_whom_each_approver_may_copy(app, org):
    """A branch secretary: their branch's members, role holders of their branch and the units above,
    and the school-wide roles; never another unit's members, the 系统管理员 or a disabled account."""
    gone = make_user("gone", None, [(cc_module.Role.BRANCH_SECRETARY, org.branch_a1)])
    gone.active = False
    db.session.commit()
    allowed = {u.username for u in db.session.scalars(select(cc_module.User).where(
        *cc_module.pickable_condition(org.secretary)))}
    assert allowed == {"member", "member2", "committee", "secondary", "orgdept", "school", "school2",
                       "supervisor"}
    everyone = {u.username for u in db.session.scalars(select(cc_module.User).where(
        *cc_module.pickable_condition(org.org_dept_user)))}
    assert "member_b" in everyone and "sysadmin" not in everyone and "gone" not in everyone


def test_the_picker_searches_only_for_the_deciding_approver(app, org, client):
    req = new_waiver(org.member)
    login(client, org.secretary)
    url = f"/requests/{req.id}/cc/candidates"
    html = client.get(url, query_string={"cc_q": "张"}, headers=HX).get_data(as_text=True)
    assert "张堃" in html and "张校领导" in html  # member2, and the school committee
    assert "周珺玥" not in client.get(url, query_string={"cc_q": "周"}, headers=HX).get_data(as_text=True)
    html = client.get(url, query_string={"cc_q": "王喆"}, headers=HX).get_data(as_text=True)
    assert "没有找到「王喆」" in html  # the initiator needs no copy
    html = client.get(f"/requests/{req.id}/cc/selected", query_string={"add": org.member2.id}, headers=HX)
    assert f'name="cc_user" value="{org.member2.id}"' in html.get_data(as_text=True)
    html = client.get(f"/requests/{req.id}/cc/selected", query_string={"add": org.member_b.id}, headers=HX)
    assert "cc_user" not in html.get_data(as_text=True)  # out of scope: dropped
    for who in (org.supervisor, org.secretary_b):  # sees the request but decides nothing; outside the scope
        other = app.test_client()
        login(other, who)
        assert other.get(url, query_string={"cc_q": "张"}, headers=HX).status_code == 404


def test_approving_with_copies_through_the_panel(app, org, client, told):
    """CSRF on: the 处理 panel carries the picker; its hidden inputs post with the decision."""
    req = new_waiver(org.member)
    approve(req, org.secretary)
    token = login(client, org.secondary)
    panel = client.get(f"/requests/{req.id}/panel?context=inbox", headers=HX).get_data(as_text=True)
    assert 'id="cc-picker-' in panel and "抄送" in panel
    data = {"action": "approve", "version": str(req.version), "context": "inbox", "opinion": "同意上报",
            "cc_user": [str(org.member_b.id)], "csrf_token": form_token(panel)}
    resp = client.post(f"/requests/{req.id}/act", data=data, headers={**HX, "X-CSRFToken": token})
    assert "不在您的范围内" in resp.get_data(as_text=True)  # 陈组织员 is 会计学院's: 周珺玥 is 经济学院's
    assert copied(req) == []
    data["cc_user"] = [str(org.member2.id), str(org.secretary_a2.id)]
    resp = client.post(f"/requests/{req.id}/act", data=data, headers={**HX, "X-CSRFToken": token})
    assert resp.status_code == 200 and "已同意" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert copied(req) == ids(org.member2, org.secretary_a2)


# --- what a copied person sees -------------------------------------------------------------------

def _with_files(req):
    att = Attachment(request_id=req.id, kind="evidence", filename="诊断证明.pdf", storage_path="x/诊断证明.pdf",
                     sha256="0" * 64, size=10, content_type="application/pdf", uploaded_by_id=req.initiator_id)
    doc = Document(request_id=req.id, kind="test_form", title="测试审批表", version=1, template="pdf/test.html",
                   status=DocumentStatus.DONE, storage_path="x/form.pdf", sha256="0" * 64, size=10)
    db.session.add_all([att, doc])
    db.session.commit()
    return att, doc


def test_a_copied_person_sees_the_request_read_only_without_the_private_parts(app, org, client):
    req = new_waiver(org.member)
    att, doc = _with_files(req)
    approve(req, org.secretary, cc=[org.school_user.id])
    apply_action(req, org.secondary, Action.APPROVE, opinion="同意", cc=[])
    # 财务处-like: somebody with no role who sees the request only as a copy
    cashier = make_user("caiwu", None)
    db.session.commit()
    apply_action(req, org.school_user2, Action.APPROVE, opinion="同意", cc=[cashier.id])
    assert available_actions(req, cashier) == []

    login(client, cashier)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert req.number in page and "¥120.00" in page  # amount
    assert "此申请抄送给您（school2同意时抄送），仅供查看" in page and "抄送我的" in page
    assert "爱人患病住院" not in page and "抄送人员不查看困难情况说明" in page
    assert "诊断证明.pdf" not in page and "抄送人员不查看附件" in page
    assert f"/documents/{doc.id}/" not in page and "抄送人员不查看审批文档" in page
    assert "dj-btn-approve" not in page and "/act" not in page  # no action of any kind
    assert client.get(f"/attachments/{att.id}").status_code == 404
    assert client.get(f"/documents/{doc.id}/download").status_code == 404
    widget = client.get(f"/requests/{req.id}/documents").get_data(as_text=True)  # the polling widget too
    assert "测试审批表" not in widget and "抄送人员不查看审批文档" in widget

    school = app.test_client()
    login(school, org.school_user)  # copied too, but 校党委 sees everything through its role
    page = school.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "爱人患病住院" in page and "诊断证明.pdf" in page and "此申请抄送给您" in page


def test_nobody_else_sees_a_copied_request(app, org, client):
    req = new_waiver(org.member)
    approve(req, org.secretary, cc=[org.member2.id])
    login(client, org.member_b)
    assert client.get(f"/requests/{req.id}").status_code == 404
    assert req.number not in client.get("/inbox/cc").get_data(as_text=True)


def test_opening_the_request_marks_the_copy_read(app, org, client):
    req = new_waiver(org.member)
    approve(req, org.secretary, cc=[org.member2.id])
    login(client, org.member2)
    listing = client.get("/inbox/cc").get_data(as_text=True)
    assert req.number in listing and "dj-cc-unread" in listing
    assert '<span class="dj-tab-count" title="未读">1</span>' in listing
    client.get(f"/requests/{req.id}")
    copy = db.session.scalar(select(RequestCopy).where(RequestCopy.user_id == org.member2.id))
    db.session.refresh(copy)
    assert copy.read_at is not None
    listing = client.get("/inbox/cc").get_data(as_text=True)
    assert "dj-cc-unread" not in listing and 'title="未读"' not in listing
    # the initiator's page lists who it was copied to, and that it was read
    initiator = app.test_client()
    login(initiator, org.member)
    page = initiator.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "抄送（1人）" in page and "张堃" in page and "已读" in page


def test_copied_people_get_a_message_in_the_message_centre(app, org):
    """Through the real notify(): the approver's copy names the approver, a rule's copy the system;
    no hardship text in either."""
    from dangjian.notifications.models import Message
    rule("dues_waiver", CcTarget.SUPERVISOR, CcWhen.CLOSED)
    req = new_waiver(org.member)
    approve(req, org.secretary, cc=[org.member2.id])
    approve(req, org.secondary)
    approve(req, org.school_user)
    texts = {m.recipient_id: m.text for m in db.session.scalars(select(Message).where(Message.kind == "cc"))}
    assert texts == {org.member2.id: f"李书记将党费减免申请 {req.number} 抄送给您",
                     org.supervisor.id: f"系统将党费减免申请 {req.number} 抄送给您"}
