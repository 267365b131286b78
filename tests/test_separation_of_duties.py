"""三员分立: the 系统管理员 manages accounts and roles, and sees no business content. It gets 404 on
the 公示 board, the objection form, the cycle documents widget, every document download (the
public 公示 notice and 表彰决定 included) and every attachment; it cannot file an objection even
through the operation; its home is the accounts page and its navigation shows only its own pages.

Choice: the refusal belongs to the 系统管理员 role as such, not only to an account whose only role
it is. accounts.operations keeps the role alone on an account of its own (no business role beside
it, no member record), so the two readings coincide; and an account that somehow held both (data
from before) would still be refused business content.
"""
import os
import re

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import Attachment, AuditEvent
from dangjian.request_types.award_nomination.model import Objection
from dangjian.request_types.award_nomination.publicity import file_objection
from dangjian.workflow import ActionRefused
from tests.factories_award import aorg  # noqa: F401
from tests.test_award_scope import world  # noqa: F401


def _nav(html: str) -> list[str]:
    nav = html[html.index('aria-label="主导航"'):html.index("</nav>")]
    return re.findall(r'<span class="dj-nav-long">([^<]+)</span>|<span>([^<]+)</span>', nav)


def test_the_administrator_gets_404_on_all_business_content(app, aorg, world, auth, client):
    auth.login(aorg.sysadmin)
    urls = ["/openness/", "/awards/publicity", "/awards/publicity/{listed}/objection", "/awards/cycles/{c2}/documents",
            "/documents/{notice}/download", "/documents/{form_doc}/download", "/requests/{listed}",
            "/requests/{waiting}", "/awards/cycles/{c2}"]
    for url in urls:
        resp = client.get(url.format(**world))
        assert resp.status_code == 404, url
        body = resp.get_data(as_text=True)
        assert "长期扎根" not in body and "张堃" not in body and not resp.data.startswith(b"%PDF")
    before = db.session.scalar(select(func.count(Objection.id)))
    resp = client.post("/awards/publicity/{listed}/objection".format(**world), data={"content": "管理员的异议"})
    assert resp.status_code == 404
    assert db.session.scalar(select(func.count(Objection.id))) == before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "document.download")) == 0


def test_the_objection_operation_refuses_the_administrator_too(app, aorg, world):
    with pytest.raises(ActionRefused, match="系统管理员不能查看公示内容，也不能提出异议"):
        file_objection(world["listed"], aorg.sysadmin, "绕过页面提交的异议")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Objection.id)).where(Objection.objector_id == aorg.sysadmin.id)) == 0


def test_a_member_still_sees_what_the_administrator_cannot(app, aorg, world, auth, client):
    auth.login(aorg.direct_member)
    assert client.get("/openness/").status_code == 200
    assert client.get("/documents/{notice}/download".format(**world)).data.startswith(b"%PDF")
    assert client.get("/awards/publicity/{listed}/objection".format(**world)).status_code == 200


def test_every_attachment_is_404_for_the_administrator(app, org, auth, client):
    from tests.factories import new_waiver
    req = new_waiver(org.member)
    att = Attachment(request_id=req.id, kind="evidence", filename="困难证明.pdf", content_type="application/pdf",
                     storage_path="proof.pdf", sha256="0" * 64, size=8, uploaded_by_id=org.member.id)
    db.session.add(att)
    db.session.commit()
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    with open(os.path.join(app.config["UPLOAD_DIR"], "proof.pdf"), "wb") as f:
        f.write(b"%PDF-1.4")
    auth.login(org.member)
    assert client.get(f"/attachments/{att.id}").status_code == 200
    auth.login(org.sysadmin)
    assert client.get(f"/attachments/{att.id}").status_code == 404


def test_the_administrator_lands_on_its_accounts_page_with_its_own_navigation(app, org, auth, client):
    auth.login(org.sysadmin)
    for url in ("/", "/inbox/todo", "/inbox/done", "/inbox/mine"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/accounts"), url
    page = client.get("/admin/accounts").get_data(as_text=True)
    labels = [a or b for a, b in _nav(page)]
    assert labels == ["账号与角色"]
    # Everyone else keeps their inbox and sees no admin entry.
    auth.login(org.org_dept_user)
    resp = client.get("/")
    assert resp.headers["Location"].endswith("/inbox/todo")
    labels = [a or b for a, b in _nav(client.get("/inbox/todo").get_data(as_text=True))]
    assert "待办" in labels and "账号与角色" not in labels
