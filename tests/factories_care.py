"""Care module helpers: a member put in the 困难党员台账 (a confirmed entry, as the secondary unit's
确认 leaves it), for tests of what reads the registry."""
from datetime import date

from dangjian.care.models import EntryState, RegistryEntry, RegistryEvent
from dangjian.care.registry import add_year, sync_member_flags
from dangjian.extensions import db
from dangjian.timeutil import local_today


def registered(member, *codes, situation="家庭经济困难，爱人长期患病。", confirmed_on: date | None = None) -> RegistryEntry:
    confirmed_on = confirmed_on or local_today()
    entry = RegistryEntry(member=member, state=EntryState.CONFIRMED, version=2, categories=",".join(codes or ("living",)),
                          situation=situation, confirmed_on=confirmed_on, review_due_on=add_year(confirmed_on))
    db.session.add(entry)
    db.session.flush()
    db.session.add(RegistryEvent(entry_id=entry.id, action="confirm", from_state="proposed", to_state="confirmed",
                                 review_due_on=entry.review_due_on))
    sync_member_flags(member)
    return entry
