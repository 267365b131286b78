"""Members (党员), login accounts, and roles held per organization."""
from datetime import date

from flask_login import UserMixin
from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, and_,
                        event, or_, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..money import Money
from ..personal_data import Encrypted, blind_index
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


class MemberStatus(LabeledEnum):
    """党籍状态. Anything but 正常 carries the date it took effect (Member.status_on)."""

    NORMAL = "normal", "正常"
    EXPELLED = "expelled", "出党"
    SUSPENDED = "suspended", "停止党籍"
    DECEASED = "deceased", "去世"


class Role(LabeledEnum):
    BRANCH_SECRETARY = "branch_secretary", "支部书记/支委"
    SECONDARY = "secondary", "二级党组织书记/组织员"
    ORG_DEPT = "org_dept", "组织部"
    SCHOOL = "school", "校党委"
    SUPERVISOR = "supervisor", "纪委/监督"
    SYSADMIN = "sysadmin", "系统管理员"


# Where each role is held: the kind of organization it must sit on. Scope, the engine and 待办 all
# read the assignment's organization, so a role anywhere else would see without acting, or the
# reverse. Checked on every insert and update of a RoleAssignment (below) and, with a Chinese
# message, by accounts.roles before that.
ROLE_ORG_KINDS = {
    "branch_secretary": ("branch",),
    "secondary": ("secondary",),
    "org_dept": ("org_dept",),
    "school": ("school",),
    "supervisor": ("school",),
    "sysadmin": ("school",),
}

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
    # 身份证号 and 联系电话: encrypted at rest (personal_data), shown masked. id_number_hash is a
    # keyed hash of the 身份证号 for exact search; it is kept in step by the validator below.
    id_number: Mapped[str] = mapped_column(Encrypted())
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    person_category: Mapped[PersonCategory] = mapped_column(EnumText(PersonCategory))
    member_category: Mapped[MemberCategory] = mapped_column(EnumText(MemberCategory))
    joined_party_on: Mapped[date] = mapped_column(Date)
    full_member_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 转正日期
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(Encrypted(), default="")
    ethnicity: Mapped[str] = mapped_column(String(20), default="")  # 民族
    education: Mapped[str] = mapped_column(String(30), default="")  # 学历
    post: Mapped[str] = mapped_column(String(100), default="")  # 工作岗位
    # 月缴党费 now (yuan). Its effective-dated history is MemberDuesRate; dues_on(month) reads it.
    monthly_dues = mapped_column(Money, nullable=False)
    status: Mapped[MemberStatus] = mapped_column(EnumText(MemberStatus), default=MemberStatus.NORMAL)
    status_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # when the status took effect
    is_model_worker: Mapped[bool] = mapped_column(Boolean, default=False)  # 老模范
    living_difficulty: Mapped[bool] = mapped_column(Boolean, default=False)  # 生活困难
    lives_alone: Mapped[bool] = mapped_column(Boolean, default=False)  # 独居
    frail_sick_disabled: Mapped[bool] = mapped_column(Boolean, default=False)  # 老弱病残
    difficulty_reason: Mapped[str] = mapped_column(Text, default="")  # why the flags are set

    branch = relationship("Organization")
    user = relationship("User", back_populates="member", uselist=False)
    dues_rates = relationship("MemberDuesRate", back_populates="member", order_by="MemberDuesRate.effective_from",
                              cascade="all, delete-orphan")
    transfers = relationship("MemberTransfer", back_populates="member", order_by="MemberTransfer.transferred_on",
                             foreign_keys="MemberTransfer.member_id", cascade="all, delete-orphan")

    @validates("id_number")
    def _index_id_number(self, key, value):
        self.id_number_hash = blind_index(value)
        return value

    @property
    def is_deceased(self) -> bool:
        return self.status is MemberStatus.DECEASED

    @property
    def in_good_standing(self) -> bool:
        """正常: may apply and be chosen as a beneficiary."""
        return self.status in (None, MemberStatus.NORMAL)

    def dues_on(self, month: date):
        """月缴党费 for the month starting on or containing `month`, from the effective-dated history
        (the latest rate in effect on the first of that month); the current value when no rate is
        recorded for it."""
        first = month.replace(day=1)
        amount = None
        for rate in self.dues_rates:
            if rate.effective_from <= first:
                amount = rate.amount
        return self.monthly_dues if amount is None else amount

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


class MemberDuesRate(db.Model):
    """月缴党费 from a month on (effective-dated history). A dues waiver reads the dues of its own months."""

    __tablename__ = "member_dues_rates"
    __table_args__ = (UniqueConstraint("member_id", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)  # the first day of a month
    amount = mapped_column(Money, nullable=False)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow)

    member = relationship("Member", back_populates="dues_rates")


class MemberTransfer(db.Model):
    """组织关系转接: a member moved from one branch to another on a date. Requests keep the branch
    they were filed in (Request.organization_id)."""

    __tablename__ = "member_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    from_branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    to_branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    transferred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow)

    member = relationship("Member", back_populates="transfers", foreign_keys=[member_id])
    from_branch = relationship("Organization", foreign_keys=[from_branch_id])
    to_branch = relationship("Organization", foreign_keys=[to_branch_id])


class User(UserMixin, db.Model):
    """A login account. It belongs to a person; roles are held per organization, with a term."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), unique=True, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str] = mapped_column(String(120), default="")
    created_at = mapped_column(DateTime, default=utcnow)
    # Sign-in state (accounts.sessions / accounts.lockout).
    # Every session carries this number; raising it ends all of the user's sessions at once
    # (退出, password change or reset, disabling), on every web process and machine.
    session_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    password_changed_at = mapped_column(DateTime, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until = mapped_column(DateTime, nullable=True)  # naive UTC
    last_login_at = mapped_column(DateTime, nullable=True)

    member = relationship("Member", back_populates="user")
    # Every assignment ever made, the ended and revoked ones too (role history).
    role_assignments = relationship("RoleAssignment", back_populates="user", lazy="selectin",
                                    cascade="all, delete-orphan", foreign_keys="RoleAssignment.user_id",
                                    order_by="RoleAssignment.starts_on")

    @property
    def roles(self) -> list["RoleAssignment"]:
        """The roles in effect today: what scope, the engine and 待办 all read."""
        today = local_today()
        return [ra for ra in self.role_assignments if ra.in_effect_on(today)]

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login keeps this in the session: the id and the session version (see
        accounts.sessions), so a raised version turns every older session away."""
        return f"{self.id}.{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def holds(self, role: Role, org_id: int | None = None) -> bool:
        return any(r.role is role and (org_id is None or r.organization_id == org_id) for r in self.roles)

    def role_orgs(self, role: Role) -> list:
        return [r.organization for r in self.roles if r.role is role]

    @property
    def role_labels(self) -> list[str]:
        return [f"{r.organization.name} · {r.role.label}" for r in self.roles]


class RoleAssignment(db.Model):
    """A role held at an organization for a term: from starts_on to ends_on (inclusive; None: open).
    Revoking sets revoked_at (the role ends now) and ends_on to that day, so the history stays true.
    Which organization kind each role may sit on is checked by accounts.roles."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(EnumText(Role))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date, default=local_today, nullable=False)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    revoked_at = mapped_column(DateTime, nullable=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at = mapped_column(DateTime, default=utcnow)

    user = relationship("User", back_populates="role_assignments", foreign_keys=[user_id])
    organization = relationship("Organization", lazy="joined")
    granted_by = relationship("User", foreign_keys=[granted_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    def in_effect_on(self, day: date) -> bool:
        """Not revoked, and the term covers `day` (the Python twin of `in_effect`)."""
        return (self.revoked_at is None and (self.starts_on or day) <= day
                and (self.ends_on is None or day <= self.ends_on))

    def held_on_day(self, day: date) -> bool:
        """The Python twin of `held_on`."""
        return (self.starts_on or day) <= day and (self.ends_on is None or day <= self.ends_on)

    @classmethod
    def in_effect(cls, day: date | None = None):
        """A SQL condition: the assignment is in effect on `day` (today by default)."""
        day = day or local_today()
        return and_(cls.revoked_at.is_(None), cls.starts_on <= day,
                    or_(cls.ends_on.is_(None), cls.ends_on >= day))

    @classmethod
    def held_on(cls, day: date):
        """A SQL condition for role history: held on `day`, revoked later or not."""
        return and_(cls.starts_on <= day, or_(cls.ends_on.is_(None), cls.ends_on >= day))


class RoleOnWrongOrganization(ValueError):
    pass


def check_role_organization(role: "Role", org) -> str | None:
    """None when `role` may be held at `org`, else the reason in Chinese."""
    from .org import OrgKind
    allowed = ROLE_ORG_KINDS[Role(role).value]
    if org is None:
        return "请选择组织"
    if org.kind.value in allowed:
        return None
    where = "、".join(OrgKind(k).label for k in allowed)
    return f"「{Role(role).label}」只能设在{where}，不能设在{org.kind.label}「{org.name}」"


@event.listens_for(RoleAssignment, "before_insert")
@event.listens_for(RoleAssignment, "before_update")
def _role_on_its_kind(mapper, connection, target):
    from .org import Organization
    org = target.organization
    if org is None and target.organization_id is not None:
        kind = connection.scalar(select(Organization.kind).where(Organization.id == target.organization_id))
        org = Organization(kind=kind, name=str(target.organization_id))
    reason = check_role_organization(target.role, org)
    if reason:
        raise RoleOnWrongOrganization(reason)
