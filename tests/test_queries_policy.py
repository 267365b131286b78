"""No N+1 on the policy modules' and the documents' list pages (issue 7 §6: SQL per page constant in
the number of rows): each page costs the same number of statements with FEW rows as with MANY.

Rows are made through the modules' operations where there is one, by distinct members, branches
and requests, so that the identity map cannot hide a per-row load; each measured request runs in a
fresh app context (tests/test_queries.py `queries_for`).
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from dangjian.assessment.grades import AssessmentGrade
from dangjian.care import registry, visits
from dangjian.documents import numbers
from dangjian.extensions import db
from dangjian.inspection import operations as inspection
from dangjian.models import BranchType, DocKind, Document, DocumentStatus, OrgKind, Role, RoleAssignment
from dangjian.openness import operations as openness
from dangjian.openness.models import ItemKind
from dangjian.pairing import operations as pairing
from dangjian.talks import operations as talks
from dangjian.timeutil import local_today
from tests.factories import _org, make_member, make_user, new_waiver
from tests.factories_assessment import graded
from tests.test_queries import FEW, MANY, _fill, queries_for

TODAY = local_today()


def _members(org, n, start, branch=None):
    members = [make_member(branch or org.branch_a1, name=f"党员{start + i:03d}") for i in range(n)]
    db.session.commit()
    return members


def _branches(org, n, start):
    """n branches of 会计学院党委, each with its own secretary (a distinct user per row)."""
    out = []
    for i in range(n):
        branch = _org(f"会计学院第{start + i:03d}党支部", OrgKind.BRANCH, org.sec_a, BranchType.STAFF)
        make_user(f"s{start + i:03d}", make_member(branch, name=f"书记{start + i:03d}"),
                  [(Role.BRANCH_SECRETARY, branch)])
        out.append(branch)
    db.session.commit()
    return out


def care_registry(org, n, start):
    members = _members(org, n, start)
    for m in members:
        registry.propose(org.secretary, m, categories=["living"], situation="家庭月收入低于当地最低生活保障标准。")
    return [m.name for m in members]


def care_visits(org, n, start):
    members = _members(org, n, start)
    for m in members:
        visits.record_visit(org.secretary, m, visited_on=TODAY, visitors="李书记", reason="old_member",
                            occasion="routine", notes="")
    return [m.name for m in members]


def talks_compliance(org, n, start):
    """n branches, each with a member its secretary talked with and one still due."""
    names = []
    for branch in _branches(org, n, start):
        talked, due = make_member(branch, name=f"谈话{branch.id:03d}"), make_member(branch, name=f"待谈{branch.id:03d}")
        db.session.commit()
        secretary = db.session.scalar(select(RoleAssignment).where(RoleAssignment.organization_id == branch.id)).user
        talks.record_talk(secretary, branch.id, held_on=TODAY, kind="routine", place="支部活动室", reason="",
                          content="交流近期工作和思想情况。", member_ids=[talked.id])
        names.append(branch.name)
    return names


def pairings(org, n, start):
    members = _members(org, n, start)
    helpers = _members(org, n, start + 500, branch=org.branch_b1)
    for m, h in zip(members, helpers):
        pairing.create_pairing(org.org_dept_user, member_staff_no=m.staff_no, helper_staff_no=h.staff_no,
                               started_on=TODAY - timedelta(days=10), measures="每月上门走访一次，协助申请困难补助。")
    return [m.name for m in members]


def assessment_year(org, n, start):
    branches = _branches(org, n, start)
    for i, branch in enumerate(branches):
        graded(branch, list(AssessmentGrade)[i % 4], org.org_dept_user, TODAY.year)
    db.session.commit()
    return [b.name for b in branches]


def openness_board(org, n, start):
    titles = []
    for branch in _branches(org, n, start):
        title = f"关于{branch.name}支委会换届选举结果的公告"
        item = openness.create(openness.Draft(ItemKind.ELECTION,
                                              title, "经选举产生新一届支部委员会。", branch.id, TODAY,
                                              TODAY + timedelta(days=10)), org.org_dept_user)
        openness.publish(item, org.org_dept_user, item.version)
        titles.append(title)
    return titles


def _plan(org, units, title):
    return inspection.create_plan(org.supervisor, year=TODAY.year, kind="special", title=title,
                                  starts_on=TODAY - timedelta(days=30), ends_on=TODAY - timedelta(days=1),
                                  team="组长：纪检干部", unit_ids=[u.id for u in units])


def inspection_plans(org, n, start):
    titles = [f"专项检查{start + i:03d}" for i in range(n)]
    for title in titles:
        _plan(org, [org.sec_a, org.sec_b], title)
    return titles


def inspection_tasks(org, n, start):
    plan = _plan(org, [org.sec_a], f"专项检查{start:03d}")
    names = []
    for branch in _branches(org, n, start):
        finding = inspection.add_finding(plan, org.supervisor, org_id=branch.id, text=f"{branch.name}签收单不全。",
                                         severity="major")
        inspection.add_task(finding, org.supervisor, owner_org_id=branch.id, requirement="补齐签收单。",
                            deadline=TODAY + timedelta(days=10))
        names.append(branch.name)
    return names


def _documents(org, n, start, numbered=False):
    """n finished documents of n requests by distinct members (rows only: the pages read the
    database; a 文号 for each when `numbered`)."""
    out = []
    for m in _members(org, n, start):
        user = make_user(f"u{start:03d}{m.id}", m)
        db.session.commit()
        req = new_waiver(user)
        doc = Document(request_id=req.id, kind="dues_waiver_reply" if numbered else "dues_waiver_form", part="",
                       title=f"关于同意{m.name}同志减交党费的批复", template="x.html", version=1,
                       status=DocumentStatus.DONE, storage_path="x.pdf", sha256="0" * 64, size=1)
        db.session.add(doc)
        db.session.flush()
        if numbered:
            numbers.number_document(doc, (OrgKind.SCHOOL, DocKind.REPLY), user=user)
        out.append(doc.title)
    db.session.commit()
    return out


def archive(org, n, start):
    return _documents(org, n, start)


def doc_register(org, n, start):
    return _documents(org, n, start, numbered=True)


def supervision(org, n, start):
    """Requests, registry entries, talks and 整改 tasks in n more units: the dashboard's figures
    (per unit and type) are counts, so nothing is listed by name."""
    _fill(org, n, start)
    care_registry(org, n, start + 1000)
    talks_compliance(org, n, start + 2000)
    inspection_tasks(org, n, start + 3000)
    return []


PAGES = [
    ("/care/registry", "org_dept_user", care_registry),
    ("/care/visits", "org_dept_user", care_visits),
    ("/talks/compliance", "secondary", talks_compliance),
    ("/talks/compliance", "org_dept_user", talks_compliance),
    ("/care/registry", "secondary", care_registry),
    ("/pairing", "org_dept_user", pairings),
    (f"/assessments/{TODAY.year}", "org_dept_user", assessment_year),
    ("/openness/", "org_dept_user", openness_board),
    ("/inspection/plans", "supervisor", inspection_plans),
    ("/inspection/tasks", "supervisor", inspection_tasks),
    ("/archive/", "org_dept_user", archive),
    ("/documents/numbers/", "org_dept_user", doc_register),
    ("/supervision/", "supervisor", supervision),
]


@pytest.mark.parametrize("url,who,fill", PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES])
def test_policy_page_costs_the_same_for_few_and_many_rows(app, org, auth, client, url, who, fill):
    app.config["PER_PAGE"] = 60
    auth.login(getattr(org, who))
    shown = fill(org, FEW, 0)
    few, body, _ = queries_for(app, client, url)
    assert all(name in body for name in shown), [n for n in shown if n not in body]
    shown = fill(org, MANY - FEW, 100)
    many, body, statements = queries_for(app, client, url)
    assert all(name in body for name in shown), [n for n in shown if n not in body]
    assert many == few, _repeated(statements)


def _repeated(statements) -> str:
    """The statements run more than once: the per-row queries to look for."""
    seen: dict[str, int] = {}
    for s in statements:
        seen[s] = seen.get(s, 0) + 1
    return "\n\n".join(f"{n}× {s[-700:]}" for s, n in seen.items() if n > 1)[:6000]
