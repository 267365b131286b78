"""Seed a large organization quickly: Core bulk inserts with ids assigned here, no ORM object per row.

The data follows the real models and the dues-waiver workflow, so the app reads it as if the
engine had written it: materialized paths "/school/secondary/branch/", one DuesWaiver child row per
Request (joined inheritance), timelines that match each request's state (branch meetings with
votes, opinions on reject and return, resubmissions), an audit row per action, a done 审批表
Document per closed request, numbers DF-<year>-NNNN per year with NumberSequence set to the max.

Three benchmark accounts get fixed usernames (password "bench", like every seeded account):
bench-zhibu (secretary of a staff branch), bench-erji (its secondary unit), bench-dangwei (校党委).
"""
from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from dangjian.extensions import db
from dangjian.models import (Attachment, AuditEvent, Document, Member, NumberSequence, Organization,
                             Request, RoleAssignment, TimelineEntry, User)
from dangjian.models.base import utcnow
from dangjian.request_types.dues_waiver.model import DuesWaiver

PASSWORD = "bench"
BENCH_USERS = {"branch": "bench-zhibu", "secondary": "bench-erji", "school": "bench-dangwei"}
DOC_KIND, DOC_TITLE, DOC_TEMPLATE = "dues_waiver_form", "党费减免审批表", "pdf/dues_waiver_form.html"
CHUNK = 10_000


@dataclass(frozen=True)
class Scale:
    secondaries: int = 40
    branches: int = 400  # in all, including the direct branches
    direct_branches: int = 4  # 直属党支部
    members: int = 8_000
    past_requests: int = 20_000
    # Pending in the inboxes: spread over the school, plus a known share for the benchmark users.
    pending_branch: int = 400  # at 党支部讨论, across all branches
    pending_secondary: int = 400  # at 二级党组织意见, across all units
    pending_school: int = 280  # at 校党委审批 (the PDF runs approve some of these)
    bench_branch_pending: int = 8
    bench_secondary_pending: int = 30

    def scaled(self, f: float) -> "Scale":
        """A smaller organization of the same shape (for a quick look)."""
        def s(n, least=1):
            return max(least, round(n * f))
        return Scale(secondaries=s(self.secondaries, 2), branches=s(self.branches, 8),
                     direct_branches=s(self.direct_branches), members=s(self.members, 160),
                     past_requests=s(self.past_requests), pending_branch=s(self.pending_branch),
                     pending_secondary=s(self.pending_secondary),
                     pending_school=max(60, s(self.pending_school)),
                     bench_branch_pending=self.bench_branch_pending,
                     bench_secondary_pending=self.bench_secondary_pending)


@dataclass
class Seeded:
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    school_id: int = 1
    bench_branch_id: int = 0
    bench_secondary_id: int = 0


# ------------------------------------------------------------------------------ names and texts

UNITS = [
    "会计学院", "经济学院", "金融学院", "统计学院", "管理学院", "商学院", "法学院", "文学院", "外国语学院",
    "信息学院", "马克思主义学院", "公共管理学院", "国际商学院", "财政税务学院", "新闻传播学院", "艺术学院",
    "体育学院", "理学院", "数学学院", "物理学院", "化学化工学院", "生命科学学院", "环境学院", "材料学院",
    "机械工程学院", "电气工程学院", "计算机学院", "软件学院", "建筑学院", "土木工程学院", "继续教育学院",
    "国际教育学院", "研究生院", "图书馆", "后勤集团", "资产经营公司", "附属中学", "校医院", "机关", "离退休工作处",
]
BRANCH_SUFFIXES = [  # (suffix, type) for the branches of one unit, in order
    ("教工第一党支部", "staff"), ("本科生第一党支部", "student"), ("教工第二党支部", "staff"),
    ("本科生第二党支部", "student"), ("研究生第一党支部", "student"), ("离退休党支部", "retired"),
    ("教工第三党支部", "staff"), ("研究生第二党支部", "student"), ("本科生第三党支部", "student"),
    ("行政党支部", "staff"), ("教工第四党支部", "staff"), ("本科生第四党支部", "student"),
]
DIRECT = ["档案馆直属党支部", "出版社直属党支部", "校史馆直属党支部", "工会直属党支部", "校友会直属党支部",
          "博物馆直属党支部", "网络中心直属党支部", "招生办直属党支部"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["建华", "晓明", "丽娟", "志强", "秀英", "海涛", "静", "磊", "婷婷", "文博", "雨萱", "浩然", "思远", "佳怡",
         "子涵", "国庆", "桂兰", "玉珍", "德明", "淑芬", "春生", "瑞", "宇航", "欣怡", "梓萱", "俊杰", "堃", "赟",
         "璟", "彧", "祎", "明轩", "嘉懿", "一鸣", "玥", "雅婷", "伟", "芳", "敏", "军", "喆", "珺", "丽华", "卫东"]
HARDSHIP = [
    ("illness", "本人今年确诊慢性肾病，需长期透析治疗，医疗费用自付部分较高，家庭收入明显下降，申请减交党费。"),
    ("living", "爱人今年失业，孩子上大学，家庭月收入较低，生活较为困难，申请部分减交党费。"),
    ("illness", "父亲突发脑梗住院，先后两次手术，自付医疗费用八万余元，家庭负债较重，申请减免党费。"),
    ("unemployed", "本人所在单位改制后待岗，暂无固定收入，申请在待岗期间减免党费。"),
    ("living", "家中遭遇火灾，房屋和财物损失严重，目前借住亲戚家中，生活困难，申请减免党费。"),
    ("other", "本人长期照顾患阿尔茨海默病的母亲，不能正常工作，收入锐减，申请减交党费。"),
    ("living", "家庭为低保户，本人靠助学贷款和勤工俭学维持学业，申请免交党费。"),
    ("illness", "本人患恶性肿瘤正在化疗，医疗支出大，申请全额免交党费。"),
]
OPINIONS = {
    ("branch", "approve"): "经支委会讨论，申请人情况属实，同意减免，报上级党组织审批。",
    ("secondary", "approve"): "经审核，同意党支部意见，报校党委审批。",
    ("school", "approve"): "同意。",
    ("branch", "reject"): "经支委会讨论，申请人家庭收入不符合困难认定条件，不同意减免。",
    ("secondary", "reject"): "经核实，申请材料与实际情况不符，不同意减免。",
    ("school", "reject"): "经校党委会研究，不符合党费减免条件，不同意。",
    ("branch", "return"): "请补充医院诊断证明和家庭收入证明后重新提交。",
    ("secondary", "return"): "减免期限与证明材料不一致，请核实后重新提交。",
    ("school", "return"): "请补充困难情况的具体说明。",
}
EVIDENCE_FILES = [("诊断证明.pdf", "application/pdf"), ("住院发票.jpg", "image/jpeg"),
                  ("低保证明.pdf", "application/pdf"), ("收入证明.png", "image/png")]


class _Ids:
    """Ids handed out here (the database is empty), so parents and children link without RETURNING."""

    def __init__(self):
        self._next = Counter()

    def __call__(self, table: str) -> int:
        self._next[table] += 1
        return self._next[table]


def _fake_sha(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


# ------------------------------------------------------------------------------ the seeding

def reset_schema() -> None:
    """Empty bench database: drop and create the app's tables (the models, not the migration)."""
    db.session.remove()
    db.drop_all()
    db.create_all()


def seed(scale: Scale = Scale(), rng_seed: int = 20180423, log=print) -> Seeded:
    """Fill an empty schema. Deterministic for a given scale and seed."""
    t0 = time.perf_counter()
    rng = random.Random(rng_seed)
    ids = _Ids()
    now = utcnow().replace(microsecond=0)
    out = Seeded()
    pw_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # cheap: bench logs in often

    # --- organizations: school, 组织部, secondary units with their branches, 直属党支部
    orgs, branches = [], []  # branches: dicts with id, secondary_id, type, direct
    school = ids("org")
    orgs.append(dict(id=school, name="中共西安财经大学委员会", kind="school", branch_type=None, parent_id=None,
                     path=f"/{school}/", sort_order=0))
    org_dept = ids("org")
    orgs.append(dict(id=org_dept, name="党委组织部", kind="org_dept", branch_type=None, parent_id=school,
                     path=f"/{school}/{org_dept}/", sort_order=1))
    n_sec = scale.secondaries
    under_units = scale.branches - scale.direct_branches
    per_unit = [under_units // n_sec + (1 if i < under_units % n_sec else 0) for i in range(n_sec)]
    secondaries = []
    for i in range(n_sec):
        unit = UNITS[i % len(UNITS)] + (f"（{i // len(UNITS) + 1}）" if i >= len(UNITS) else "")
        sec = ids("org")
        secondaries.append(sec)
        orgs.append(dict(id=sec, name=f"{unit}党委" if "学院" in unit else f"{unit}党总支", kind="secondary",
                         branch_type=None, parent_id=school, path=f"/{school}/{sec}/", sort_order=i + 2))
        for j in range(per_unit[i]):
            suffix, btype = BRANCH_SUFFIXES[j % len(BRANCH_SUFFIXES)]
            if j >= len(BRANCH_SUFFIXES):
                suffix = f"第{j + 1}" + suffix
            b = ids("org")
            orgs.append(dict(id=b, name=unit + suffix, kind="branch", branch_type=btype, parent_id=sec,
                             path=f"/{school}/{sec}/{b}/", sort_order=j))
            branches.append(dict(id=b, secondary_id=sec, type=btype, direct=False))
    for k in range(scale.direct_branches):
        b = ids("org")
        orgs.append(dict(id=b, name=DIRECT[k % len(DIRECT)] + (f"{k // len(DIRECT) + 1}" if k >= len(DIRECT) else ""),
                         kind="branch", branch_type="staff", parent_id=school, path=f"/{school}/{b}/",
                         sort_order=n_sec + 2 + k))
        branches.append(dict(id=b, secondary_id=None, type="staff", direct=True))

    # --- members: spread evenly over the branches; every member has an account
    members, users = [], []
    by_branch: dict[int, list[int]] = {b["id"]: [] for b in branches}
    member_info: dict[int, dict] = {}
    today = now.date()
    for n in range(scale.members):
        br = branches[n % len(branches)]
        mid = ids("member")
        cat = br["type"]  # the person category follows the branch type (教职工/学生/离退休)
        if cat == "student":
            birth = date(today.year - rng.randint(18, 27), rng.randint(1, 12), rng.randint(1, 28))
            joined = date(birth.year + rng.randint(18, 22), rng.choice([4, 6, 10, 12]), 1)
            dues = Decimal("0.20")
            staff_no = f"20{rng.randint(19, 25)}{mid:06d}"
        elif cat == "retired":
            birth = date(today.year - rng.randint(61, 92), rng.randint(1, 12), rng.randint(1, 28))
            joined = date(birth.year + rng.randint(19, 35), rng.randint(1, 12), 1)
            dues = Decimal(rng.randrange(500, 6000)) / 100
            staff_no = f"T{mid:06d}"
        else:
            birth = date(today.year - rng.randint(24, 60), rng.randint(1, 12), rng.randint(1, 28))
            joined = date(birth.year + rng.randint(19, 23), rng.randint(1, 12), 1)
            dues = Decimal(rng.randrange(1500, 20000)) / 100
            staff_no = f"{rng.randint(1990, 2024)}{mid:05d}"
        joined = min(joined, today - timedelta(days=400))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        members.append(dict(
            id=mid, name=name, gender=rng.choice("男女"), staff_no=staff_no,
            id_number=f"{rng.choice(['610113', '610103', '610402', '410105', '140106'])}{birth:%Y%m%d}"
                      f"{rng.randint(0, 999):03d}{rng.choice('0123456789X')}",
            branch_id=br["id"], person_category=cat,
            member_category="probationary" if rng.random() < 0.04 else "full",
            joined_party_on=joined, birth_date=birth, phone=f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
            monthly_dues=dues, is_model_worker=cat == "retired" and rng.random() < 0.1,
            living_difficulty=rng.random() < 0.06, lives_alone=cat == "retired" and rng.random() < 0.25,
            frail_sick_disabled=cat == "retired" and rng.random() < 0.3,
        ))
        by_branch[br["id"]].append(mid)
        member_info[mid] = dict(branch=br, name=name, dues=dues, cat=cat)
        users.append(dict(id=ids("user"), username=f"u{mid:05d}", display_name=name, password_hash=pw_hash,
                          member_id=mid, active=True, created_at=now - timedelta(days=1000)))
    user_of_member = {u["member_id"]: u["id"] for u in users}
    users_by_id = {u["id"]: u for u in users}

    # --- roles: two secretaries per branch; one user per secondary unit; 组织部, 校党委, 纪委, admin
    roles = []
    secretaries: dict[int, list[int]] = {}  # branch id -> user ids holding branch_secretary
    officials: set[int] = set()  # members holding a role above the branch: never beneficiaries here

    def grant(user_id, role, org_id):
        roles.append(dict(id=ids("role"), user_id=user_id, role=role, organization_id=org_id))

    for br in branches:
        holders = [user_of_member[m] for m in by_branch[br["id"]][:2]]
        secretaries[br["id"]] = holders
        for u in holders:
            grant(u, "branch_secretary", br["id"])
    secondary_user: dict[int, int] = {}
    for sec in secondaries:
        first_branch = next(b for b in branches if b["secondary_id"] == sec)
        mid = by_branch[first_branch["id"]][2]
        secondary_user[sec] = user_of_member[mid]
        officials.add(mid)
        grant(user_of_member[mid], "secondary", sec)
    directs = [b for b in branches if b["direct"]] or branches[-1:]
    staff_pool = by_branch[directs[0]["id"]]
    school_users = []
    for k, (role, org) in enumerate([("org_dept", org_dept), ("org_dept", org_dept), ("school", school),
                                     ("school", school), ("supervisor", school)]):
        mid = staff_pool[2 + k]
        officials.add(mid)
        grant(user_of_member[mid], role, org)
        if role == "school":
            school_users.append(user_of_member[mid])
    admin = ids("user")
    users.append(dict(id=admin, username="bench-admin", display_name="系统管理员", password_hash=pw_hash,
                      member_id=None, active=True, created_at=now - timedelta(days=1000)))
    grant(admin, "sysadmin", school)

    bench_branch = next(b for b in branches if b["secondary_id"] == secondaries[0] and b["type"] == "staff")
    out.school_id, out.bench_branch_id, out.bench_secondary_id = school, bench_branch["id"], secondaries[0]
    users_by_id[secretaries[bench_branch["id"]][0]]["username"] = BENCH_USERS["branch"]
    users_by_id[secondary_user[secondaries[0]]]["username"] = BENCH_USERS["secondary"]
    users_by_id[school_users[0]]["username"] = BENCH_USERS["school"]

    # --- requests: who, what, and the path each took through the workflow
    secretary_members = {users_by_id[u]["member_id"] for hs in secretaries.values() for u in hs}
    pool = [m for m in member_info if m not in officials]
    weights = [{"retired": 3.0, "staff": 2.0, "student": 0.3}[member_info[m]["cat"]] for m in pool]
    plain = [m for m in pool if m not in secretary_members]  # for pending rows: inboxes stay realistic

    def steps_of(br):
        steps = [("branch", "branch_secretary", br["id"])]
        if not br["direct"]:
            steps.append(("secondary", "secondary", br["secondary_id"]))
        steps.append(("school", "school", school))
        return steps

    plans = []  # (created_at, beneficiary member id, outcome, step index)
    for _ in range(scale.past_requests):
        r = rng.random()
        outcome = "approved" if r < 0.86 else "rejected" if r < 0.92 else "withdrawn" if r < 0.97 else "returned"
        created = now - timedelta(days=rng.uniform(12, 900), seconds=rng.randint(0, 86_399))
        plans.append((created, rng.choices(pool, weights)[0], outcome, None))

    def pending(n, members_, step_index_of):
        for _ in range(n):
            m = rng.choice(members_)
            idx = step_index_of(m)
            created = now - timedelta(days=rng.uniform(1, 25), seconds=rng.randint(0, 86_399))
            plans.append((created, m, "pending", idx))

    undirect = [m for m in plain if not member_info[m]["branch"]["direct"]]
    bench_branch_members = [m for m in plain if member_info[m]["branch"]["id"] == bench_branch["id"]]
    bench_unit_members = [m for m in undirect if member_info[m]["branch"]["secondary_id"] == secondaries[0]]
    last = lambda m: len(steps_of(member_info[m]["branch"])) - 1  # noqa: E731
    pending(scale.pending_branch, plain, lambda m: 0)
    pending(scale.bench_branch_pending, bench_branch_members, lambda m: 0)
    pending(scale.pending_secondary, undirect, lambda m: 1)
    pending(scale.bench_secondary_pending, bench_unit_members, lambda m: 1)
    pending(scale.pending_school, plain, last)
    plans.sort(key=lambda p: p[0])

    requests, waivers, timeline, audit, documents, attachments = [], [], [], [], [], []
    seq_by_year: Counter = Counter()
    for created, mid, outcome, pending_idx in plans:
        info = member_info[mid]
        br = info["branch"]
        steps = steps_of(br)
        rid = ids("request")
        seq_by_year[created.year] += 1
        number = f"DF-{created.year}-{seq_by_year[created.year]:04d}"
        own_user = user_of_member[mid]
        secs = secretaries[br["id"]]
        on_behalf = own_user not in secs and rng.random() < 0.15
        initiator = secs[1] if on_behalf else own_user

        # The script of actions: (action, step index or None).
        script = [("submit", None)]
        if outcome == "approved":
            if rng.random() < 0.05:  # returned once for more evidence, then resubmitted
                script += [("return", 0), ("submit", None)]
            script += [("approve", i) for i in range(len(steps))]
        elif outcome == "rejected":
            k = rng.randrange(len(steps))
            script += [("approve", i) for i in range(k)] + [("reject", k)]
        elif outcome == "withdrawn":
            script += [("withdraw", None)]
        elif outcome == "returned":
            k = rng.randrange(len(steps))
            script += [("approve", i) for i in range(k)] + [("return", k)]
        else:  # pending at step pending_idx
            script += [("approve", i) for i in range(pending_idx)]

        # Times: the actions spread after creation, never in the future.
        end = min(created + timedelta(days=4 * len(script)), now - timedelta(minutes=5))
        span = max((end - created).total_seconds(), 60.0)
        times = sorted(created + timedelta(seconds=30 + rng.uniform(0, span)) for _ in script)

        state, cur = "draft", None
        submitted_at = closed_at = step_entered_at = None
        audit.append(dict(id=ids("audit"), user_id=initiator, action="request.create", object_type="requests",
                          object_id=rid, detail=json.dumps({"number": number}, ensure_ascii=False),
                          ip="10.20.3.14", created_at=created))
        for (action, idx), t in zip(script, times):
            before = state
            entry = dict(id=ids("timeline"), request_id=rid, action=action, opinion="", created_at=t,
                         meeting_type=None, meeting_date=None, votes_for=None, votes_against=None,
                         votes_abstain=None)
            if idx is None:  # the initiator: submit / withdraw
                entry.update(actor_id=initiator, actor_role="applicant", actor_org_id=br["id"], step=None)
                if action == "submit":
                    state, cur, submitted_at, step_entered_at = "pending", 0, t, t
                else:
                    state, cur, step_entered_at = "withdrawn", None, None
            else:
                key, role, org = steps[idx]
                if key == "branch":
                    actor = next((u for u in secs if u not in (initiator, own_user)), secs[0])
                elif key == "secondary":
                    actor = secondary_user[org]
                else:
                    actor = rng.choice(school_users)
                entry.update(actor_id=actor, actor_role=role, actor_org_id=org, step=key,
                             opinion=OPINIONS.get((key, action), ""))
                if key == "branch" and action in ("approve", "reject"):
                    n_votes = rng.randint(3, 7)
                    entry.update(meeting_type=rng.choice(["branch_committee", "branch_assembly"]),
                                 meeting_date=(t - timedelta(days=rng.randint(0, 3))).date(),
                                 votes_for=n_votes if action == "approve" else 0,
                                 votes_against=0 if action == "approve" else n_votes, votes_abstain=0)
                if action == "approve":
                    if idx + 1 < len(steps):
                        cur, step_entered_at = idx + 1, t
                    else:
                        state, cur, closed_at, step_entered_at = "approved", None, t, None
                elif action == "reject":
                    state, cur, closed_at, step_entered_at = "rejected", None, t, None
                elif action == "return":
                    state, cur, step_entered_at = "returned", None, None
            timeline.append(entry)
            audit.append(dict(id=ids("audit"), user_id=entry["actor_id"], action=f"request.{action}",
                              object_type="requests", object_id=rid, ip="10.20.3.14", created_at=t,
                              detail=json.dumps({"number": number, "from_state": before, "to_state": state,
                                                 "step": entry["step"]}, ensure_ascii=False)))

        mode = "full" if info["dues"] <= Decimal("1.00") or rng.random() < 0.3 else "partial"
        monthly = info["dues"] if mode == "full" else max(
            Decimal("0.01"), (info["dues"] * Decimal(rng.randint(30, 80)) / 100).quantize(Decimal("0.01")))
        start = date(created.year, created.month, 1)
        months = rng.randint(1, 12)
        end_y, end_m = divmod(start.month - 1 + months - 1, 12)
        hardship = rng.choice(HARDSHIP)
        step = steps[cur] if cur is not None else None
        requests.append(dict(
            id=rid, type="dues_waiver", number=number, state=state,
            current_step=step[0] if step else None, current_role=step[1] if step else None,
            current_org_id=step[2] if step else None, step_entered_at=step_entered_at,
            version=len(script), organization_id=br["id"], initiator_id=initiator, beneficiary_id=mid,
            amount=monthly * months, created_at=created, submitted_at=submitted_at, closed_at=closed_at))
        waivers.append(dict(
            id=rid, mode=mode, monthly_amount=monthly, monthly_dues_at_application=info["dues"],
            start_month=start, end_month=date(start.year + end_y, end_m + 1, 1),
            hardship_category=hardship[0], hardship_description=hardship[1]))
        if closed_at is not None:
            done = closed_at + timedelta(seconds=rng.uniform(0.6, 3))
            documents.append(dict(
                id=ids("document"), request_id=rid, kind=DOC_KIND, title=DOC_TITLE, version=1,
                template=DOC_TEMPLATE, status="done", storage_path=f"{created.year}/{number}/{DOC_KIND}-v1.pdf",
                sha256=_fake_sha(number, "pdf"), size=rng.randint(180_000, 320_000), error=None, attempts=1,
                created_at=closed_at, enqueued_at=closed_at, started_at=closed_at + timedelta(seconds=0.1),
                finished_at=done))
        files = []
        if rng.random() < 0.4:
            files.append(("evidence",) + rng.choice(EVIDENCE_FILES))
        if on_behalf:
            files.append(("signed_application", "本人签字申请书.pdf", "application/pdf"))
        for kind, filename, ctype in files:
            aid = ids("attachment")
            attachments.append(dict(
                id=aid, request_id=rid, kind=kind, filename=filename, storage_path=f"bench/{aid:06d}",
                sha256=_fake_sha(aid), size=rng.randint(50_000, 2_000_000), content_type=ctype,
                uploaded_by_id=initiator, created_at=created))

    sequences = [dict(id=i + 1, prefix="DF", year=y, last_value=n)
                 for i, (y, n) in enumerate(sorted(seq_by_year.items()))]

    # --- write, parents first (SQLite enforces the foreign keys)
    tables = [
        (Organization, orgs), (Member, members), (User, users), (RoleAssignment, roles),
        (Request, requests), (DuesWaiver, waivers), (TimelineEntry, timeline), (Document, documents),
        (Attachment, attachments), (AuditEvent, audit), (NumberSequence, sequences),
    ]
    for model, rows in tables:
        table = model.__table__
        for i in range(0, len(rows), CHUNK):
            db.session.execute(table.insert(), rows[i:i + CHUNK])
        out.counts[table.name] = len(rows)
        log(f"  {table.name:<18} {len(rows):>7,} rows  ({time.perf_counter() - t0:5.1f} s)")
    db.session.commit()
    _after_bulk_insert([m.__table__.name for m, _ in tables if m is not DuesWaiver])
    out.counts["pending"] = sum(1 for r in requests if r["state"] == "pending")
    out.seconds = time.perf_counter() - t0
    return out


def _after_bulk_insert(tables: list[str]) -> None:
    """PostgreSQL: move the id sequences past the ids given here. Both: refresh planner statistics."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "postgresql":
            for name in tables:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"))
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("ANALYZE"))


def counts() -> dict:
    """Row counts of the main tables (to report what a reused database holds)."""
    def n(model):
        return db.session.scalar(select(func.count()).select_from(model)) or 0
    return {"organizations": n(Organization), "members": n(Member), "users": n(User),
            "requests": n(Request), "timeline_entries": n(TimelineEntry), "documents": n(Document),
            "pending": db.session.scalar(select(func.count()).select_from(Request)
                                         .where(Request.state == "pending")) or 0}
