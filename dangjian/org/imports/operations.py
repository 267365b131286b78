"""The import, step by step: read the workbook, plan every row, and (only for a plan without errors)
write it all in one transaction with one audit row. Used by the web pages and the command line;
never touches `request` or `flash`.

Kinds: "members" (the 「组织」 and 「党员」 sheets of a roster, 组织部), "organizations" (the 「组织」
sheet alone, 组织部) and "accounts" (the 「账号」 sheet, 系统管理员).
"""
from dataclasses import dataclass, field
from datetime import date
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.exc import IntegrityError

from ... import audit
from ...accounts.operations import lock_account
from ...extensions import db
from ...models.people import RoleOnWrongOrganization
from ...timeutil import local_today
from . import accounts, cells, members, organizations
from .headers import read_sheet
from .organizations import Directory
from .plan import ImportPlan, Issue

KINDS = ("members", "organizations", "accounts")
MAX_ROWS = 50_000  # per file: a whole university is about 4,000 members
SKIPPED_SHEETS = ("说明", "可选值")  # the templates' instructions and drop-down lists


class ImportRefused(Exception):
    """Nothing was written. `plan` is the fresh plan when the refusal is about its content."""

    def __init__(self, message: str, plan: ImportPlan | None = None):
        super().__init__(message)
        self.message = message
        self.plan = plan


@dataclass
class Prepared:
    plan: ImportPlan
    directory: Directory | None = None
    org_rows: list = field(default_factory=list)
    member_rows: list = field(default_factory=list)
    account_rows: list = field(default_factory=list)


# What each kind reads: (sheet role, columns, columns a header must name, the template's example rows)
SHEETS = {
    "organizations": (organizations.COLUMNS, ("name", "type"), (organizations.EXAMPLE, organizations.EXAMPLE_BRANCH)),
    "members": (members.READ_COLUMNS, ("staff_no",), (members.EXAMPLE,)),
    "accounts": (accounts.COLUMNS, ("username",), (accounts.EXAMPLE,)),
}
READS = {"members": ("organizations", "members"), "organizations": ("organizations",), "accounts": ("accounts",)}
SHEET_NAMES = {"organizations": "组织", "members": "党员", "accounts": "账号"}


def _is_example(row, examples) -> bool:
    """The template's own example row, left in place: skipped, and the preview says so."""
    for example in examples:
        filled = {k: cells.text(c.value) for k, c in row.cells.items() if c.value is not None}
        if filled and all(cells.text(example.get(k, "")) == v for k, v in filled.items()):
            return True
    return False


def read_workbook(kind: str, path: str, plan: ImportPlan) -> dict:
    """Stream the workbook (read-only) and sort its sheets by what they hold. Returns
    {"organizations": [SheetData], "members": [...], ...}; problems go into `plan`."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError):
        plan.sheet_errors.append(Issue("文件", None, "无法读取该文件：请上传 Excel 的 .xlsx 工作簿（.xls 请先另存为 .xlsx）"))
        return {}
    found = {role: [] for role in READS[kind]}
    total = 0
    try:
        for ws in wb.worksheets:
            if ws.title.strip() in SKIPPED_SHEETS:
                continue
            sheet, role = None, None
            # The sheet's name decides first (「组织」, 「党员」), then its header.
            candidates = sorted(READS[kind], key=lambda r: SHEET_NAMES[r] != ws.title.strip())
            for role in candidates:
                columns, must, _examples = SHEETS[role]
                sheet = read_sheet(ws, columns, must)
                if sheet.found:
                    break
            if sheet is None or not sheet.found:
                other = [r for r in KINDS if r not in READS[kind] and read_sheet(ws, SHEETS[r][0], SHEETS[r][1]).found]
                if other and kind == "organizations" and other[0] == "members":
                    plan.notes.append(f"工作表「{ws.title}」是党员名单，组织导入不处理它；导入党员请用「党员名册」。")
                else:
                    plan.notes.append(f"工作表「{ws.title}」没有找到可识别的表头，未导入。")
                continue
            examples = SHEETS[role][2]
            kept = []
            for r in sheet.rows:
                if _is_example(r, examples):
                    plan.notes.append(f"「{sheet.title}」表第{r.number}行是模板中的示例行，未导入。")
                else:
                    kept.append(r)
            sheet.rows = kept
            total += len(kept)
            if total > MAX_ROWS:
                plan.sheet_errors.append(Issue(sheet.title, None, f"文件超过{MAX_ROWS}行，请分批导入"))
                return {}
            if sheet.header_row > 1:
                plan.notes.append(f"「{sheet.title}」表的表头在第{sheet.header_row}行，上方的标题或说明行未导入。")
            for letter, header in sheet.unknown:
                plan.unknown_columns.append((sheet.title, letter, header))
            if not kept:
                plan.notes.append(f"「{sheet.title}」表只有表头，没有数据行。")
            found[role].append(sheet)
    finally:
        wb.close()
    if not any(found.values()):
        expected = "、".join(f"「{SHEET_NAMES[r]}」" for r in READS[kind])
        plan.sheet_errors.append(Issue("文件", None, f"文件中没有找到可导入的工作表：请使用模板（{expected}），"
                                                    "并确认表头是列名（如 姓名、工号）。"))
    return found


def prepare(kind: str, path: str, today: date | None = None) -> Prepared:
    """Read and plan a file. Nothing is written."""
    if kind not in KINDS:
        raise ValueError(kind)
    today = today or local_today()
    plan = ImportPlan(kind=kind)
    prepared = Prepared(plan)
    sheets = read_workbook(kind, path, plan)
    if plan.sheet_errors:
        return prepared
    directory = prepared.directory = Directory()
    if sheets.get("organizations"):
        if directory.school is None:
            plan.sheet_errors.append(Issue(sheets["organizations"][0].title, None,
                                           "系统中还没有校党委组织，请先建立组织树的根节点"))
            return prepared
        prepared.org_rows = organizations.plan(sheets["organizations"], directory, today)
    if sheets.get("members"):
        prepared.member_rows = members.plan(sheets["members"], directory, today)
        plan.notes.extend(members.notes(prepared.member_rows))
        plan.notes.extend(members.hardship_notes(sheets["members"]))
    if sheets.get("accounts"):
        prepared.account_rows = accounts.plan(sheets["accounts"], directory, today)
    plan.rows = [*prepared.org_rows, *prepared.member_rows, *prepared.account_rows]
    return prepared


@dataclass
class Result:
    kind: str
    counts: dict
    passwords: list = field(default_factory=list)  # (账号, 姓名, 临时密码) of new accounts, shown once

    @property
    def message(self) -> str:
        c = self.counts
        parts = []
        if "organizations" in c:
            o = c["organizations"]
            parts.append(f"组织：新增{o.get('created', 0)}个，更新{o.get('updated', 0)}个")
        if "members" in c:
            m = c["members"]
            parts.append(f"党员：新增{m.get('created', 0)}人，更新{m.get('updated', 0)}人，不变{m.get('unchanged', 0)}人"
                         + (f"（其中组织关系转接{m['transfers']}人）" if m.get("transfers") else ""))
        if "accounts" in c:
            a = c["accounts"]
            parts.append(f"账号：新增{a.get('created', 0)}个，更新{a.get('updated', 0)}个；"
                         f"角色：新增{a.get('roles_added', 0)}项，调整任期{a.get('terms_changed', 0)}项")
        return "导入完成。" + "；".join(parts) + "。"


def confirm(kind: str, path: str, *, user, sha256: str, filename: str = "", source: str = "web",
            expected_digest: str | None = None, today: date | None = None) -> Result:
    """Re-plan the stored file and write it all, or nothing. Refuses a plan with errors, and a plan
    that differs from the previewed one (`expected_digest`): the database changed meanwhile."""
    today = today or local_today()
    prepared = prepare(kind, path, today)
    existing_accounts = sorted({row.values["user"].id: row.values["user"] for row in prepared.account_rows
                                if row.values.get("user") is not None}.items())
    if existing_accounts:
        # 三员分立 and the overlap of terms are checked per account under the account's lock, as the
        # admin pages do (accounts.operations.lock_account): take the locks in id order, then plan
        # again, so the checks see whatever another administrator committed meanwhile.
        for _, account in existing_accounts:
            lock_account(account)
        prepared = prepare(kind, path, today)
    plan = prepared.plan
    if not plan.ok:
        db.session.rollback()
        raise ImportRefused("文件中有错误，未导入任何数据。请按预览中的提示修改后重新上传。", plan)
    if expected_digest is not None and plan.digest() != expected_digest:
        db.session.rollback()
        raise ImportRefused("预览之后系统中的数据发生了变化，导入结果与预览不同，未导入任何数据。"
                            "请核对下面新的预览结果后再确认。", plan)
    user_id = getattr(user, "id", None)
    counts, passwords = {}, []
    try:
        if prepared.org_rows:
            counts["organizations"] = organizations.apply(prepared.org_rows, prepared.directory)
        if prepared.member_rows:
            counts["members"] = members.apply(prepared.member_rows, user_id, today, user=user)
        if prepared.account_rows:
            result = accounts.apply(prepared.account_rows, user_id, today)
            passwords = result.pop("passwords")
            counts["accounts"] = result
        audit.record(f"import.{kind}", None, user, source=source, file_sha256=sha256, filename=filename,
                     rows=len(plan.rows), **counts)
        db.session.commit()
    except (IntegrityError, RoleOnWrongOrganization):
        db.session.rollback()
        raise ImportRefused("导入时与其他人同时进行的修改发生冲突（如工号、组织编码或账号已被占用），"
                            "未导入任何数据。请重新上传文件预览后再试。") from None
    except Exception:
        db.session.rollback()
        raise
    return Result(kind, counts, passwords)

