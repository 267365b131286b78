"""The status machines outside the request workflows, declared as data: which moves are allowed.

A request's state moves only through `engine.apply_action`. The other objects with a status (a
document being rendered, an award cycle, an objection) move only through their `StatusMachine`:

    DOCUMENT_STATUS.move(doc_id, DocumentStatus.RENDERING, frm=DocumentStatus.PENDING, started_at=now)

`move` refuses a move the table does not declare (StatusRefused, a Chinese message: a bug, or a
page acting on something stale), and otherwise changes the row with one conditional UPDATE
(`WHERE status = <from>`), so two processes cannot both make the same move: it returns how many
rows moved, and the caller decides what a lost race means (「已被处理」, or nothing to do).

Each package declares its machines where it declares its workflow (the document one is here: the
engine makes documents); `MACHINES` lists them all.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import update

from ..extensions import db
from ..models import Document, DocumentStatus
from .errors import WorkflowError

MACHINES: list["StatusMachine"] = []


class StatusRefused(WorkflowError):
    """A move the machine does not declare; pages show its message like any refusal."""


@dataclass(frozen=True)
class StatusMachine:
    """`transitions`: {from status: the statuses it may move to}. `noun` names the object in messages."""

    model: type
    noun: str
    transitions: dict = field(default_factory=dict)
    column: str = "status"

    def __post_init__(self):
        MACHINES.append(self)

    def allows(self, frm, to) -> bool:
        return to in self.transitions.get(frm, ())

    def check(self, frm, to) -> None:
        """Refuse a move the table does not declare."""
        if not self.allows(frm, to):
            raise StatusRefused(f"{self.noun}当前为「{frm.label}」，不能改为「{to.label}」")

    def move(self, target, to, *, frm=None, where=(), **values) -> int:
        """Move one object (an instance, or its id with `frm`) from `frm` (default: the status it was
        loaded with) to `to`, setting `values` too, in the caller's transaction. Returns 1, or 0 when
        it was no longer in `frm` (someone else moved it first)."""
        obj_id = getattr(target, "id", target)
        if frm is None:
            frm = getattr(target, self.column)
        return self.move_all(to, frm=frm, where=(self.model.id == obj_id, *where), **values)

    def move_all(self, to, *, frm, where=(), **values) -> int:
        """Move every row in `frm` that matches `where` (e.g. renders whose worker died) to `to`;
        returns how many moved."""
        self.check(frm, to)
        status = getattr(self.model, self.column)
        return db.session.execute(
            update(self.model).where(status == frm, *where).values(**{self.column: to}, **values)
            .execution_options(synchronize_session=False)).rowcount


S = DocumentStatus
#: A generated document (documents/jobs.py): the worker claims a pending one, and marks it done or
#: failed; the sweep gives back a render whose worker died; a failed one is retried by hand.
DOCUMENT_STATUS = StatusMachine(Document, "文档", {
    S.PENDING: {S.RENDERING},
    S.RENDERING: {S.DONE, S.FAILED, S.PENDING},
    S.FAILED: {S.PENDING},
    S.DONE: set(),  # final: a new render is a new version (a new row)
})
