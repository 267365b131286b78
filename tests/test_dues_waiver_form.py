"""The 党费减免 web form (§三(二)3): invalid input is refused with a Chinese message next to the
field and NOTHING is saved (no request, no attachment, no file); a valid one is numbered and
submitted to 党支部讨论. After a return, the initiator edits and resubmits under the same number.
"""
import io
import os
import re
from datetime import date
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import Attachment, Request, RequestState
from dangjian.timeutil import local_today
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.workflow import Action, apply_action
from tests.factories import new_waiver

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name="诊断证明.pdf", data=PDF):
    return (io.BytesIO(data), name)


def valid(member_id, **overrides):
    data = {"member_id": str(member_id), "mode": "partial", "monthly_amount": "20.00",
            "start_month": "2026-01", "end_month": "2026-06", "hardship_category": "illness",
            "hardship_description": "本人患病住院，需长期治疗，家庭经济困难。", "evidence": [pdf()]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def uploaded_files():
    root = current_app.config["UPLOAD_DIR"]
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files)


def counts():
    return (db.session.scalar(select(func.count(Request.id))),
            db.session.scalar(select(func.count(Attachment.id))), len(uploaded_files()))


def field_errors(html: str, name: str) -> list[str]:
    """The error messages shown next to the field `name`: after its input, before the next field."""
    start = html.find(f'name="{name}"')
    assert start >= 0, f"no field {name} on the page"
    following = [m.start() for m in re.finditer(r'name="([^"]+)"', html[start:]) if m.group(1) != name]
    block = html[start: start + following[0]] if following else html[start:]
    return [m.strip() for m in re.findall(r'class="[^"]*invalid-feedback[^"]*"[^>]*>([^<]*)<', block)]


def post(client, data):
    return client.post("/dues-waivers/new", data=data, content_type="multipart/form-data")


INVALID = [
    ("larger than the monthly dues", {"monthly_amount": "45.01"}, "monthly_amount",
     "每月减免金额不能超过该党员的月缴党费（¥45.00）"),
    ("more than 12 months", {"start_month": "2026-01", "end_month": "2027-01"}, "end_month",
     "减免期限最多12个月"),
    ("end before start", {"start_month": "2026-06", "end_month": "2026-05"}, "end_month",
     "截止年月不能早于起始年月"),
    ("three decimals", {"monthly_amount": "20.005"}, "monthly_amount", "金额最多保留两位小数"),
    ("not a number", {"monthly_amount": "二十元"}, "monthly_amount", "金额格式不正确"),
    ("zero", {"monthly_amount": "0"}, "monthly_amount", "每月减免金额应大于0"),
    ("full mode with another amount", {"mode": "full", "monthly_amount": "30.00"}, "monthly_amount",
     "全额免交时，每月减免金额应等于月缴党费"),
    ("partial mode with the whole dues", {"monthly_amount": "45.00"}, "monthly_amount", "请选择「全额免交」"),
    ("missing evidence", {"evidence": None}, "evidence", "请上传证明材料"),
    ("a non-PDF renamed .pdf", {"evidence": [pdf("证明.pdf", b"GIF89a not a pdf at all")]}, "evidence",
     "内容与扩展名不符"),
    ("an unsupported type", {"evidence": [pdf("证明.docx", b"PK\x03\x04")]}, "evidence", "格式不支持"),
    ("an empty file", {"evidence": [pdf("证明.pdf", b"")]}, "evidence", "是空文件"),
    ("one good and one bad file", {"evidence": [pdf(), pdf("照片.png", b"not a png")]}, "evidence",
     "内容与扩展名不符"),
    ("a month that does not exist", {"start_month": "2026-13"}, "start_month", "请选择起始年月"),
    ("description too short", {"hardship_description": "困难"}, "hardship_description", "10–1000字"),
    ("an unknown mode", {"mode": "half"}, "mode", "请选择减免方式"),
    ("an unknown hardship category", {"hardship_category": "rich"}, "hardship_category", "请选择困难类别"),
]


@pytest.mark.parametrize("data,field,message", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_input_is_refused_next_to_the_field_and_nothing_is_saved(app, org, auth, client, data,
                                                                          field, message):
    auth.login(org.member)
    resp = post(client, valid(org.member.member_id, **data))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "申请未提交" in html
    assert any(message in e for e in field_errors(html, field)), field_errors(html, field)
    assert counts() == (0, 0, 0)


def test_empty_required_fields_each_get_their_message(app, org, auth, client):
    auth.login(org.member)
    resp = post(client, {"member_id": str(org.member.member_id)})
    html = resp.get_data(as_text=True)
    expected = {"mode": "请选择减免方式", "monthly_amount": "请输入金额", "start_month": "请选择起始年月",
                "end_month": "请选择截止年月", "hardship_category": "请选择困难类别",
                "hardship_description": "请填写困难情况说明", "evidence": "请上传证明材料"}
    for name, message in expected.items():
        assert any(message in e for e in field_errors(html, name)), (name, field_errors(html, name))
    assert "This field is required" not in html and "Not a valid" not in html
    assert counts() == (0, 0, 0)


def test_overlapping_an_open_waiver_is_refused(app, org, auth, client):
    existing = new_waiver(org.member, start_month=date(2026, 1, 1), end_month=date(2026, 6, 1))
    before = counts()
    auth.login(org.member)
    resp = post(client, valid(org.member.member_id, start_month="2026-06", end_month="2026-09"))
    errors = field_errors(resp.get_data(as_text=True), "start_month")
    assert any(existing.number in e and "期间不能重叠" in e for e in errors), errors
    assert counts() == before


def test_a_withdrawn_waiver_does_not_block_a_new_one(app, org, auth, client):
    existing = new_waiver(org.member)
    apply_action(existing, org.member, Action.WITHDRAW)
    auth.login(org.member)
    assert post(client, valid(org.member.member_id)).status_code == 302


def test_on_behalf_without_the_signed_application_is_refused(app, org, auth, client):
    auth.login(org.secretary)
    resp = post(client, valid(org.member.member_id))
    errors = field_errors(resp.get_data(as_text=True), "signed_application")
    assert any("须上传党员本人签字的申请书扫描件" in e for e in errors), errors
    assert counts() == (0, 0, 0)


def test_a_secretary_cannot_apply_for_a_member_of_another_branch(app, org, auth, client):
    auth.login(org.secretary)
    resp = post(client, valid(org.member_b.member_id, signed_application=pdf("申请书.pdf")))
    assert resp.status_code == 200
    assert any("请选择申请减免的党员" in e for e in field_errors(resp.get_data(as_text=True), "member_id"))
    assert counts() == (0, 0, 0)


def test_a_valid_application_is_numbered_and_submitted_with_its_attachments(app, org, auth, client):
    auth.login(org.member)
    resp = post(client, valid(org.member.member_id, evidence=[pdf(), pdf("住院照片.png", PNG)]))
    assert resp.status_code == 302
    req = db.session.scalars(select(DuesWaiver)).one()
    assert resp.headers["Location"].endswith(f"/requests/{req.id}")
    assert req.number == f"DF-{local_today().year}-0001"
    assert (req.state, req.current_step, req.current_org_id) == (RequestState.PENDING, "branch", org.branch_a1.id)
    assert (req.monthly_amount, req.months, req.amount) == (Decimal("20.00"), 6, Decimal("120.00"))
    assert req.monthly_dues_at_application == Decimal("45.00")
    assert (req.initiator_id, req.beneficiary_id, req.on_behalf) == (org.member.id, org.member.member_id, False)
    assert [(a.kind, a.filename, a.content_type) for a in req.attachments] == [
        ("evidence", "诊断证明.pdf", "application/pdf"), ("evidence", "住院照片.png", "image/png")]
    assert len(uploaded_files()) == 2
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert req.number in page and "党支部讨论" in page
    # The second one of the year gets the next number.
    post(client, valid(org.member.member_id, start_month="2026-07", end_month="2026-12"))
    assert db.session.scalars(select(DuesWaiver.number).order_by(DuesWaiver.id)).all()[-1] == \
        f"DF-{local_today().year}-0002"


def test_full_mode_takes_the_monthly_dues(app, org, auth, client):
    auth.login(org.member)
    assert post(client, valid(org.member.member_id, mode="full", monthly_amount="")).status_code == 302
    req = db.session.scalars(select(DuesWaiver)).one()
    assert (req.mode.value, req.monthly_amount) == ("full", Decimal("45.00"))


def test_on_behalf_with_the_signed_application_is_saved(app, org, auth, client):
    auth.login(org.secretary)
    resp = post(client, valid(org.member.member_id, signed_application=pdf("本人签字申请书.pdf")))
    assert resp.status_code == 302
    req = db.session.scalars(select(DuesWaiver)).one()
    assert (req.initiator_id, req.beneficiary_id, req.on_behalf) == (org.secretary.id, org.member.member_id, True)
    assert sorted(a.kind for a in req.attachments) == ["evidence", "signed_application"]


def _returned_via_web(org, client):
    assert post(client, valid(org.member.member_id)).status_code == 302
    req = db.session.scalars(select(DuesWaiver)).one()
    apply_action(req, org.secretary, Action.RETURN, opinion="请补充诊断证明原件扫描件")
    return req


def test_edit_and_resubmit_after_a_return(app, org, auth, client):
    auth.login(org.member)
    req = _returned_via_web(org, client)
    number, version = req.number, req.version
    form = client.get(f"/dues-waivers/{req.id}/edit")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert number in html and 'value="20.00"' in html and 'value="2026-01"' in html
    resp = client.post(f"/dues-waivers/{req.id}/edit", content_type="multipart/form-data",
                       data=valid(org.member.member_id, monthly_amount="15.50", evidence=[pdf("补充证明.pdf")],
                                  version=str(version)))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1000]
    db.session.expire_all()
    req = db.session.get(DuesWaiver, req.id)
    assert (req.number, req.state, req.current_step) == (number, RequestState.PENDING, "branch")
    assert (req.monthly_amount, req.amount) == (Decimal("15.50"), Decimal("93.00"))
    assert [a.filename for a in req.attachments] == ["诊断证明.pdf", "补充证明.pdf"]
    assert [e.action for e in req.timeline] == ["submit", "return", "submit"]
    assert db.session.scalar(select(func.count(Request.id))) == 1


def test_resubmit_keeps_earlier_evidence(app, org, auth, client):
    auth.login(org.member)
    req = _returned_via_web(org, client)
    resp = client.post(f"/dues-waivers/{req.id}/edit", content_type="multipart/form-data",
                       data=valid(org.member.member_id, evidence=None, version=str(req.version)))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(DuesWaiver, req.id).state is RequestState.PENDING


def test_invalid_edit_changes_nothing(app, org, auth, client):
    auth.login(org.member)
    req = _returned_via_web(org, client)
    before = counts()
    resp = client.post(f"/dues-waivers/{req.id}/edit", content_type="multipart/form-data",
                       data=valid(org.member.member_id, monthly_amount="99.00", evidence=[pdf("新证明.pdf")],
                                  version=str(req.version)))
    assert resp.status_code == 200
    assert any("不能超过" in e for e in field_errors(resp.get_data(as_text=True), "monthly_amount"))
    db.session.expire_all()
    req = db.session.get(DuesWaiver, req.id)
    assert (req.state, req.monthly_amount) == (RequestState.RETURNED, Decimal("20.00"))
    assert counts() == before


def test_edit_is_refused_while_pending(app, org, auth, client):
    auth.login(org.member)
    assert post(client, valid(org.member.member_id)).status_code == 302
    req = db.session.scalars(select(DuesWaiver)).one()
    for method in ("get", "post"):
        resp = getattr(client, method)(f"/dues-waivers/{req.id}/edit", content_type="multipart/form-data",
                                       data=valid(org.member.member_id, monthly_amount="1.00", version="1"))
        assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/requests/{req.id}")
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "申请当前为「审批中」状态，不能修改" in page
    db.session.expire_all()
    assert db.session.get(DuesWaiver, req.id).monthly_amount == Decimal("20.00")


def test_edit_with_a_stale_version_is_refused(app, org, auth, client):
    auth.login(org.member)
    req = _returned_via_web(org, client)
    resp = client.post(f"/dues-waivers/{req.id}/edit", content_type="multipart/form-data",
                       data=valid(org.member.member_id, monthly_amount="10.00", evidence=[pdf("新证明.pdf")],
                                  version=str(req.version - 1)))
    assert resp.status_code == 302
    assert "该申请已被处理" in client.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    req = db.session.get(DuesWaiver, req.id)
    assert (req.state, req.monthly_amount, len(req.attachments)) == (RequestState.RETURNED, Decimal("20.00"), 1)
    assert len(uploaded_files()) == 1


def test_only_the_initiator_edits(app, org, auth, client):
    auth.login(org.member)
    req = _returned_via_web(org, client)
    auth.login(org.secretary)
    assert client.get(f"/dues-waivers/{req.id}/edit").status_code == 404


def test_a_withdrawn_waiver_cannot_be_resubmitted_around_the_form(app, org, auth, client):
    """A withdrawn waiver cannot come back on top of one filed for the same months meanwhile, from
    the edit form or from the action URL: the workflow checks every submission (issue 8 §9)."""
    first = new_waiver(org.member)
    apply_action(first, org.member, Action.WITHDRAW)
    auth.login(org.member)
    assert post(client, valid(org.member.member_id)).status_code == 302  # the same months again
    resp = client.post(f"/requests/{first.id}/act", data={"action": "submit", "version": str(first.version)})
    assert resp.status_code == 200 and "期间不能重叠" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DuesWaiver, first.id).state is RequestState.WITHDRAWN
    resp = client.post(f"/dues-waivers/{first.id}/edit", content_type="multipart/form-data",
                       data=valid(org.member.member_id, version=str(first.version)))
    assert resp.status_code == 200
    assert any("期间不能重叠" in e for e in field_errors(resp.get_data(as_text=True), "start_month"))
    db.session.expire_all()
    assert db.session.get(DuesWaiver, first.id).state is RequestState.WITHDRAWN
