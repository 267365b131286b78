"""Demo data for 表彰推荐, so that every path can be tried at once (`flask demo load`):

* an OPEN cycle for this year (先进基层党组织, 优秀共产党员, 优秀党务工作者), quotas for every secondary
  unit and the 直属党支部, the deadline a month ahead, 5 working days of 公示. Nominations:
  three 优秀共产党员 waiting for `erji` (会计学院党委, 名额 2: ranking and the quota refusal), the branch
  itself (先进基层党组织) and the 直属党支部's nominee waiting for `zuzhibu`, one waiting for `dangwei`;
* a 专项 cycle already in its 公示 (the board, objections, and the award when the period ends).

Everything goes through the engine (create_request, apply_action) and publish_cycle.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Member, Role, RoleAssignment, User
from ...timeutil import local_today
from ...workflow import Action, MeetingRecord, apply_action, create_request
from .model import AwardCategory, AwardCycle, AwardNomination, AwardQuota, CycleStatus, quota_orgs
from .publicity import publish_cycle

DEEDS = {
    "zhiwei": "担任支部组织委员以来，认真落实“三会一课”制度，建立党员积分管理台账；牵头开展“党建+专业”活动12场，"
              "带领支部党员结对帮扶困难学生8名；本人主持省级教改项目1项，所带班级获评校级优秀班集体。",
    "dangyuan": "从事会计学教学工作十六年，始终坚持立德树人，主讲课程获评省级一流本科课程；疫情期间主动承担线上教学"
                "技术支持，帮助30余名教师完成线上课程建设；积极参加志愿服务，累计时长200余小时。",
    "acc2": "扎根教学一线，坚持为学生答疑解惑，连续三年学评教位列学院前10%；担任青年教师导师，指导2名青年教师获"
            "校级教学竞赛奖项；参与学院党建工作品牌创建，撰写的党建调研报告获校级一等奖。",
    "branch": "支部严格落实组织生活制度，“三会一课”记录完整规范；创建“党建引领·专业赋能”品牌，组织党员教师开展"
              "课程思政集体备课20余次；支部党员中有3人获评校级以上教学名师，支部连续两年考核为“好”等次。",
    "direct": "负责图书馆读者服务工作，牵头建设“红色文献阅览室”，组织开展党史学习教育主题书展6期，服务师生逾万人次；"
              "积极推进图书馆数字化服务，主动承担夜间和假期值班，群众口碑好。",
    "worker": "担任支部书记六年，坚持把党建工作与学科建设紧密结合，支部获评校级标准化规范化建设示范支部；创新"
              "“线上+线下”组织生活方式，党员参与率保持在98%以上；注重发展党员质量，培养入党积极分子15名。",
    "special1": "牵头研发“智慧党建”小程序，实现党费缴纳、组织关系转接、学习积分在线办理，覆盖全校60余个党支部；"
                "相关做法被省委教育工委简报刊发推广。",
    "special2": "组织开展“党员先锋岗”创建活动，带领离退休党员成立银发志愿服务队，开展社区宣讲和义务咨询40余场；"
                "探索离退休党员“银龄课堂”模式，受到广泛好评。",
}


def _holder(role: Role, org) -> User:
    return db.session.scalars(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(RoleAssignment.in_effect(),
        RoleAssignment.role == role, RoleAssignment.organization_id == org.id).order_by(User.id)).first()


def _members_of(branch, exclude=()) -> list[Member]:
    return list(db.session.scalars(select(Member).where(Member.branch_id == branch.id,
                                                        Member.id.notin_(list(exclude) or [-1]))
                                   .order_by(Member.id)))


def _member_of(branch, exclude=()) -> Member:
    return _members_of(branch, exclude)[0]


def _cycle(ctx, name, categories, quotas, deadline, special_name="") -> AwardCycle:
    cycle = AwardCycle(year=local_today().year, name=name, special_name=special_name, deadline=deadline,
                       publicity_days=5, status=CycleStatus.OPEN,
                       created_by_id=ctx.users["zuzhibu"].id)
    cycle.set_categories(categories)
    db.session.add(cycle)
    db.session.flush()
    for org in quota_orgs(ctx.school):
        for cat in categories:
            db.session.add(AwardQuota(cycle_id=cycle.id, organization_id=org.id, category=cat,
                                      quota=quotas(org, cat), used=0))
    db.session.commit()
    return cycle


def _nominate(cycle, initiator, branch, category, deeds, member=None, org=None) -> AwardNomination:
    req = AwardNomination(cycle=cycle, category=category, organization=branch, beneficiary=member, nominee_org=org,
                          nominee_key=AwardNomination.key_for(member, org), deeds=deeds,
                          quota_org=branch.secondary_unit or branch)
    create_request(req, initiator)
    apply_action(req, initiator, Action.SUBMIT)
    return req


def _meeting():
    return MeetingRecord("party_committee", local_today() - timedelta(days=1), 23, 0, 0)


def load_demo(ctx) -> None:
    users = ctx.users
    eco = ctx.secondaries["经济学院党委"]
    jg = ctx.secondaries["机关党委"]
    acc1 = ctx.branches["会计学院教工第一党支部"]
    acc2 = ctx.branches["会计学院教工第二党支部"]
    eco1 = ctx.branches["经济学院教工党支部"]
    jg_office = ctx.branches["党政办公室党支部"]
    today = local_today()

    # 1. The open cycle: 两优一先.
    cats = [AwardCategory.ADVANCED_ORG, AwardCategory.EXCELLENT_MEMBER, AwardCategory.EXCELLENT_WORKER]
    main = _cycle(ctx, f"{today.year}年度“两优一先”表彰", cats,
                  lambda org, cat: (1 if org.is_branch else 2 if cat is AwardCategory.EXCELLENT_MEMBER else 1),
                  today + timedelta(days=30))
    zhibu, erji, zuzhibu, dangwei = users["zhibu"], users["erji"], users["zuzhibu"], users["dangwei"]
    # Waiting for erji: three 优秀共产党员 from two branches, for a quota of 2.
    _nominate(main, zhibu, acc1, AwardCategory.EXCELLENT_MEMBER, DEEDS["zhiwei"], member=ctx.named["zhiwei"])
    _nominate(main, zhibu, acc1, AwardCategory.EXCELLENT_MEMBER, DEEDS["dangyuan"], member=ctx.named["dangyuan"])
    sec2 = _holder(Role.BRANCH_SECRETARY, acc2)
    if sec2 is not None:
        nominee = _member_of(acc2, exclude=[sec2.member_id, ctx.named["erji"].id])
        _nominate(main, sec2, acc2, AwardCategory.EXCELLENT_MEMBER, DEEDS["acc2"], member=nominee)
    # Waiting for zuzhibu: the branch itself, forwarded by erji; and the 直属党支部's nominee.
    req = _nominate(main, zhibu, acc1, AwardCategory.ADVANCED_ORG, DEEDS["branch"], org=acc1)
    apply_action(req, erji, Action.APPROVE, opinion="经会计学院党委会议研究，同意推荐，排序第1。")
    _nominate(main, users["zhishu"], ctx.direct, AwardCategory.EXCELLENT_MEMBER, DEEDS["direct"],
              member=ctx.named["zhishu_dy"])
    # Waiting for dangwei: 经济学院's 优秀党务工作者.
    sec_eco, ej_eco = _holder(Role.BRANCH_SECRETARY, eco1), _holder(Role.SECONDARY, eco)
    if sec_eco is not None and ej_eco is not None:
        req = _nominate(main, sec_eco, eco1, AwardCategory.EXCELLENT_WORKER, DEEDS["worker"],
                        member=_member_of(eco1, exclude=[sec_eco.member_id]))
        apply_action(req, ej_eco, Action.APPROVE, opinion="同意推荐。")
        apply_action(req, zuzhibu, Action.APPROVE, opinion="经审核，符合推荐条件，同意报校党委研究。")

    # 2. A 专项 cycle in its 公示: on the board, open to objections, awarded when the period ends.
    special = _cycle(ctx, f"{today.year}年度党建工作创新专项表彰", [AwardCategory.SPECIAL],
                     lambda org, cat: 0 if org.is_branch else 1, today + timedelta(days=7), special_name="党建工作创新")
    picks = []
    sec_jg, ej_jg = _holder(Role.BRANCH_SECRETARY, jg_office), _holder(Role.SECONDARY, jg)
    if sec_jg is not None and ej_jg is not None:
        picks.append((jg_office, sec_jg, ej_jg, DEEDS["special1"]))
    if sec_eco is not None and ej_eco is not None:
        picks.append((eco1, sec_eco, ej_eco, DEEDS["special2"]))
    for branch, secretary, unit_holder, deeds in picks:
        others = _members_of(branch, exclude=[secretary.member_id])
        req = _nominate(special, secretary, branch, AwardCategory.SPECIAL, deeds, member=others[-1])
        apply_action(req, unit_holder, Action.APPROVE, opinion="同意推荐。")
        apply_action(req, zuzhibu, Action.APPROVE, opinion="经审核，同意。")
        apply_action(req, dangwei, Action.APPROVE, opinion="经校党委会议研究，同意表彰。", meeting=_meeting())
    if picks:
        publish_cycle(special.id, zuzhibu)
