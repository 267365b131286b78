"""The migration that brings the school calendar moves the per-cycle 公示 holidays of earlier
versions (award_cycles.holidays) into the calendar, so no holiday someone entered is lost."""
from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from dangjian.extensions import db
from dangjian.models import CalendarDay, DayKind
from tests.factories import build_org
from tests.test_migrations import empty_app, logging_kept  # noqa: F401

BEFORE = "d7960018a853"  # the revision before the school calendar


def test_cycle_holidays_move_into_the_school_calendar(empty_app):  # noqa: F811
    with logging_kept():
        upgrade(revision=BEFORE)
    o = build_org()
    for i, holidays in enumerate(("2026-10-01\n2026-10-02", "2026-10-02, 2026-06-19", "")):
        db.session.execute(text(
            "INSERT INTO award_cycles (year, name, categories, special_name, deadline, publicity_days, holidays, "
            "status, created_by_id, created_at, updated_at) VALUES (2026, :name, 'excellent_member', '', "
            "'2026-06-30', 5, :holidays, 'open', :user, '2026-05-01 00:00:00', '2026-05-01 00:00:00')"),
            {"name": f"评选{i}", "holidays": holidays, "user": o.org_dept_user.id})
    db.session.commit()
    with logging_kept():
        upgrade()
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.kind).order_by(CalendarDay.day)).all()
    assert rows == [(date(2026, 6, 19), DayKind.HOLIDAY), (date(2026, 10, 1), DayKind.HOLIDAY),
                    (date(2026, 10, 2), DayKind.HOLIDAY)]
    assert "holidays" not in {c["name"] for c in inspect(db.engine).get_columns("award_cycles")}
    db.session.commit()
    with logging_kept():
        downgrade(revision=BEFORE)
    assert "holidays" in {c["name"] for c in inspect(db.engine).get_columns("award_cycles")}
    assert "calendar_days" not in inspect(db.engine).get_table_names()
