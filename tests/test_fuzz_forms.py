"""Fuzz every form (issue 9 §8): text, numbers and dates at their edges, posted through the test
client to each form of the app as the user who may use it. Nothing may answer 5xx, and a refused
post writes nothing: no transaction that wrote anything commits. That is read from the app's data
version (dangjian.data_version: a counter of committed writing transactions, counted at the engine
from the SQL it runs), which also catches an UPDATE or a DELETE that row counts would miss.

Runs on whichever database the suite runs on (SQLite, and PostgreSQL with TEST_DATABASE_URL).
The app and its world are built once per database; Hypothesis draws a fixed, derandomized set of
examples (FUZZ_EXAMPLES, default 25, to stay within the suite's time), more when asked:
``FUZZ_EXAMPLES=1000 pytest tests/test_fuzz_forms.py``.
"""
import io
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from flask import current_app

from dangjian import data_version
from dangjian.extensions import db
from dangjian.timeutil import local_today
from dangjian.workflow import Action, apply_action
from tests.factories import new_waiver
from tests.factories_allowance import allowance_world, line_of, new_batch
from tests.factories_award import MEMBER, make_cycle, nominate
from tests.factories_condolence import set_budget, setup_settings
from tests.test_allowance_pages import adjust_form
from tests.test_award_views import cycle_data, key
from tests.test_condolence_form import valid as condolence_valid
from tests.test_dues_waiver_form import valid as waiver_valid

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
HX = {"HX-Request": "true"}
TODAY = local_today()

EDGES = [
    "", " ", "\x00", "王\x00喆", "\x1b[2J", "\x7f", "\u202e", "\ufeff", "\u200b", "😀", "𮯰", "喆堃𠮷䶮",
    "\r\n", "a\tb", "字" * 5000, "9" * 400, "<script>alert(1)</script>", "'; DROP TABLE requests; --",
    "{{ 7*7 }}", "%s%n", "1e400", "1E5", "-1e-400", "NaN", "-Infinity", "inf", "100000000000000000000",
    "100000000.01", "100000000", "-0", "-1", "0", "0.001", "2147483648", "9223372036854775808",
    "-9223372036854775809", "１２３", "٣", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01",
    "2026-02-30", "2026-13", "2026-00", "1900-01", "9999-12", (TODAY + timedelta(days=1)).isoformat(),
    (TODAY - timedelta(days=3650)).isoformat(),
]
VALUES = st.one_of(
    st.sampled_from(EDGES),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "So", "Lo"]), max_size=20),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.dates().map(date.isoformat),
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}"),
)


@dataclass
class Target:
    """A form: who posts it, where, the valid data it starts from, and which answer means saved."""
    name: str
    user: str
    url: str
    valid: Callable[[], dict]
    fields: list[str]  # free text, amounts, dates
    choices: list[str] = field(default_factory=list)  # selects, radios, ids and versions
    multipart: bool = False
    headers: dict = field(default_factory=dict)
    saved: Callable = lambda resp: resp.status_code == 302


def pdf():
    return [(io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"), "证明.pdf")]


def committed_writes() -> int:
    """How many writing transactions the app has committed so far: a refused post adds none."""
    versions = data_version.of(current_app)
    assert not versions.owed  # every commit was counted
    return int(versions.redis().get(versions.key) or 0)


@pytest.fixture
def world(app, org):
    """Every form's world, once per test: the org tree, standards, a budget, an allowance batch at
    组织部核定, an award cycle with a nomination returned for edits, a waiver at the branch step."""
    app.config["WTF_CSRF_ENABLED"] = False
    o = allowance_world(org)
    setup_settings(o)
    set_budget("100000.00")
    batch = new_batch(o.sec_a, o.secondary)
    line = line_of(batch, o.branch_a1)
    waiver = new_waiver(o.member)
    cycle = make_cycle(o)
    returned = nominate(cycle, o.secretary, MEMBER, member_user=o.member)
    apply_action(returned, o.secondary, Action.RETURN, opinion="请补充近三年的具体成绩")
    db.session.commit()

    clients = {}
    for name in ("member", "secretary", "org_dept_user"):
        client = app.test_client()
        resp = client.post("/login", data={"username": getattr(o, name).username, "password": "pw"})
        assert resp.status_code == 302
        clients[name] = client

    o.clients = clients
    o.targets = [
        Target("党费减免申请", "member", "/dues-waivers/new",
               lambda: waiver_valid(o.member.member_id, evidence=pdf()),
               ["monthly_amount", "start_month", "end_month", "hardship_description"],
               ["member_id", "mode", "hardship_category"], multipart=True),
        Target("慰问金申请", "secretary", "/condolence/new", lambda: condolence_valid(o.member.member_id),
               ["event_date", "event_description", "amount", "over_standard_reason", "planned_visitors",
                "planned_date", "payee_name"],
               ["member_id", "category", "funding_source", "payee_kind", "payee_relation"], multipart=True),
        Target("表彰推荐", "secretary", "/awards/nominations/new",
               lambda: {"cycle_id": str(cycle.id), "category": MEMBER.value, "nominee": key(o.member2),
                        "deeds": "长期扎根教学一线，成绩突出，群众公认。"},
               ["deeds"], ["cycle_id", "category", "nominee"], multipart=True),
        Target("修改推荐事迹", "secretary", f"/awards/nominations/{returned.id}/edit",
               lambda: {"deeds": "长期扎根教学一线，成绩突出。近三年考核均为优秀。", "version": str(returned.version)},
               ["deeds"], ["version"]),
        Target("审批意见", "secretary", f"/requests/{waiver.id}/act",
               lambda: {"action": "approve", "version": str(waiver.version), "opinion": "同意",
                        "meeting_type": "branch_committee", "meeting_date": TODAY.isoformat(),
                        "votes_for": "5", "votes_against": "0", "votes_abstain": "0"},
               ["opinion", "meeting_date", "votes_for", "votes_against", "votes_abstain"],
               ["action", "version", "return_to", "meeting_type"], headers=HX, saved=lambda r: "HX-Retarget" in r.headers),
        Target("评论", "secretary", f"/requests/{waiver.id}/comment", lambda: {"text": "请补充诊断证明。"},
               ["text"], headers=HX, saved=lambda r: "评论已发布" in r.get_data(as_text=True)),
        Target("核定调整", "org_dept_user", f"/secretary-allowances/{batch.id}/adjust",
               lambda: adjust_form(line, batch.version, opinion="按考核结果调整"),
               ["adj-amount", "adj-phone", "adj-transport", "adj-materials", "adj-post", "adj-reward",
                "adj-opinion"], ["adj-line_id", "adj-version", "adj-payment_method"], headers=HX, saved=lambda r: "HX-Retarget" in r.headers),
        Target("经费预算", "org_dept_user", "/budget/", lambda: {"kind": "award", "amount": "5000.00"},
               ["amount"], ["kind"]),
        Target("评选周期", "org_dept_user", "/awards/cycles/new", lambda: cycle_data(o, year="2027"),
               ["year", "name", "special_name", "deadline", "publicity_days",
                f"quota-{o.sec_a.id}-excellent_member"]),
        Target("校历：添加节假日", "org_dept_user", "/calendar/add?year=2026",
               lambda: {"first": "2026-10-01", "last": "2026-10-03", "kind": "holiday", "name": "国庆节"},
               ["first", "last", "name"], ["kind"]),
        Target("校历：粘贴放假安排", "org_dept_user", "/calendar/import?year=2026",
               lambda: {"text": "2026-10-01 国庆节\n2026-10-10 上班"}, ["text"]),
        Target("办理时限", "org_dept_user", "/calendar/limits",
               lambda: {"limit-dues_waiver-branch": "5", "limit-award_nomination-school": "5"},
               ["limit-dues_waiver-branch", "limit-award_nomination-school"]),
    ]
    return o


def post_and_check(world, target: Target, changes: dict) -> None:
    """Post `target`'s valid data with `changes`: never a 5xx, and if not saved, nothing written."""
    payload = {**target.valid(), **changes}
    db.session.rollback()  # the test's own reads end here, as a new request would start afresh
    before = committed_writes()
    client = world.clients[target.user]
    resp = client.post(target.url, data=payload, headers=target.headers,
                       content_type="multipart/form-data" if target.multipart else None)
    assert resp.status_code < 500, (target.name, changes, resp.get_data(as_text=True)[:1000])
    if not target.saved(resp):
        assert committed_writes() == before, (target.name, changes, "a refused post wrote to the database",
                                              resp.get_data(as_text=True)[:500])


#: The values that broke forms before (a 500, a saved NUL), put into every field of every form;
#: a choice field gets the first two only (it is never parsed as an amount or a date).
SWEEP = ["\x00", "1e400", "100000000000000000000", "𮯰", "9999-12-31", "0001-01-01"]


def test_every_field_of_every_form_takes_the_known_bad_values(world):
    for target in world.targets:
        for names, values in ((target.fields, SWEEP), (target.choices, SWEEP[:2])):
            for name in names:
                for value in values:
                    post_and_check(world, target, {name: value})


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_no_form_answers_5xx_and_a_refused_post_saves_nothing(world, data):
    target = data.draw(st.sampled_from(world.targets), label="form")
    changes = data.draw(st.dictionaries(st.sampled_from(target.fields + target.choices), VALUES, min_size=1, max_size=3),
                        label="fields")
    post_and_check(world, target, changes)
