"""The 「组织」 sheet: secondary units (二级党委, 党总支, 机关党委) and branches (教职工, 学生, 离退休 and
直属 党支部), matched by 组织编码, or by 组织名称 when the row has no code.

An organization in the file counts as known to the 「党员」 sheet of the same file, so a first load
creates the units and their members in one go.
"""
from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import BranchType, Organization, OrgKind, UnitType
from ...dates import cn_day
from . import cells
from .cells import CellError
from .headers import Column
from .plan import Change, PlannedRow

# 组织类型 in the file -> (kind, unit_type, branch_type, direct)
TYPES = {
    "committee": (OrgKind.SECONDARY, UnitType.COMMITTEE, None, False),
    "general_branch": (OrgKind.SECONDARY, UnitType.GENERAL_BRANCH, None, False),
    "organs": (OrgKind.SECONDARY, UnitType.ORGANS, None, False),
    "staff": (OrgKind.BRANCH, None, BranchType.STAFF, False),
    "student": (OrgKind.BRANCH, None, BranchType.STUDENT, False),
    "retired": (OrgKind.BRANCH, None, BranchType.RETIRED, False),
    "direct": (OrgKind.BRANCH, None, BranchType.STAFF, True),
}
TYPE_LABELS = {"committee": "二级党委", "general_branch": "党总支", "organs": "机关党委", "staff": "教职工党支部",
               "student": "学生党支部", "retired": "离退休党支部", "direct": "直属党支部"}
TYPE_SPELLINGS = {
    **{label: key for key, label in TYPE_LABELS.items()},
    "党委": "committee", "学院党委": "committee", "二级党组织": "committee", "党总支部": "general_branch",
    "总支": "general_branch", "教工党支部": "staff", "教职工支部": "staff", "在职教职工党支部": "staff",
    "学生支部": "student", "研究生党支部": "student", "本科生党支部": "student", "离退休支部": "retired",
    "退休党支部": "retired", "离休党支部": "retired", "直属支部": "direct", "直属党总支": None,
}
TYPE_SPELLINGS = {k: v for k, v in TYPE_SPELLINGS.items() if v}

SHEET = "组织"
COLUMNS = (
    Column("code", "组织编码", ("编码", "组织代码", "党组织编码", "党组织代码", "单位编码"), kind="identifier",
           note="建议填写，系统以组织编码匹配已有组织；不填时按组织名称匹配。", width=14),
    Column("name", "组织名称", ("名称", "党组织名称", "组织全称", "党组织全称", "单位名称"), required=True, kind="name",
           note="党组织全称，如「会计学院党委」「会计学院教工第一党支部」。", width=30),
    Column("type", "组织类型", ("类型", "党组织类型", "组织类别", "党组织类别"), required=True, kind="choice",
           choices=tuple(TYPE_LABELS.values()), note="从下拉列表选择。", width=16),
    Column("parent", "上级组织", ("上级党组织", "上级组织编码", "上级组织名称", "所属党委", "所属二级党组织", "隶属党组织"),
           note="党支部填所属二级党组织的编码或名称（可以是本表中的组织）；二级党组织和直属党支部可不填（即校党委）。",
           width=24),
    Column("founded_on", "成立日期", ("成立时间", "建立日期", "组建日期"), kind="date",
           note="如 2005-07-01、2005.07.01 或 2005年7月1日。", width=14),
)
EXAMPLE = {"code": "KJ01", "name": "会计学院党委", "type": "二级党委", "parent": "", "founded_on": "2005-07-01"}
EXAMPLE_BRANCH = {"code": "KJ0101", "name": "会计学院教工第一党支部", "type": "教职工党支部", "parent": "KJ01",
                  "founded_on": "2005-07-01"}


def _type_key(org: Organization) -> str | None:
    if org.kind is OrgKind.SECONDARY:
        return org.unit_type.value if org.unit_type else None
    if org.kind is OrgKind.BRANCH:
        if org.parent is not None and org.parent.kind is OrgKind.SCHOOL:
            return "direct"
        return org.branch_type.value if org.branch_type else None
    return None


@dataclass
class FileOrg:
    """An organization as a row of the file says it will be after the import."""

    row: PlannedRow
    code: str
    name: str
    type_key: str | None
    existing: Organization | None

    @property
    def kind(self):
        return TYPES[self.type_key][0] if self.type_key else None

    @property
    def is_branch(self) -> bool:
        return self.kind is OrgKind.BRANCH


class Directory:
    """Every organization the import can refer to: the database's, and the file's rows on top."""

    def __init__(self):
        self.orgs = list(db.session.scalars(select(Organization)))
        self.school = next((o for o in self.orgs if o.kind is OrgKind.SCHOOL and o.parent_id is None), None)
        self.by_code = {o.code: o for o in self.orgs if o.code}
        self.by_name = {}
        for o in self.orgs:
            self.by_name.setdefault(o.name, []).append(o)
        self.file_orgs: list[FileOrg] = []
        self.file_by_code: dict = {}
        self.file_by_name: dict = {}
        self.file_by_existing: dict = {}

    def add(self, fo: FileOrg) -> None:
        self.file_orgs.append(fo)
        if fo.code:
            self.file_by_code.setdefault(fo.code, fo)
        self.file_by_name.setdefault(fo.name, fo)
        if fo.existing is not None:
            self.file_by_existing[fo.existing.id] = fo

    def lookup(self, ref: str):
        """The organization a reference (编码 or 名称) names: a FileOrg, an Organization, or None.
        Raises CellError when a name is ambiguous."""
        if not ref:
            return None
        for table in (self.file_by_code, self.by_code):
            if ref in table:
                return self._current(table[ref])
        if ref in self.file_by_name:
            return self.file_by_name[ref]
        found = self.by_name.get(ref, [])
        if len(found) > 1:
            raise CellError(f"有{len(found)}个组织都叫「{ref}」，请改填组织编码")
        return self._current(found[0]) if found else None

    def _current(self, target):
        """An existing organization that the file also lists is as the file says."""
        if isinstance(target, Organization) and target.id in self.file_by_existing:
            return self.file_by_existing[target.id]
        return target

    def branch(self, ref: str):
        """A member's 所在支部: (target, None) or (None, Chinese error). target is an Organization or
        a FileOrg (created by this import)."""
        try:
            target = self.lookup(ref)
        except CellError as e:
            return None, str(e)
        if target is None:
            return None, f"所在支部「{ref}」不存在：系统和本文件「组织」表中都没有这个支部（请核对名称或编码）"
        if isinstance(target, FileOrg):
            if target.row.errors:
                return None, f"所在支部「{ref}」在「组织」表第{target.row.row}行，该行有错误"
            if not target.is_branch:
                return None, f"「{ref}」是{TYPE_LABELS.get(target.type_key, '二级党组织')}，不是党支部，请填写党员所在的党支部"
            return target, None
        if target.kind is not OrgKind.BRANCH:
            return None, f"「{ref}」是{target.type_label}，不是党支部，请填写党员所在的党支部"
        if target.is_dissolved:
            return None, f"党支部「{target.name}」已撤销，请填写党员现在所在的支部"
        return target, None


def org_id_of(target) -> int | None:
    """The id of a branch target once the organizations are written."""
    if isinstance(target, FileOrg):
        org = target.row.values.get("org") or target.existing
        return org.id if org is not None else None
    return target.id


def read_row(sheet, r, row: PlannedRow) -> dict:
    """Parse one 组织 row into values, recording cell errors on the planned row."""
    out = {}
    try:
        out["code"] = cells.identifier(r.value("code"), r.cells["code"].number_format if "code" in r.cells else None,
                                       "组织编码")
    except CellError as e:
        row.error(str(e), sheet, "code")
        out["code"] = ""
    out["name"] = cells.name(r.value("name"))
    try:
        out["type"] = cells.parse_choice(r.value("type"), TYPE_SPELLINGS, "组织类型", "、".join(TYPE_LABELS.values()))
    except CellError as e:
        row.error(str(e), sheet, "type")
        out["type"] = None
    out["parent"] = "".join(cells.name(r.value("parent")).split())
    try:
        out["founded_on"] = cells.parse_date(r.value("founded_on"), "成立日期")
    except CellError as e:
        row.error(str(e), sheet, "founded_on")
        out["founded_on"] = None
    if out["code"] and len(out["code"]) > 30:
        row.error("组织编码不能超过30个字符", sheet, "code")
    if len(out["name"]) > 100:
        row.error("组织名称不能超过100个字", sheet, "name")
    return out


def plan(sheets, directory: Directory, today) -> list[PlannedRow]:
    """Plan the 组织 rows. Matching: by 组织编码 when given, else by 组织名称."""
    planned, parsed = [], []
    seen_codes, seen_names = {}, {}
    if directory.school is None:
        return planned  # the caller reports the missing 校党委 as a sheet error
    for sheet, r in ((s, r) for s in sheets for r in s.rows):
        row = PlannedRow(sheet=sheet.title, row=r.number)
        v = read_row(sheet, r, row)
        row.key, row.label = v["code"], v["name"]
        for key in ("name", "type"):
            if not r.has(key):
                row.error(f"请填写{sheet.header_of(key, dict(name='组织名称', type='组织类型')[key])}", sheet, key)
        here = f"「{sheet.title}」表第{r.number}行"
        if v["code"]:
            if v["code"] in seen_codes:
                row.error(f"组织编码「{v['code']}」与{seen_codes[v['code']]}重复", sheet, "code")
            seen_codes.setdefault(v["code"], here)
        if v["name"]:
            if v["name"] in seen_names:
                row.error(f"组织名称「{v['name']}」与{seen_names[v['name']]}重复", sheet, "name")
            seen_names.setdefault(v["name"], here)
        existing = _match(v, row, sheet, directory)
        fo = FileOrg(row, v["code"], v["name"], v["type"], existing)
        row.values.update(v)
        row.values["file_org"] = fo
        directory.add(fo)  # also with errors: rows that refer to it are told which row to fix
        planned.append(row)
        parsed.append((sheet, row, v, fo))
    # Parents can be anywhere in the sheet: resolve them once every row is known.
    for sheet, row, v, fo in parsed:
        if row.errors:
            continue
        parent = _parent(v, fo, row, sheet, directory)
        if row.errors:
            continue
        row.values["parent_target"] = parent
        if v["founded_on"] and v["founded_on"] > today:
            row.error("成立日期不能晚于今天", sheet, "founded_on")
            continue
        kind, unit_type, branch_type, _direct = TYPES[v["type"]]
        row.detail = TYPE_LABELS[v["type"]] + (f" · 上级：{_name_of(parent)}" if parent is not directory.school else "")
        if fo.existing is None:
            row.new = True
            continue
        org = fo.existing
        row.target_id = org.id
        _diff(row, "name", "组织名称", org.name, v["name"])
        if v["code"]:
            _diff(row, "code", "组织编码", org.code, v["code"])
        if _type_key(org) != v["type"]:
            row.changes.append(Change("type", "组织类型", org.type_label, TYPE_LABELS[v["type"]]))
        old_parent = org.parent
        if not _same(parent, old_parent):
            row.changes.append(Change("parent", "上级组织", old_parent.name if old_parent else "", _name_of(parent)))
        if v["founded_on"]:
            _diff(row, "founded_on", "成立日期", org.founded_on, v["founded_on"])
    return planned


def _same(target, org) -> bool:
    """Whether a parent target (an Organization or a FileOrg) is the existing organization `org`."""
    if isinstance(target, FileOrg):
        return target.existing is not None and target.existing is org
    return target is org


def _name_of(target) -> str:
    return target.name if target is not None else ""


def _diff(row, field, label, old, new):
    if old != new:
        row.changes.append(Change(field, label, old, new))


def _match(v, row, sheet, directory: Directory):
    """The existing organization a row is about (or None for a new one); errors for conflicts."""
    code, name = v["code"], v["name"]
    if code and code in directory.by_code:
        org = directory.by_code[code]
    elif name:
        same_name = directory.by_name.get(name, [])
        if len(same_name) > 1:
            row.error(f"系统中有{len(same_name)}个组织都叫「{name}」，请填写组织编码以区分", sheet, "code")
            return None
        org = same_name[0] if same_name else None
        if org is not None and code and org.code and org.code != code:
            row.error(f"组织名称「{name}」已被编码为「{org.code}」的组织使用", sheet, "name")
            return None
    else:
        return None
    if org is None:
        return None
    if org.kind not in (OrgKind.SECONDARY, OrgKind.BRANCH):
        row.error(f"「{org.name}」是{org.kind.label}，不能通过导入修改", sheet, "name")
        return None
    if v["type"] and TYPES[v["type"]][0] is not org.kind:
        row.error(f"「{org.name}」现为{org.type_label}，导入不能把二级党组织改为党支部或反之，请在组织管理中处理",
                  sheet, "type")
        return None
    if org.dissolved_on is not None:
        row.error(f"「{org.name}」已于{cn_day(org.dissolved_on)}撤销，如需恢复请在组织管理中操作", sheet, "name")
        return None
    if name and name != org.name and name in directory.by_name:
        row.error(f"组织名称「{name}」已被另一个组织使用", sheet, "name")
        return None
    return org


def _parent(v, fo: FileOrg, row, sheet, directory: Directory):
    """Where the organization sits: the school for secondary units and 直属党支部, a secondary unit
    for the other branches."""
    kind, _unit, _bt, direct = TYPES[v["type"]]
    ref = v["parent"]
    school = directory.school
    try:
        target = directory.lookup(ref) if ref else None
    except CellError as e:
        row.error(str(e), sheet, "parent")
        return None
    if ref and target is None and ref != school.name:
        row.error(f"上级组织「{ref}」不存在：系统和本表中都没有这个组织", sheet, "parent")
        return None
    if kind is OrgKind.SECONDARY or direct:
        if ref and target is not school and ref != school.name:
            what = "二级党组织" if kind is OrgKind.SECONDARY else "直属党支部"
            row.error(f"{what}的上级应为校党委，不能是「{ref}」", sheet, "parent")
            return None
        return school
    if not ref:
        row.error(f"请填写上级组织（{TYPE_LABELS[v['type']]}所属的二级党组织）", sheet, "parent")
        return None
    if isinstance(target, FileOrg):
        if target.row.errors:
            row.error(f"上级组织「{ref}」在本表第{target.row.row}行，该行有错误", sheet, "parent")
            return None
        if target.kind is not OrgKind.SECONDARY:
            row.error(f"上级组织「{ref}」是{TYPE_LABELS.get(target.type_key, '党支部')}，党支部的上级应为二级党组织",
                      sheet, "parent")
            return None
        return target
    if target.kind is not OrgKind.SECONDARY:
        row.error(f"上级组织「{ref}」是{target.type_label}，党支部的上级应为二级党组织；"
                  f"直属校党委的支部请选「直属党支部」", sheet, "parent")
        return None
    if target.is_dissolved:
        row.error(f"上级组织「{target.name}」已撤销", sheet, "parent")
        return None
    return target


def apply(rows: list[PlannedRow], directory: Directory) -> dict:
    """Write the planned organizations (inside the caller's transaction): secondary units first,
    so that the branches can hang under them. Returns counts."""
    counts = {"created": 0, "updated": 0}
    ordered = sorted(rows, key=lambda r: 0 if TYPES[r.values["type"]][0] is OrgKind.SECONDARY else 1)
    for row in ordered:
        if not (row.new or row.changes):
            row.values["org"] = row.values["file_org"].existing
            continue
        v = row.values
        kind, unit_type, branch_type, _direct = TYPES[v["type"]]
        parent = v["parent_target"]
        if isinstance(parent, FileOrg):
            parent = parent.row.values.get("org") or parent.existing
        if row.new:
            org = Organization(name=v["name"], kind=kind, unit_type=unit_type, branch_type=branch_type,
                               code=v["code"] or None, founded_on=v["founded_on"], path="")
            db.session.add(org)
            db.session.flush()
            org.set_parent(parent)
            counts["created"] += 1
        else:
            org = v["file_org"].existing
            org.name = v["name"]
            if v["code"]:
                org.code = v["code"]
            org.kind, org.unit_type, org.branch_type = kind, unit_type, branch_type
            if v["founded_on"]:
                org.founded_on = v["founded_on"]
            if org.parent is not parent:
                org.set_parent(parent)
            counts["updated"] += 1
        row.values["org"] = org
    db.session.flush()
    return counts
