"""The import pages: /org/import is 组织部's and /admin/import the 系统管理员's (404 for everyone else,
other kinds included); uploads are checked; the preview writes nothing; an upload is bound to the
user who made it; confirmation needs the CSRF token; temporary passwords are shown once."""
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, User
from tests.factories import make_member
from tests.import_support import ACCOUNT_HEADER, MEMBER_HEADER, ORG_HEADER, member_row, org_rows, write_xlsx
from tests.test_csrf import form_token, login

EVERYONE = ["member", "member2", "secretary", "committee", "secretary_a2", "secondary", "member_b", "secretary_b",
            "secondary_b", "org_dept_user", "school_user", "school_user2", "supervisor", "sysadmin",
            "direct_member", "direct_secretary"]
ORG_URLS = ["/org/import", "/org/import/templates/members.xlsx", "/org/import/templates/organizations.xlsx",
            "/org/import/" + "a" * 32]
ADMIN_URLS = ["/admin/import", "/admin/import/templates/accounts.xlsx", "/admin/import/" + "a" * 32]
TOKEN_URL = re.compile(r"/(org|admin)/import/([A-Za-z0-9_-]{32})$")


def members_count():
    return db.session.scalar(select(func.count()).select_from(Member))


def upload(client, area, kind, path, name="名册.xlsx", **extra):
    with open(path, "rb") as f:
        return client.post(f"/{area}/import/upload", data={"kind": kind, "file": (f, name), **extra},
                           content_type="multipart/form-data")


@pytest.mark.parametrize("who", [w for w in EVERYONE if w != "org_dept_user"])
def test_org_import_is_404_outside_org_dept(app, org, auth, client, who, tmp_path):
    auth.login(getattr(org, who))
    for url in ORG_URLS:
        assert client.get(url).status_code == 404, url
    path = write_xlsx(tmp_path / "r.xlsx", {"党员": [MEMBER_HEADER, member_row(1, org.branch_a1.name)]})
    assert upload(client, "org", "members", path).status_code == 404
    assert client.post("/org/import/" + "a" * 32 + "/confirm").status_code == 404


@pytest.mark.parametrize("who", [w for w in EVERYONE if w != "sysadmin"])
def test_admin_import_is_404_for_everyone_but_the_sysadmin(app, org, auth, client, who, tmp_path):
    auth.login(getattr(org, who))
    for url in ADMIN_URLS:
        assert client.get(url).status_code == 404, url
    path = write_xlsx(tmp_path / "a.xlsx", {"账号": [ACCOUNT_HEADER, ["intruder", "闯入者", "", "", "", "", "", ""]]})
    assert upload(client, "admin", "accounts", path).status_code == 404


def test_each_area_imports_only_its_own_kinds(app, org, auth, client, tmp_path):
    auth.login(org.org_dept_user)
    assert client.get("/org/import/templates/accounts.xlsx").status_code == 404
    path = write_xlsx(tmp_path / "a.xlsx", {"账号": [ACCOUNT_HEADER, ["intruder", "闯入者", "", "", "", "", "", ""]]})
    assert upload(client, "org", "accounts", path).status_code == 404
    auth.login(org.sysadmin)
    assert client.get("/admin/import/templates/members.xlsx").status_code == 404


def test_anonymous_users_are_sent_to_login(app, org, client):
    assert client.get("/org/import").status_code == 302
    assert client.get("/admin/import").status_code == 302


def test_templates_have_headers_examples_dropdowns_and_instructions(app, org, auth, client):
    auth.login(org.org_dept_user)
    resp = client.get("/org/import/templates/members.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(resp.data))
    assert wb.sheetnames[:3] == ["说明", "组织", "党员"] and wb["可选值"].sheet_state == "hidden"
    members = wb["党员"]
    header = [c.value for c in members[1]]
    assert header[:4] == ["工号", "姓名", "性别", "身份证号"] and "月缴党费" in header
    assert members["A2"].value == "000123" and members["A2"].number_format == "@"
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in members.data_validations.dataValidation}
    assert lists["C2"] == '"男,女"'
    assert lists[f"{chr(65 + header.index('人员类别'))}2"] == '"教职工,学生,离退休"'
    assert lists[f"{chr(65 + header.index('所在支部'))}2"].startswith("'可选值'!")
    orgs = wb["组织"]
    org_lists = [dv.formula1 for dv in orgs.data_validations.dataValidation]
    assert '"二级党委,党总支,机关党委,教职工党支部,学生党支部,离退休党支部,直属党支部"' in org_lists
    instructions = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "公民身份号码" in instructions and "空白单元格不会清除" in instructions
    branches = [c.value for c in wb["可选值"]["A"][1:]]
    assert "会计学院教工第一党支部" in branches

    auth.login(org.sysadmin)
    wb = load_workbook(BytesIO(client.get("/admin/import/templates/accounts.xlsx").data))
    roles = [dv.formula1 for dv in wb["账号"].data_validations.dataValidation]
    assert any("支部书记/支委" in f and "系统管理员" in f for f in roles)


def test_upload_preview_confirm(app, org, auth, client, tmp_path):
    auth.login(org.org_dept_user)
    before = members_count()
    path = write_xlsx(tmp_path / "r.xlsx", {"组织": [ORG_HEADER, *org_rows(1, 1)],
                                            "党员": [MEMBER_HEADER, *[member_row(n, "S1B1") for n in range(1, 61)]]})
    resp = upload(client, "org", "members", path)
    assert resp.status_code == 302
    token = TOKEN_URL.search(resp.headers["Location"]).group(2)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-count="new">62<' in page and "确认导入" in page
    assert page.count('data-outcome="new"') == 50  # paged
    rest = client.get(f"/org/import/{token}?show=new&page=2", headers={"HX-Request": "true"})
    assert rest.get_data(as_text=True).count('data-outcome="new"') == 12
    assert "<html" not in rest.get_data(as_text=True)  # htmx gets the rows only
    assert members_count() == before  # the preview wrote nothing

    resp = client.post(f"/org/import/{token}/confirm")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/org/import")
    assert members_count() == before + 60
    assert "导入完成" in client.get("/org/import").get_data(as_text=True)
    # The file is gone after confirmation; the page says so rather than importing twice.
    resp = client.post(f"/org/import/{token}/confirm")
    assert resp.status_code == 302 and members_count() == before + 60
    assert "已完成" in client.get("/org/import").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "import.members")) == 1


def test_preview_with_errors_offers_no_confirmation(app, org, auth, client, tmp_path):
    auth.login(org.org_dept_user)
    bad = member_row(1, "没有这个支部")
    path = write_xlsx(tmp_path / "r.xlsx", {"党员": [MEMBER_HEADER, bad]})
    resp = upload(client, "org", "members", path)
    token = TOKEN_URL.search(resp.headers["Location"]).group(2)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "确认导入" not in page and "所在支部「没有这个支部」不存在" in page and "重新上传修改后的文件" in page
    before = members_count()
    client.post(f"/org/import/{token}/confirm")
    assert members_count() == before


def test_an_upload_belongs_to_its_user(app, org, auth, client, tmp_path):
    second = make_member(org.branch_b1, "另一位组织部")
    from dangjian.models import Role, RoleAssignment
    other = User(username="orgdept2", display_name="组织部二", password_hash=org.org_dept_user.password_hash,
                 member=second)
    other.role_assignments.append(RoleAssignment(role=Role.ORG_DEPT, organization=org.org_dept))
    db.session.add(other)
    db.session.commit()
    auth.login(org.org_dept_user)
    path = write_xlsx(tmp_path / "r.xlsx", {"党员": [MEMBER_HEADER, member_row(1, org.branch_a1.name)]})
    location = upload(client, "org", "members", path).headers["Location"]
    token = TOKEN_URL.search(location).group(2)

    auth.login(other)
    page = client.get(location, follow_redirects=True).get_data(as_text=True)
    assert "已过期" in page and "党员1" not in page
    before = members_count()
    client.post(f"/org/import/{token}/confirm")
    assert members_count() == before


@pytest.mark.parametrize("name,data,needle", [
    ("名册.xls", b"\xd0\xcf\x11\xe0 old excel", "另存为」.xlsx"),
    ("名册.csv", b"a,b,c", "不是 .xlsx 文件"),
    ("名册.xlsx", b"just text", "内容不是 .xlsx 工作簿"),
    ("名册.xlsx", b"", "空文件"),
])
def test_uploads_that_are_not_xlsx_are_refused(app, org, auth, client, name, data, needle):
    auth.login(org.org_dept_user)
    resp = client.post("/org/import/upload", data={"kind": "members", "file": (BytesIO(data), name)},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and needle in resp.get_data(as_text=True)


def test_accounts_passwords_are_shown_once(app, org, auth, client, tmp_path):
    auth.login(org.sysadmin)
    path = write_xlsx(tmp_path / "a.xlsx", {"账号": [ACCOUNT_HEADER, ["newbie", "新同志", "", "", "", "", "", ""]]})
    location = upload(client, "admin", "accounts", path).headers["Location"]
    token = TOKEN_URL.search(location).group(2)
    resp = client.post(f"/admin/import/{token}/confirm")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "只显示这一次" in page and resp.headers["Cache-Control"] == "no-store"
    password = re.search(r"<code[^>]*>([^<]+)</code>", page).group(1)
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user.check_password(password) and user.must_change_password
    again = client.post(f"/admin/import/{token}/confirm", follow_redirects=True).get_data(as_text=True)
    assert password not in again


def test_confirm_and_discard_need_the_csrf_token(csrf_app, org, client, tmp_path):
    login(client, org.org_dept_user)
    page = client.get("/org/import").get_data(as_text=True)
    path = write_xlsx(tmp_path / "r.xlsx", {"党员": [MEMBER_HEADER, member_row(1, org.branch_a1.name)]})
    assert upload(client, "org", "members", path).status_code == 400  # no token
    resp = upload(client, "org", "members", path, csrf_token=form_token(page))
    location = resp.headers["Location"]
    token = TOKEN_URL.search(location).group(2)
    before = members_count()
    assert client.post(f"/org/import/{token}/confirm").status_code == 400
    assert client.post(f"/org/import/{token}/discard").status_code == 400
    assert members_count() == before
    preview = client.get(location).get_data(as_text=True)
    resp = client.post(f"/org/import/{token}/confirm", data={"csrf_token": form_token(preview)})
    assert resp.status_code == 302 and members_count() == before + 1


def test_discard_deletes_the_upload(app, org, auth, client, tmp_path):
    auth.login(org.org_dept_user)
    path = write_xlsx(tmp_path / "r.xlsx", {"党员": [MEMBER_HEADER, member_row(1, org.branch_a1.name)]})
    location = upload(client, "org", "members", path).headers["Location"]
    token = TOKEN_URL.search(location).group(2)
    import os
    folder = os.path.join(app.config["UPLOAD_DIR"], "imports")
    assert sorted(os.listdir(folder)) == [f"{token}.json", f"{token}.xlsx"]
    client.post(f"/org/import/{token}/discard")
    assert os.listdir(folder) == []
