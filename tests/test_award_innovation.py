"""党建创新 (§三(一)3, issue 10 §6): a category 组织部 opens in an award cycle, with its own quota
column and its own materials (the project, its 推广价值 and a case file); an organization or a
member may be put forward; the secondary unit forwards within the category's own quota."""
import io

import pytest

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.request_types.award_nomination.model import AwardCategory, AwardNomination
from dangjian.request_types.award_nomination.quota import QuotaRefused
from tests.factories_award import aorg, forward, make_cycle, nominate  # noqa: F401

INNOVATION = AwardCategory.INNOVATION
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _nominate(client, cycle, **fields):
    payload = {"cycle_id": cycle.id, "category": "innovation", "deeds": "首创“党建+学科”双融合，带动科研育人。",
               "project_name": "“党建+学科”双融合工作法", "promotion_value": "已在学院4个支部推广。",
               "attachments": [(io.BytesIO(PDF), "案例材料.pdf")]}
    payload.update(fields)
    return client.post("/awards/nominations/new", data=payload, content_type="multipart/form-data")


def test_org_dept_opens_the_category_with_its_own_quota(aorg, auth, client):
    auth.login(aorg.org_dept_user)
    form = client.get("/awards/cycles/new").get_data(as_text=True)
    assert "党建创新" in form
    resp = client.post("/awards/cycles/new", data={
        "year": "2026", "name": "2026年度党建创新成果评选", "categories": ["innovation"],
        "deadline": "2099-06-01", "publicity_days": "5", f"quota-{aorg.sec_a.id}-innovation": "1"},
        follow_redirects=True)
    assert "评选「2026年度党建创新成果评选」已创建" in resp.get_data(as_text=True)


def test_a_branch_puts_forward_an_innovation_with_its_materials(aorg, auth, client):
    cycle = make_cycle(aorg, categories=(INNOVATION,), quota=1)
    auth.login(aorg.secretary)
    page = client.get("/awards/nominations/new").get_data(as_text=True)
    assert "党建创新材料" in page and "创新项目名称" in page
    missing = _nominate(client, cycle, project_name="", promotion_value="", attachments=[])
    html = missing.get_data(as_text=True)
    assert "推荐「党建创新」须填写创新项目名称" in html and "须说明推广价值" in html and "须上传案例材料" in html
    assert db.session.scalar(select(AwardNomination.id)) is None
    resp = _nominate(client, cycle, nominee=f"org:{aorg.branch_a1.id}")
    assert resp.status_code == 302
    req = db.session.scalars(select(AwardNomination)).one()
    assert (req.project_name, req.nominee_org_id) == ("“党建+学科”双融合工作法", aorg.branch_a1.id)
    assert req.title == "推荐会计学院教工第一党支部「“党建+学科”双融合工作法」为党建创新成果"
    view = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "推广价值" in view and "已在学院4个支部推广。" in view
    # A member may be put forward too.
    resp = _nominate(client, cycle, nominee=f"member:{aorg.member.member_id}")
    assert resp.status_code == 302


def test_other_categories_carry_no_innovation_materials(aorg, auth, client):
    cycle = make_cycle(aorg, categories=(AwardCategory.EXCELLENT_MEMBER, INNOVATION))
    auth.login(aorg.secretary)
    resp = _nominate(client, cycle, category="excellent_member", nominee=f"member:{aorg.member.member_id}",
                     project_name="", promotion_value="", attachments=[])
    assert resp.status_code == 302
    assert db.session.scalars(select(AwardNomination)).one().project_name == ""


def test_the_category_has_its_own_quota(aorg):
    cycle = make_cycle(aorg, categories=(INNOVATION, AwardCategory.EXCELLENT_MEMBER), quota=1)
    first = nominate(cycle, aorg.secretary, INNOVATION, org=aorg.branch_a1)
    second = nominate(cycle, aorg.secretary, INNOVATION, member_user=aorg.member)
    member = nominate(cycle, aorg.secretary, AwardCategory.EXCELLENT_MEMBER, member_user=aorg.member2)
    forward(first, aorg.secondary)
    forward(member, aorg.secondary)  # another category's quota is not touched
    with pytest.raises(QuotaRefused, match="会计学院党委「党建创新」名额为 1 名，已报送 1 名，不能再报送"):
        forward(second, aorg.secondary)
