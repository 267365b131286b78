"""The 待办 处理 panel shows the application next to the buttons: the type's own fields (key
figures, the reason text: 困难情况 / 事由 / 主要事迹) and its attachments with 预览 and 下载, so an
approver never decides blind. Personal data stays masked as on the request page, and an error from
the panel keeps the content in view."""
import re

import pytest

from dangjian.extensions import db
from tests.factories import new_waiver
from tests.factories_allowance import allowance_world, new_batch
from tests.factories_award import MEMBER, make_cycle, nominate
from tests.factories_condolence import new_condolence, setup_settings
from tests.test_inline_preview import PDF, PNG, attach

HX = {"HX-Request": "true"}


def panel(client, req):
    resp = client.get(f"/requests/{req.id}/panel?context=inbox", headers=HX)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<html" not in html and 'value="approve"' in html  # a fragment, with the decision buttons
    return html


def assert_attachment_links(html, *atts):
    for att in atts:
        assert att.filename in html
        assert f'href="/attachments/{att.id}"' in html  # 下载
        assert re.search(rf'<a href="/attachments/{att.id}/preview" target="_blank"[^>]*>预览</a>', html)


def test_the_waiver_panel_shows_the_hardship_and_the_attachments(app, org, auth, client):
    req = new_waiver(org.member, hardship_description="爱人患病住院，需长期透析治疗。")
    pdf = attach(req, org.member, PDF, "困难证明.pdf", "application/pdf")
    png = attach(req, org.member, PNG, "病历.png", "image/png")
    auth.login(org.secretary)
    html = panel(client, req)
    assert "困难情况" in html and "爱人患病住院，需长期透析治疗。" in html
    assert "每月减免" in html and "减免总额" in html
    assert_attachment_links(html, pdf, png)
    member = org.member.member
    assert member.id_number_masked in html and member.id_number not in html  # masked, as on the request page


def test_the_condolence_panel_shows_the_event_and_the_attachments(app, org, auth, client):
    setup_settings(org)
    req = new_condolence(org.member, org.secretary, event_description="突发脑溢血住院抢救，家中无其他收入。")
    pdf = attach(req, org.secretary, PDF, "住院证明.pdf", "application/pdf")
    auth.login(org.secondary)
    html = panel(client, req)
    assert "事由" in html and "突发脑溢血住院抢救，家中无其他收入。" in html and "慰问金额" in html
    assert_attachment_links(html, pdf)


def test_the_award_panel_shows_the_deeds_and_the_attachments(app, org, auth, client):
    cycle = make_cycle(org)
    req = nominate(cycle, org.secretary, MEMBER, member_user=org.member, deeds="扎根基层三十年，带出两个省级样板支部。")
    pdf = attach(req, org.secretary, PDF, "事迹材料.pdf", "application/pdf")
    auth.login(org.secondary)
    html = panel(client, req)
    assert "主要事迹" in html and "扎根基层三十年，带出两个省级样板支部。" in html
    assert_attachment_links(html, pdf)


def test_the_allowance_panel_shows_the_batch_lines(app, org, auth, client):
    allowance_world(org)
    req = new_batch(org.sec_a, org.secondary)
    auth.login(org.org_dept_user)
    html = panel(client, req)
    assert "补贴合计" in html and 'id="allowance-lines"' in html
    for line in req.lines:
        assert line.member.name in html and "计算依据" in html
    assert "allowance-adjust" not in html  # adjusting (核定调整) stays on the request page


def test_an_error_from_the_panel_keeps_the_application_in_view(app, org, auth, client):
    req = new_waiver(org.member, hardship_description="爱人患病住院，需长期透析治疗。")
    auth.login(org.secretary)
    panel(client, req)
    version = req.version
    resp = client.post(f"/requests/{req.id}/act", headers=HX, data={
        "action": "return", "opinion": "", "version": str(req.version), "context": "inbox"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "is-invalid" in html  # 退回 needs an opinion: nothing happened
    assert "爱人患病住院，需长期透析治疗。" in html and 'value="approve"' in html
    db.session.expire_all()
    assert req.version == version
