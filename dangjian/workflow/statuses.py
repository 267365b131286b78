"""The status machines outside the request workflows, declared as data: which moves are allowed.

A request's state moves only through `engine.apply_action`. The other objects with a status (a
document being rendered, an award cycle, an objection) move only through their `StatusMachine`:

    DOCUMENT_STATUS.move(doc_id, DocumentStatus.RENDERING, frm=DocumentStatus.PENDING, started_at=now)

`move` refuses a move the table does not declare (StatusRefused, a Chinese message: a bug, or a
page acting on something stale), and otherwise changes the row with one conditional UPDATE
(`WHERE status = <from>`), so two processes cannot both make the same move: it returns how many
rows moved, and the caller decides what a lost race means (「已被处理」, or nothing to do).

A machine with a `version` column (a page shows the version it read, as a request's does) moves a
row only while it still has the version the user saw (`seen_version`), and every move raises it:

    ENTRY_STATUS.move(entry, EntryState.CONFIRMED, seen_version=form_version, confirmed_on=today)

A move to the same status (复核 keeps an entry 在册; a deadline extension keeps a task open) is
declared like any other: it changes the row's other values under the same guard.

Packages that name their own actions (「确认」, 「验收销号」) over the moves ask `refusal(obj,
sources, label)` for the message when the object's status is not one the action starts from.

Each package declares its machines where it declares its workflow (the document one is here: the
engine makes documents); `MACHINES` lists them all.
"""
from __future__ import annotations

import enum
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
    """`transitions`: {from status: the statuses it may move to}. `noun` names the object in messages.
    `version`: the name of a version column every move raises (None: the model has none)."""

    model: type
    noun: str
    transitions: dict = field(default_factory=dict)
    column: str = "status"
    version: str | None = None

    def __post_init__(self):
        MACHINES.append(self)

    def allows(self, frm, to) -> bool:
        return to in self.transitions.get(frm, ())

    def check(self, frm, to) -> None:
        """Refuse a move the table does not declare."""
        if not self.allows(frm, to):
            raise StatusRefused(f"{self.noun}当前为「{frm.label}」，不能改为「{to.label}」")

    def refusal(self, obj, sources, label: str) -> str | None:
        """Why an action named `label`, taken from `sources`, cannot start from `obj`'s status, or None."""
        now = getattr(obj, self.column)
        return None if now in sources else f"{self.noun}当前为「{now.label}」，不能{label}"

    def move(self, target, to, *, frm=None, seen_version: int | None = None, where=(), **values) -> int:
        """Move one object (an instance, or its id with `frm`) from `frm` (default: the status it was
        loaded with; or a collection: any of these, e.g. every status an action starts from) to `to`,
        setting `values` too, in the caller's transaction. With `seen_version` (a versioned machine),
        only while the row still has that version. Returns 1, or 0 when it was no longer in `frm` or
        at `seen_version` (someone else moved it first)."""
        obj_id = getattr(target, "id", target)
        if frm is None:
            frm = getattr(target, self.column)
        if seen_version is not None:
            where = (*where, getattr(self.model, self.version) == seen_version)
        return self.move_all(to, frm=frm, where=(self.model.id == obj_id, *where), **values)

    def move_all(self, to, *, frm, where=(), **values) -> int:
        """Move every row in `frm` (a status, or a collection of them) that matches `where` (e.g.
        renders whose worker died) to `to`; returns how many moved."""
        froms = (frm,) if isinstance(frm, enum.Enum) else tuple(frm)
        for one in froms:
            self.check(one, to)
        if self.version:
            values.setdefault(self.version, getattr(self.model, self.version) + 1)
        status = getattr(self.model, self.column)
        return db.session.execute(
            update(self.model).where(status.in_(froms), *where).values(**{self.column: to}, **values)
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
