"""组织部's 慰问标准 and 报校级审批 threshold: set on a page of their own, with their history kept (who,
when, old → new, effective date). A change applies to requests submitted from its effective date on."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent
from dangjian.request_types.condolence.model import (CondolenceCategory, CondolenceStandard, CondolenceThreshold,
                                                     standard_for, threshold_in_force)
from dangjian.timeutil import local_today
from tests.factories_condolence import setup_settings
from tests.test_dues_waiver_form import field_errors

TODAY = local_today()


@pytest.fixture
def o(app, org, auth):
    setup_settings(org)
    auth.login(org.org_dept_user)
    return org


def _set(client, category="hospitalized", amount="1200.00", effective=None, note="依据2026年新规定"):
    return client.post("/condolence/standards", data={
        "which": "standard", "s-category": category, "s-amount": amount,
        "s-effective_from": (effective or TODAY).isoformat(), "s-note": note})


def test_org_dept_changes_a_standard_and_the_history_keeps_old_and_new(o, client):
    page = client.get("/condolence/standards").get_data(as_text=True)
    assert "患病住院" in page and "¥1,000.00" in page and "报校级审批金额线" in page
    resp = _set(client)
    assert resp.status_code == 302
    db.session.expire_all()
    assert standard_for(CondolenceCategory.HOSPITALIZED).amount == Decimal("1200.00")
    row = db.session.scalars(select(CondolenceStandard).order_by(CondolenceStandard.id.desc())).first()
    assert (row.category, row.previous_amount, row.amount, row.effective_from, row.set_by_id, row.note) == (
        CondolenceCategory.HOSPITALIZED, Decimal("1000.00"), Decimal("1200.00"), TODAY, o.org_dept_user.id,
        "依据2026年新规定")
    assert row.set_at is not None
    # The old row is still there: the history is the table.
    assert db.session.scalars(select(CondolenceStandard.amount).where(
        CondolenceStandard.category == CondolenceCategory.HOSPITALIZED).order_by(CondolenceStandard.id)).all() == [
        Decimal("1000.00"), Decimal("1200.00")]
    page = client.get("/condolence/standards").get_data(as_text=True)
    assert "调整记录" in page and "依据2026年新规定" in page and "刘组织部" in page
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "condolence.standard.set")).one()
    assert '"old": "1000.00"' in audit.detail and '"new": "1200.00"' in audit.detail
    # The application form now defaults to the new standard.
    db.session.expire_all()


def test_a_future_change_waits_for_its_effective_date(o, client):
    later = TODAY + timedelta(days=30)
    assert _set(client, amount="1500.00", effective=later).status_code == 302
    db.session.expire_all()
    assert standard_for(CondolenceCategory.HOSPITALIZED).amount == Decimal("1000.00")
    assert standard_for(CondolenceCategory.HOSPITALIZED, later).amount == Decimal("1500.00")
    assert "待生效的调整" in client.get("/condolence/standards").get_data(as_text=True)


def test_the_form_default_follows_the_standard_in_force(o, client, auth):
    _set(client, amount="1100.00")
    auth.login(o.secretary)
    page = client.get("/condolence/new?category=hospitalized").get_data(as_text=True)
    assert 'value="1100.00"' in page and "本类别慰问标准 ¥1,100.00" in page


@pytest.mark.parametrize("data,field,message", [
    ({"s-amount": "0"}, "s-amount", "金额应大于0"),
    ({"s-amount": "12.345"}, "s-amount", "金额最多保留两位小数"),
    ({"s-amount": ""}, "s-amount", "请输入金额"),
    ({"s-category": ""}, "s-category", "请选择慰问类别"),
    ({"s-effective_from": (TODAY - timedelta(days=1)).isoformat()}, "s-effective_from", "生效日期不能早于今天"),
    ({"s-effective_from": ""}, "s-effective_from", "请填写生效日期"),
], ids=["zero", "decimals", "blank", "category", "backdated", "no-date"])
def test_invalid_standards_are_refused(o, client, data, field, message):
    body = {"which": "standard", "s-category": "death", "s-amount": "3000.00", "s-effective_from": TODAY.isoformat()}
    body.update(data)
    html = client.post("/condolence/standards", data=body).get_data(as_text=True)
    assert any(message in e for e in field_errors(html, field)), field_errors(html, field)
    db.session.expire_all()
    assert standard_for(CondolenceCategory.DEATH).amount == Decimal("2000.00")


def test_the_threshold_is_set_with_its_history(o, client):
    resp = client.post("/condolence/standards", data={"which": "threshold", "t-amount": "1500.00",
                                                      "t-effective_from": TODAY.isoformat(), "t-note": "提高金额线"})
    assert resp.status_code == 302
    db.session.expire_all()
    row = threshold_in_force()
    assert (row.amount, row.previous_amount, row.set_by_id) == (Decimal("1500.00"), Decimal("1000.00"), o.org_dept_user.id)
    assert len(db.session.scalars(select(CondolenceThreshold)).all()) == 2
    html = client.post("/condolence/standards", data={"which": "threshold", "t-amount": "-1",
                                                      "t-effective_from": TODAY.isoformat()}).get_data(as_text=True)
    assert field_errors(html, "t-amount") == ["金额不能为负数"]
    page = client.get("/condolence/standards").get_data(as_text=True)
    assert "提高金额线" in page and "¥1,500.00" in page


def test_the_management_grid_links_the_page_for_org_dept(o, client):
    assert "慰问金标准" in client.get("/manage").get_data(as_text=True)


def test_the_plain_forms_carry_their_csrf_token(app, org, client):
    """CSRF on, as users get the app: the standards form posts without htmx, with its own token field."""
    import re

    from tests.test_csrf import login

    setup_settings(org)
    login(client, org.org_dept_user)
    page = client.get("/condolence/standards").get_data(as_text=True)
    token = re.search(r'name="s-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"which": "standard", "s-category": "death", "s-amount": "2200.00", "s-effective_from": TODAY.isoformat()}
    assert client.post("/condolence/standards", data=data).status_code == 400  # no token: refused
    assert client.post("/condolence/standards", data=dict(data, **{"s-csrf_token": token})).status_code == 302
    db.session.expire_all()
    assert standard_for(CondolenceCategory.DEATH).amount == Decimal("2200.00")
