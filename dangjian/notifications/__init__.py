"""Notifications: the 消息 centre, e-mail and group-robot webhooks.

The contract every feature calls::

    from dangjian.notifications import notify
    notify("urge", req, recipients=[...users...], actor=current_user, opinion="…")

Call it inside the transaction that caused the event: the in-app messages are written with that
transaction, and e-mail and webhooks are sent by RQ jobs on the `notifications` queue after commit,
never inside the web request. Kinds:

    todo       a new 待办 for the recipient (the request entered a step they hold)
    returned   the recipient's request was returned (退回修改)
    approved   the recipient's request passed a step
    rejected   the recipient's request was not approved (不同意)
    completed  the recipient's request completed (审批通过, 已发放, 已表彰 …)
    cc         the request was copied to the recipient (抄送)
    urge       someone urged the step the recipient holds (催办)
    comment    a comment on a request the recipient takes part in
    overdue    a step the recipient holds is past its time limit

Notices about something other than a request go through `notify_people` (kinds in
events.NOTICE_KINDS): talk_due — 谈心谈话 the recipient should hold this semester or year;
assessment — a 党建考核 step for the recipient (to submit, to grade, returned, graded, a task set or
handed in); rectify_overdue — a 整改任务 of the recipient's organization past its deadline;
inspection_task — a 巡察/监督检查 整改任务 due soon or overdue (to its unit), or a submission waiting
long for 验收 (to 纪委);
care_review_due — entries of the 困难党员台账 past their yearly review (每年复核) that the
recipient's branch or unit answers for.
openness — a 党务公开 item published that the recipient passes on or oversees (openness/notices.py).
"""
from __future__ import annotations

from typing import Iterable

from . import models  # noqa: F401  (register the tables)
from .events import KINDS, NOTICE_KINDS, comment_added, record_event, record_notice, request_moved  # noqa: F401


def notify(kind: str, request, recipients: Iterable, *, actor=None, **data) -> None:
    """Tell `recipients` (User objects, or user ids) about `kind` on `request`, inside the caller's
    transaction. The actor is never told of their own action. `data` may carry `step_label` (the
    step the event is about; default: the request's current step) and `webhook_org_id` (whose
    group robot hears of it; default by kind, None for none)."""
    ids = [r if isinstance(r, int) else r.id for r in recipients]
    record_event(kind, request, ids, actor=actor, **data)


def path_for(endpoint: str, **values) -> str:
    """A notice's `link`: the path of `endpoint`, inside a web request or outside one (the ticker,
    `flask demo load`)."""
    from flask import current_app, has_request_context, url_for

    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def notify_people(kind: str, recipients: Iterable, *, subject: str, text: str, link: str, actor=None) -> None:
    """Tell `recipients` (Users or ids) about something that is not a request, inside the caller's
    transaction: `text` is the 消息 line and the e-mail's body (counts and dates only, no names or
    private details), `link` a path in the app. E-mail follows each recipient's 消息设置."""
    ids = [r if isinstance(r, int) else r.id for r in recipients]
    record_notice(kind, ids, subject=subject, text=text, link=link, actor=actor)
