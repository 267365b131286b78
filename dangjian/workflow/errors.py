"""What the engine and the status machines raise: a refusal with a Chinese message for the user,
and (optionally) the form field it belongs to. A module of its own, so that the document jobs can
use the status machines without importing the engine."""


class WorkflowError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ActionRefused(WorkflowError):
    pass


class AlreadyHandled(WorkflowError):
    def __init__(self, message: str = "该申请已被处理，请刷新后查看最新状态"):
        super().__init__(message)
