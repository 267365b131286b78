"""表彰推荐 award nomination (§三(一)2): "每两年在“七一”前夕对先进基层党组织、优秀共产党员和优秀党务
工作者进行推选表彰；对在党建专项工作中涌现出来的先进典型…适时进行分类表彰".

* AwardCycle: one 评选 opened by 组织部 (year, categories, deadline, 公示 working days), with a quota
  per secondary unit and category (AwardQuota). A 直属党支部 has no secondary level: it gets a quota
  row of its own, used when the branch submits.
* AwardNomination: the request (a branch recommends an organization or a member). "At most once per
  category per cycle" is a unique key on (cycle, category, nominee_key).
* Objection: an 异议 filed during the 公示 and how 组织部 handled it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint, false, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...models import Organization, Request, RequestState, Role, RoleAssignment, User
from ...models.base import EnumText, LabeledEnum, utcnow
from ...money import Money
from ...timeutil import to_local

MAX_DEEDS = 1500  # 主要事迹: at most 1500 characters
DEFAULT_PUBLICITY_DAYS = 5


class AwardCategory(LabeledEnum):
    ADVANCED_ORG = "advanced_org", "先进基层党组织"
    EXCELLENT_MEMBER = "excellent_member", "优秀共产党员"
    EXCELLENT_WORKER = "excellent_worker", "优秀党务工作者"
    SPECIAL = "special", "专项表彰"
    # §三(一)3: "对党建工作中做出一定成绩或所做工作具有一定创新性且具有推广价值的先进典型 … 予以一定的物质奖励".
    INNOVATION = "innovation", "党建创新"

    @property
    def for_organization(self) -> bool:
        """先进基层党组织 nominates an organization; 党建创新 an organization or a member; the rest a member."""
        return self is AwardCategory.ADVANCED_ORG

    @property
    def accepts_organization(self) -> bool:
        return self in (AwardCategory.ADVANCED_ORG, AwardCategory.INNOVATION)

    @property
    def is_innovation(self) -> bool:
        """党建创新 has materials of its own: the project, its 推广价值 and at least one case file."""
        return self is AwardCategory.INNOVATION

    @property
    def unit_word(self) -> str:
        return "项" if self.is_innovation else "个" if self.for_organization else "名"


class CycleStatus(LabeledEnum):
    OPEN = "open", "征集推荐"
    PUBLICIZING = "publicizing", "公示中"
    COMPLETED = "completed", "已完成"


class ObjectionStatus(LabeledEnum):
    OPEN = "open", "待处理"
    UPHELD = "upheld", "异议成立"
    DISMISSED = "dismissed", "异议不成立"


class AwardCycle(db.Model):
    """一次评选表彰. Nominations and forwarding close at the end of `deadline` (local date)."""

    __tablename__ = "award_cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    # The categories offered, as a comma-separated list of AwardCategory values.
    categories: Mapped[str] = mapped_column(String(100))
    special_name: Mapped[str] = mapped_column(String(50), default="")  # the 专项's name
    deadline: Mapped[date] = mapped_column(Date)  # 推荐截止日期 (inclusive, local)
    publicity_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_PUBLICITY_DAYS)  # 公示工作日数
    status: Mapped[CycleStatus] = mapped_column(EnumText(CycleStatus), default=CycleStatus.OPEN, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    # Touched by every nomination and forwarding: the row lock serializes them against publication.
    updated_at = mapped_column(DateTime, default=utcnow, nullable=False)
    # The 公示: set when 组织部 publishes. It ends at local midnight after its last working day.
    published_at = mapped_column(DateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    publicity_starts_on = mapped_column(Date, nullable=True)
    publicity_ends_on = mapped_column(Date, nullable=True)
    publicity_ends_at = mapped_column(DateTime, nullable=True)  # UTC
    completed_at = mapped_column(DateTime, nullable=True)
    decision_number: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 表彰决定文号
    # 表彰决定的成文日期: the last day of the 公示 (a working day), the day it ended without objection
    # (publicity.decision_date). Set with the 文号.
    decision_date = mapped_column(Date, nullable=True)

    created_by = relationship("User", foreign_keys=[created_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])
    quotas = relationship("AwardQuota", back_populates="cycle", cascade="all, delete-orphan")
    documents = relationship("Document", order_by="Document.id", viewonly=True)

    def __repr__(self):
        return f"<AwardCycle {self.id} {self.name} {self.status}>"

    @property
    def category_list(self) -> list[AwardCategory]:
        values = {v for v in (self.categories or "").split(",") if v}
        return [c for c in AwardCategory if c.value in values]

    def set_categories(self, categories) -> None:
        self.categories = ",".join(c.value for c in AwardCategory if c in set(categories))

    def offers(self, category: AwardCategory) -> bool:
        return category in self.category_list

    def category_label(self, category: AwardCategory) -> str:
        if category is AwardCategory.SPECIAL and self.special_name:
            return f"专项表彰（{self.special_name}）"
        return category.label

    def deadline_passed(self, now=None) -> bool:
        """After the deadline day (local): nominations and forwarding are refused."""
        local = to_local(now or utcnow()).date()
        return local > self.deadline

    def accepting(self, now=None) -> bool:
        return self.status is CycleStatus.OPEN and not self.deadline_passed(now)

    def publicity_over(self, now=None) -> bool:
        return self.publicity_ends_at is not None and (now or utcnow()) >= self.publicity_ends_at

    @property
    def phase_label(self) -> str:
        if self.status is CycleStatus.OPEN and self.deadline_passed():
            return "推荐已截止，审核中"
        if self.status is CycleStatus.PUBLICIZING and self.publicity_over():
            return "公示期满，待办结"
        return self.status.label

    def quota_for(self, org_id: int, category: AwardCategory) -> "AwardQuota | None":
        return next((q for q in self.quotas if q.organization_id == org_id and q.category is category), None)

    def document(self, kind: str):
        """The latest version of a cycle document of this kind."""
        docs = [d for d in self.documents if d.kind == kind]
        return docs[-1] if docs else None


class AwardQuota(db.Model):
    """名额: how many nominations of a category a secondary unit (or a 直属党支部) may forward.

    `used` counts the nominations forwarded and still standing. It only moves through conditional
    UPDATEs (`used < quota`), so concurrent forwarding never exceeds the quota; the CHECK holds it
    in the database too."""

    __tablename__ = "award_quotas"
    __table_args__ = (
        UniqueConstraint("cycle_id", "organization_id", "category", name="uq_award_quota_cell"),
        CheckConstraint("used >= 0 AND used <= quota", name="ck_award_quota_used"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("award_cycles.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    category: Mapped[AwardCategory] = mapped_column(EnumText(AwardCategory))
    quota: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[int] = mapped_column(Integer, default=0)

    cycle = relationship("AwardCycle", back_populates="quotas")
    organization = relationship("Organization")


def quota_orgs(school: Organization) -> list[Organization]:
    """The rows of the quota grid: every secondary unit, then every 直属党支部 (each its own quota)."""
    from ...models import OrgKind

    children = sorted(school.children, key=lambda o: (o.sort_order, o.id))
    return ([o for o in children if o.kind is OrgKind.SECONDARY]
            + [o for o in children if o.kind is OrgKind.BRANCH])


class AwardNomination(Request):
    """表彰推荐: a branch recommends one of its members, or itself (先进基层党组织)."""

    __tablename__ = "award_nominations"
    __table_args__ = (
        UniqueConstraint("cycle_id", "category", "nominee_key", name="uq_award_nomination_once"),
    )
    # Listed among other requests (inbox, 我发起的), its own columns come in one query per page.
    __mapper_args__ = {"polymorphic_identity": "award_nomination", "polymorphic_load": "selectin"}

    id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("award_cycles.id"), index=True)
    category: Mapped[AwardCategory] = mapped_column(EnumText(AwardCategory))
    # The nominee: the beneficiary (a member), or this organization (先进基层党组织).
    nominee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), nullable=True)
    # "member:<id>" or "org:<id>": one non-null column, so the unique key holds on every database.
    nominee_key: Mapped[str] = mapped_column(String(24))
    deeds: Mapped[str] = mapped_column(Text)  # 主要事迹 (党建创新: 创新做法与成效)
    # 党建创新 only: the project's name and its 推广价值 (why others should adopt it).
    project_name: Mapped[str] = mapped_column(String(60), default="")
    promotion_value: Mapped[str] = mapped_column(Text, default="")
    # Whose quota a forwarding uses: the secondary unit, or the 直属党支部 itself.
    quota_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # working order at the secondary unit
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 排序, fixed when forwarded
    quota_counted: Mapped[bool] = mapped_column(Boolean, default=False)  # holds a quota slot
    # 按考核优秀推荐 (commendation.py): the secondary unit itself recommends its 优秀 branch, so its
    # submission is its forwarding (as a 直属党支部's): no 审核排序 step of its own to approve.
    by_unit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    publicized_at = mapped_column(DateTime, nullable=True)  # put on the 公示 list

    cycle = relationship("AwardCycle")
    nominee_org = relationship("Organization", foreign_keys=[nominee_org_id])
    quota_org = relationship("Organization", foreign_keys=[quota_org_id])
    objections = relationship("Objection", back_populates="nomination", order_by="Objection.id")

    type_label = "表彰推荐"
    number_prefix = "BZ"

    @staticmethod
    def key_for(member=None, org=None) -> str:
        return f"member:{member.id}" if member is not None else f"org:{org.id}"

    @property
    def forwarded_on_submit(self) -> bool:
        """The submission uses the quota at once: a 直属党支部's, or the unit's own (by_unit)."""
        return self.organization.is_direct_branch or bool(self.by_unit)

    @property
    def nominee_name(self) -> str:
        return self.beneficiary.name if self.beneficiary_id else self.nominee_org.name

    @property
    def category_label(self) -> str:
        return self.cycle.category_label(self.category)

    @property
    def title(self) -> str:
        if self.category is AwardCategory.INNOVATION and self.project_name:
            return f"推荐{self.nominee_name}「{self.project_name}」为{self.category_label}成果"
        return f"推荐{self.nominee_name}为{self.category_label}"

    @property
    def unit_name(self) -> str:
        """所在单位 on the 公示 board: the branch, and its secondary unit."""
        branch = self.organization
        sec = branch.secondary_unit
        return f"{sec.name} {branch.name}" if sec else branch.name

    @property
    def open_objections(self) -> list["Objection"]:
        return [o for o in self.objections if o.status is ObjectionStatus.OPEN]

    def conflicted_member_ids(self) -> set[int]:
        """回避: the nominee; for an organization, the members who lead it (its secretaries)."""
        if self.beneficiary_id:
            return {self.beneficiary_id}
        if self.nominee_org_id is None:
            return set()
        return set(db.session.scalars(
            select(User.member_id).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.organization_id == self.nominee_org_id,
                   RoleAssignment.role == Role.BRANCH_SECRETARY, RoleAssignment.in_effect(),
                   User.member_id.is_not(None))))

    def summary(self, limit: int = 80) -> str:
        """A short 事迹 summary for the 公示 board: the first sentence(s), at most `limit` characters."""
        text = " ".join((self.deeds or "").split())
        return text if len(text) <= limit else text[:limit].rstrip("，。；、,.; ") + "……"


# States in which a nomination is still being reviewed (someone has to act).
IN_REVIEW = (RequestState.PENDING,)


class Objection(db.Model):
    """异议: filed by any logged-in user during the 公示. The objector is recorded, and shown only
    to 组织部 and 纪委 (who handle and supervise), never on the board or to the nominee."""

    __tablename__ = "award_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("award_nominations.id"), index=True)
    objector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(EnumText(ObjectionStatus), default=ObjectionStatus.OPEN,
                                                    index=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    handled_at = mapped_column(DateTime, nullable=True)
    handling_reason: Mapped[str] = mapped_column(Text, default="")

    nomination = relationship("AwardNomination", back_populates="objections")
    objector = relationship("User", foreign_keys=[objector_id])
    handled_by = relationship("User", foreign_keys=[handled_by_id])

    @property
    def css(self) -> str:
        return {"open": "warning", "upheld": "danger", "dismissed": "success"}[self.status.value]


class AwardReward(db.Model):
    """奖励标准 (§四, 表彰奖励 line): the money each awardee of a category receives, set by 组织部 for
    a cycle. A nomination of a category with a reward reserves it on the year's 表彰奖励 budget line
    when 校党委 decides, and spends it when 组织部 records the payment (rewards.py)."""

    __tablename__ = "award_rewards"
    __table_args__ = (UniqueConstraint("cycle_id", "category", name="uq_award_reward_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("award_cycles.id"), index=True)
    category: Mapped[AwardCategory] = mapped_column(EnumText(AwardCategory))
    amount = mapped_column(Money, nullable=False)

    cycle = relationship("AwardCycle")
