"""What each kind of event says, in Chinese: in the 消息 centre, in an e-mail and to a group robot.

The 消息 centre may name the person who acted. An e-mail and a robot message never carry the
content of the application (困难情况, 事由, 意见, names): the number, the type, the step and a link
only. Everything here reads the event, never the request's fields beyond those.
"""
from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import select

from ..extensions import db
from .models import Message

# Kind → (the tag the 消息 centre shows, its colour, the sentence an e-mail or robot starts with).
KIND_LABELS = {
    "todo": ("待办", "primary", "您有一项新的待办需要处理"),
    "returned": ("退回", "warning", "您的申请被退回修改"),
    "approved": ("通过", "success", "您的申请已通过一个审批环节"),
    "rejected": ("未通过", "danger", "您的申请未获通过"),
    "completed": ("办结", "success", "您的申请已办结"),
    "cc": ("抄送", "info", "有一项申请抄送给您"),
    "urge": ("催办", "warning", "有一项待办被催办，请尽快处理"),
    "comment": ("评论", "secondary", "您参与的申请有新的评论"),
    "overdue": ("超时", "danger", "您的一项待办已超过办理时限"),
    "abandoned": ("撤销", "secondary", "您参与的一项申请已被发起人撤销"),
    "talk_due": ("谈心谈话", "info", "您有谈心谈话尚未完成"),
    "assessment": ("党建考核", "primary", "您有一项党建考核事项"),
    "rectify_overdue": ("整改超期", "danger", "您有整改任务已超过整改期限"),
    "care_review_due": ("台账复核", "warning", "困难党员台账有记录已超过每年复核日期"),
    "openness": ("党务公开", "info", "有一项党务公开事项已发布"),
    "inspection_task": ("巡察整改", "warning", "您有一项巡察/监督检查整改任务需要办理"),
}

# The same sentences for a group robot, told to an organization rather than to one person.
ROBOT_SENTENCES = {
    "todo": "新的待办",
    "returned": "申请被退回修改",
    "approved": "申请通过一个审批环节",
    "rejected": "申请未获通过",
    "completed": "申请已办结",
    "cc": "申请抄送",
    "urge": "待办被催办",
    "comment": "申请有新的评论",
    "overdue": "待办超过办理时限",
    "abandoned": "申请已被发起人撤销",
    "talk_due": "谈心谈话提醒",
    "assessment": "党建考核事项",
    "rectify_overdue": "整改任务超期",
    "care_review_due": "困难党员台账复核提醒",
    "openness": "党务公开事项发布",
    "inspection_task": "巡察整改任务提醒",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, (kind, "secondary", ""))[0]


def kind_css(kind: str) -> str:
    return KIND_LABELS.get(kind, (kind, "secondary", ""))[1]


def message_text(kind: str, req, *, actor=None, step_label: str = "", state_label: str = "",
                 from_step_label: str = "") -> str:
    """The line the 消息 centre shows. No free text (意见, 评论, 事由) is copied into it: the
    request page shows those to whoever may still see them."""
    what = f"{type(req).type_label} {req.number}"
    who = actor.display_name if actor is not None else "系统"
    at = f"（{step_label}）" if step_label else ""
    if kind == "todo":
        return f"{what} 待您处理{at}"
    if kind == "returned":
        return f"您的{what} 被{who}退回修改，请修改后重新提交"
    if kind == "approved":
        passed = f"「{from_step_label}」" if from_step_label else "审批环节"
        nxt = f"，进入「{step_label}」" if step_label else ""
        return f"您的{what} 已通过{passed}{nxt}"
    if kind == "rejected":
        return f"您的{what} {state_label or '未通过'}"
    if kind == "completed":
        return f"您的{what} {state_label or '已办结'}"
    if kind == "cc":
        return f"{who}将{what} 抄送给您"
    if kind == "urge":
        return f"{who}催办{what}{at}，请尽快处理"
    if kind == "comment":
        return f"{who}评论了{what}"
    if kind == "abandoned":
        return f"{who}撤销了{what}，该申请已结束，无需再处理"
    if kind == "overdue":
        where = f"在「{step_label}」环节" if step_label else ""
        return f"{what} {where}已超过办理时限，请尽快处理"
    return f"{what}：{kind_label(kind)}"


def request_link(request_id: int) -> str:
    """An absolute link for e-mails and robots (PUBLIC_BASE_URL), outside any web request."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with current_app.test_request_context():
        path = url_for("requests.view", request_id=request_id)
    return base + path


def app_link(path: str) -> str:
    """An absolute link to a path in the app (a notice's link), for e-mails."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _notice_text(event) -> str:
    """A notice's text (the same for each recipient: record_notice writes one text)."""
    return db.session.scalar(select(Message.text).where(Message.event_id == event.id).limit(1)) or ""


def _facts(event) -> list[tuple[str, str]]:
    req = event.request
    if req is None:  # a notice
        return [("事项", event.subject), ("查看", app_link(event.link))]
    facts = [("编号", req.number), ("类型", type(req).type_label)]
    if event.step_label:
        facts.append(("环节", event.step_label))
    facts.append(("查看", request_link(req.id)))
    return facts


def email_subject(event) -> str:
    req = event.request
    if req is None:
        return f"【党建关怀】{kind_label(event.kind)}：{event.subject}"
    return f"【党建关怀】{kind_label(event.kind)}：{type(req).type_label} {req.number}"


def email_body(event) -> str:
    lines = [KIND_LABELS.get(event.kind, ("", "", "您有一条新消息"))[2] + "。", ""]
    if event.request is None:
        lines += [_notice_text(event), ""]
    lines += [f"{k}：{v}" for k, v in _facts(event)]
    lines += ["", ("详情" if event.request is None else "申请内容") + "请登录系统查看。此邮件由系统自动发送，请勿直接回复。",
              "如不需要邮件提醒，可在系统的「消息设置」中关闭，或改为每日汇总。"]
    return "\n".join(lines)


def digest_subject(count: int) -> str:
    return f"【党建关怀】每日汇总：您有{count}条新消息"


def digest_body(events) -> str:
    """One line (and a link) per event the user has not had by e-mail, oldest first."""
    lines = ["以下是您尚未通过邮件收到的消息：", ""]
    for i, event in enumerate(events, 1):
        req = event.request
        if req is None:
            lines.append(f"{i}. 【{kind_label(event.kind)}】{event.subject}")
            lines.append(f"   {app_link(event.link)}")
            continue
        step = f"　环节：{event.step_label}" if event.step_label else ""
        lines.append(f"{i}. 【{kind_label(event.kind)}】{type(req).type_label} {req.number}{step}")
        lines.append(f"   {request_link(req.id)}")
    lines += ["", "申请内容请登录系统查看。此邮件由系统自动发送，请勿直接回复。",
              "如需改为逐条提醒或关闭邮件，请在系统的「消息设置」中修改。"]
    return "\n".join(lines)


def robot_text(event) -> str:
    lines = [f"【党建关怀】{ROBOT_SENTENCES.get(event.kind, kind_label(event.kind))}"]
    lines += [f"{k}：{v}" for k, v in _facts(event)]
    return "\n".join(lines)
