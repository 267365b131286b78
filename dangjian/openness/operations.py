"""党务公开's operations: every change of an item, with its checks, audit row and conditional UPDATE.
Views parse input and call one of these; none touches `request` or `flash`.

Lifecycle (ITEM_STATUS): 草稿 → 已发布 (发布) → 已撤回 (撤回, with a reason). A draft is edited
(each edit raises `version`) or deleted; publishing names the version read, so what is published is
what the publisher saw. A published item is never edited: it is withdrawn, and a new one drafted.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, update

from .. import audit
from ..extensions import db
from ..models import Organization
from ..models.base import utcnow
from ..timeutil import local_today
from ..workflow.errors import ActionRefused, AlreadyHandled
from ..workflow.statuses import StatusMachine
from . import dues, notices, privacy
from .access import may_publish_for
from .models import MAX_BODY, MAX_REASON, MAX_TITLE, WRITTEN_KINDS, ItemKind, ItemStatus, OpenItem

MAX_PERIOD_DAYS = 366

#: 党务公开事项: drafted, published for its period, withdrawn with a reason. Both moves are final.
ITEM_STATUS = StatusMachine(OpenItem, "该公开事项", {
    ItemStatus.DRAFT: {ItemStatus.PUBLISHED},
    ItemStatus.PUBLISHED: {ItemStatus.WITHDRAWN},
    ItemStatus.WITHDRAWN: set(),
}, version="version")

HANDLED = "该记录已被他人处理，请刷新后查看最新状态"


@dataclass
class Draft:
    """What a person writes (the form's values, not yet checked by the rules)."""

    kind: ItemKind
    title: str
    body: str
    organization_id: int
    starts_on: date | None
    ends_on: date | None


def _problems(d: Draft, user, item: OpenItem | None = None) -> list[tuple[str, str]]:
    problems = []
    if not may_publish_for(user, d.organization_id):
        problems.append(("organization_id", "您只能为本单位发布党务公开"))
    if item is None or item.kind is not ItemKind.DUES:
        if d.kind not in WRITTEN_KINDS:
            problems.append(("kind", "请选择公开类别"))
    title, body = (d.title or "").strip(), (d.body or "").strip()
    if not title:
        problems.append(("title", "请填写标题"))
    elif len(title) > MAX_TITLE:
        problems.append(("title", f"标题不能超过{MAX_TITLE}字"))
    else:
        refused = privacy.refusal(title, "标题")
        if refused:
            problems.append(("title", refused))
    if not body:
        problems.append(("body", "请填写公开内容"))
    elif len(body) > MAX_BODY:
        problems.append(("body", f"公开内容不能超过{MAX_BODY}字（当前{len(body)}字）"))
    else:
        refused = privacy.refusal(body)
        if refused:
            problems.append(("body", refused))
    if d.starts_on is None:
        problems.append(("starts_on", "请填写公开起始日期"))
    if d.ends_on is None:
        problems.append(("ends_on", "请填写公开截止日期"))
    if d.starts_on and d.ends_on:
        if d.ends_on < d.starts_on:
            problems.append(("ends_on", "截止日期不能早于起始日期"))
        elif (d.ends_on - d.starts_on).days > MAX_PERIOD_DAYS:
            problems.append(("ends_on", "公开期不能超过一年"))
    return problems


def _refuse(problems) -> None:
    if problems:
        field, message = problems[0]
        raise ActionRefused(message, field=field)


def check(d: Draft, user, item: OpenItem | None = None) -> list[tuple[str, str]]:
    """Every problem of a draft, as (field, message), for the form to show all at once."""
    return _problems(d, user, item)


def create(d: Draft, user) -> OpenItem:
    _refuse(_problems(d, user))
    now = utcnow()
    item = OpenItem(kind=d.kind, title=d.title.strip(), body=d.body.strip(), organization_id=d.organization_id,
                    starts_on=d.starts_on, ends_on=d.ends_on, status=ItemStatus.DRAFT, created_by_id=user.id,
                    created_at=now, updated_at=now)
    db.session.add(item)
    db.session.flush()
    audit.record("openness.create", item, user=user, kind=item.kind.value, title=item.title,
                 scope=item.organization_id)
    db.session.commit()
    return item


def update_draft(item: OpenItem, d: Draft, user, seen_version: int) -> OpenItem:
    if not may_publish_for(user, item.organization_id):
        raise ActionRefused("您只能管理本单位的党务公开")
    _refuse(_problems(d, user, item))
    kind = item.kind if item.kind is ItemKind.DUES else d.kind
    organization_id = item.organization_id if item.kind is ItemKind.DUES else d.organization_id
    done = db.session.execute(
        update(OpenItem).where(OpenItem.id == item.id, OpenItem.status == ItemStatus.DRAFT,
                               OpenItem.version == seen_version)
        .values(kind=kind, title=d.title.strip(), body=d.body.strip(), organization_id=organization_id,
                starts_on=d.starts_on, ends_on=d.ends_on, version=OpenItem.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise AlreadyHandled(HANDLED)
    audit.record("openness.update", item, user=user, title=d.title.strip())
    db.session.commit()
    db.session.refresh(item)
    return item


def delete_draft(item: OpenItem, user, seen_version: int) -> None:
    if not may_publish_for(user, item.organization_id):
        raise ActionRefused("您只能管理本单位的党务公开")
    title = item.title
    done = db.session.execute(delete(OpenItem).where(OpenItem.id == item.id, OpenItem.status == ItemStatus.DRAFT,
                                                     OpenItem.version == seen_version)
                              .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise AlreadyHandled(HANDLED)
    audit.record("openness.delete", None, user=user, item_id=item.id, title=title)
    db.session.commit()


def publish(item: OpenItem, user, seen_version: int, today: date | None = None) -> OpenItem:
    """发布: the draft as read (`seen_version`) goes on the board for its period."""
    today = today or local_today()
    if not may_publish_for(user, item.organization_id):
        raise ActionRefused("您只能发布本单位的党务公开")
    if item.status is not ItemStatus.DRAFT:
        raise AlreadyHandled(HANDLED)
    d = Draft(item.kind, item.title, item.body, item.organization_id, item.starts_on, item.ends_on)
    _refuse(_problems(d, user, item))
    if item.ends_on < today:
        raise ActionRefused("公开截止日期已过，请修改公开期后再发布", field="ends_on")
    moved = ITEM_STATUS.move(item, ItemStatus.PUBLISHED, seen_version=seen_version,
                             published_by_id=user.id, published_at=utcnow())
    if moved != 1:
        db.session.rollback()
        raise AlreadyHandled(HANDLED)
    audit.record("openness.publish", item, user=user, title=item.title, starts_on=item.starts_on,
                 ends_on=item.ends_on, scope=item.organization_id)
    notices.tell_published(item, user)
    db.session.commit()
    db.session.refresh(item)
    return item


def withdraw(item: OpenItem, user, reason: str) -> OpenItem:
    """撤回: off the board at once, with the reason (shown to readers who open the item)."""
    if not may_publish_for(user, item.organization_id):
        raise ActionRefused("您只能撤回本单位的党务公开")
    reason = (reason or "").replace("\r\n", "\n").strip()
    if not reason:
        raise ActionRefused("请填写撤回原因", field="reason")
    if len(reason) > MAX_REASON:
        raise ActionRefused(f"撤回原因不能超过{MAX_REASON}字", field="reason")
    refused = privacy.refusal(reason, "撤回原因")
    if refused:
        raise ActionRefused(refused, field="reason")
    if item.status is not ItemStatus.PUBLISHED:
        raise AlreadyHandled(HANDLED)
    moved = ITEM_STATUS.move(item, ItemStatus.WITHDRAWN, withdrawn_by_id=user.id, withdrawn_at=utcnow(),
                             withdrawal_reason=reason)
    if moved != 1:
        db.session.rollback()
        raise AlreadyHandled(HANDLED)
    audit.record("openness.withdraw", item, user=user, title=item.title, reason=reason)
    db.session.commit()
    db.session.refresh(item)
    return item


def generate_dues(org: Organization, year: int, user, starts_on: date, ends_on: date,
                  today: date | None = None) -> OpenItem:
    """A draft 党费收缴和使用情况 for `org` and `year`, computed from the data now (组织部 or the
    unit reviews it, may reword the text, then publishes)."""
    today = today or local_today()
    if not may_publish_for(user, org.id):
        raise ActionRefused("您只能为本单位生成党费收缴和使用情况")
    if year > today.year or year < 2000:
        raise ActionRefused("年度不正确：只能生成本年度及以前年度的情况", field="year")
    fig = dues.figures(org, year, today)
    d = Draft(ItemKind.DUES, dues.title(org, year), dues.summary_text(fig), org.id, starts_on, ends_on)
    problems = [p for p in _problems(d, user) if p[0] != "kind"]
    _refuse(problems)
    now = utcnow()
    item = OpenItem(kind=ItemKind.DUES, title=d.title, body=d.body, year=year,
                    figures=json.dumps(fig, ensure_ascii=False), organization_id=org.id, starts_on=starts_on,
                    ends_on=ends_on, status=ItemStatus.DRAFT, created_by_id=user.id, created_at=now, updated_at=now)
    db.session.add(item)
    db.session.flush()
    audit.record("openness.generate_dues", item, user=user, year=year, scope=org.id)
    db.session.commit()
    return item
