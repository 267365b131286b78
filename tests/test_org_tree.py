"""The organization tree as 组织部 keeps it: create units of each kind, rename, move a branch (its
path recomputed; requests keep their organization), dissolve with a date (refused while members or
live units remain, saying how many); a dissolved unit is greyed and no longer offered."""
import json
from datetime import date, timedelta

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, BranchType, MemberStatus, Organization, OrgKind, UnitType
from dangjian.org import operations
from dangjian.request_types.award_nomination.access import nominee_options
from dangjian.request_types.secretary_allowance.compute import existed_months
from dangjian.timeutil import local_today
from tests.factories import new_waiver
from tests.org_support import field_errors, member_form


def _audit(action):
    return [json.loads(e.detail) for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_the_tree_shows_kinds_codes_counts_and_dates(app, org, auth, client):
    org.branch_a1.code, org.branch_a1.founded_on = "KJ-01", date(2015, 9, 1)
    org.sec_a.unit_type = UnitType.COMMITTEE
    db.session.commit()
    auth.login(org.org_dept_user)
    html = client.get("/org/tree").get_data(as_text=True)
    row = html[html.index('id="unit-%d"' % org.branch_a1.id):]
    row = row[:row.index("</tr>")]
    assert "会计学院教工第一党支部" in row and "教职工党支部" in row and "KJ-01" in row and "2015-09-01" in row
    # branch_a1 has 王喆, 张堃, 李书记, 赵支委, 陈组织员.
    assert ">5</a>" in row
    sec_row = html[html.index('id="unit-%d"' % org.sec_a.id):]
    assert "二级党委" in sec_row[:sec_row.index("</tr>")] and ">6</a>" in sec_row[:sec_row.index("</tr>")]
    direct_row = html[html.index('id="unit-%d"' % org.direct.id):]
    assert "直属党支部" in direct_row[:direct_row.index("</tr>")]


def test_create_a_secondary_unit_and_a_branch_under_it(app, org, auth, client):
    auth.login(org.org_dept_user)
    resp = client.post(f"/org/units/new?parent_id={org.school.id}",
                       data={"name": "金融学院党委", "unit_type": "committee", "code": "JR", "founded_on": "2001-09-01"})
    assert resp.status_code == 302
    unit = db.session.scalar(select(Organization).where(Organization.name == "金融学院党委"))
    assert (unit.kind, unit.unit_type, unit.code, unit.founded_on) == (OrgKind.SECONDARY, UnitType.COMMITTEE, "JR",
                                                                       date(2001, 9, 1))
    assert unit.path == f"{org.school.path}{unit.id}/"
    resp = client.post(f"/org/units/new?parent_id={unit.id}",
                       data={"name": "金融学院学生第一党支部", "branch_type": "student", "code": "JR-S1"})
    assert resp.status_code == 302
    branch = db.session.scalar(select(Organization).where(Organization.code == "JR-S1"))
    assert (branch.kind, branch.branch_type, branch.parent_id) == (OrgKind.BRANCH, BranchType.STUDENT, unit.id)
    assert branch.path == f"{unit.path}{branch.id}/" and branch.type_label == "学生党支部"
    assert [d["name"] for d in _audit("org.unit_created")] == ["金融学院党委", "金融学院学生第一党支部"]


def test_create_a_direct_branch_under_the_school(app, org, auth, client):
    auth.login(org.org_dept_user)
    resp = client.post(f"/org/units/new?parent_id={org.school.id}&kind=branch",
                       data={"name": "后勤直属党支部", "branch_type": "staff"})
    assert resp.status_code == 302
    branch = db.session.scalar(select(Organization).where(Organization.name == "后勤直属党支部"))
    assert branch.is_direct_branch and branch.type_label == "直属党支部"


def test_creating_refuses_a_duplicate_code_a_missing_type_and_a_future_date(app, org, auth, client):
    org.branch_b1.code = "JJ-01"
    db.session.commit()
    auth.login(org.org_dept_user)
    before = db.session.scalar(select(db.func.count(Organization.id)))
    html = client.post(f"/org/units/new?parent_id={org.sec_a.id}",
                       data={"name": "新支部", "branch_type": "staff", "code": "JJ-01"}).get_data(as_text=True)
    assert "组织编码「JJ-01」已被「经济学院教工党支部」使用" in field_errors(html, "code")
    html = client.post(f"/org/units/new?parent_id={org.sec_a.id}", data={"name": "新支部"}).get_data(as_text=True)
    assert any("请选择党支部类型" in e for e in field_errors(html, "branch_type"))
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    html = client.post(f"/org/units/new?parent_id={org.school.id}",
                       data={"name": "新学院党委", "unit_type": "general_branch", "founded_on": tomorrow}).get_data(as_text=True)
    assert "成立日期不能晚于今天" in field_errors(html, "founded_on")
    html = client.post(f"/org/units/new?parent_id={org.sec_a.id}",
                       data={"name": "会计学院本科生党支部", "branch_type": "student"}).get_data(as_text=True)
    assert "「会计学院党委」下已有名为「会计学院本科生党支部」的组织" in field_errors(html, "name")
    assert db.session.scalar(select(db.func.count(Organization.id))) == before
    # A branch cannot hold units: no "new" page under it.
    assert client.get(f"/org/units/new?parent_id={org.branch_a1.id}").status_code == 404


def test_rename_and_correct_the_dates(app, org, auth, client):
    auth.login(org.org_dept_user)
    resp = client.post(f"/org/units/{org.branch_a1.id}/edit",
                       data={"name": "会计学院教工党支部", "branch_type": "staff", "code": "KJ-T", "founded_on": "2016-03-01"})
    assert resp.status_code == 302
    db.session.expire_all()
    b = db.session.get(Organization, org.branch_a1.id)
    assert (b.name, b.code, b.founded_on) == ("会计学院教工党支部", "KJ-T", date(2016, 3, 1))
    assert _audit("org.unit_updated")[-1]["changed"] == ["名称", "组织编码", "成立日期"]


def test_move_a_branch_recomputes_its_path_and_requests_keep_their_branch(app, org, auth, client):
    waiver = new_waiver(org.member)  # filed in branch_a1, waiting for the branch step
    auth.login(org.org_dept_user)
    resp = client.post(f"/org/units/{org.branch_a1.id}/move", data={"parent_id": org.sec_b.id, "note": "学院调整"})
    assert resp.status_code == 302
    db.session.expire_all()
    b = db.session.get(Organization, org.branch_a1.id)
    assert b.parent_id == org.sec_b.id and b.path == f"{org.sec_b.path}{b.id}/"
    assert org.sec_b.contains(b) and not db.session.get(Organization, org.sec_a.id).contains(b)
    assert waiver.organization_id == org.branch_a1.id
    assert _audit("org.unit_moved")[-1] == {"name": b.name, "from_parent": "会计学院党委", "to_parent": "经济学院党委",
                                             "note": "学院调整"}
    # Then to the school: a 直属党支部, whose requests skip the secondary step.
    assert client.post(f"/org/units/{b.id}/move", data={"parent_id": org.school.id}).status_code == 302
    db.session.expire_all()
    b = db.session.get(Organization, org.branch_a1.id)
    assert b.is_direct_branch and b.path == f"{org.school.path}{b.id}/"


def test_move_is_refused_into_a_dissolved_unit_and_for_secondary_units(app, org, auth, client):
    auth.login(org.org_dept_user)
    assert client.get(f"/org/units/{org.sec_a.id}/move").status_code == 404
    with app.test_request_context():
        try:
            operations.move_unit(org.org_dept_user, org.branch_a1, org.sec_a)
        except operations.OrgError as exc:
            assert "已在「会计学院党委」之下" in exc.message
        else:
            raise AssertionError("moved into its own parent")


def test_dissolve_is_refused_while_members_or_units_remain_and_says_how_many(app, org, auth, client):
    auth.login(org.org_dept_user)
    html = client.post(f"/org/units/{org.branch_a1.id}/dissolve", data={"dissolved_on": local_today().isoformat()}
                       ).get_data(as_text=True)
    assert "「会计学院教工第一党支部」还有5名党员，请先为他们办理组织关系转接后再撤销" in html
    html = client.post(f"/org/units/{org.sec_a.id}/dissolve", data={"dissolved_on": local_today().isoformat()}
                       ).get_data(as_text=True)
    assert "「会计学院党委」下还有2个未撤销的党支部" in html
    db.session.expire_all()
    assert db.session.get(Organization, org.branch_a1.id).dissolved_on is None
    assert _audit("org.unit_dissolved") == []


def test_dissolve_an_empty_branch_greys_it_and_it_is_no_longer_offered(app, org, auth, client):
    # branch_a2's one member leaves; 去世 records stay but do not block.
    auth.login(org.org_dept_user)
    secretary_a2 = org.secretary_a2.member
    assert client.post(f"/org/members/{secretary_a2.id}/transfer",
                       data={"to_branch_id": org.branch_a1.id, "transferred_on": local_today().isoformat()}).status_code == 302
    on = local_today()
    resp = client.post(f"/org/units/{org.branch_a2.id}/dissolve", data={"dissolved_on": on.isoformat(), "note": "合并"})
    assert resp.status_code == 302
    db.session.expire_all()
    b = db.session.get(Organization, org.branch_a2.id)
    assert b.dissolved_on == on and b.is_dissolved
    tree = client.get("/org/tree").get_data(as_text=True)
    row = tree[tree.index(f'id="unit-{b.id}"'):]
    assert "dj-unit-dissolved" in row[:200] and "已撤销" in row[:row.index("</tr>")]
    # Not offered for new members or transfers.
    assert f'value="{b.id}"' not in client.get("/org/members/new").get_data(as_text=True)
    assert f'value="{b.id}"' not in client.get(f"/org/members/{org.member.member_id}/transfer").get_data(as_text=True)
    html = client.post("/org/members/new", data=member_form(b.id)).get_data(as_text=True)
    assert "请选择所在支部" in field_errors(html, "branch_id")
    # Nor for new requests: its secretary has nothing left to nominate for it.
    with app.test_request_context():
        assert nominee_options(org.secretary_a2) == ({}, [])


def test_dissolve_date_rules(app, org, auth, client):
    member = org.secretary_a2.member
    member.status, member.status_on = MemberStatus.DECEASED, date(2024, 1, 1)
    org.branch_a2.founded_on = date(2020, 1, 1)
    db.session.commit()
    auth.login(org.org_dept_user)
    html = client.post(f"/org/units/{org.branch_a2.id}/dissolve", data={"dissolved_on": "2019-12-31"}).get_data(as_text=True)
    assert "撤销日期应晚于成立日期（2020年1月1日）" in field_errors(html, "dissolved_on")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    html = client.post(f"/org/units/{org.branch_a2.id}/dissolve", data={"dissolved_on": tomorrow}).get_data(as_text=True)
    assert any("撤销日期不能晚于今天" in e for e in field_errors(html, "dissolved_on"))
    # A deceased member's record stays with the branch and does not block.
    assert client.post(f"/org/units/{org.branch_a2.id}/dissolve", data={"dissolved_on": "2025-06-30"}).status_code == 302
    # The allowance's months of existence read the dates: founded 2020, dissolved 30 June 2025.
    db.session.expire_all()
    assert existed_months(db.session.get(Organization, org.branch_a2.id), 2025) == [1, 2, 3, 4, 5, 6]
