"""The one registry of audit actions: code → the Chinese label 纪委 reads (审计日志).

Every `audit.record(code, ...)` in the app should have its code here. A code that is missing still
shows, as its group's name and the code itself, so nothing recorded is ever hidden; the test
`test_every_recorded_action_has_a_label` greps the sources for codes without a label.
"""
from ..workflow.definition import Action

# (group key, group label, code prefixes, {code: label}) in the order the filter offers them.
GROUPS: list[tuple[str, str, tuple[str, ...], dict[str, str]]] = [
    ("auth", "登录与会话", ("auth.",), {
        "auth.login": "登录",
        "auth.login_failed": "登录失败",
        "auth.locked": "账号被锁定",
        "auth.logout": "退出登录",
        "auth.password_changed": "修改本人密码",
        "auth.session_timeout": "登录超时",
        "auth.sso_refused": "拒绝不可信来源的单点登录",
        "auth.account_created_from_directory": "从统一身份认证目录创建账号",
    }),
    ("admin", "账号与角色", ("admin.", "account."), {
        "account.admin_created": "命令行创建系统管理员",
        "admin.account_created": "创建账号",
        "admin.account_updated": "修改账号信息",
        "admin.account_disabled": "停用账号",
        "admin.account_enabled": "启用账号",
        "admin.password_reset": "重置密码",
        "admin.account_unlocked": "解除锁定",
        "admin.role_assigned": "授予角色",
        "admin.role_revoked": "撤销角色",
    }),
    ("org", "组织", ("org.",), {
        "org.created": "初始化学校党委",
        "org.unit_created": "新建党组织",
        "org.unit_renamed": "党组织更名",
        "org.unit_updated": "修改党组织信息",
        "org.unit_moved": "调整党组织隶属关系",
        "org.unit_dissolved": "撤销党组织",
        "org.dates.set": "设置党组织成立/撤销日期",
    }),
    ("member", "党员", ("member.",), {
        "member.created": "新增党员",
        "member.updated": "修改党员信息",
        "member.transferred": "组织关系转接",
        "member.status_changed": "党籍状态变更",
        "member.dues_set": "调整月缴党费",
        "member.flags_set": "设置困难标记",
        "member.exported": "导出党员名册",
        "member.reveal_id_number": "查看完整身份证号",
        "member.reveal_phone": "查看完整联系电话",
    }),
    ("import", "批量导入", ("import.",), {
        "import.organizations": "导入党组织",
        "import.members": "导入党员",
        "import.accounts": "导入账号与角色",
    }),
    ("request", "申请审批", ("request.", "cc_rule."), {
        "request.create": "新建申请",
        **{f"request.{a.value}": label for a, label in (
            (Action.SUBMIT, "提交申请"), (Action.APPROVE, "同意"), (Action.REJECT, "不同意"),
            (Action.RETURN, "退回修改"), (Action.WITHDRAW, "撤回申请"), (Action.ADJUST, "核定调整"),
            (Action.RECORD_PAYMENT, "登记走访发放"), (Action.RECORD_PAID, "登记发放（校级经费）"), (Action.CANCEL, "取消申请"),
            (Action.PUBLISH, "发布公示"), (Action.REVOKE, "撤销推荐"), (Action.AWARD, "确认表彰"),
            (Action.TAKE_BACK, "取回决定"), (Action.TRANSFER, "转办"),
            (Action.REROUTE, "无人可处理，系统转上级办理"), (Action.DELETE_DRAFT, "删除草稿"),
            (Action.ABANDON, "撤销申请（发起人放弃）"))},
        "request.routed": "进入环节时无人可处理，转上级办理",
        "request.comment": "评论",
        "request.urge": "催办",
        "request.batch_approve": "批量同意",
        "request.overdue_reminded": "超期提醒",
        "request.cc": "抄送",
        "cc_rule.add": "添加抄送规则",
        "cc_rule.remove": "删除抄送规则",
        "inbox.exported": "导出待办/已办/我发起的/抄送我的列表",
        "request_search.exported": "导出申请查询结果",
    }),
    ("delegation", "委托代理", ("delegation.",), {
        "delegation.created": "设置委托代理",
        "delegation.ended": "结束委托代理",
    }),
    ("files", "文件与附件", ("document.", "attachment."), {
        "document.download": "下载文件",
        "attachment.download": "下载附件",
        "document.preview": "预览文件",
        "attachment.preview": "预览附件",
        "document.void": "作废文件",
        "document.verify": "核验文件真伪（文件核验页）",
        "document.archive_viewed": "查阅文档归档",
        "document.archive_exported": "按年度导出文档归档（ZIP）",
    }),
    ("doc_number", "文号登记簿", ("doc_number.",), {
        "doc_number.issue": "取文号",
        "doc_number.void": "作废文号",
        "doc_number.prefix_set": "设置发文机关代字",
        "doc_number.exported": "导出文号登记簿",
    }),
    ("care", "关怀帮扶与经费", ("budget.", "condolence.", "allowance.", "unit_fund."), {
        "budget.set": "设定年度预算",
        "unit_fund.add": "登记二级党组织自有经费收支",
        "unit_fund.void": "冲销二级党组织自有经费记录",
        "condolence.campaign": "批量发起七一/春节慰问",
        "condolence.delete_draft": "删除慰问金草稿",  # before 删除草稿 went through the engine (request.delete_draft)
        "condolence.standard.set": "设置慰问金标准",
        "condolence.threshold.set": "设置报校审批金额",
        "allowance.assessment.set": "录入党支部年度考核",  # before 党建考核 (assessment.*) replaced it
        "allowance.term.create": "登记支部书记任职",
        "allowance.term.end": "支部书记任职结束",
        "allowance.term.delete": "删除支部书记任职记录",
    }),
    ("care_registry", "困难党员台账与走访", ("care.",), {
        "care.entry.proposed": "申报困难党员",
        "care.entry.confirmed": "确认列入困难党员台账",
        "care.entry.returned": "退回困难党员申报",
        "care.entry.resubmitted": "重新提交困难党员申报",
        "care.entry.withdrawn": "撤回困难党员申报",
        "care.entry.reviewed": "困难党员年度复核",
        "care.entry.closed": "困难党员台账销号",
        "care.entry.closed_by_status": "党员去世或出党，困难党员台账自动销号",
        "care.entry.review_reminded": "提醒困难党员年度复核",
        "care.registry.exported": "导出困难党员台账",
        "care.file.download": "下载台账或走访材料",
        "care.file.preview": "预览台账或走访材料",
        "care.visit.recorded": "登记走访慰问",
    }),
    ("talks", "谈心谈话", ("talk.", "talk_link."), {
        "talk.recorded": "记录谈心谈话",
        "talk.voided": "作废谈心谈话记录",
        "talk.reminded": "谈心谈话提醒",
        "talk.compliance_exported": "导出谈心谈话完成情况",
        "talk_link.added": "设置领导联系点",
        "talk_link.ended": "结束领导联系点",
    }),
    ("pairing", "结对帮扶与志愿服务", ("pairing.", "volunteer."), {
        "pairing.created": "登记结对帮扶",
        "pairing.ended": "结束结对帮扶",
        "pairing.contact_added": "登记结对帮扶联系",
        "volunteer.recorded": "登记志愿服务",
        "volunteer.deleted": "删除志愿服务记录",
    }),
    ("award", "表彰与公示", ("award_cycle.", "award_nomination.", "award_objection."), {
        "award_cycle.create": "发起表彰评选",
        "award_cycle.update": "修改表彰评选",
        "award_cycle.publish": "发布表彰公示",
        "award_cycle.complete": "表彰评选完成",
        "award_cycle.rewards_set": "设置表彰奖励标准",
        "award_nomination.move": "调整推荐排序",
        "award_nomination.drafts_from_assessment": "按考核优秀推荐（生成推荐草稿）",
        "award_objection.file": "提出异议",
        "award_objection.upheld": "异议成立",
        "award_objection.dismissed": "异议不成立",
    }),
    ("assessment", "党建考核与整改", ("assessment.",), {
        "assessment.cycle.open": "发起年度党建考核",
        "assessment.submit": "提交党建考核自评",
        "assessment.return": "退回党建考核自评",
        "assessment.grade": "评定党建考核等次",
        "assessment.interview": "记录约谈",
        "assessment.task.create": "下达整改任务",
        "assessment.task.submit": "提交整改情况",
        "assessment.task.sign_off": "整改任务验收销号",
        "assessment.task.reject": "退回重新整改",
        "assessment.task.reminded": "提醒超期整改任务",
        "assessment.rectified": "整改完成",
        "assessment.file.download": "下载党建考核材料",
        "assessment.file.preview": "预览党建考核材料",
        "assessment.exported": "导出党建考核等次（Excel）",
    }),
    ("openness", "党务公开", ("openness.",), {
        "openness.create": "起草党务公开事项",
        "openness.update": "修改党务公开草稿",
        "openness.delete": "删除党务公开草稿",
        "openness.generate_dues": "生成党费收缴和使用情况",
        "openness.publish": "发布党务公开事项",
        "openness.withdraw": "撤回党务公开事项",
    }),
    ("deadlines", "校历与办理时限", ("calendar.", "time_limits.", "overdue_report."), {
        "calendar.days_set": "设置校历（节假日、调休）",
        "calendar.day_removed": "删除校历日期",
        "time_limits.set": "设置环节办理时限",
        "overdue_report.viewed": "查看超期统计",
        "overdue_report.exported": "导出超期统计",
    }),
    ("supervision", "监督统计与巡察检查", ("supervision.", "inspection."), {
        "supervision.dashboard.viewed": "查看监督统计",
        "supervision.dashboard.exported": "导出监督统计",
        "inspection.plan.created": "新建巡察/监督检查计划",
        "inspection.plan.updated": "修改巡察/监督检查计划",
        "inspection.plan.closed": "结束巡察/监督检查计划",
        "inspection.finding.created": "记录巡察发现的问题",
        "inspection.task.created": "下达整改任务",
        "inspection.task.submitted": "提交整改材料",
        "inspection.task.signed_off": "整改验收销号",
        "inspection.task.returned": "退回整改材料",
        "inspection.task.cancelled": "撤销整改任务",
        "inspection.task.extended": "延长整改期限",
        "inspection.task.reminded": "提醒整改任务（到期、逾期或待验收）",
        "inspection.tasks.exported": "导出整改任务",
        "inspection.file.download": "下载整改佐证材料",
        "inspection.file.preview": "预览整改佐证材料",
    }),
    ("notifications", "消息与群机器人", ("notifications.",), {
        "notifications.read_all": "全部消息标为已读",
        "notifications.settings_changed": "修改消息设置",
        "notifications.webhook_set": "设置群机器人",
        "notifications.webhook_deleted": "删除群机器人",
    }),
    ("audit", "审计日志", ("audit.",), {
        "audit.viewed": "查看审计日志",
        "audit.exported": "导出审计日志",
    }),
]

LABELS: dict[str, str] = {code: label for _, _, _, codes in GROUPS for code, label in codes.items()}
GROUP_LABELS: dict[str, str] = {key: label for key, label, _, _ in GROUPS}
GROUP_PREFIXES: dict[str, tuple[str, ...]] = {key: prefixes for key, _, prefixes, _ in GROUPS}


def group_of(code: str) -> str | None:
    for key, _, prefixes, _ in GROUPS:
        if code.startswith(prefixes):
            return key
    return None


def label(code: str) -> str:
    """The Chinese label of an action; an unknown code shows as its group and the code itself.
    A whole group, as the filter names it (`group:request`), reads 全部申请审批."""
    if code in LABELS:
        return LABELS[code]
    if code.startswith("group:") and code[len("group:"):] in GROUP_LABELS:
        return f"全部{GROUP_LABELS[code[len('group:'):]]}"
    group = group_of(code)
    return f"{GROUP_LABELS[group]}：{code}" if group else code


def is_known(code: str) -> bool:
    return code in LABELS


def choices(extra_codes=()) -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's options, grouped: each group offers 「全部…」 (value `group:<key>`) and
    its actions; codes found in the log but not in the registry are offered under 其他."""
    out = []
    for key, group_label, _, codes in GROUPS:
        out.append((group_label, [(f"group:{key}", f"全部{group_label}")] + list(codes.items())))
    unknown = sorted(c for c in set(extra_codes) if c not in LABELS)
    if unknown:
        out.append(("其他", [(c, label(c)) for c in unknown]))
    return out
