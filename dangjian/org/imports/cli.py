"""`flask --app wsgi import members|organizations|accounts FILE.xlsx [--dry-run]`: the first load
from the command line. Prints the preview summary and every error (sheet, row, column, message),
exits 1 when there are errors, and writes only without --dry-run and only when there are none.
Audited with no user and source "cli"."""
import hashlib
import os

import click
from flask.cli import AppGroup

import_cli = AppGroup("import", help="从 Excel 导入组织、党员名册或账号与角色（先预览，无错误才写入）。")


def _run(kind: str, path: str, dry_run: bool) -> None:
    from ...extensions import db
    from . import operations
    from .plan import KIND_LABELS, Outcome

    prepared = operations.prepare(kind, path)
    db.session.rollback()
    plan = prepared.plan
    counts = plan.counts
    click.echo(f"{KIND_LABELS[kind]}导入预览：{os.path.basename(path)}")
    for sheet, n in plan.counts_by_sheet().items():
        click.echo(f"  「{sheet}」表：" + "，".join(f"{o.label}{n[o.value]}" for o in Outcome))
    click.echo("  合计：" + "，".join(f"{o.label}{counts[o.value]}" for o in Outcome))
    for sheet, letter, header in plan.unknown_columns:
        click.echo(f"  未识别的列（不导入）：「{sheet}」表 {letter}列「{header}」")
    for note in plan.notes:
        click.echo(f"  说明：{note}")
    issues = plan.all_issues()
    if issues:
        click.echo(f"发现{len(issues)}处错误，未导入任何数据：", err=True)
        for issue in issues:
            click.echo(f"  {issue.where}：{issue.message}", err=True)
        raise SystemExit(1)
    if not plan.rows:
        click.echo("文件中没有数据行。", err=True)
        raise SystemExit(1)
    if dry_run:
        click.echo("试运行（--dry-run）：没有错误，未写入任何数据。")
        return
    if not plan.has_changes:
        click.echo("所有行均为「不变」，无需写入。")
        return
    with open(path, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    try:
        result = operations.confirm(kind, path, user=None, sha256=sha256, filename=os.path.basename(path),
                                    source="cli", expected_digest=plan.digest())
    except operations.ImportRefused as e:
        click.echo(e.message, err=True)
        raise SystemExit(1) from None
    click.echo(result.message)
    if result.passwords:
        click.echo("新账号的初始密码（只显示这一次，请妥善下发；首次登录须修改）：")
        for username, name, password in result.passwords:
            click.echo(f"  {username}\t{name}\t{password}")


def _command(kind: str, help_text: str):
    @import_cli.command(kind, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="只预览、检查错误，不写入。")
    def command(file, dry_run):
        _run(kind, file, dry_run)
    return command


members_command = _command("members", "导入党员名册（「组织」和「党员」两张表）。")
organizations_command = _command("organizations", "导入组织（「组织」表）。")
accounts_command = _command("accounts", "导入账号与角色（「账号」表）。")
