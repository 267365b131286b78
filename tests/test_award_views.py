"""The pages of 表彰推荐: the nomination form (its rules as Chinese messages next to the fields), the
cycle settings with the quota grid, the ranking page (htmx), publication and objection handling."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, RequestState
from dangjian.request_types.award_nomination.model import (AwardCategory, AwardCycle, AwardNomination, CycleStatus,
                                                           Objection, ObjectionStatus)
from dangjian.request_types.award_nomination.publicity import file_objection, publish_cycle
from dangjian.timeutil import local_today
from tests.factories_award import MEMBER, ORG, WORKER, aorg, decided, forward, make_cycle, nominate  # noqa: F401

DEEDS = "长期扎根教学一线，主讲课程获评省级一流本科课程，积极参加志愿服务。"


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown in the <div class="mb-3"> block of field `name`."""
    for block in re.findall(r'<div class="mb-3">(.*?)</div>\s*(?=<div class="mb-3">|</section>|<div class="row)',
                            page, re.S):
        if f'name="{name}"' in block:
            return re.findall(r'<div class="invalid-feedback d-block">(.*?)</div>', block + "</div>")
    return re.findall(r'invalid-feedback d-block">([^<]*)', page)


def key(member_user=None, org=None):
    return f"member:{member_user.member.id}" if member_user else f"org:{org.id}"


def post_nomination(client, cycle, **data):
    payload = {"cycle_id": str(cycle.id), "category": MEMBER.value, "deeds": DEEDS}
    payload.update(data)
    return client.post("/awards/nominations/new", data=payload, content_type="multipart/form-data")


# --- the nomination form -------------------------------------------------------------------------------

def test_the_form_offers_the_cycle_categories_and_the_branch_only(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    auth.login(aorg.secretary)
    page = client.get("/awards/nominations/new").get_data(as_text=True)
    for label in ("先进基层党组织", "优秀共产党员", "优秀党务工作者"):
        assert label in page
    assert "专项表彰" not in page  # not offered by this cycle
    assert f'value="{key(aorg.member)}"' in page and f'value="{key(org=aorg.branch_a1)}"' in page
    assert f'value="{key(aorg.secretary)}"' not in page  # not themself
    assert f'value="{key(aorg.member_b)}"' not in page  # not another unit's member
    assert 'data-dj-count="1500"' in page  # the live character counter
    assert f'name="cycle_id" type="hidden" value="{cycle.id}"' in page


def test_a_valid_nomination_is_submitted_to_the_secondary_unit(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    auth.login(aorg.secretary)
    pdf = (io.BytesIO(b"%PDF-1.4\n% award\n%%EOF\n"), "获奖证书.pdf")
    resp = post_nomination(client, cycle, nominee=key(aorg.member), attachments=[pdf])
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    req = db.session.scalars(select(AwardNomination)).one()
    assert resp.headers["Location"].endswith(f"/requests/{req.id}")
    assert (req.state, req.current_step, req.current_org_id) == (RequestState.PENDING, "secondary", aorg.sec_a.id)
    assert (req.beneficiary_id, req.category, req.deeds, req.quota_org_id) == \
        (aorg.member.member_id, MEMBER, DEEDS, aorg.sec_a.id)
    assert [a.filename for a in req.attachments] == ["获奖证书.pdf"]
    assert req.number.startswith("BZ-")
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "推荐王喆为优秀共产党员" in page and DEEDS in page and "二级党组织审核排序" in page


def test_the_branch_nominates_itself_for_advanced_organization(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    auth.login(aorg.secretary)
    resp = post_nomination(client, cycle, category=ORG.value, nominee=key(org=aorg.branch_a1))
    assert resp.status_code == 302
    req = db.session.scalars(select(AwardNomination)).one()
    assert (req.nominee_org_id, req.beneficiary_id, req.nominee_key) == \
        (aorg.branch_a1.id, None, f"org:{aorg.branch_a1.id}")


@pytest.mark.parametrize("data,field,message", [
    ({"deeds": "  "}, "deeds", "请填写主要事迹"),
    ({"deeds": "事" * 1501}, "deeds", "主要事迹不能超过1500字（当前1501字）"),
    ({"category": ORG.value}, "nominee", "「先进基层党组织」推荐的是党组织，请选择本支部"),
    ({"category": AwardCategory.SPECIAL.value}, "category", "请选择本次评选设有的推荐类别"),
    ({"nominee": "org:BRANCH"}, "nominee", "「优秀共产党员」推荐的是党员个人，请选择本支部的党员"),
    ({"nominee": "member:OTHER"}, "nominee", "请选择被推荐对象"),  # a member of another branch
    ({"nominee": "member:SELF"}, "nominee", "请选择被推荐对象"),  # themself: not offered
    ({"nominee": ""}, "nominee", "请选择被推荐对象"),
])
def test_the_rules_are_messages_next_to_the_fields(app, aorg, auth, client, data, field, message):
    cycle = make_cycle(aorg)
    auth.login(aorg.secretary)
    values = {"nominee": key(aorg.member)}
    values.update(data)
    values["nominee"] = (values["nominee"].replace("BRANCH", str(aorg.branch_a1.id))
                         .replace("OTHER", str(aorg.member_b.member_id)).replace("SELF", str(aorg.secretary.member_id)))
    resp = post_nomination(client, cycle, **values)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "推荐未提交" in page
    assert any(message in e for e in field_errors(page, field)), field_errors(page, field)
    assert db.session.scalar(select(func.count(AwardNomination.id))) == 0


def test_1500_characters_counted_as_characters_with_line_breaks_are_accepted(app, aorg, auth, client):
    """The browser sends CRLF: a line break is one character, as the page's counter counts it."""
    cycle = make_cycle(aorg)
    auth.login(aorg.secretary)
    deeds = ("事" * 99 + "\r\n") * 15  # 15 × (99 + 1) = 1500 characters
    resp = post_nomination(client, cycle, nominee=key(aorg.member), deeds=deeds)
    assert resp.status_code == 302, field_errors(resp.get_data(as_text=True), "deeds")
    req = db.session.scalars(select(AwardNomination)).one()
    assert len(req.deeds) == 1499 and "\r" not in req.deeds  # the trailing break is trimmed


def test_a_second_nomination_of_the_same_person_is_refused_with_a_clear_message(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    first = nominate(cycle, aorg.committee, MEMBER, member_user=aorg.member)
    auth.login(aorg.secretary)
    resp = post_nomination(client, cycle, nominee=key(aorg.member))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert (f"王喆已被推荐为本次评选的「优秀共产党员」（{first.number}，会计学院教工第一党支部推荐，审批中），"
            "同一对象在同一评选的同一类别中只能被推荐一次") in field_errors(page, "nominee")
    # Another category is fine.
    assert post_nomination(client, cycle, nominee=key(aorg.member), category=WORKER.value).status_code == 302


def test_no_open_cycle_no_form(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    cycle.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    auth.login(aorg.secretary)
    resp = client.get("/awards/nominations/new")
    assert resp.status_code == 302
    assert "当前没有正在征集推荐的表彰评选" in client.get(resp.headers["Location"]).get_data(as_text=True)
    # …and a form posted after the deadline is refused.
    resp = post_nomination(client, cycle, nominee=key(aorg.member))
    assert resp.status_code == 302 and db.session.scalar(select(func.count(AwardNomination.id))) == 0


def test_start_and_manage_entries(app, aorg, auth, client):
    make_cycle(aorg)
    auth.login(aorg.secretary)
    assert "/awards/nominations/new" in client.get("/new").get_data(as_text=True)
    auth.login(aorg.member)
    assert "/awards/nominations/new" not in client.get("/new").get_data(as_text=True)
    auth.login(aorg.org_dept_user)
    assert "/awards/cycles" in client.get("/manage").get_data(as_text=True)
    auth.login(aorg.secondary)
    assert "/awards/ranking" in client.get("/manage").get_data(as_text=True)


def test_a_returned_nomination_is_edited_and_resubmitted(app, aorg, auth, client):
    from dangjian.workflow import Action, apply_action
    cycle = make_cycle(aorg)
    req = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    apply_action(req, aorg.secondary, Action.RETURN, opinion="请补充近三年的具体成绩")
    auth.login(aorg.secretary)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert f"/awards/nominations/{req.id}/edit" in page and "请补充近三年的具体成绩" in page
    resp = client.post(f"/awards/nominations/{req.id}/edit", data={"deeds": " ", "version": req.version})
    assert "请填写主要事迹" in resp.get_data(as_text=True)
    resp = client.post(f"/awards/nominations/{req.id}/edit", data={"deeds": DEEDS + "近三年考核均为优秀。",
                                                                    "version": req.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (req.state, req.current_step) == (RequestState.PENDING, "secondary")
    assert req.deeds.endswith("近三年考核均为优秀。")


# --- the cycle settings ----------------------------------------------------------------------------

def cycle_data(o, **extra):
    data = {"year": "2026", "name": "2026年度“两优一先”表彰", "categories": ["advanced_org", "excellent_member"],
            "special_name": "", "deadline": (local_today() + timedelta(days=20)).isoformat(),
            "publicity_days": "5",
            f"quota-{o.sec_a.id}-excellent_member": "2", f"quota-{o.sec_b.id}-excellent_member": "1",
            f"quota-{o.direct.id}-excellent_member": "1", f"quota-{o.sec_a.id}-advanced_org": "1"}
    data.update(extra)
    return data


def test_the_org_dept_opens_a_cycle_with_its_quota_grid(app, aorg, auth, client):
    auth.login(aorg.org_dept_user)
    page = client.get("/awards/cycles/new").get_data(as_text=True)
    for org in ("会计学院党委", "经济学院党委", "图书馆直属党支部"):
        assert org in page  # a grid row per secondary unit and per 直属党支部
    resp = client.post("/awards/cycles/new", data=cycle_data(aorg))
    assert resp.status_code == 302
    cycle = db.session.scalars(select(AwardCycle)).one()
    assert (cycle.status, cycle.publicity_days, cycle.category_list) == \
        (CycleStatus.OPEN, 5, [AwardCategory.ADVANCED_ORG, AwardCategory.EXCELLENT_MEMBER])
    grid = {(q.organization_id, q.category): q.quota for q in cycle.quotas}
    assert grid[aorg.sec_a.id, MEMBER] == 2 and grid[aorg.sec_b.id, MEMBER] == 1
    assert grid[aorg.direct.id, MEMBER] == 1 and grid[aorg.sec_b.id, ORG] == 0
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "award_cycle.create"))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2026年度“两优一先”表彰" in page and "0 / 2" in page


@pytest.mark.parametrize("extra,field,message", [
    ({"categories": []}, "categories", "请至少选择一个表彰类别"),
    ({"categories": ["special"], "special_name": ""}, "special_name", "请填写专项名称"),
    ({"deadline": "2020-01-01"}, "deadline", "推荐截止日期不能早于今天"),
    ({"deadline": ""}, "deadline", "请选择推荐截止日期"),
    ({"publicity_days": "0"}, "publicity_days", "公示天数应为1–30个工作日"),
])
def test_cycle_settings_are_checked(app, aorg, auth, client, extra, field, message):
    auth.login(aorg.org_dept_user)
    resp = client.post("/awards/cycles/new", data=cycle_data(aorg, **extra))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "未保存" in page
    assert any(message in e for e in re.findall(r'invalid-feedback d-block">([^<]*)', page)), page[-3000:]
    assert db.session.scalar(select(func.count(AwardCycle.id))) == 0


def test_a_bad_quota_cell_is_shown_in_the_grid(app, aorg, auth, client):
    auth.login(aorg.org_dept_user)
    resp = client.post("/awards/cycles/new", data=cycle_data(aorg, **{f"quota-{aorg.sec_a.id}-excellent_member": "两"}))
    assert "名额应为0–99的整数" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AwardCycle.id))) == 0


def test_a_quota_never_goes_below_what_was_forwarded(app, aorg, auth, client):
    cycle = make_cycle(aorg, categories=(ORG, MEMBER), quota=2)
    forward(nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member), aorg.secondary)
    auth.login(aorg.org_dept_user)
    data = cycle_data(aorg, **{f"quota-{aorg.sec_a.id}-excellent_member": "0"})
    resp = client.post(f"/awards/cycles/{cycle.id}/edit", data=data)
    assert "已报送 1 名，名额不能少于 1" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert cycle.quota_for(aorg.sec_a.id, MEMBER).quota == 2
    # Dropping a category that has nominations is refused too.
    resp = client.post(f"/awards/cycles/{cycle.id}/edit", data=cycle_data(aorg, categories=["advanced_org"]))
    assert "以下类别已有推荐，不能取消：优秀共产党员" in resp.get_data(as_text=True)
    # A valid edit: the deadline and a quota change.
    resp = client.post(f"/awards/cycles/{cycle.id}/edit", data=cycle_data(aorg, **{f"quota-{aorg.sec_a.id}-excellent_member": "3"}))
    assert resp.status_code == 302
    db.session.expire_all()
    assert cycle.quota_for(aorg.sec_a.id, MEMBER).quota == 3


def test_after_the_deadline_the_cycle_is_not_edited(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    cycle.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    auth.login(aorg.org_dept_user)
    resp = client.get(f"/awards/cycles/{cycle.id}/edit")
    assert resp.status_code == 302
    assert "推荐截止后" in client.get(resp.headers["Location"]).get_data(as_text=True)


# --- ranking and forwarding (htmx) -----------------------------------------------------------------

HX = {"HX-Request": "true"}


def test_the_unit_ranks_and_forwards_within_its_quota(app, aorg, auth, client):
    cycle = make_cycle(aorg, quota=1)
    a = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    b = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member2)
    auth.login(aorg.secondary)
    page = client.get(f"/awards/cycles/{cycle.id}/ranking").get_data(as_text=True)
    assert page.index("王喆") < page.index("张堃") and "名额 1 名 · 已报送 0 名" in page

    resp = client.post(f"/awards/nominations/{b.id}/move", data={"direction": "up"}, headers=HX)
    part = resp.get_data(as_text=True)
    assert part.strip().startswith('<section class="dj-box" id="rank-excellent_member"')
    assert "已上移：张堃" in part and part.index("张堃") < part.index("王喆")

    resp = client.post(f"/awards/nominations/{b.id}/forward", data={"opinion": "", "version": b.version}, headers=HX)
    part = resp.get_data(as_text=True)
    assert "已报送：张堃（排序第 1 名）" in part and "名额 1 名 · 已报送 1 名" in part
    assert 'id="todo-badge"' in part and "hx-swap-oob" in part  # the inbox badge follows
    resp = client.post(f"/awards/nominations/{a.id}/forward", data={"opinion": "同意", "version": a.version},
                       headers=HX)
    assert "会计学院党委「优秀共产党员」名额为 1 名，已报送 1 名，不能再报送" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert (a.current_step, b.current_step, b.rank) == ("secondary", "org_dept", 1)
    assert b.timeline[-1].opinion == "经审核，同意推荐。"


def test_forwarding_without_htmx_redirects_back_with_the_message(app, aorg, auth, client):
    cycle = make_cycle(aorg, quota=0)
    a = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    auth.login(aorg.secondary)
    resp = client.post(f"/awards/nominations/{a.id}/forward", data={"version": a.version})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "会计学院党委本次评选没有「优秀共产党员」名额，不能报送" in page


# --- publication and objections through the pages ---------------------------------------------------

def test_publish_and_handle_an_objection_from_the_cycle_page(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    req = decided(aorg, cycle, member_user=aorg.member)
    pending = nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member2)
    auth.login(aorg.org_dept_user)
    page = client.get(f"/awards/cycles/{cycle.id}").get_data(as_text=True)
    assert "尚有 <strong>1</strong> 项推荐仍在审核中" in page
    resp = client.post(f"/awards/cycles/{cycle.id}/publish")
    assert "请全部办结后再发布公示" in client.get(resp.headers["Location"]).get_data(as_text=True)

    from dangjian.workflow import Action, apply_action
    apply_action(pending, aorg.secondary, Action.REJECT, opinion="名额所限，不予推荐")
    page = client.get(f"/awards/cycles/{cycle.id}").get_data(as_text=True)
    assert "发布公示" in page and 'hx-confirm="确定发布公示吗' in page
    resp = client.post(f"/awards/cycles/{cycle.id}/publish")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已发布公示：1 项推荐进入公示" in page
    db.session.expire_all()
    assert req.state is RequestState.PUBLICIZING

    # A member objects on the board; 组织部 dismisses it with a reason.
    auth.login(aorg.member_b)
    board = client.get("/openness/").get_data(as_text=True)
    assert f"/awards/publicity/{req.id}/objection" in board
    resp = client.post(f"/awards/publicity/{req.id}/objection", data={"content": ""})
    assert "请填写异议内容" in resp.get_data(as_text=True)
    resp = client.post(f"/awards/publicity/{req.id}/objection", data={"content": "反映该同志考核情况与事迹不符。"})
    assert resp.status_code == 302
    objection = db.session.scalars(select(Objection)).one()
    assert objection.objector_id == aorg.member_b.id

    auth.login(aorg.org_dept_user)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "公示期间的异议处理" in page and "提出人：周珺玥" in page  # in the panel, for 组织部
    resp = client.post(f"/awards/objections/{objection.id}/handle",
                       data={"decision": "dismiss", "reason": "", "next": "request"})
    assert "请填写处理意见" in client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = client.post(f"/awards/objections/{objection.id}/handle",
                       data={"decision": "dismiss", "reason": "经核实，考核情况属实，异议不成立。", "next": "request"})
    assert resp.headers["Location"].endswith(f"/requests/{req.id}")
    assert "异议不成立，推荐继续公示" in client.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert objection.status is ObjectionStatus.DISMISSED and req.state is RequestState.PUBLICIZING


def test_the_objection_page_after_the_period_only_says_so(app, aorg, auth, client):
    cycle = make_cycle(aorg)
    req = decided(aorg, cycle, member_user=aorg.member)
    publish_cycle(cycle.id, aorg.org_dept_user)
    file_objection(req.id, aorg.member_b, "反映问题。")
    db.session.expire_all()
    cycle.publicity_ends_at = cycle.published_at  # the period is over; the open objection keeps it listed
    db.session.commit()
    auth.login(aorg.member2)
    page = client.get(f"/awards/publicity/{req.id}/objection").get_data(as_text=True)
    assert "公示期已结束，不能再提出异议" in page and "<textarea" not in page
    client.post(f"/awards/publicity/{req.id}/objection", data={"content": "再反映"})
    assert db.session.scalar(select(func.count(Objection.id))) == 1
    assert "公示期已结束" in client.get("/openness/").get_data(as_text=True)


def test_a_duplicate_that_slips_past_the_form_check_is_refused_by_the_database(app, aorg, auth, client, monkeypatch):
    """Two branches submitting the same person at the same moment: the form's check sees nothing,
    the unique key refuses the second, and the form shows the same message (nothing half-saved)."""
    from dangjian.request_types.award_nomination import form as award_form
    cycle = make_cycle(aorg)
    first = nominate(cycle, aorg.committee, MEMBER, member_user=aorg.member)
    monkeypatch.setattr(award_form, "duplicate", lambda *args: None)  # the race: the check ran before
    auth.login(aorg.secretary)
    pdf = (io.BytesIO(b"%PDF-1.4\n% award\n%%EOF\n"), "证书.pdf")
    resp = post_nomination(client, cycle, nominee=key(aorg.member), attachments=[pdf])
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"王喆已被推荐为本次评选的「优秀共产党员」（{first.number}" in page
    assert db.session.scalar(select(func.count(AwardNomination.id))) == 1
    from dangjian.models import Attachment
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    import os
    upload_dir = app.config["UPLOAD_DIR"]
    assert not any(files for _, _, files in os.walk(upload_dir))  # the uploaded file was removed
