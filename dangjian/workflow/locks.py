"""Taking turns for the rules that look at other requests ("no overlap of months", "one per year").

Such a rule reads other rows, so two transactions checking at the same moment could both pass and
both write. `lock_rows(model, ids)` makes them take turns on the rows the rule is about (the member):
call it inside the transaction that writes, before the check.

- PostgreSQL: `SELECT … FOR UPDATE`, in id order. The second transaction waits for the first to end;
  its check then runs on a fresh snapshot (READ COMMITTED) and sees what the first committed.
- SQLite ignores FOR UPDATE but has one writer at a time: a write takes the database's write lock,
  and every read after it in the transaction sees everything committed. So the rows are touched
  with an UPDATE that changes nothing. (Inside `apply_action` the request's own UPDATE has already
  taken that lock; touching again costs nothing.)
"""
from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db


def lock_rows(model, ids) -> None:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return
    if db.session.get_bind().dialect.name == "sqlite":
        table = model.__table__
        db.session.execute(update(table).where(table.c.id.in_(ids)).values(id=table.c.id))
    else:
        db.session.execute(select(model.id).where(model.id.in_(ids)).order_by(model.id).with_for_update())
