"""`flask --app wsgi import members|organizations|accounts FILE [--dry-run]`: the summary and every
error, exit 1 on errors, nothing written with --dry-run, an audit row marked "cli".

The first test runs the command as a process, the way an administrator runs it for the first load
(configuration from the environment, its own app); the others run the same command in-process
(Flask's CLI runner), which is the same code without a second interpreter's start-up.
"""
import json
import os
import subprocess
import sys

from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, User
from tests.browser_support import ROOT
from tests.import_support import ACCOUNT_HEADER, MEMBER_HEADER, ORG_HEADER, member_row, org_rows, write_xlsx


def flask(app, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANGJIAN_", "FLASK_"))}
    env.update({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
                "DANGJIAN_DATA_KEY": ",".join(app.config["DATA_KEYS"]), "REDIS_URL": app.config["REDIS_URL"],
                "DANGJIAN_UPLOAD_DIR": app.config["UPLOAD_DIR"], "DANGJIAN_ARCHIVE_DIR": app.config["ARCHIVE_DIR"]})
    db.session.remove()  # let the process write (SQLite) and read what it wrote afterwards
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "import", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


class _Result:
    def __init__(self, result):
        self.returncode, self.stdout, self.stderr = result.exit_code, result.stdout, result.stderr


def run_cli(app, *args):
    db.session.remove()
    return _Result(app.test_cli_runner().invoke(args=["import", *args]))


def count_members():
    return db.session.scalar(select(func.count()).select_from(Member).where(Member.staff_no.like("M%")))


def test_dry_run_then_import_then_nothing_to_do(app, org, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", {"组织": [ORG_HEADER, *org_rows(1, 2)],
                                                 "党员": [MEMBER_HEADER, *[member_row(n, "S1B2") for n in range(1, 11)]]})
    dry = run_cli(app, "members", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "合计：新增13，更新0，不变0，错误0" in dry.stdout and "试运行" in dry.stdout
    assert count_members() == 0

    run = flask(app, "members", str(path))  # once as the command runs on a server: its own process
    assert run.returncode == 0, run.stderr
    assert "党员：新增10人" in run.stdout
    assert count_members() == 10
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import.members"))
    assert event.user_id is None and json.loads(event.detail)["source"] == "cli"

    again = run_cli(app, "members", str(path))
    assert again.returncode == 0 and "不变13" in again.stdout and "无需写入" in again.stdout


def test_errors_are_listed_and_exit_1_without_writing(app, org, tmp_path):
    rows = [member_row(1, org.branch_a1.name), member_row(2, "没有的支部"), member_row(3, org.branch_a1.name, 月缴党费="abc")]
    path = write_xlsx(tmp_path / "bad.xlsx", {"党员": [[*MEMBER_HEADER, "籍贯"], *[[*r, "陕西"] for r in rows]]})
    for args in ((), ("--dry-run",)):
        result = run_cli(app, "members", str(path), *args)
        assert result.returncode == 1
        assert "「党员」表 第3行 E列「所在支部」：所在支部「没有的支部」不存在" in result.stderr
        assert "「党员」表 第4行 K列「月缴党费」：月缴党费「abc」不是数字" in result.stderr
        assert "未识别的列（不导入）：「党员」表 L列「籍贯」" in result.stdout
    assert count_members() == 0


def test_accounts_from_the_command_line_print_the_passwords_once(app, org, tmp_path):
    path = write_xlsx(tmp_path / "accounts.xlsx",
                      {"账号": [ACCOUNT_HEADER, ["zzb3", "组织部三", "", "", "组织部", "", "", ""]]})
    result = run_cli(app, "accounts", str(path))
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("zzb3"))
    password = line.split("\t")[-1]
    user = db.session.scalar(select(User).where(User.username == "zzb3"))
    assert user.check_password(password) and user.must_change_password


def test_organizations_command_and_a_missing_file(app, org, tmp_path):
    path = write_xlsx(tmp_path / "orgs.xlsx", {"组织": [ORG_HEADER, *org_rows(2, 1)]})
    result = run_cli(app, "organizations", str(path))
    assert result.returncode == 0 and "组织：新增4个" in result.stdout
    missing = run_cli(app, "organizations", str(tmp_path / "nope.xlsx"))
    assert missing.returncode != 0
