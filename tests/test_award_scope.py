"""Scope: every URL of 表彰推荐 answers 404 outside the user's scope or role, and the 公示 board (with
its objection form and the cycle documents) is for every logged-in user — without private data — but
the 系统管理员 (三员分立, tests/test_separation_of_duties.py)."""
import pytest
from flask import current_app
from sqlalchemy import select

from dangjian.documents import storage
from dangjian.extensions import db
from dangjian.models import Document, DocumentStatus, Request, RequestState
from dangjian.request_types.award_nomination.model import AwardCycle, CycleStatus, Objection
from dangjian.request_types.award_nomination.publicity import file_objection, publish_cycle
from tests.factories_award import MEMBER, aorg, decided, make_cycle, nominate  # noqa: F401


def finish(doc: Document, data=b"%PDF-1.4\n% rendered\n%%EOF\n") -> Document:
    """Mark a pending document DONE with a real archived file, as the worker would."""
    from dangjian.workflow.definition import DOCUMENT_SPECS
    relpath = DOCUMENT_SPECS[doc.kind].relpath(doc)
    sha256, size = storage.store(current_app.config["ARCHIVE_DIR"], relpath, data)
    doc.status, doc.storage_path, doc.sha256, doc.size = DocumentStatus.DONE, relpath, sha256, size
    db.session.commit()
    return doc


@pytest.fixture
def world(app, aorg):
    """Cycle 1 (open): a nomination of branch a1 waiting at 会计学院党委. Cycle 2 (公示中): 张堃 of
    branch a1 on the list, with an objection by 周珺玥, its 审批表 and the 公示 notice archived."""
    c1 = make_cycle(aorg)
    waiting = nominate(c1, aorg.secretary, MEMBER, member_user=aorg.member)
    c2 = make_cycle(aorg, name="2026年度专项表彰")
    listed = decided(aorg, c2, member_user=aorg.member2)
    publish_cycle(c2.id, aorg.org_dept_user)
    objection = file_objection(listed.id, aorg.member_b, "周珺玥反映的问题")
    form = finish(db.session.scalars(select(Document).where(Document.request_id == listed.id)).first())
    notice = finish(db.session.scalars(select(Document).where(Document.award_cycle_id == c2.id)).one())
    return {"c1": c1.id, "c2": c2.id, "waiting": waiting.id, "listed": listed.id, "obj": objection.id,
            "form_doc": form.id, "notice": notice.id, "sec_a": aorg.sec_a.id}


ALL_USERS = ["member", "member2", "member3", "member_b", "secretary", "committee", "secretary_a2", "secretary_b", "secondary",
             "secondary_b", "org_dept_user", "org_dept2", "school_user", "supervisor", "sysadmin", "direct_member",
             "direct_secretary"]
OUTSIDERS = ["member_b", "member2", "secretary_a2", "secretary_b", "secondary_b", "direct_secretary", "sysadmin"]
# For the listed nomination (张堃 = member2 is the nominee): another member of the same branch instead.
OUTSIDERS_LISTED = [k if k != "member2" else "member3" for k in OUTSIDERS]
NOT_SECRETARIES = ["member", "member_b", "secondary", "secondary_b", "org_dept_user", "school_user", "supervisor",
                   "sysadmin"]
NOT_READERS = ["member", "secretary", "secondary", "secondary_b", "direct_secretary", "sysadmin", "member_b"]
NOT_ORG_DEPT = NOT_READERS + ["school_user", "supervisor"]
NOT_RANKERS = ["member", "secretary", "org_dept_user", "school_user", "supervisor", "sysadmin", "secondary_b"]

# (method, url, who must get 404)
CASES = [
    ("GET", "/requests/{waiting}", OUTSIDERS),
    ("GET", "/requests/{waiting}/panel", OUTSIDERS),
    ("POST", "/requests/{waiting}/act", OUTSIDERS),
    ("GET", "/requests/{listed}", OUTSIDERS_LISTED),
    ("GET", "/documents/{form_doc}/download", OUTSIDERS_LISTED),
    ("GET", "/awards/nominations/{waiting}/edit", OUTSIDERS + ["member", "committee", "secondary", "org_dept_user"]),
    ("POST", "/awards/nominations/{waiting}/edit", OUTSIDERS + ["member", "committee", "secondary", "org_dept_user"]),
    ("GET", "/awards/nominations/new", NOT_SECRETARIES),
    ("POST", "/awards/nominations/new", NOT_SECRETARIES),
    ("GET", "/awards/ranking", NOT_RANKERS[:-1]),
    ("GET", "/awards/cycles/{c1}/ranking?unit={sec_a}", NOT_RANKERS),
    ("POST", "/awards/nominations/{waiting}/move", NOT_RANKERS + OUTSIDERS),
    ("POST", "/awards/nominations/{waiting}/forward", NOT_RANKERS + OUTSIDERS),
    ("GET", "/awards/cycles", NOT_READERS),
    ("GET", "/awards/cycles/{c1}", NOT_READERS),
    ("GET", "/awards/cycles/new", NOT_ORG_DEPT),
    ("POST", "/awards/cycles/new", NOT_ORG_DEPT),
    ("GET", "/awards/cycles/{c1}/edit", NOT_ORG_DEPT),
    ("POST", "/awards/cycles/{c1}/edit", NOT_ORG_DEPT),
    ("POST", "/awards/cycles/{c2}/publish", NOT_ORG_DEPT),
    ("POST", "/awards/objections/{obj}/handle", NOT_ORG_DEPT),
    # Only a nomination on the 公示 list has an objection page: the waiting one is 404 for everyone.
    ("GET", "/awards/publicity/{waiting}/objection", ALL_USERS),
    ("POST", "/awards/publicity/{waiting}/objection", ALL_USERS),
]
POST_DATA = {"direction": "up", "opinion": "同意", "version": "1", "action": "approve", "decision": "dismiss",
             "reason": "不属实", "deeds": "事迹", "content": "异议", "year": "2026", "name": "x",
             "categories": "excellent_member", "deadline": "2099-01-01", "publicity_days": "5"}

@pytest.mark.parametrize("method,url,who", CASES, ids=[f"{m} {u}" for m, u, _ in CASES])
def test_outside_scope_or_role_every_award_url_is_404(app, aorg, world, auth, client, method, url, who):
    target = url.format(**world)
    for user_key in who:
        auth.login(getattr(aorg, user_key))
        resp = client.post(target, data=POST_DATA) if method == "POST" else client.get(target)
        assert resp.status_code == 404, (user_key, resp.get_data(as_text=True)[:300])
        body = resp.get_data(as_text=True)
        assert "长期扎根" not in body and "BZ-" not in body
    db.session.expire_all()
    waiting = db.session.get(Request, world["waiting"])
    assert (waiting.state, waiting.current_step, waiting.version) == (RequestState.PENDING, "secondary", 1)
    assert db.session.get(Objection, world["obj"]).handled_at is None
    assert db.session.get(AwardCycle, world["c1"]).status is CycleStatus.OPEN


INSIDE = [
    ("secretary", ["/requests/{waiting}", "/awards/nominations/new"]),
    ("secondary", ["/requests/{waiting}", "/awards/cycles/{c1}/ranking?unit={sec_a}"]),
    ("org_dept_user", ["/requests/{waiting}", "/awards/cycles", "/awards/cycles/{c1}", "/awards/cycles/{c2}",
                       "/awards/cycles/new", "/awards/cycles/{c1}/edit"]),
    ("school_user", ["/awards/cycles", "/awards/cycles/{c2}"]),
    ("supervisor", ["/requests/{waiting}", "/awards/cycles/{c2}"]),
    ("member", ["/requests/{waiting}"]),  # the nominee sees the nomination
]


@pytest.mark.parametrize("user_key,urls", INSIDE, ids=[u for u, _ in INSIDE])
def test_inside_scope_the_pages_answer(app, aorg, world, auth, client, user_key, urls):
    auth.login(getattr(aorg, user_key))
    for url in urls:
        assert client.get(url.format(**world)).status_code == 200, url


def main_of(page: str) -> str:
    """The page without its header (which shows the logged-in user's name)."""
    return page[page.index("<main"):page.index("</main>")]


def test_the_board_is_for_every_logged_in_user_without_private_data(app, aorg, world, auth, client):
    for user_key in [k for k in ALL_USERS if k != "sysadmin"]:  # 三员分立: tests/test_separation_of_duties.py
        auth.login(getattr(aorg, user_key))
        _board_as_seen_by(aorg, world, client)


def _board_as_seen_by(aorg, world, client):
    board = client.get("/openness/")
    assert board.status_code == 200
    page = main_of(board.get_data(as_text=True))
    nominee = aorg.member2.member
    assert "张堃" in page and "会计学院教工第一党支部" in page and "优秀共产党员" in page
    assert "长期扎根教学一线" in page  # the short summary
    for private in (nominee.staff_no, nominee.id_number, nominee.id_number_masked, nominee.phone,
                    nominee.phone_masked, "周珺玥反映的问题", "BZ-"):
        assert private not in page, private
    assert "王喆" not in page  # not on the list (still under review)
    assert client.get("/awards/publicity/{listed}/objection".format(**world)).status_code == 200
    assert client.get("/awards/cycles/{c2}/documents".format(**world)).status_code == 200
    download = client.get("/documents/{notice}/download".format(**world))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]


def test_the_objector_is_shown_only_to_the_org_dept_and_supervision(app, aorg, world, auth, client):
    for user_key, sees in [("org_dept_user", True), ("supervisor", True), ("school_user", False),
                           ("secretary", False), ("member2", False)]:
        auth.login(getattr(aorg, user_key))
        page = main_of(client.get("/requests/{listed}".format(**world)).get_data(as_text=True))
        assert "周珺玥反映的问题" in page  # the content is part of the record
        assert ("提出人：周珺玥" in page) is sees, user_key
        if not sees:
            assert "周珺玥" not in page.replace("周珺玥反映的问题", ""), user_key


def test_the_nav_shows_the_board_while_a_list_is_publicized(app, aorg, world, auth, client):
    auth.login(aorg.member_b)
    page = client.get("/inbox/todo").get_data(as_text=True)
    assert 'href="/openness/"' in page and "党务公开" in page
