"""All models, importable from one place (Alembic and the app need them registered)."""
from .audit import AuditEvent
from .budget import BudgetEntry, BudgetLine, BudgetLineKind, Payment, UnitFundEntry, UnitFundKind
from .calendar import CalendarDay, DayKind, OverdueReminder, StepTimeLimit
from .cc import CcRule, CcTarget, CcWhen, RequestCopy
from .delegation import Delegation
from .doc_numbers import DocKind, DocNumber, DocNumberSeries
from .documents import Document, DocumentStatus
from .org import BranchType, Organization, OrgKind, UnitType
from .people import (Member, MemberCategory, MemberDuesRate, MemberStatus, MemberTransfer, PersonCategory, Role,
                     RoleAssignment, User)
from .requests import Attachment, NumberSequence, Request, RequestState, TimelineEntry

__all__ = [
    "AuditEvent", "Attachment", "BranchType", "BudgetEntry", "BudgetLine", "BudgetLineKind", "Payment", "UnitFundEntry", "UnitFundKind", "CalendarDay", "CcRule", "CcTarget", "CcWhen", "DayKind", "Delegation", "DocKind", "DocNumber", "DocNumberSeries",
    "Document", "DocumentStatus",
    "Member", "MemberCategory", "MemberDuesRate", "MemberStatus", "MemberTransfer", "UnitType", "NumberSequence", "Organization", "OrgKind", "OverdueReminder",
    "PersonCategory", "Request", "RequestCopy", "RequestState", "Role", "RoleAssignment", "StepTimeLimit", "TimelineEntry", "User",
]
