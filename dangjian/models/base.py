"""Shared column helpers."""
import enum
from datetime import datetime, timezone

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class LabeledEnum(str, enum.Enum):
    """A str enum whose members carry a Chinese label: Member('value', '标签')."""

    def __new__(cls, value, label):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def choices(cls):
        return [(m.value, m.label) for m in cls]


class EnumText(TypeDecorator):
    """Stores a LabeledEnum as its plain string value (portable, readable, no DB enum types)."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_cls, length=32):
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.enum_cls(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_cls(value)
