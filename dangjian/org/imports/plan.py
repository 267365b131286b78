"""What an import would do: a planned outcome per row (新增, 更新, 不变 or 错误), with Chinese errors
that say where (sheet, row number as in Excel, column header), before anything is written."""
import enum
import hashlib
import json
from dataclasses import dataclass, field

from ...models.people import mask_id_number, mask_phone


class Outcome(str, enum.Enum):
    NEW = "new"
    UPDATE = "update"
    SAME = "same"
    ERROR = "error"

    @property
    def label(self) -> str:
        return {"new": "新增", "update": "更新", "same": "不变", "error": "错误"}[self.value]


@dataclass
class Issue:
    """An error, on a cell (column given), a row, or a whole sheet (row None)."""

    sheet: str
    row: int | None
    message: str
    column: str | None = None  # the header as written in the file
    letter: str | None = None
    field: str | None = None  # the column's key (staff_no, id_number …)

    @property
    def where(self) -> str:
        parts = [f"「{self.sheet}」表"]
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"{self.letter}列「{self.column}」" if self.letter else f"「{self.column}」列")
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "letter": self.letter,
                "message": self.message}


@dataclass
class Change:
    field: str
    label: str
    old: object
    new: object
    mask: str | None = None  # "id" or "phone": shown masked

    def shown(self, value) -> str:
        if value is None or value == "":
            return "（空）"
        if self.mask == "id":
            return mask_id_number(str(value))
        if self.mask == "phone":
            return mask_phone(str(value))
        if isinstance(value, bool):
            return "是" if value else "否"
        return str(getattr(value, "label", value))

    @property
    def text(self) -> str:
        return f"{self.label}：{self.shown(self.old)} → {self.shown(self.new)}"


@dataclass
class PlannedRow:
    sheet: str
    row: int
    key: str = ""  # 工号 / 组织编码 / 账号
    label: str = ""  # 姓名 / 组织名称
    detail: str = ""  # what a 新增 row is (所在支部, 类型 …)
    errors: list = field(default_factory=list)  # Issue
    changes: list = field(default_factory=list)  # Change
    new: bool = False
    target_id: int | None = None
    values: dict = field(default_factory=dict)  # parsed values, for apply (never serialised)

    def error(self, message: str, sheet_data=None, key: str | None = None, column: str | None = None):
        letter = None
        if sheet_data is not None and key is not None:
            column = sheet_data.headers.get(key, column)
            letter = sheet_data.letters.get(key)
        self.errors.append(Issue(self.sheet, self.row, message, column, letter, key))

    def has_error_on(self, key: str) -> bool:
        return any(e.field == key for e in self.errors)

    @property
    def outcome(self) -> Outcome:
        if self.errors:
            return Outcome.ERROR
        if self.new:
            return Outcome.NEW
        return Outcome.UPDATE if self.changes else Outcome.SAME

    def fingerprint(self) -> list:
        return [self.sheet, self.row, self.outcome.value, self.target_id,
                [[c.field, repr(c.old), repr(c.new)] for c in self.changes], [e.message for e in self.errors]]

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "outcome": self.outcome.value, "key": self.key,
                "label": self.label, "detail": self.detail, "changes": [c.text for c in self.changes],
                "errors": [e.as_dict() for e in self.errors]}


KIND_LABELS = {"members": "党员名册", "organizations": "组织", "accounts": "账号与角色"}


@dataclass
class ImportPlan:
    kind: str  # members / organizations / accounts
    rows: list = field(default_factory=list)  # PlannedRow, in file order (组织 sheet first)
    sheet_errors: list = field(default_factory=list)  # Issue without a row
    unknown_columns: list = field(default_factory=list)  # (sheet, letter, header)
    notes: list = field(default_factory=list)  # what was skipped and why (not errors)

    @property
    def counts(self) -> dict:
        counts = {o.value: 0 for o in Outcome}
        for r in self.rows:
            counts[r.outcome.value] += 1
        return counts

    def counts_by_sheet(self) -> dict:
        out = {}
        for r in self.rows:
            out.setdefault(r.sheet, {o.value: 0 for o in Outcome})[r.outcome.value] += 1
        return out

    @property
    def error_count(self) -> int:
        return len(self.sheet_errors) + sum(len(r.errors) for r in self.rows)

    @property
    def ok(self) -> bool:
        """Confirmable: no error anywhere and at least one row read."""
        return not self.sheet_errors and bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def has_changes(self) -> bool:
        return any(r.outcome in (Outcome.NEW, Outcome.UPDATE) for r in self.rows)

    def all_issues(self) -> list:
        return [*self.sheet_errors, *(e for r in self.rows for e in r.errors)]

    def digest(self) -> str:
        """What the plan would do, as a hash: a confirmation re-plans the file and compares."""
        body = json.dumps([self.kind, [r.fingerprint() for r in self.rows],
                           [e.message for e in self.sheet_errors]], ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def as_dict(self) -> dict:
        return {"kind": self.kind, "counts": self.counts, "by_sheet": self.counts_by_sheet(),
                "rows": [r.as_dict() for r in self.rows],
                "sheet_errors": [e.as_dict() for e in self.sheet_errors],
                "unknown_columns": [list(u) for u in self.unknown_columns], "notes": self.notes,
                "ok": self.ok, "error_count": self.error_count, "has_changes": self.has_changes, "digest": self.digest()}
