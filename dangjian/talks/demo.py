"""Demo talks: 联系点 for the demo leaders, and talks held this semester and last, so the compliance
view shows some done, some due and one overdue."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Member, MemberStatus
from ..timeutil import local_today
from .models import Talk, TalkKind, TalkLink, TalkParticipant
from .periods import previous_semester, semester_of


def _talk(holder, org, day, kind, members, place, content, reason=""):
    talk = Talk(organization_id=org.id, held_by_id=holder.id, held_on=day, kind=kind, place=place,
                reason=reason, content=content)
    talk.participants = [TalkParticipant(member_id=m.id, branch_id=m.branch_id) for m in members]
    db.session.add(talk)


def load_demo(ctx) -> None:
    users, named, branches = ctx.users, ctx.named, ctx.branches
    acc1 = named["dangyuan"].branch
    acc2 = branches.get("会计学院教工第二党支部")
    today = local_today()
    db.session.add(TalkLink(leader_id=users["dangwei"].id, branch_id=acc1.id, starts_on=today.replace(month=1, day=1),
                            note="校领导联系点", created_by_id=users["zuzhibu"].id))
    if acc2 is not None:
        db.session.add(TalkLink(leader_id=users["erji"].id, branch_id=acc2.id, starts_on=today.replace(month=1, day=1),
                                note="学院党委联系支部", created_by_id=users["zuzhibu"].id))
    secretaries = {named["zhibu"].id, named["zhiwei"].id}
    members = [m for m in db.session.scalars(select(Member).where(Member.branch_id == acc1.id,
                                                                  Member.status == MemberStatus.NORMAL)
                                             .order_by(Member.staff_no)) if m.id not in secretaries]
    zhibu = users["zhibu"]
    now_sem = semester_of(today)
    last = previous_semester(now_sem)

    def on(period, days):
        return min(period.start + timedelta(days=days), today)

    # Last semester: everyone but the last member (overdue now).
    for i, m in enumerate(members[:-1]):
        _talk(zhibu, acc1, on(last, 20 + 7 * i), TalkKind.ROUTINE, [m], "支部活动室",
              "交流本学期教学科研工作情况和思想状况，了解工作生活中的困难，听取对支部工作的意见建议。")
    # This semester: a group talk with two members, and a 四必谈 with the member in difficulty.
    if len(members) >= 3:
        _talk(zhibu, acc1, on(now_sem, 10), TalkKind.ROUTINE, members[1:3], "学院302会议室",
              "集体谈心：围绕学院本学期重点工作交流思想，鼓励发挥党员先锋模范作用。")
    _talk(zhibu, acc1, on(now_sem, 12), TalkKind.HARDSHIP, [named["dangyuan"]], "党员家中",
          "了解家庭经济困难的具体情况，告知党费减免和困难帮扶政策，帮助其树立信心。", reason="家庭经济困难，爱人患病")
    # The school leader with the branch's secretary.
    _talk(users["dangwei"], ctx.school, on(now_sem, 15), TalkKind.ROUTINE, [named["zhibu"]], "校党委办公室",
          "听取支部工作汇报，就支部书记“双带头人”培育和支部组织生活质量提出要求。")
    db.session.flush()
