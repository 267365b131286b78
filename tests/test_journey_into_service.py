"""Putting the system into service, in headless Chromium, from an empty database (issue 6, Tests):

1. the schema comes from `flask db upgrade` and every table is empty; `flask users create-admin` runs
   as a real command, and the first 系统管理员 signs in with the one-time password it printed and is
   held on the password change until it changes it;
2. the administrator creates a 组织部 account and gives it the 组织部 role (at the 党委组织部 node that
   create-admin made: nothing else can create it);
3. 组织部 (one-time password, forced change) downloads the member template and uploads a roster the
   test builds with openpyxl — 3 secondary units, 10 branches, 200 members, 5 of them bad — and sees
   exactly those 5 rows in error, each with its cell and message;
4. 组织部 fixes those cells in the same file, uploads it again from the preview, confirms; it also
   sets the 慰问金 standard (a fresh install has none, and the form refuses a category without one);
5. the administrator makes an imported member 支部书记 of their branch, and another imported member
   二级党组织书记/组织员 of the secondary unit above it;
6. the secretary (one-time password, forced change) files a 慰问金 for another member of the branch;
   the secondary holder (likewise) finds it in 待办 and opens it at the 二级党组织 step.

CSRF is on, every confirmation is accepted by the browser, the console stays clean and no request
leaves our host. Screenshots go to the test's tmp dir (JOURNEY_SCREENSHOTS=dir keeps them).
"""
import os
import re
import shutil
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from sqlalchemy import MetaData, func, inspect, select

from dangjian.extensions import db
from dangjian.models import Member, Organization, OrgKind, Request, RequestState, Role, User
from tests.browser_support import ROOT, chromium, confirm_dialog, live_server, nav_link
from tests.import_support import MEMBER_HEADER, ORG_HEADER, member_row, write_xlsx

SCHOOL = "中共某某大学委员会"
H = MEMBER_HEADER.index
NEW_PASSWORDS = {"admin": "Guanli#2026x", "zuzhibu": "Zuzhi#2026x", "M00001": "Zhibu#2026x", "M00004": "Erji#2026x"}
# The five bad member rows (sheet row numbers: the header is row 1, member n is row n + 1).
BAD_ROWS = {
    11: [("E列「所在支部」", "所在支部「不存在的支部」不存在")],
    21: [("A列「工号」", "工号「M00019」与「党员」表第20行重复")],
    31: [("D列「身份证号」", "身份证号校验位不正确")],
    41: [("H列「入党日期」", "「2005年13月1日」不是有效日期")],
    51: [("K列「月缴党费」", "月缴党费「四十五」不是数字"), ("F列「人员类别」", "未知的人员类别「合同工」")],
}


def _environment(app) -> dict:
    """What an installed command reads: the test app's database, keys and Redis, nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANGJIAN_", "FLASK_"))}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "DANGJIAN_ARCHIVE_DIR": app.config["ARCHIVE_DIR"],
        "DANGJIAN_UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DANGJIAN_DATA_KEY": ",".join(app.config["DATA_KEYS"]),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def flask_command(app, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=_environment(app), capture_output=True, text=True, timeout=300)


def _drop_everything():
    db.session.remove()
    meta = MetaData()
    meta.reflect(bind=db.engine)
    meta.drop_all(bind=db.engine)
    db.engine.dispose()


@pytest.fixture
def installed_app(csrf_app):
    """The schema as a real install gets it: `flask db upgrade` on a database with no tables."""
    _drop_everything()
    assert inspect(db.engine).get_table_names() == []
    done = flask_command(csrf_app, "db", "upgrade")
    assert done.returncode == 0, done.stdout + done.stderr
    yield csrf_app
    _drop_everything()  # the alembic_version table too


def _rows_in(table) -> int:
    return db.session.scalar(select(func.count()).select_from(table))


def roster(path):
    """3 secondary units, 10 branches, 200 members; 5 member rows bad (BAD_ROWS)."""
    orgs = [ORG_HEADER]
    for s in range(1, 4):
        orgs.append([f"S{s}", f"第{s}学院党委", "二级党委", "", "2001-07-01"])
    for b in range(1, 11):
        orgs.append([f"B{b:02d}", f"第{b}党支部", "教职工党支部", f"S{1 + b % 3}", "2002-07-01"])
    members = [MEMBER_HEADER] + [member_row(n, f"B{1 + n % 10:02d}") for n in range(1, 201)]
    members[10][H("所在支部")] = "不存在的支部"
    members[20][H("工号")] = members[19][H("工号")]
    idn = members[30][H("身份证号")]
    members[30][H("身份证号")] = idn[:-1] + ("1" if idn[-1] != "1" else "2")
    members[40][H("入党日期")] = "2005年13月1日"
    members[50][H("月缴党费")] = "四十五"
    members[50][H("人员类别")] = "合同工"
    return write_xlsx(path, {"组织": orgs, "党员": members})


def fix_roster(bad, fixed):
    """What 组织部 does in Excel: correct the cells the preview named, save under a new name."""
    wb = load_workbook(bad)
    ws = wb["党员"]
    col = {h: i + 1 for i, h in enumerate(MEMBER_HEADER)}
    ws.cell(11, col["所在支部"]).value = "B01"
    ws.cell(21, col["工号"]).value = "M00020"
    ws.cell(31, col["身份证号"]).value = member_row(30, "B01")[H("身份证号")]  # the number as on the card
    ws.cell(41, col["入党日期"]).value = "2005年10月1日"
    ws.cell(51, col["月缴党费"]).value = "45.00"
    ws.cell(51, col["人员类别"]).value = "教职工"
    wb.save(fixed)
    return fixed


class Browser:
    """One tab, driven by what users see: labels, buttons, links."""

    def __init__(self, page, base, shots):
        self.page, self.base, self.shots = page, base, shots

    def shot(self, name):
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def sign_in(self, username, password, lands=r"/inbox/todo$"):
        page = self.page
        page.goto(self.base + "/login")
        page.get_by_label("账号").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(lands))

    def first_sign_in(self, username, one_time, elsewhere, shot=None):
        """The one-time password opens only the password change: another page leads back to it."""
        from playwright.sync_api import expect

        page = self.page
        self.sign_in(username, one_time, lands=r"/account/password$")
        expect(page.get_by_role("alert")).to_contain_text("请先修改密码")
        if shot:
            self.shot(shot)
        page.goto(self.base + elsewhere)
        page.wait_for_url(re.compile(r"/account/password$"))
        new = NEW_PASSWORDS[username]
        page.get_by_label("当前密码").fill(one_time)
        page.locator("#new_password").fill(new)
        page.get_by_label("再次输入新密码").fill(new)
        page.get_by_role("button", name="修改密码").click()
        expect(page.locator(".dj-flash")).to_contain_text("密码已修改")
        assert "/account/password" not in page.url

    def sign_out(self):
        self.page.get_by_role("button", name="退出").click()
        self.page.wait_for_url(re.compile(r"/login"))

    def nav(self, name):
        nav_link(self.page, name).click()

    def pick_org(self, select, name):
        """Options are the tree, indented with ideographic spaces: pick the one named exactly."""
        value = select.locator("option").filter(has_text=re.compile(rf"^\s*{re.escape(name)}$")).get_attribute("value")
        select.select_option(value=value)

    def new_account(self, username, *, member_query=None, member_label=None, display_name=None) -> str:
        """新建账号 (linked to a member found by 工号, or not); returns the temporary password shown once."""
        from playwright.sync_api import expect

        page = self.page
        self.nav("账号与角色")
        page.get_by_role("link", name="＋ 新建账号").click()
        if member_query:
            # Typed as a person types, key by key: on a loaded machine the first keys can land before
            # htmx has bound the search to the page it just swapped in; the later ones search.
            box = page.get_by_placeholder("输入工号或姓名查找党员")
            expect(box).to_be_visible()
            for attempt in range(3):
                box.fill("")
                box.press_sequentially(member_query, delay=30)
                try:
                    page.get_by_label(re.compile(member_label)).wait_for(timeout=10_000)
                    break
                except Exception:  # noqa: BLE001 — typed too early: type it again
                    if attempt == 2:
                        raise
            page.get_by_label(re.compile(member_label)).check()
        page.locator("#username").fill(username)
        if display_name:
            page.get_by_label("姓名", exact=True).fill(display_name)
        page.get_by_role("button", name="创建账号").click()
        expect(page.locator("main")).to_contain_text("账号已创建")
        password = page.locator("#temporary-password").inner_text()
        assert len(password) >= 12
        return password

    def assign(self, role_label, org_name, expect_flash):
        """On the account page just created: 为其任命角色, the role at the organization."""
        from playwright.sync_api import expect

        page = self.page
        page.get_by_role("link", name="为其任命角色").click()
        form = page.locator("#role-form")
        form.get_by_label("角色").select_option(label=role_label)
        self.pick_org(form.get_by_label("组织"), org_name)
        form.get_by_role("button", name="任命").click()
        expect(page.locator(".dj-flash")).to_contain_text(expect_flash)


def test_from_an_empty_database_to_a_condolence_in_the_secondary_units_inbox(installed_app, redis_conn, tmp_path):
    from playwright.sync_api import expect

    app = installed_app
    assert app.config.get("WTF_CSRF_ENABLED", True) is not False
    shots = tmp_path / "shots"
    shots.mkdir()

    # --- 1. An empty database; the create-admin command ------------------------------------------
    assert all(_rows_in(t) == 0 for t in db.metadata.sorted_tables), "the installed database is not empty"
    done = flask_command(app, "users", "create-admin", "admin", "--school-name", SCHOOL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"已在「{SCHOOL}」下建立「党委组织部」" in done.stdout
    admin_once = re.search(r"一次性密码：(\S+)", done.stdout).group(1)
    db.session.remove()
    assert [(o.kind, o.name) for o in db.session.scalars(select(Organization).order_by(Organization.id))] == \
        [(OrgKind.SCHOOL, SCHOOL), (OrgKind.ORG_DEPT, "党委组织部")]

    requested, console_errors, dialogs = [], [], []
    with live_server(app) as base, \
            chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        context.on("request", lambda r: requested.append(r.url))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        b = Browser(page, base, shots)

        b.first_sign_in("admin", admin_once, "/admin/accounts", shot="1-admin-forced-change")
        page.wait_for_url(re.compile(r"/admin/accounts$"))

        # --- 2. The 组织部 account and its role ------------------------------------------------------
        org_dept_once = b.new_account("zuzhibu", display_name="张组织")
        b.assign("组织部", "党委组织部", "已任命 张组织（zuzhibu）为「党委组织部 · 组织部」")
        b.shot("2-org-dept-account")
        b.sign_out()

        # --- 3. 组织部: template, the roster with 5 bad rows, exactly 5 errors ----------------------------
        b.first_sign_in("zuzhibu", org_dept_once, "/org/members")
        b.nav("组织与党员")
        page.get_by_role("link", name="批量导入").click()
        page.wait_for_url(re.compile(r"/org/import$"))
        section = page.locator("#import-members")
        with page.expect_download() as download:
            section.get_by_role("link", name="下载模板").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        template = tmp_path / "template.xlsx"
        download.value.save_as(template)
        wb = load_workbook(template)  # a real workbook, not an error page
        assert {"组织", "党员", "说明"} <= set(wb.sheetnames)
        headers = {c.value for c in next(wb["党员"].iter_rows(max_row=1))} | \
            {c.value for c in next(wb["党员"].iter_rows(min_row=2, max_row=2))}
        assert any(h and "工号" in str(h) for h in headers), headers

        bad = roster(tmp_path / "党员名册.xlsx")
        section.locator("input[type=file]").set_input_files(str(bad))
        section.get_by_role("button", name="上传并预览").click()
        page.wait_for_url(re.compile(r"/org/import/[A-Za-z0-9_-]{32}"))
        expect(page.locator("[data-count=error]")).to_have_text("5")
        expect(page.locator("[data-count=new]")).to_have_text("208")  # 13 organizations + 195 members
        rows = page.locator("#import-table tbody tr")
        expect(rows).to_have_count(5)
        assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.row)")) == sorted(f"党员:{n}" for n in BAD_ROWS)
        for n, expected in BAD_ROWS.items():
            errors = page.locator(f'#import-table tr[data-row="党员:{n}"] li.import-error')
            expect(errors).to_have_count(len(expected))
            texts = errors.all_inner_texts()
            for (cell, message), text in zip(expected, texts):
                assert text.startswith(cell) and message in text, (n, text)
        expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
        b.shot("3-preview-five-errors")
        db.session.remove()
        assert _rows_in(Member) == 0 and _rows_in(Organization) == 2  # a preview writes nothing

        # --- 4. The corrected file, uploaded again from the preview, confirmed --------------------
        fixed = fix_roster(bad, tmp_path / "党员名册（修改后）.xlsx")
        page.locator("#import-decision input[type=file]").set_input_files(str(fixed))
        page.get_by_role("button", name="重新上传修改后的文件").click()
        expect(page.locator("[data-count=error]")).to_have_text("0")
        expect(page.locator("[data-count=new]")).to_have_text("213")
        page.get_by_role("button", name="确认导入").click()
        dialogs.append(confirm_dialog(page))
        expect(page.locator(".alert-success")).to_contain_text("党员：新增200人")
        assert any(m.startswith("确认导入？") for m in dialogs)
        b.shot("4-imported")
        db.session.remove()
        assert _rows_in(Member) == 200
        assert db.session.scalar(select(func.count()).select_from(Organization)
                                 .where(Organization.code.isnot(None))) == 13

        # A fresh install has no 慰问标准 (the form refuses a category without one): 组织部 sets it.
        b.nav("管理")
        page.get_by_role("link", name=re.compile("慰问金标准")).click()
        expect(page.locator("main")).to_contain_text("尚未设置（该类别暂不能申请）")
        form = page.locator("#standard-form")
        form.get_by_label("慰问类别").select_option(label="患病住院")
        form.get_by_label("标准金额").fill("1000")
        form.get_by_role("button", name="保存标准").click()
        expect(page.locator(".dj-flash")).to_contain_text("「患病住院」慰问标准：未设置 → ¥1,000.00")
        b.sign_out()

        # --- 5. The administrator: an imported member as 支部书记, another above as 二级党组织 -------------
        b.sign_in("admin", NEW_PASSWORDS["admin"], lands=r"/admin/accounts$")
        secretary_once = b.new_account("M00001", member_query="M00001", member_label=r"党员1（M00001）")
        b.assign("支部书记/支委", "第2党支部", "已任命 党员1（M00001）为「第2党支部 · 支部书记/支委」")
        secondary_once = b.new_account("M00004", member_query="M00004", member_label=r"党员4（M00004）")
        b.assign("二级党组织书记/组织员", "第3学院党委", "已任命 党员4（M00004）为「第3学院党委 · 二级党组织书记/组织员」")
        b.shot("5-secondary-account")
        b.sign_out()
        db.session.remove()
        secretary = db.session.scalar(select(User).where(User.username == "M00001"))
        assert secretary.member.staff_no == "M00001" and secretary.member.branch.name == "第2党支部"
        assert secretary.member.branch.parent.name == "第3学院党委"
        beneficiary = db.session.scalar(select(Member).where(Member.staff_no == "M00021"))
        assert beneficiary.branch_id == secretary.member.branch_id

        # --- 6. The secretary files a 慰问金; it reaches the secondary unit's 待办 ----------------------
        b.first_sign_in("M00001", secretary_once, "/inbox/mine")
        b.nav("发起申请")
        page.get_by_role("link", name=re.compile("^慰问金")).click()
        expect(page.get_by_role("heading", name="申请慰问金")).to_be_visible()
        page.get_by_label("慰问对象（党员）").select_option(label="党员21（M00021，第2党支部）")
        page.get_by_label("慰问类别").select_option(label="患病住院")
        expect(page.get_by_label("慰问金额")).to_have_value("1000.00")  # the standard 组织部 set
        page.get_by_label(re.compile(r"^事由\*?$")).fill("党员21同志因病住院手术，家庭经济困难。")
        page.get_by_text("本单位经费", exact=True).click()
        page.get_by_label("计划走访人").fill("党员1、党员11")
        b.shot("6-condolence-form")
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r"/requests/\d+$"))
        request_id = int(page.url.rsplit("/", 1)[1])
        main = page.locator("#request-main")
        expect(main).to_contain_text("审批中")
        expect(main.locator('.dj-step[aria-current="step"]')).to_contain_text("二级党组织")
        b.sign_out()

        b.first_sign_in("M00004", secondary_once, "/inbox/done")
        todo = page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile(r"^待办"))
        expect(page.locator("#todo-badge")).to_have_text("1")  # the count in the nav
        todo.click()
        page.wait_for_url(re.compile(r"/inbox/todo$"))
        card = page.locator(f"#inbox-item-{request_id}")
        expect(card).to_contain_text("党员21")
        expect(card).to_contain_text("二级党组织")
        expect(page.locator("article.dj-card")).to_have_count(1)
        b.shot("6-secondary-todo")
        card.locator(".dj-card-title").click()
        page.wait_for_url(re.compile(rf"/requests/{request_id}$"))
        main = page.locator("#request-main")
        expect(main.locator('.dj-step[aria-current="step"]')).to_contain_text("二级党组织")
        expect(main.locator('.dj-step[aria-current="step"]')).to_contain_text("办理中")
        expect(main.get_by_role("button", name="同意", exact=True)).to_be_visible()  # and it may act
        b.shot("6-secondary-request")

    db.session.remove()
    req = db.session.get(Request, request_id)
    assert req.state is RequestState.PENDING and req.beneficiary.staff_no == "M00021"
    holder = db.session.scalar(select(User).where(User.username == "M00004"))
    assert holder.holds(Role.SECONDARY, req.organization.parent_id)
    foreign = [u for u in requested if not (u.startswith(base + "/") or u.startswith("data:"))]
    assert foreign == [], foreign
    assert console_errors == [], console_errors
    keep = os.environ.get("JOURNEY_SCREENSHOTS")
    if keep:
        shutil.copytree(shots, keep, dirs_exist_ok=True)
