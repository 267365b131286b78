"""How an audit row reads for 纪委: the object it names (with a link where the reader may open
it) and its detail (JSON) as labelled Chinese text."""
import json
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import (Attachment, Document, Member, Organization, Request, RequestState, Role, RoleAssignment,
                      User)
from ..scope import visible_requests
from . import actions
from .queries import OBJECT_KINDS, request_tables

TABLE_LABELS = {
    "requests": "申请", "documents": "文件", "attachments": "附件", "users": "账号", "members": "党员",
    "organizations": "党组织", "role_assignments": "角色任职", "budget_lines": "年度预算",
    "condolence_standards": "慰问金标准", "condolence_thresholds": "报校审批金额", "award_cycles": "表彰评选",
    "award_objections": "异议", "branch_assessments": "党支部考核", "assessment_cycles": "年度党建考核",
    "assessments": "党建考核", "rectification_tasks": "整改任务", "assessment_files": "党建考核材料", "branch_secretary_terms": "支部书记任职",
    "member_transfers": "组织关系转接", "member_dues_rates": "月缴党费标准", "delegations": "委托代理",
    "inspection_plans": "巡察/监督检查计划", "inspection_findings": "巡察发现的问题", "inspection_tasks": "整改任务",
    "inspection_files": "整改佐证材料",
}


def table_label(table: str | None) -> str:
    if not table:
        return ""
    for mapper in Request.__mapper__.self_and_descendants:
        if mapper.local_table.name == table:
            return mapper.class_.type_label
    return TABLE_LABELS.get(table, table)


@dataclass(frozen=True)
class ObjectRef:
    kind: str  # 党费减免申请, 党员 …
    name: str  # DF-2026-0007, 王喆（T000001）…
    url: str | None = None  # where this reader may open it, if anywhere


def _endpoint_url(endpoint: str, **values) -> str | None:
    """A link to a page that another package may or may not provide (yet)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except Exception:  # noqa: BLE001  (a page whose parameters differ: no link rather than an error)
        return None


def _member_url(member_id: int, viewer) -> str | None:
    from ..org.access import can_read_members
    if viewer is None or not can_read_members(viewer):
        return None
    return _endpoint_url("org.member", member_id=member_id)


def object_refs(pairs, viewer) -> dict[tuple[str, int], ObjectRef]:
    """The objects of a page (or a batch) of audit rows, read with one query per kind."""
    by_table: dict[str, set[int]] = defaultdict(set)
    for table, oid in pairs:
        if table and oid is not None:
            by_table[table].add(oid)
    refs: dict[tuple[str, int], ObjectRef] = {}

    req_tables = request_tables()
    req_ids = set().union(*[ids for t, ids in by_table.items() if t in req_tables]) if by_table else set()
    doc_rows = att_rows = []
    if by_table.get("documents"):
        doc_rows = db.session.execute(select(Document.id, Document.title, Document.request_id)
                                      .where(Document.id.in_(by_table["documents"]))).all()
        req_ids |= {r.request_id for r in doc_rows if r.request_id}
    if by_table.get("attachments"):
        att_rows = db.session.execute(select(Attachment.id, Attachment.filename, Attachment.request_id)
                                      .where(Attachment.id.in_(by_table["attachments"]))).all()
        req_ids |= {r.request_id for r in att_rows if r.request_id}
    numbers, visible = {}, set()
    if req_ids:
        numbers = dict(db.session.execute(select(Request.id, Request.number).where(Request.id.in_(req_ids))).all())
        if viewer is not None:
            visible = set(db.session.scalars(select(Request.id).where(Request.id.in_(req_ids),
                                                                     visible_requests(viewer))))

    def request_url(rid):
        return url_for("requests.view", request_id=rid) if rid in visible else None

    for table, ids in by_table.items():
        if table in req_tables:
            for oid in ids:
                refs[table, oid] = ObjectRef(table_label(table), numbers.get(oid, f"#{oid}"), request_url(oid))
    for r in doc_rows:
        refs["documents", r.id] = ObjectRef("文件", f"{r.title}" + (f"（{numbers.get(r.request_id)}）" if r.request_id else ""),
                                            request_url(r.request_id))
    for r in att_rows:
        refs["attachments", r.id] = ObjectRef("附件", f"{r.filename}（{numbers.get(r.request_id, '')}）",
                                              request_url(r.request_id))
    if by_table.get("members"):
        for r in db.session.execute(select(Member.id, Member.name, Member.staff_no)
                                    .where(Member.id.in_(by_table["members"]))):
            refs["members", r.id] = ObjectRef("党员", f"{r.name}（{r.staff_no}）", _member_url(r.id, viewer))
    if by_table.get("users"):
        for r in db.session.execute(select(User.id, User.username, User.display_name)
                                    .where(User.id.in_(by_table["users"]))):
            refs["users", r.id] = ObjectRef("账号", f"{r.display_name}（{r.username}）")
    if by_table.get("organizations"):
        for r in db.session.execute(select(Organization.id, Organization.name)
                                    .where(Organization.id.in_(by_table["organizations"]))):
            refs["organizations", r.id] = ObjectRef("党组织", r.name)
    if by_table.get("role_assignments"):
        for r in db.session.execute(select(RoleAssignment.id, RoleAssignment.role, User.display_name,
                                           Organization.name.label("org_name"))
                                    .join(User, User.id == RoleAssignment.user_id)
                                    .join(Organization, Organization.id == RoleAssignment.organization_id)
                                    .where(RoleAssignment.id.in_(by_table["role_assignments"]))):
            refs["role_assignments", r.id] = ObjectRef("角色任职", f"{r.display_name}：{r.org_name} · {r.role.label}")
    if by_table.get("award_cycles"):
        from ..request_types.award_nomination.access import can_read_cycles
        from ..request_types.award_nomination.model import AwardCycle
        readable = viewer is not None and can_read_cycles(viewer)
        for r in db.session.execute(select(AwardCycle.id, AwardCycle.name)
                                    .where(AwardCycle.id.in_(by_table["award_cycles"]))):
            refs["award_cycles", r.id] = ObjectRef(
                "表彰评选", r.name, url_for("award_nomination.cycle_view", cycle_id=r.id) if readable else None)
    for table, ids in by_table.items():
        for oid in ids:
            refs.setdefault((table, oid), ObjectRef(table_label(table), f"#{oid}"))
    return refs


# --- the detail column -------------------------------------------------------------------

KEY_LABELS = {
    "number": "编号", "from_state": "原状态", "to_state": "新状态", "step": "环节", "username": "账号",
    "reason": "原因", "sha256": "SHA-256", "filename": "文件名", "award_cycle_id": "表彰评选序号",
    "year": "年度", "kind": "类别", "amount": "金额", "occasion": "慰问类别", "created": "已创建",
    "skipped": "跳过", "name": "名称", "deadline": "截止日期", "quotas": "名额", "branch": "党支部",
    "before": "修改前", "after": "修改后", "grade": "考核结果", "member": "党员", "founded_on": "成立日期",
    "dissolved_on": "撤销日期", "starts_on": "开始日期", "ends_on": "结束日期", "awarded": "表彰数",
    "nomination": "推荐编号", "filters": "筛选条件", "rows": "条数", "count": "条数", "page": "页码",
    "role": "角色", "organization": "党组织", "org": "党组织", "fields": "修改字段", "changed": "修改字段",
    "from_branch": "原支部", "to_branch": "新支部", "status": "状态", "status_on": "生效日期", "note": "备注",
    "person": "操作人", "action": "操作", "object_type": "对象类型", "object": "对象", "date_from": "开始日期",
    "date_to": "结束日期", "direction": "方向", "attempts": "连续失败次数", "locked_until": "锁定至",
    "source": "来源", "file_sha256": "文件SHA-256", "counts": "数量", "created_count": "新增",
    "updated": "更新", "unchanged": "不变", "errors": "错误", "display_name": "姓名", "email": "邮箱",
    "staff_no": "工号/学号", "target": "对象", "ip": "IP地址", "via": "方式", "header": "请求头",
    "transferred_on": "转接日期", "effective_from": "起始月份", "dues": "月缴党费", "flags": "困难标记",
    "code": "组织编码", "parent": "上级组织", "from_parent": "原上级组织", "to_parent": "新上级组织",
    "type": "类型", "failed_logins": "连续失败次数", "forced": "强制", "member_id": "党员序号",
    "method": "登录方式", "minutes": "分钟", "new_username": "新账号", "organization_id": "党组织序号",
    "peer": "来源地址", "role_label": "角色", "signed_in_at": "登录时间", "unlocked": "已解锁",
    "expected_digest": "文件摘要", "total": "总数",
    "on_behalf_of": "代为处理（被代理人）", "on_behalf_of_id": "被代理人账号序号", "deputy": "代理人",
    "deputy_id": "代理人账号序号", "was": "结束前状态", "assignee": "转办给", "assignee_id": "被转办人账号序号",
    "title": "文件名称", "version": "版本", "doc_number": "文号", "result": "结果", "size": "大小（字节）",
    "verification_code": "验证码",
}
# Codes that sign-in writes into its rows, in words.
VALUE_LABELS = {
    "reason": {"locked": "账号已锁定", "inactive": "账号已停用", "bad_password": "密码错误",
               "ldap_bad_password": "统一身份认证密码错误", "unknown_user": "账号不存在",
               "no_local_account": "本系统无此账号", "password_change_bad_current": "修改密码时当前密码错误",
               "sso_user_changed": "单点登录用户已变更", "administrator_local_only": "系统管理员只能用本系统密码登录",
               "idle": "长时间未操作", "absolute": "超过最长登录时间", "unstamped": "会话缺少登录时间"},
    "method": {"password": "本系统密码", "ldap": "统一身份认证（LDAP）", "sso": "单点登录"},
    "source": {"cli": "命令行", "web": "网页"},
    "was": {"upcoming": "未开始（取消）", "active": "生效中（提前结束）"},
    # 文件核验 (web/verify.py): how the document was looked up, and what the page answered.
    "via": {"code": "验证码", "upload": "上传文件"},
    "result": {"valid": "有效", "voided": "已作废", "superseded": "已被新版本替代", "not_found": "未找到"},
}
STEP_LABELS = {"branch": "党支部", "secondary": "二级党组织", "org_dept": "组织部", "school": "校党委"}


def _enum_label(enum_cls, value):
    try:
        return enum_cls(value).label
    except ValueError:
        return value


def _value_text(key: str, value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value_text(key, v) for v in value) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{KEY_LABELS.get(k, k)}：{_value_text(k, v)}" for k, v in value.items())
    if not isinstance(value, str):
        return str(value)
    if key in VALUE_LABELS and value in VALUE_LABELS[key]:
        return VALUE_LABELS[key][value]
    if key in ("from_state", "to_state"):
        return _enum_label(RequestState, value)
    if key == "step":
        return STEP_LABELS.get(value, value)
    if key == "role":
        return _enum_label(Role, value)
    if key == "action":
        return actions.label(value)
    if key == "object_type":
        return OBJECT_KINDS[value].label if value in OBJECT_KINDS else value
    if key == "kind":
        from ..models import BudgetLineKind
        return _enum_label(BudgetLineKind, value)
    if key == "grade":
        from ..request_types.secretary_allowance.model import AssessmentGrade
        return _enum_label(AssessmentGrade, value)
    if key == "occasion":
        from ..request_types.condolence.model import CondolenceCategory
        return _enum_label(CondolenceCategory, value)
    return value


def detail_items(detail: str | None) -> list[tuple[str, str]]:
    """(label, text) pairs of an audit row's detail; text that is not JSON shows as it is."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("", detail)]
    if not isinstance(data, dict):
        return [("", _value_text("", data))]
    # A request leaving 草稿 has no step yet: nothing to say.
    return [(KEY_LABELS.get(k, k), _value_text(k, v)) for k, v in data.items() if not (k == "step" and not v)]


def detail_text(detail: str | None) -> str:
    return "；".join(f"{k}：{v}" if k else v for k, v in detail_items(detail))


def person_text(username: str | None, display_name: str | None, action: str, detail: str | None) -> str:
    """Who acted: the account; a failed sign-in names the account that was tried; else 系统."""
    if username:
        return f"{display_name}（{username}）"
    if action == "document.verify":
        return "未登录访客"  # the public 文件核验 page; a signed-in reader is named above
    if action.startswith("auth."):
        try:
            tried = json.loads(detail or "{}").get("username")
        except (ValueError, AttributeError):
            tried = None
        if tried:
            return f"未登录（尝试账号 {tried}）"
        return "未登录"
    return "系统"
