"""The care pages as users meet them: the registry list (scope, filters), an entry's page and its
buttons, the .xlsx export (困难情况 only for those who may read it), files, the member's 帮扶历史;
everything outside the user's scope is 404."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dangjian.care import registry
from dangjian.care.models import CareFile, EntryState, RegistryEntry
from dangjian.extensions import db
from dangjian.money import format_yuan
from dangjian.models import AuditEvent
from dangjian.timeutil import local_today
from tests.factories import approve, new_waiver
from tests.factories_care import registered
from tests.factories_condolence import new_condolence, setup_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def w(org):
    """王喆 (branch_a1, sec_a) confirmed; 周珺玥 (branch_b1, sec_b) confirmed; 张堃 proposed."""
    org.e_a = registered(org.member.member, "living", situation="王喆：爱人长期患病")
    org.e_b = registered(org.member_b.member, "alone", situation="周珺玥：独居，行动不便")
    org.e_p = registry.propose(org.secretary, org.member2.member, categories=["illness"], situation="张堃：本人患病住院",
                               files=[_upload("诊断证明.png")])
    db.session.commit()
    return org


def _upload(name, data=PNG):
    from werkzeug.datastructures import FileStorage
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="image/png")


def _names(html):
    import re
    return re.findall(r'<a class="fw-semibold" href="/care/registry/\d+">([^<]+)</a>', html)


@pytest.mark.parametrize("who,names", [
    ("secretary", ["王喆", "张堃"]),
    ("secondary", ["王喆", "张堃"]),
    ("secondary_b", ["周珺玥"]),
    ("secretary_a2", []),
    ("org_dept_user", ["王喆", "张堃", "周珺玥"]),
    ("school_user", ["王喆", "张堃", "周珺玥"]),
    ("supervisor", ["王喆", "张堃", "周珺玥"]),
])
def test_the_registry_lists_the_users_units_and_never_the_situation(w, auth, client, who, names):
    auth.login(getattr(w, who))
    html = client.get("/care/registry").get_data(as_text=True)
    assert sorted(_names(html)) == sorted(names)
    assert "爱人长期患病" not in html and "独居，行动不便" not in html  # lists carry no hardship text


@pytest.mark.parametrize("who", ["member", "sysadmin"])
def test_members_and_the_system_administrator_have_no_care_pages(w, auth, client, who):
    auth.login(getattr(w, who))
    for url in ("/care/registry", "/care/visits", "/care/roster", f"/care/registry/{w.e_a.id}",
                f"/care/members/{w.member.member.id}/history", "/care/registry/export.xlsx"):
        assert client.get(url).status_code == 404, url


def test_out_of_scope_entries_files_and_histories_are_404(w, auth, client):
    auth.login(w.secondary_b)
    f = w.e_p.files[0]
    for url in (f"/care/registry/{w.e_a.id}", f"/care/registry/{w.e_p.id}", f"/care/files/{f.id}",
                f"/care/files/{f.id}/preview", f"/care/members/{w.member.member.id}/history",
                f"/care/registry/{w.e_p.id}/resubmit", f"/care/visits/new?member_id={w.member.member.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/care/registry/{w.e_p.id}/confirm", data={"version": w.e_p.version}).status_code == 404
    assert db.session.get(RegistryEntry, w.e_p.id).state is EntryState.PROPOSED


def test_the_school_committee_sees_categories_but_not_the_situation_or_files(w, auth, client):
    auth.login(w.school_user)
    html = client.get(f"/care/registry/{w.e_p.id}").get_data(as_text=True)
    assert "因病致困" in html and "张堃：本人患病住院" not in html and "诊断证明.png" not in html
    assert client.get(f"/care/files/{w.e_p.files[0].id}").status_code == 404
    auth.login(w.supervisor)  # 纪委 reads everything and has no buttons
    html = client.get(f"/care/registry/{w.e_p.id}").get_data(as_text=True)
    assert "张堃：本人患病住院" in html and "诊断证明.png" in html and 'id="entry-actions"' not in html


def test_the_secondary_unit_confirms_from_the_entry_page(w, auth, client):
    auth.login(w.secondary)
    v = w.e_p.version
    html = client.get(f"/care/registry/{w.e_p.id}").get_data(as_text=True)
    assert 'id="form-confirm"' in html and 'id="form-return"' in html and 'id="form-withdraw"' not in html
    resp = client.post(f"/care/registry/{w.e_p.id}/return", data={"version": v, "note": ""})
    assert "请填写退回理由" in resp.get_data(as_text=True)
    resp = client.post(f"/care/registry/{w.e_p.id}/confirm", data={"version": v, "note": "属实"},
                       follow_redirects=True)
    assert "已确认列入困难党员台账，下次复核日期为" in resp.get_data(as_text=True)
    # The same page, posted again (a second click): refused with the app's words, nothing changes.
    resp = client.post(f"/care/registry/{w.e_p.id}/return", data={"version": v, "note": "补充材料"})
    assert "不能退回" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RegistryEntry, w.e_p.id).version == v + 1


def test_a_branch_proposes_through_the_form_with_a_file(w, auth, client):
    auth.login(w.secretary)
    target = w.committee.member
    resp = client.post("/care/registry/new", data={"member_id": target.id, "categories": ["alone", "frail"],
                                                    "situation": "独居，患糖尿病多年。",
                                                    "files": [(io.BytesIO(PNG), "照片.png")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    e = db.session.scalar(select(RegistryEntry).where(RegistryEntry.member_id == target.id))
    assert (e.state, e.categories, [f.filename for f in e.files]) == (EntryState.PROPOSED, "alone,frail", ["照片.png"])
    resp = client.get(f"/care/files/{e.files[0].id}/preview")
    assert resp.status_code == 200 and resp.data == PNG and resp.headers["Content-Security-Policy"].startswith("sandbox")
    # A fake PDF is refused with the reason and nothing is written.
    resp = client.post("/care/registry/new", data={"member_id": w.secretary_a2.member.id, "categories": ["living"],
                                                    "situation": "x", "files": [(io.BytesIO(b"nope"), "a.pdf")]},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "请选择党员" in html  # not a member of the branch: not offered
    count = db.session.scalar(select(db.func.count(RegistryEntry.id)))
    resp = client.post("/care/registry/new", data={"member_id": w.member.member.id, "categories": ["living"],
                                                    "situation": "x", "files": [(io.BytesIO(b"nope"), "a.pdf")]},
                       content_type="multipart/form-data")
    assert "已在台账中" in resp.get_data(as_text=True) or "内容与扩展名不符" in resp.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(RegistryEntry.id))) == count


def _rows(resp):
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.get_data()), read_only=True)["困难党员台账"]
    return list(ws.iter_rows(min_row=2, values_only=True))


def test_the_export_has_the_situation_only_for_those_who_may_read_it(w, auth, client):
    auth.login(w.secondary)
    rows = _rows(client.get("/care/registry/export.xlsx"))
    assert rows[0][-2:] == ("困难情况", "销号原因")
    assert sorted(r[0] for r in rows[1:]) == ["张堃", "王喆"]
    assert "王喆：爱人长期患病" in {r[10] for r in rows[1:]}
    auth.login(w.school_user)
    rows = _rows(client.get("/care/registry/export.xlsx?category=alone"))
    assert "困难情况" not in rows[0] and [r[0] for r in rows[1:]] == ["周珺玥"]
    assert all("独居，行动不便" not in str(c) for r in rows for c in r)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "care.registry.exported").order_by(AuditEvent.id)).all()
    assert [e.user_id for e in events] == [w.secondary.id, w.school_user.id]


def test_filters_overdue_and_paging(w, auth, client):
    db.session.execute(db.update(RegistryEntry).where(RegistryEntry.id == w.e_a.id)
                       .values(review_due_on=local_today() - timedelta(days=1)))
    db.session.commit()
    auth.login(w.org_dept_user)
    html = client.get("/care/registry").get_data(as_text=True)
    assert 'id="overdue-alert"' in html and "<strong>1</strong> 条在册记录已过复核日期" in html
    assert _names(client.get("/care/registry?state=overdue").get_data(as_text=True)) == ["王喆"]
    assert _names(client.get(f"/care/registry?unit_id={w.sec_b.id}").get_data(as_text=True)) == ["周珺玥"]
    assert _names(client.get("/care/registry?q=张").get_data(as_text=True)) == ["张堃"]
    assert _names(client.get("/care/registry?state=proposed&per_page=20&page=1").get_data(as_text=True)) == ["张堃"]
    assert _names(client.get("/care/registry?page=2").get_data(as_text=True)) == []  # three rows: one page


def test_the_members_help_history_collects_everything_within_scope(w, auth, client):
    setup_settings(w)
    waiver = new_waiver(w.member)
    for u in (w.secretary, w.secondary, w.school_user):
        approve(waiver, u)
    cond = new_condolence(w.member.member, w.secretary)
    approve(cond, w.secondary)
    auth.login(w.secretary)
    client.post("/care/visits/new", data={"member_id": w.member.member.id, "visited_on": local_today().isoformat(),
                                           "visitors": "李书记、陈组织员", "reason": "illness", "occasion": "routine",
                                           "notes": "住院第三天，精神尚可", "condolence_id": cond.id})
    html = client.get(f"/care/members/{w.member.member.id}/history").get_data(as_text=True)
    for text in ("党费减免", waiver.number, "慰问金", cond.number, "走访慰问", "李书记、陈组织员", "困难党员台账",
                 "列入困难党员台账（生活困难）"):
        assert text in html, text
    assert "住院第三天" not in html and "爱人长期患病" not in html  # no private text in the history
    # Money as everywhere else in the app: ¥1,234.00.
    assert f"每月{format_yuan(waiver.monthly_amount)}，" in html and f"{format_yuan(cond.amount)}（" in html
    assert "元（" not in html
    visit_form = client.get(f"/care/visits/new?member_id={w.member.member.id}").get_data(as_text=True)
    assert f"{cond.number} {cond.category.label} {format_yuan(cond.amount)}（" in visit_form
    auth.login(w.org_dept_user)  # reached from 组织部's member page
    assert f"/care/members/{w.member.member.id}/history" in client.get(f"/org/members/{w.member.member.id}").get_data(as_text=True)
    auth.login(w.secondary_b)
    assert client.get(f"/care/members/{w.member.member.id}/history").status_code == 404
