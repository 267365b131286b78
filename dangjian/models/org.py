"""The organization tree: 校党委 → 党委组织部 / 二级单位党组织 → 党支部, and 直属党支部."""
from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import EnumText, LabeledEnum


class OrgKind(LabeledEnum):
    SCHOOL = "school", "校党委"
    ORG_DEPT = "org_dept", "党委组织部"
    SECONDARY = "secondary", "二级单位党组织"
    BRANCH = "branch", "党支部"


class BranchType(LabeledEnum):
    STAFF = "staff", "教职工党支部"
    STUDENT = "student", "学生党支部"
    RETIRED = "retired", "离退休党支部"


class UnitType(LabeledEnum):
    """The kind of a 二级单位党组织."""

    COMMITTEE = "committee", "二级党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    ORGANS = "organs", "机关党委"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OrgKind] = mapped_column(EnumText(OrgKind))
    branch_type: Mapped[BranchType | None] = mapped_column(EnumText(BranchType), nullable=True)
    unit_type: Mapped[UnitType | None] = mapped_column(EnumText(UnitType), nullable=True)  # secondary units
    # 组织编码: the key an Excel import matches organizations by (unique when given).
    code: Mapped[str | None] = mapped_column(String(30), unique=True, nullable=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), nullable=True, index=True)
    # Materialized path "/1/4/17/": a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), default="", index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # When the organization was set up and dissolved (None: before records began / still exists).
    # The months a branch existed in a year prorate its 兼职支部书记补贴 (§三(一)3).
    founded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    dissolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    parent = relationship("Organization", remote_side=[id], back_populates="children")
    children = relationship("Organization", back_populates="parent", order_by="Organization.sort_order")

    def __repr__(self):
        return f"<Organization {self.id} {self.name}>"

    @property
    def is_branch(self) -> bool:
        return self.kind is OrgKind.BRANCH

    @property
    def is_direct_branch(self) -> bool:
        """直属党支部: a branch directly under the school committee, with no secondary level."""
        return self.is_branch and self.parent is not None and self.parent.kind is OrgKind.SCHOOL

    @property
    def secondary_unit(self):
        """The 二级单位党组织 above a branch, or None for a 直属党支部."""
        org = self
        while org is not None and org.kind is not OrgKind.SECONDARY:
            org = org.parent
        return org

    @property
    def root(self):
        org = self
        while org.parent is not None:
            org = org.parent
        return org

    @property
    def type_label(self) -> str:
        if self.is_branch:
            if self.is_direct_branch:
                return "直属党支部"
            return self.branch_type.label if self.branch_type else "党支部"
        if self.kind is OrgKind.SECONDARY and self.unit_type is not None:
            return self.unit_type.label
        return self.kind.label

    def exists_on(self, day: date) -> bool:
        """Set up on or before `day` and not yet dissolved on it."""
        return ((self.founded_on is None or self.founded_on <= day)
                and (self.dissolved_on is None or day < self.dissolved_on))

    @property
    def is_dissolved(self) -> bool:
        from ..timeutil import local_today
        return self.dissolved_on is not None and self.dissolved_on <= local_today()

    def set_parent(self, parent):
        """Attach under parent and compute the path (call after the row has an id)."""
        self.parent = parent
        self.path = (parent.path if parent else "/") + f"{self.id}/"

    def contains(self, other) -> bool:
        return other is not None and other.path.startswith(self.path)
