"""The 「党员」 sheet: members matched by 工号/学号. The same 工号 is the same member (an update); a new
工号 is a new member. Empty cells never clear what the system already has.

Errors found before anything is written: an unknown branch (neither in the system nor in the
file's 「组织」 sheet), the same 工号 twice in the file, a 身份证号 that is another member's, a bad
身份证号 (GB 11643 check digit, birth date and gender), dates and dues that cannot be read, an
unknown 人员类别 or 党员类别, and missing required cells of a new member.

困难情况 (生活困难, 独居, 老弱病残, 困难情况说明) is not imported: the 困难党员台账 (dangjian/care) is
its one source — a branch proposes, the level above confirms, it is reviewed every year. A roster's
columns for it are recognised (so they are not listed as unknown) and skipped, and the preview says
so, with how many rows marked a hardship, so that 组织部 can ask the branches to propose them.
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select

from ... import audit
from ...extensions import db
from ...models import (Member, MemberCategory, MemberDuesRate, MemberStatus, MemberTransfer, PersonCategory)
from ...personal_data import blind_index
from .. import idcard, validation
from ..operations import OrgError, check_status_change, status_changed
from . import cells
from .cells import CellError
from .headers import Column
from .organizations import Directory, FileOrg, org_id_of
from .plan import Change, PlannedRow

SHEET = "党员"
CHUNK = 500  # keys per IN (...) query

GENDERS = {"男": "男", "女": "女", "男性": "男", "女性": "女"}
PERSON_CATEGORIES = {
    "教职工": PersonCategory.STAFF, "在职教职工": PersonCategory.STAFF, "教工": PersonCategory.STAFF,
    "在职": PersonCategory.STAFF, "职工": PersonCategory.STAFF, "教师": PersonCategory.STAFF,
    "学生": PersonCategory.STUDENT, "本科生": PersonCategory.STUDENT, "研究生": PersonCategory.STUDENT,
    "硕士研究生": PersonCategory.STUDENT, "博士研究生": PersonCategory.STUDENT,
    "离退休": PersonCategory.RETIRED, "离退休人员": PersonCategory.RETIRED, "退休": PersonCategory.RETIRED,
    "离休": PersonCategory.RETIRED, "退休人员": PersonCategory.RETIRED,
}
MEMBER_CATEGORIES = {"正式党员": MemberCategory.FULL, "正式": MemberCategory.FULL,
                     "预备党员": MemberCategory.PROBATIONARY, "预备": MemberCategory.PROBATIONARY}
STATUSES = {"正常": MemberStatus.NORMAL, "出党": MemberStatus.EXPELLED, "停止党籍": MemberStatus.SUSPENDED,
            "去世": MemberStatus.DECEASED, "死亡": MemberStatus.DECEASED, "已去世": MemberStatus.DECEASED}
FLAGS = ("is_model_worker",)

_DATE_NOTE = "如 2005-07-01、2005.07.01 或 2005年7月1日。"
COLUMNS = (
    Column("staff_no", "工号", ("学号", "职工号", "工号/学号", "学号/工号", "学工号", "教工号", "人员编号"), required=True,
           kind="identifier", note="教职工填工号，学生填学号。系统以工号匹配已有党员：同一工号即同一人，再次导入即更新。"),
    Column("name", "姓名", ("党员姓名",), required=True, kind="name", width=10),
    Column("gender", "性别", (), required=True, kind="choice", choices=("男", "女"), width=8,
           note="不填时按身份证号推出。"),
    Column("id_number", "身份证号", ("公民身份号码", "身份证号码", "身份证", "公民身份证号", "身份证件号码", "证件号码"),
           required=True, kind="id_number", width=22,
           note="18位，校验位须正确，且与出生日期、性别一致。请保持文本格式，勿存成数字（会丢失末几位）。"),
    Column("birth_date", "出生日期", ("出生年月日", "出生时间"), kind="date", note="不填时按身份证号推出。" + _DATE_NOTE),
    Column("branch", "所在支部", ("所在党支部", "所在党组织", "党支部", "支部", "所在支部编码", "党支部名称", "所在党组织名称"),
           required=True, width=28, note="党支部的组织编码或全称；可以是本文件「组织」表中新建的支部。"),
    Column("person_category", "人员类别", (), required=True, kind="choice", choices=("教职工", "学生", "离退休")),
    Column("member_category", "党员类别", ("党员身份",), required=True, kind="choice", choices=("正式党员", "预备党员")),
    Column("joined_party_on", "入党日期", ("入党时间",), required=True, kind="date", note=_DATE_NOTE),
    Column("full_member_on", "转正日期", ("转正时间",), kind="date", note="正式党员填写；预备党员不填。"),
    Column("phone", "联系电话", ("手机号码", "手机号", "手机", "联系方式", "电话"), kind="identifier", width=14),
    Column("monthly_dues", "月缴党费", ("党费", "每月党费", "月党费", "党费缴纳标准", "月缴纳党费"), kind="money",
           note="元，精确到分。新增党员不填按0元登记；已有党员改动时，从本月起生效并记入党费历史。"),
    Column("ethnicity", "民族", (), width=8),
    Column("education", "学历", ("最高学历", "文化程度"), width=10),
    Column("post", "工作岗位", ("岗位",), width=16),
    Column("status", "党籍状态", (), kind="choice", choices=("正常", "出党", "停止党籍", "去世"), width=10,
           note="不填为「正常」。出党、停止党籍、去世须填写党籍状态日期。"),
    Column("status_on", "党籍状态日期", ("状态日期", "状态变更日期", "去世日期"), kind="date"),
    Column("is_model_worker", "老模范", ("是否老模范",), kind="bool", choices=("是", "否"), width=8),
)
# Recognised in a roster, never imported (see the docstring): the 困难党员台账 is the one source.
HARDSHIP_NOTE = "困难情况不通过名册导入，以「困难党员台账」为准：由党支部在「关怀帮扶」中申报，上级党组织确认，每年复核。"
HARDSHIP_COLUMNS = (
    Column("living_difficulty", "生活困难", ("是否生活困难",), note=HARDSHIP_NOTE),
    Column("lives_alone", "独居", ("是否独居",), note=HARDSHIP_NOTE),
    Column("frail_sick_disabled", "老弱病残", ("是否老弱病残",), note=HARDSHIP_NOTE),
    Column("difficulty_reason", "困难情况说明", ("困难原因", "困难情况", "困难说明"), note=HARDSHIP_NOTE),
)
READ_COLUMNS = COLUMNS + HARDSHIP_COLUMNS  # what a 党员 sheet's header is matched against
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
EXAMPLE = {"staff_no": "000123", "name": "张三", "gender": "男", "id_number": idcard.make("610113", date(1980, 1, 1), 11),
           "birth_date": "1980-01-01", "branch": "KJ0101", "person_category": "教职工", "member_category": "正式党员",
           "joined_party_on": "2005-07-01", "full_member_on": "2006-07-01", "phone": "13800000000",
           "monthly_dues": "45.00", "ethnicity": "汉族", "education": "研究生", "post": "专业技术人员",
           "status": "正常", "status_on": "", "is_model_worker": "否"}

# The member's fields the import compares and writes, with their Chinese labels.
FIELDS = {"name": "姓名", "gender": "性别", "id_number": "身份证号", "birth_date": "出生日期", "branch": "所在支部",
          "person_category": "人员类别", "member_category": "党员类别", "joined_party_on": "入党日期",
          "full_member_on": "转正日期", "phone": "联系电话", "monthly_dues": "月缴党费", "ethnicity": "民族",
          "education": "学历", "post": "工作岗位", "status": "党籍状态", "status_on": "党籍状态日期",
          "is_model_worker": "老模范"}
MAX_LEN = {"staff_no": 30, "phone": 30}  # the other lengths are validation.MAX_LENGTHS


def _cell(row: PlannedRow, sheet, r, key, parse):
    """Parse a cell; on a CellError record it against the cell and return None."""
    if key not in r.cells:
        return None
    try:
        return parse(r.cells[key])
    except CellError as e:
        row.error(str(e), sheet, key)
        return None


def read_row(sheet, r, row: PlannedRow) -> dict:
    """Every recognised cell of a 党员 row, parsed; None where empty or unreadable."""
    label = sheet.header_of
    v = {
        "staff_no": _cell(row, sheet, r, "staff_no", lambda c: cells.identifier(c.value, c.number_format, label("staff_no", "工号"))),
        "name": cells.name(r.value("name")) or None,
        "gender": _cell(row, sheet, r, "gender", lambda c: cells.parse_choice(c.value, GENDERS, "性别", "男、女")),
        "id_number": _cell(row, sheet, r, "id_number", lambda c: idcard.normalize(cells.id_number(c.value)) or None),
        "branch": "".join(cells.name(r.value("branch")).split()) or None,
        "phone": _cell(row, sheet, r, "phone",
                       lambda c: validation.normalize_phone(cells.identifier(c.value, c.number_format, "联系电话")) or None),
        "monthly_dues": _cell(row, sheet, r, "monthly_dues", lambda c: cells.parse_money(c.value, label("monthly_dues", "月缴党费"))),
        "ethnicity": cells.text(r.value("ethnicity")) or None,
        "education": cells.text(r.value("education")) or None,
        "post": cells.text(r.value("post")) or None,
        "status": _cell(row, sheet, r, "status", lambda c: cells.parse_choice(c.value, STATUSES, "党籍状态",
                                                                              "正常、出党、停止党籍、去世")),
        "member_category": _cell(row, sheet, r, "member_category",
                                 lambda c: cells.parse_choice(c.value, MEMBER_CATEGORIES, "党员类别", "正式党员、预备党员")),
    }
    v["person_category"] = _cell(row, sheet, r, "person_category", _person_category)
    for key in ("birth_date", "joined_party_on", "full_member_on", "status_on"):
        v[key] = _cell(row, sheet, r, key, lambda c, k=key: cells.parse_date(c.value, label(k, FIELDS[k])))
    for key in FLAGS:
        v[key] = _cell(row, sheet, r, key, lambda c, k=key: cells.parse_bool(c.value, label(k, FIELDS[k])))
    for key, limit in MAX_LEN.items():
        if v.get(key) and len(v[key]) > limit:
            row.error(f"{FIELDS.get(key, label(key, key))}不能超过{limit}个字", sheet, key)
    return v


def _person_category(c):
    raw = "".join(cells.text(c.value).split())
    if raw in MEMBER_CATEGORIES:
        raise CellError(f"「{raw}」是党员类别，人员类别应为：教职工、学生、离退休")
    return cells.parse_choice(c.value, PERSON_CATEGORIES, "人员类别", "教职工、学生、离退休")


def _chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def existing_by_staff_no(staff_nos) -> dict:
    """Members already in the system, for every 工号 in the file: one query per 500 工号."""
    found = {}
    for chunk in _chunks(set(staff_nos)):
        for m in db.session.scalars(select(Member).where(Member.staff_no.in_(chunk))):
            found[m.staff_no] = m
    return found


def owners_by_id_hash(hashes) -> dict:
    """blind_index(身份证号) -> (member id, 工号, 姓名) for every number in the file."""
    found = {}
    for chunk in _chunks(set(hashes)):
        rows = db.session.execute(select(Member.id_number_hash, Member.id, Member.staff_no, Member.name)
                                  .where(Member.id_number_hash.in_(chunk)))
        for h, mid, staff_no, name in rows:
            found[h] = (mid, staff_no, name)
    return found


def plan(sheets, directory: Directory, today: date) -> list[PlannedRow]:
    parsed = []
    for sheet in sheets:
        for r in sheet.rows:
            row = PlannedRow(sheet=sheet.title, row=r.number)
            parsed.append((sheet, r, row, read_row(sheet, r, row)))

    # The same 工号 or 身份证号 twice in the file: the later rows are errors.
    first_staff, first_id = {}, {}
    for sheet, r, row, v in parsed:
        here = f"「{sheet.title}」表第{r.number}行"
        if v["staff_no"]:
            if v["staff_no"] in first_staff:
                row.error(f"工号「{v['staff_no']}」与{first_staff[v['staff_no']]}重复，同一工号只能有一行",
                          sheet, "staff_no")
            first_staff.setdefault(v["staff_no"], here)
        if v["id_number"]:
            if v["id_number"] in first_id:
                row.error(f"身份证号与{first_id[v['id_number']]}重复", sheet, "id_number")
            first_id.setdefault(v["id_number"], here)

    existing = existing_by_staff_no(v["staff_no"] for *_, v in parsed if v["staff_no"])
    hashes = {v["id_number"]: blind_index(v["id_number"]) for *_, v in parsed if v["id_number"]}
    owners = owners_by_id_hash(hashes.values())

    rows = []
    for sheet, r, row, v in parsed:
        rows.append(row)
        row.key = v["staff_no"] or ""
        row.label = v["name"] or ""
        if not v["staff_no"]:
            if not (r.cells.get("staff_no") and r.cells["staff_no"].value is not None):
                row.error(f"请填写{sheet.header_of('staff_no', '工号')}", sheet, "staff_no")
            continue
        member = existing.get(v["staff_no"])
        row.target_id = member.id if member else None
        if v["id_number"]:
            owner = owners.get(hashes[v["id_number"]])
            if owner and (member is None or owner[0] != member.id):
                row.error(f"该身份证号已登记在另一名党员名下（工号{owner[1]}，{owner[2]}），请核对",
                          sheet, "id_number")
        branch = None
        if v["branch"]:
            branch, problem = directory.branch(v["branch"])
            if problem:
                row.error(problem, sheet, "branch")
        if member is None:
            _plan_new(row, sheet, v, branch, today)
        else:
            _plan_update(row, sheet, v, branch, member, directory, today)
    return rows


# The rules of a member record live in org/validation.py (shared with the member form); the
# import checks 工号 and 身份证号 duplicates itself, in batches, and the branch through the Directory.
_SHARED_RULES = set(validation.MEMBER_FIELDS) - {"staff_no", "id_number", "branch"}
# What the cross-field rules read besides the field being set.
_CONTEXT = {"joined_party_on": ("birth_date",), "birth_date": ("joined_party_on",),
            "full_member_on": ("joined_party_on", "member_category"), "member_category": ("full_member_on",)}


def _check(row, sheet, v: dict, today: date, fields, id_given: bool):
    """Rules on the values the member will have (`v`: the file's values over the stored ones), for
    the fields the row sets (`fields`) and the ones their rules read."""
    if id_given and v["id_number"]:
        for problem in idcard.problems(v["id_number"], v["birth_date"], v["gender"]):
            row.error(problem, sheet, "id_number")
    checked = set(fields)
    for f in fields:
        checked.update(_CONTEXT.get(f, ()))
    values = {f: v.get(f) for f in checked & _SHARED_RULES}
    if row.has_error_on("id_number"):  # 出生日期 and 性别 follow from it once it is readable
        values = {f: x for f, x in values.items() if not (x is None and f in ("birth_date", "gender"))}
    for field, messages in validation.member_errors(values, today=today).items():
        if not row.has_error_on(field):
            for message in messages:
                row.error(message, sheet, field)
    if v.get("status_on") and v["status_on"] > today:
        row.error("党籍状态日期不能晚于今天", sheet, "status_on")


def _check_status(row, sheet, member: Member | None, v: dict, joined_party_on) -> None:
    """A 党籍状态 the row changes obeys the member page's rule (org.operations.check_status_change):
    去世 and 出党 are final, 恢复 only from 停止党籍, a date no earlier than the last change. A new
    member starts from 正常. `v` holds the file's own values (its date, not the stored one)."""
    current = member.status if member is not None else MemberStatus.NORMAL
    status = v["status"]
    if status is None or status is (current or MemberStatus.NORMAL):
        return
    if row.has_error_on("status_on"):
        return  # the date is already refused (unreadable or in the future)
    try:
        check_status_change(current, member.status_on if member is not None else None, joined_party_on,
                            status, v["status_on"], date_label="党籍状态日期")
    except OrgError as e:
        row.error(e.message, sheet, e.field, column=COLUMN_BY_KEY[e.field].label)


def _derive_from_id(v: dict) -> None:
    """出生日期 and 性别 that the file leaves empty follow from a well-formed 身份证号."""
    number = v["id_number"]
    if not number or idcard.problems(number):
        return
    if v["birth_date"] is None:
        v["birth_date"] = idcard.birth_date_of(number)
    if v["gender"] is None:
        v["gender"] = idcard.gender_of(number)


def _plan_new(row, sheet, v, branch, today):
    _derive_from_id(v)
    for key in ("name", "gender", "id_number", "birth_date", "branch", "person_category", "member_category",
                "joined_party_on"):
        if v[key] is None and not row.has_error_on(key):
            header = sheet.header_of(key, COLUMN_BY_KEY[key].label)
            if key in ("gender", "birth_date") and not v["id_number"]:
                if row.has_error_on("id_number"):
                    continue  # follows from the 身份证号 once it is readable
                row.error(f"新增党员须填写{header}（或填写身份证号以推出）", sheet, key)
            elif key not in ("gender", "birth_date"):
                where = "" if key in sheet.headers else "（文件中没有这一列）"
                row.error(f"新增党员须填写{header}{where}", sheet, key)
    v["status"] = v["status"] or MemberStatus.NORMAL
    # 月缴党费 may be missing from a national roster: the new member starts at 0 (the preview says so).
    _check(row, sheet, v, today, [f for f in FIELDS if f != "monthly_dues" or v[f] is not None], id_given=True)
    _check_status(row, sheet, None, v, v["joined_party_on"])
    row.new = True
    row.values.update(v, branch_target=branch)
    if branch is not None:
        row.detail = f"{branch.name} · " + " · ".join(
            x.label for x in (v["person_category"], v["member_category"]) if x is not None)


def _plan_update(row, sheet, v, branch, member: Member, directory, today):
    if (v["name"] and v["name"] != member.name and v["id_number"] and member.id_number
            and v["id_number"] != member.id_number):
        row.error(f"工号「{member.staff_no}」在系统中属于「{member.name}」，与本行的姓名、身份证号都不一致，"
                  f"请核对工号是否填错", sheet, "staff_no")
        return
    # The rules apply to what the member will be: the file's values over the stored ones.
    merged = {k: (v[k] if v.get(k) is not None else getattr(member, k)) for k in FIELDS if k != "branch"}
    _check(row, sheet, merged, today, [k for k in FIELDS if v.get(k) is not None], id_given=bool(v["id_number"]))
    _check_status(row, sheet, member, v, merged["joined_party_on"])
    if row.errors:
        return
    for key, label in FIELDS.items():
        if key == "branch":
            if branch is not None and not _is_member_branch(branch, member):
                row.changes.append(Change("branch", label, member.branch.name if member.branch else "",
                                          branch.name))
            continue
        new = v.get(key)
        if new is None:
            continue
        old = getattr(member, key)
        if key == "monthly_dues":
            old = Decimal(old).quantize(Decimal("0.01")) if old is not None else None
        if old != new:
            mask = {"id_number": "id", "phone": "phone"}.get(key)
            row.changes.append(Change(key, label, old, new, mask))
    row.values.update(v, branch_target=branch, member=member)


def _is_member_branch(target, member: Member) -> bool:
    if isinstance(target, FileOrg):
        return target.existing is not None and target.existing.id == member.branch_id
    return target.id == member.branch_id


def notes(rows: list[PlannedRow]) -> list[str]:
    """What the preview should say besides errors."""
    out = []
    no_dues = sum(1 for r in rows if r.new and not r.errors and r.values.get("monthly_dues") is None)
    if no_dues:
        out.append(f"{no_dues}名新增党员未填写月缴党费，将按0元登记，可稍后在党员信息中补录。")
    return out


def _marks_hardship(r) -> bool:
    if cells.text(r.value("difficulty_reason")):
        return True
    for column in HARDSHIP_COLUMNS[:3]:
        try:
            if cells.parse_bool(r.value(column.key)):
                return True
        except CellError:
            return True  # something written there: a mark, even if not 是/否
    return False


def hardship_notes(sheets) -> list[str]:
    """What the preview says about a roster's 困难情况 columns: skipped, and why, and how many rows
    marked a hardship (a count only: the preview names nobody for it)."""
    out = []
    for sheet in sheets:
        headers = [sheet.headers[c.key] for c in HARDSHIP_COLUMNS if c.key in sheet.headers]
        if not headers:
            continue
        marked = sum(1 for r in sheet.rows if _marks_hardship(r))
        text = f"「{sheet.title}」表的{'、'.join(f'「{h}」' for h in headers)}列未导入：{HARDSHIP_NOTE}"
        if marked:
            text += f"本表有{marked}行标有困难情况，请通知所在党支部申报。"
        out.append(text)
    return out


def apply(rows: list[PlannedRow], user_id: int | None, today: date, user=None) -> dict:
    """Write the planned members inside the caller's transaction. New members go in with one bulk
    INSERT (their id_number_hash set here, as the ORM validator is bypassed) and get their first
    月缴党费 rate from this month; updates go through the ORM, with a 组织关系转接 row for a new branch
    and a dues rate row for a new 月缴党费."""
    month = today.replace(day=1)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "transfers": 0}
    new_rows = [r for r in rows if r.new]
    if new_rows:
        values = []
        for r in new_rows:
            v = r.values
            values.append({
                "name": v["name"], "gender": v["gender"], "staff_no": v["staff_no"], "id_number": v["id_number"],
                "id_number_hash": blind_index(v["id_number"]), "branch_id": org_id_of(v["branch_target"]),
                "person_category": v["person_category"], "member_category": v["member_category"],
                "joined_party_on": v["joined_party_on"], "full_member_on": v["full_member_on"],
                "birth_date": v["birth_date"], "phone": v["phone"] or "", "ethnicity": v["ethnicity"] or "",
                "education": v["education"] or "", "post": v["post"] or "",
                "monthly_dues": v["monthly_dues"] if v["monthly_dues"] is not None else Decimal("0.00"),
                "status": v["status"] or MemberStatus.NORMAL, "status_on": v["status_on"],
                **{k: bool(v[k]) for k in FLAGS},
            })
        ids = {}
        for chunk in _chunks(values, 1000):
            result = db.session.execute(insert(Member).returning(Member.id, Member.staff_no), chunk)
            ids.update({staff_no: mid for mid, staff_no in result})
        rates = [{"member_id": ids[d["staff_no"]], "effective_from": month, "amount": d["monthly_dues"],
                  "note": "导入时登记", "created_by_id": user_id} for d in values]
        for chunk in _chunks(rates, 1000):
            db.session.execute(insert(MemberDuesRate), chunk)
        counts["created"] = len(values)

    changed = [r for r in rows if not r.new and r.changes]
    counts["unchanged"] = sum(1 for r in rows if not r.new and not r.changes)
    dues_changed = [r for r in changed if any(c.field == "monthly_dues" for c in r.changes)]
    this_month_rates = {}
    for chunk in _chunks([r.values["member"].id for r in dues_changed]):
        for rate in db.session.scalars(select(MemberDuesRate).where(
                MemberDuesRate.member_id.in_(chunk), MemberDuesRate.effective_from == month)):
            this_month_rates[rate.member_id] = rate
    for r in changed:
        member, v = r.values["member"], r.values
        for change in r.changes:
            if change.field == "branch":
                new_branch_id = org_id_of(v["branch_target"])
                db.session.add(MemberTransfer(member_id=member.id, from_branch_id=member.branch_id,
                                              to_branch_id=new_branch_id, transferred_on=today,
                                              note="Excel导入", created_by_id=user_id))
                member.branch_id = new_branch_id
                counts["transfers"] += 1
            elif change.field == "monthly_dues":
                member.monthly_dues = change.new
                rate = this_month_rates.get(member.id)
                if rate is None:
                    db.session.add(MemberDuesRate(member_id=member.id, effective_from=month, amount=change.new,
                                                  note="Excel导入调整", created_by_id=user_id))
                else:
                    rate.amount = change.new
            else:
                setattr(member, change.field, change.new)
        status = next((c for c in r.changes if c.field == "status"), None)
        if status is not None:
            before = status.old or MemberStatus.NORMAL
            # The member page's 党籍状态 history reads these rows, as for a change made there.
            audit.record("member.status_changed", member, user=user, name=member.name, before=before.value,
                         status=member.status.value, status_on=member.status_on, note="Excel导入")
            status_changed(member, before, user)
        counts["updated"] += 1
    db.session.flush()
    return counts

