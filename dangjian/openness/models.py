"""党务公开 (§三(二)4): "党组织换届选举、重要事项决定、发展党员、党费收缴、使用等党员关注的问题要通过一定
形式进行公开，切实保障党员对党内事务的知情权参与权。"

An OpenItem is one thing made public: written by 组织部 (school-wide, or for one unit) or by a
secondary unit (for its own unit), kept as a draft until it is published for a period (from/to),
and withdrawable with a reason. The yearly 党费收缴和使用情况 is generated from the data (dues.py)
and published the same way. The award 公示 (表彰推荐) shows on the same board (views.board).
"""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models.base import EnumText, LabeledEnum, utcnow

MAX_TITLE = 100
MAX_BODY = 5000
MAX_REASON = 500


class ItemKind(LabeledEnum):
    """What is made public: the subjects the clause names."""

    ELECTION = "election", "换届选举结果"
    DECISION = "decision", "重要事项决定"
    DEVELOPMENT = "development", "发展党员公示"
    DUES = "dues", "党费收缴和使用情况"
    OTHER = "other", "其他党务公开"


# Kinds a person writes; DUES is generated from the data (dues.py), never typed in.
WRITTEN_KINDS = (ItemKind.ELECTION, ItemKind.DECISION, ItemKind.DEVELOPMENT, ItemKind.OTHER)


class ItemStatus(LabeledEnum):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"

    @property
    def css(self) -> str:
        return {"draft": "secondary", "published": "success", "withdrawn": "danger"}[self.value]


class OpenItem(db.Model):
    """One 党务公开 item. Its scope is `organization`: the school committee (全校) or one unit and its
    subtree. Readers see it while it is published and today lies in [starts_on, ends_on]."""

    __tablename__ = "openness_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(EnumText(ItemKind))
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    body: Mapped[str] = mapped_column(Text, default="")
    # The DUES item: the year and a snapshot of the figures (JSON, dues.py), fixed when generated.
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    figures: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ItemStatus] = mapped_column(EnumText(ItemStatus), default=ItemStatus.DRAFT, index=True)
    # Every change of a draft raises it: publishing what was read, never what someone changed since.
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(DateTime, default=utcnow, nullable=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_at = mapped_column(DateTime, nullable=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    withdrawn_at = mapped_column(DateTime, nullable=True)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    organization = relationship("Organization")
    created_by = relationship("User", foreign_keys=[created_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])

    def __repr__(self):
        return f"<OpenItem {self.id} {self.kind.value} {self.status.value}>"

    @property
    def school_wide(self) -> bool:
        return self.organization.parent_id is None

    @property
    def scope_label(self) -> str:
        return "全校" if self.school_wide else self.organization.name

    @property
    def figure_data(self) -> dict | None:
        return json.loads(self.figures) if self.figures else None

    def in_period(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def phase_label(self, day: date) -> str:
        """已发布 splits in 待生效 / 公开中 / 已到期 by the period."""
        if self.status is not ItemStatus.PUBLISHED:
            return self.status.label
        if day < self.starts_on:
            return "待生效"
        return "公开中" if day <= self.ends_on else "已到期"

    def excerpt(self, limit: int = 90) -> str:
        text = " ".join((self.body or "").split())
        return text if len(text) <= limit else text[:limit].rstrip("，。；、,.; ") + "……"
