"""Notifications: the 消息 centre, e-mail and group-robot webhooks.

The contract every feature calls (the notifications work fills in the delivery)::

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
"""
from __future__ import annotations

from typing import Iterable

KINDS = ("todo", "returned", "approved", "rejected", "completed", "cc", "urge", "comment", "overdue")


def notify(kind: str, request, recipients: Iterable, *, actor=None, **data) -> None:
    """Tell `recipients` (User objects) about `kind` on `request`. The actor is never told of
    their own action. Placeholder until the notifications work lands: it checks the kind only."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind}")
