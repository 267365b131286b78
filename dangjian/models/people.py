"""Members (党员), login accounts, and roles held per organization."""
from datetime import date

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..money import Money
from ..timeutil import local_today
from .base import EnumText, LabeledEnum, utcnow

OLD_MEMBER_YEARS = 50  # 老党员: at least 50 years of party standing


class PersonCategory(LabeledEnum):
    STAFF = "staff", "教职工"
    STUDENT = "student", "学生"
    RETIRED = "retired", "离退休"


class MemberCategory(LabeledEnum):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


class Role(LabeledEnum):
    BRANCH_SECRETARY = "branch_secretary", "支部书记/支委"
    SECONDARY = "secondary", "二级党组织书记/组织员"
    ORG_DEPT = "org_dept", "组织部"
    SCHOOL = "school", "校党委"
    SUPERVISOR = "supervisor", "纪委/监督"
    SYSADMIN = "sysadmin", "系统管理员"


# Roles whose scope is the whole school, wherever the assignment is recorded.
SCHOOL_WIDE_ROLES = {Role.ORG_DEPT, Role.SCHOOL, Role.SUPERVISOR}
# Roles that may read request contents (三员分立: the system administrator may not).
READER_ROLES = {Role.BRANCH_SECRETARY, Role.SECONDARY, Role.ORG_DEPT, Role.SCHOOL, Role.SUPERVISOR}


def mask_id_number(value: str | None) -> str:
    """610***********1234: the first 3 and last 4 characters only."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class Member(db.Model):
    """党员."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(2))  # 男 / 女
    staff_no: Mapped[str] = mapped_column(String(30), unique=True)  # 工号/学号
    id_number: Mapped[str] = mapped_column(String(18))  # 身份证号: sensitive, shown masked
    branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    person_category: Mapped[PersonCategory] = mapped_column(EnumText(PersonCategory))
    member_category: Mapped[MemberCategory] = mapped_column(EnumText(MemberCategory))
    joined_party_on: Mapped[date] = mapped_column(Date)
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), default="")
    monthly_dues = mapped_column(Money, nullable=False)  # 月缴党费 (yuan)
    is_model_worker: Mapped[bool] = mapped_column(Boolean, default=False)  # 老模范
    living_difficulty: Mapped[bool] = mapped_column(Boolean, default=False)  # 生活困难
    lives_alone: Mapped[bool] = mapped_column(Boolean, default=False)  # 独居
    frail_sick_disabled: Mapped[bool] = mapped_column(Boolean, default=False)  # 老弱病残

    branch = relationship("Organization")
    user = relationship("User", back_populates="member", uselist=False)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def party_years(self, on: date | None = None) -> int:
        on = on or local_today()
        years = on.year - self.joined_party_on.year
        if (on.month, on.day) < (self.joined_party_on.month, self.joined_party_on.day):
            years -= 1
        return years

    @property
    def is_old_member(self) -> bool:
        """老党员: worked out from 入党日期 (§三(二)2)."""
        return self.party_years() >= OLD_MEMBER_YEARS

    @property
    def difficulty_labels(self) -> list[str]:
        flags = [(self.living_difficulty, "生活困难"), (self.lives_alone, "独居"),
                 (self.frail_sick_disabled, "老弱病残")]
        return [label for on, label in flags if on]


class User(UserMixin, db.Model):
    """A login account. It belongs to a person; roles are held per organization."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), unique=True, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(DateTime, default=utcnow)

    member = relationship("Member", back_populates="user")
    roles = relationship("RoleAssignment", back_populates="user", lazy="selectin",
                         cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def holds(self, role: Role, org_id: int | None = None) -> bool:
        return any(r.role is role and (org_id is None or r.organization_id == org_id) for r in self.roles)

    def role_orgs(self, role: Role) -> list:
        return [r.organization for r in self.roles if r.role is role]

    @property
    def role_labels(self) -> list[str]:
        return [f"{r.organization.name} · {r.role.label}" for r in self.roles]


class RoleAssignment(db.Model):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(EnumText(Role))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)

    user = relationship("User", back_populates="roles")
    organization = relationship("Organization", lazy="joined")
