"""Demo data: a school committee with 组织部, secondary units with branches of each type, a
直属党支部, about 60 members with realistic data, one account per role and a few requests in flight."""
import random
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select

from .extensions import db
from .org import idcard
from .models import (BranchType, Member, MemberCategory, Organization, OrgKind, PersonCategory, Role,
                     RoleAssignment, UnitType, User)

DEMO_PASSWORD = "dangjian2026"

# (username, role label, who) — printed by `flask demo accounts` and on the login page in demo mode.
DEMO_ACCOUNTS = [
    ("dangyuan", "党员", "王喆 · 会计学院教工第一党支部"),
    ("zhibu", "支部书记", "李明华 · 会计学院教工第一党支部"),
    ("zhiwei", "支委", "赵雅琴 · 会计学院教工第一党支部"),
    ("erji", "二级党组织", "陈建国 · 会计学院党委组织员"),
    ("zuzhibu", "组织部", "刘晓燕 · 党委组织部"),
    ("zuzhibu2", "组织部", "郑文静 · 党委组织部（核定直属党支部补贴）"),
    ("dangwei", "校党委", "张伟民 · 校党委副书记"),
    ("jiwei", "纪委/监督", "孙立新 · 纪委办公室"),
    ("admin", "系统管理员", "系统管理员（不可查看申请内容）"),
    ("zhishu", "直属支部书记", "周珺 · 图书馆直属党支部"),
    ("zhishu_dy", "直属支部党员", "吴玥 · 图书馆直属党支部"),
    ("caiwu", "财务处（抄送）", "马丽 · 财务处，慰问金批准后抄送"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["建华", "晓明", "丽娟", "志强", "秀英", "海涛", "静", "磊", "婷婷", "文博", "雨萱", "浩然", "思远",
         "佳怡", "子涵", "国庆", "桂兰", "玉珍", "德明", "淑芬", "春生", "瑞", "宇航", "欣怡", "梓萱", "俊杰",
         "堃", "赟", "璟", "彧", "祎", "明轩", "嘉懿", "一鸣", "玥", "雅婷", "伟", "芳", "敏", "军"]

STRUCTURE = [
    ("会计学院党委", [("会计学院教工第一党支部", BranchType.STAFF), ("会计学院教工第二党支部", BranchType.STAFF),
                  ("会计学院本科生党支部", BranchType.STUDENT), ("会计学院研究生党支部", BranchType.STUDENT)]),
    ("经济学院党委", [("经济学院教工党支部", BranchType.STAFF), ("经济学院学生第一党支部", BranchType.STUDENT),
                  ("经济学院离退休党支部", BranchType.RETIRED)]),
    ("机关党委", [("党政办公室党支部", BranchType.STAFF), ("组织部宣传部联合党支部", BranchType.STAFF),
                ("机关离退休党支部", BranchType.RETIRED)]),
]


def _org(name, kind, parent=None, branch_type=None, order=0) -> Organization:
    org = Organization(name=name, kind=kind, branch_type=branch_type, sort_order=order, path="")
    db.session.add(org)
    db.session.flush()
    org.set_parent(parent)
    return org


def _id_number(rng: random.Random, birth: date, gender: str) -> str:
    """A well-formed 身份证号 (GB 11643 check digit, sequence odd for 男 and even for 女)."""
    region = rng.choice(["610113", "610103", "610402", "610502", "410105", "140106"])
    seq = rng.randint(0, 499) * 2 + (1 if gender == "男" else 0)
    return idcard.make(region, birth, seq)


def _member(rng, name, gender, branch, category: PersonCategory, staff_no, **overrides) -> Member:
    today = date.today()
    if category is PersonCategory.STUDENT:
        birth = date(today.year - rng.randint(19, 26), rng.randint(1, 12), rng.randint(1, 28))
        joined = date(today.year - rng.randint(0, 3), rng.randint(1, 12), rng.randint(1, 28))
        dues = Decimal("0.20")
    elif category is PersonCategory.RETIRED:
        birth = date(today.year - rng.randint(62, 86), rng.randint(1, 12), rng.randint(1, 28))
        joined = date(birth.year + rng.randint(20, 28), rng.randint(1, 12), rng.randint(1, 28))
        dues = Decimal(rng.choice(["10.00", "15.50", "20.00", "32.40"]))
    else:
        birth = date(today.year - rng.randint(28, 58), rng.randint(1, 12), rng.randint(1, 28))
        joined = date(birth.year + rng.randint(20, 30), rng.randint(1, 12), rng.randint(1, 28))
        dues = Decimal(rng.choice(["45.00", "62.50", "88.00", "105.30", "136.80"]))
    probationary = category is PersonCategory.STUDENT and rng.random() < 0.3
    m = Member(
        name=name, gender=gender, staff_no=staff_no, id_number=_id_number(rng, birth, gender), branch=branch,
        person_category=category,
        member_category=MemberCategory.PROBATIONARY if probationary else MemberCategory.FULL,
        joined_party_on=min(joined, today - timedelta(days=30)), birth_date=birth,
        phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
        monthly_dues=dues, is_model_worker=False,
    )
    for k, v in overrides.items():
        setattr(m, k, v)
    db.session.add(m)
    return m


def _account(username, display_name, member=None, roles=()) -> User:
    user = User(username=username, display_name=display_name, member=member)
    user.set_password(DEMO_PASSWORD)
    for role, org in roles:
        # Terms began with the current committee, two years back (role history has something to show).
        user.role_assignments.append(RoleAssignment(role=role, organization=org,
                                                    starts_on=date(date.today().year - 2, 1, 1)))
    db.session.add(user)
    return user


def load_demo() -> bool:
    """Load everything into an empty database; returns False (and does nothing) otherwise."""
    if db.session.scalar(select(func.count(Organization.id))):
        return False
    rng = random.Random(20180423)
    school = _org("中共西安财经大学委员会", OrgKind.SCHOOL)
    org_dept = _org("党委组织部", OrgKind.ORG_DEPT, school, order=1)
    branches: dict[str, Organization] = {}
    secondaries = {}
    for i, (sec_name, branch_list) in enumerate(STRUCTURE, start=2):
        sec = _org(sec_name, OrgKind.SECONDARY, school, order=i)
        sec.unit_type = UnitType.ORGANS if sec_name == "机关党委" else UnitType.COMMITTEE
        sec.code = f"D{i - 1:02d}"
        secondaries[sec_name] = sec
        for j, (bname, btype) in enumerate(branch_list):
            branches[bname] = _org(bname, OrgKind.BRANCH, sec, btype, order=j)
            branches[bname].code = f"{sec.code}{j + 1:02d}"  # 组织编码: what a roster import matches
    direct = _org("图书馆直属党支部", OrgKind.BRANCH, school, BranchType.STAFF, order=9)
    direct.code = "Z01"
    branches[direct.name] = direct

    category_of = {BranchType.STAFF: PersonCategory.STAFF, BranchType.STUDENT: PersonCategory.STUDENT,
                   BranchType.RETIRED: PersonCategory.RETIRED}
    counter = iter(range(1, 10000))

    def staff_no(cat):
        n = next(counter)
        return {PersonCategory.STUDENT: f"2023{n:06d}", PersonCategory.RETIRED: f"T{n:05d}"}.get(cat, f"2005{n:04d}")

    # The people behind the demo accounts.
    acc1 = branches["会计学院教工第一党支部"]
    named = {
        "dangyuan": _member(rng, "王喆", "男", acc1, PersonCategory.STAFF, "20080123", monthly_dues=Decimal("45.00")),
        "zhibu": _member(rng, "李明华", "男", acc1, PersonCategory.STAFF, "20010045"),
        "zhiwei": _member(rng, "赵雅琴", "女", acc1, PersonCategory.STAFF, "20030311"),
        "erji": _member(rng, "陈建国", "男", branches["会计学院教工第二党支部"], PersonCategory.STAFF, "19980102"),
        "zuzhibu": _member(rng, "刘晓燕", "女", branches["组织部宣传部联合党支部"], PersonCategory.STAFF, "20060718"),
        "dangwei": _member(rng, "张伟民", "男", branches["党政办公室党支部"], PersonCategory.STAFF, "19950301"),
        "jiwei": _member(rng, "孙立新", "男", branches["党政办公室党支部"], PersonCategory.STAFF, "19990612"),
        "zhishu": _member(rng, "周珺", "女", direct, PersonCategory.STAFF, "20040909"),
        "zhishu_dy": _member(rng, "吴玥", "女", direct, PersonCategory.STAFF, "20120315", monthly_dues=Decimal("62.50")),
    }
    # Everyone else, spread over the branches, with a few old members. Who is in difficulty is the
    # 困难党员台账's to say (dangjian/care/demo.py): its entries set the members' hardship flags.
    used = {m.name for m in named.values()}
    for bname, branch in branches.items():
        cat = category_of[branch.branch_type]
        for _ in range(5):
            while True:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                if name not in used:
                    used.add(name)
                    break
            gender = rng.choice("男女")
            extra = {}
            if cat is PersonCategory.RETIRED:
                extra = {"joined_party_on": date(1968 + rng.randint(0, 8), rng.randint(1, 12), 1),
                         "birth_date": date(1940 + rng.randint(0, 8), rng.randint(1, 12), 1),
                         "is_model_worker": rng.random() < 0.2}
            _member(rng, name, gender, branch, cat, staff_no(cat), **extra)
    db.session.flush()

    _account("dangyuan", "王喆", named["dangyuan"])
    _account("zhibu", "李明华", named["zhibu"], [(Role.BRANCH_SECRETARY, acc1)])
    _account("zhiwei", "赵雅琴", named["zhiwei"], [(Role.BRANCH_SECRETARY, acc1)])
    _account("erji", "陈建国", named["erji"], [(Role.SECONDARY, secondaries["会计学院党委"])])
    _account("zuzhibu", "刘晓燕", named["zuzhibu"], [(Role.ORG_DEPT, org_dept)])
    _account("dangwei", "张伟民", named["dangwei"], [(Role.SCHOOL, school)])
    _account("jiwei", "孙立新", named["jiwei"], [(Role.SUPERVISOR, school)])
    _account("admin", "系统管理员", None, [(Role.SYSADMIN, school)])
    _account("zhishu", "周珺", named["zhishu"], [(Role.BRANCH_SECRETARY, direct)])
    _account("zhishu_dy", "吴玥", named["zhishu_dy"])
    # Secretaries for the other units, so every branch and secondary unit has someone to act.
    for i, (bname, branch) in enumerate(branches.items()):
        if branch in (acc1, direct):
            continue
        # A member without an account: taking a named person's member would unlink their account.
        m = db.session.scalars(select(Member).where(Member.branch_id == branch.id, ~Member.user.has())
                               .order_by(Member.id).limit(1)).first()
        _account(f"sj{i:02d}", m.name, m, [(Role.BRANCH_SECRETARY, branch)])
    for i, (sname, sec) in enumerate(secondaries.items()):
        if sname == "会计学院党委":
            continue
        _account(f"ej{i:02d}", f"{sname}组织员", None, [(Role.SECONDARY, sec)])
    _demo_cc_rules(_account("caiwu", "马丽（财务处）"), users_by_name("zuzhibu"))
    db.session.commit()
    _demo_requests(named)
    from . import plugins
    users = {u.username: u for u in db.session.scalars(select(User))}
    plugins.load_demo(SimpleNamespace(named=named, users=users, school=school, org_dept=org_dept,
                                            secondaries=secondaries, branches=branches, direct=direct, rng=rng))
    db.session.commit()
    return True


def users_by_name(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _demo_cc_rules(cashier: User, org_dept_user: User) -> None:
    """抄送 defaults: the member's branch secretary learns every dues decision; 财务处 (a named account:
    non-party offices are not in the organization tree) gets every approved 慰问金 to pay."""
    from .models import CcRule, CcTarget, CcWhen
    db.session.flush()
    db.session.add_all([
        CcRule(request_type="dues_waiver", target=CcTarget.BRANCH_SECRETARY, timing=CcWhen.CLOSED,
               note="支部知悉党费减免结果，按决定收缴党费", created_by=org_dept_user),
        CcRule(request_type="condolence", target=CcTarget.USER, user=cashier, timing=CcWhen.APPROVED,
               note="财务处按批准金额和收款人发放慰问金", created_by=org_dept_user),
    ])


def _demo_requests(named) -> None:
    """A few requests in flight, so the inboxes are not empty on first login."""
    from .request_types.dues_waiver.model import DuesWaiver, HardshipCategory, WaiverMode
    from .workflow import Action, MeetingRecord, apply_action, create_request

    users = {u.username: u for u in db.session.scalars(select(User))}
    year = date.today().year
    acc1 = named["dangyuan"].branch

    def waiver(member, initiator, amount, months, category, text):
        req = DuesWaiver(organization=member.branch, beneficiary=member, mode=WaiverMode.PARTIAL,
                         monthly_amount=Decimal(amount), monthly_dues_at_application=member.monthly_dues,
                         start_month=date(year, 1, 1), end_month=date(year, months, 1),
                         hardship_category=category, hardship_description=text)
        req.amount = req.monthly_amount * months
        create_request(req, initiator)
        apply_action(req, initiator, Action.SUBMIT)
        return req

    # One waiting for the branch: a member of branch 1 whose account does not exist, filed by 支委.
    other = db.session.scalars(select(Member).where(Member.branch_id == acc1.id, Member.user == None)  # noqa: E711
                               .limit(1)).first()
    if other is not None:
        if other.monthly_dues < Decimal("20.00"):
            other.monthly_dues = Decimal("62.50")
        waiver(other, users["zhiwei"], "20.00", 6, HardshipCategory.ILLNESS,
               "本人今年3月确诊慢性肾病，需长期透析治疗，医疗费用自付部分较高，家庭收入明显下降，申请部分减交党费。")
    # One already past the branch, waiting for the secondary unit.
    req = waiver(named["zhiwei"], users["zhiwei"], "30.00", 3, HardshipCategory.LIVING,
                 "爱人今年失业，孩子上大学，家庭月收入较低，生活较为困难，申请部分减交党费三个月。")
    apply_action(req, users["zhibu"], Action.APPROVE, opinion="经支委会讨论，情况属实，同意减交。",
                 meeting=MeetingRecord("branch_committee", date.today() - timedelta(days=2), 5, 0, 0))
