"""The request types. Each package holds its model, workflow, form, views and document context."""
from . import dues_waiver  # noqa: F401
from .dues_waiver.model import DuesWaiver

REQUEST_TYPES = {cls.__mapper_args__["polymorphic_identity"]: cls for cls in (DuesWaiver,)}

__all__ = ["DuesWaiver", "REQUEST_TYPES"]
