"""The demo's members in difficulty come from the 困难党员台账 alone: the organization demo marks
nobody, the care module's demo registers them, and every member's hardship flags are what their
confirmed entry says (care.registry.sync_member_flags), as for a member registered on the pages."""
from sqlalchemy import func, or_, select

from dangjian import care
from dangjian.care.models import EntryState, RegistryEntry
from dangjian.care.registry import FLAG_OF
from dangjian.extensions import db
from dangjian.models import Member

FLAGS = ("living_difficulty", "lives_alone", "frail_sick_disabled")


def flagged_count():
    return db.session.scalar(select(func.count()).select_from(Member).where(
        or_(*(getattr(Member, f).is_(True) for f in FLAGS))))


def test_demo_hardship_flags_follow_from_registry_entries(app, monkeypatch):
    from dangjian.demo import load_demo

    before_care = []
    real = care.load_demo

    def care_demo(ctx):
        db.session.flush()
        before_care.append(flagged_count())
        real(ctx)

    monkeypatch.setattr(care, "load_demo", care_demo)
    assert load_demo()

    assert before_care == [0]  # nothing marked a member before the registry did
    confirmed = {e.member_id: e for e in db.session.scalars(
        select(RegistryEntry).where(RegistryEntry.state == EntryState.CONFIRMED))}
    assert len(confirmed) >= 5
    for m in db.session.scalars(select(Member)):
        entry = confirmed.get(m.id)
        expected = {FLAG_OF[c] for c in entry.category_list} if entry else set()
        assert {f for f in FLAGS if getattr(m, f)} == expected, m.name
        assert m.difficulty_reason == (entry.situation if entry else "")
    wang = db.session.scalar(select(Member).where(Member.staff_no == "20080123"))
    assert wang.living_difficulty and wang.id in confirmed
