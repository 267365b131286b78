"""Who is told that a 党务公开 item was published (kind "openness"): not every reader, but the
secondary units' (and 直属党支部') secretaries when 组织部 publishes school-wide, the unit's own people
when 组织部 publishes for a unit, and 组织部 when a unit publishes. The message carries the kind, the
unit and the period — never the item's text — and opens the item. Drafts and refused publications
tell nobody."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Role
from dangjian.notifications.models import Message
from dangjian.openness import operations
from dangjian.openness.models import ItemKind
from dangjian.timeutil import local_today
from dangjian.workflow import ActionRefused
from tests.factories import make_user

TODAY = local_today()
BODY = "经校党委会研究决定，调整慰问标准。联系人王喆。"


def _item(user, org_unit):
    return operations.create(operations.Draft(ItemKind.DECISION, "关于调整慰问标准的决定", BODY, org_unit.id, TODAY,
                                              TODAY + timedelta(days=10)), user)


def _told() -> dict[int, list[Message]]:
    out: dict = {}
    for m in db.session.scalars(select(Message).where(Message.kind == "openness")):
        out.setdefault(m.recipient_id, []).append(m)
    return out


@pytest.fixture
def people(app, org):
    org.org_dept2 = make_user("orgdept2", None, [(Role.ORG_DEPT, org.org_dept)])
    db.session.commit()
    return org


@pytest.mark.parametrize("publisher,scope,told", [
    ("org_dept_user", "school", {"secondary", "secondary_b", "direct_secretary"}),
    ("org_dept_user", "sec_a", {"secondary"}),
    ("org_dept_user", "direct", {"direct_secretary"}),
    ("secondary", "sec_a", {"org_dept_user", "org_dept2"}),
    ("secondary_b", "sec_b", {"org_dept_user", "org_dept2"}),
])
def test_who_is_told_of_a_publication(people, publisher, scope, told):
    user = getattr(people, publisher)
    item = _item(user, getattr(people, scope))
    assert _told() == {}  # a draft tells nobody
    operations.publish(item, user, item.version)
    messages = _told()
    assert set(messages) == {getattr(people, k).id for k in told}
    for [m] in messages.values():
        assert m.link == f"/openness/items/{item.id}"
        assert "重要事项决定" in m.text and f"{item.ends_on:%Y-%m-%d}" in m.text
        assert "王喆" not in m.text and "慰问标准" not in m.text  # never the item's text


def test_a_refused_publication_tells_nobody(people):
    item = _item(people.org_dept_user, people.school)
    with pytest.raises(ActionRefused):
        operations.publish(item, people.secondary, item.version)  # not theirs to publish
    db.session.rollback()
    assert _told() == {}


def test_the_message_opens_the_item_for_its_recipient(people, auth, client):
    item = _item(people.secondary, people.sec_a)
    operations.publish(item, people.secondary, item.version)
    auth.login(people.org_dept2)
    [m] = _told()[people.org_dept2.id]
    resp = client.get(m.link)
    assert resp.status_code == 200 and "关于调整慰问标准的决定" in resp.get_data(as_text=True)
