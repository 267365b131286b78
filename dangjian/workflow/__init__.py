"""The approval engine: request types declare steps and transitions as data (definition.py);
engine.py decides the buttons (`available_actions`) and applies every state change (`apply_action`)."""
from .definition import Action, Actor, DocumentSpec, MeetingRecord, Step, Transition, Workflow
from .engine import (ActionRefused, AlreadyHandled, WorkflowError, apply_action, available_actions,
                     create_request, recusal_reason)

__all__ = [
    "Action", "ActionRefused", "Actor", "AlreadyHandled", "DocumentSpec", "MeetingRecord", "Step",
    "Transition", "Workflow", "WorkflowError", "apply_action", "available_actions", "create_request",
    "recusal_reason",
]
