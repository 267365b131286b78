"""Demo pairings and volunteer service: the member in difficulty in the first accounting branch is
helped by its committee member, with two contacts; a few hours of volunteer service."""
from __future__ import annotations

from datetime import timedelta

from ..extensions import db
from ..timeutil import local_today
from .models import ContactWay, Pairing, PairingContact, VolunteerRecord


def load_demo(ctx) -> None:
    named, users = ctx.named, ctx.users
    today = local_today()
    member, helper = named["dangyuan"], named["zhiwei"]
    pairing = Pairing(helper_id=helper.id, member_id=member.id, organization_id=member.branch_id,
                      started_on=today - timedelta(days=120), created_by_id=users["zhibu"].id,
                      measures="每月至少上门或电话联系一次，了解爱人治疗和家庭收支情况；协助申请党费减免和困难补助；"
                               "帮助孩子联系勤工助学岗位。")
    pairing.contacts = [
        PairingContact(contacted_on=today - timedelta(days=90), way=ContactWay.VISIT, recorded_by_id=users["zhiwei"].id,
                       notes="上门看望，爱人已出院在家康复，家庭医疗支出仍较大，已告知党费减免的申请办法。"),
        PairingContact(contacted_on=today - timedelta(days=30), way=ContactWay.PHONE, recorded_by_id=users["zhiwei"].id,
                       notes="电话了解近况，孩子已在图书馆勤工助学，家庭情况有所好转。"),
    ]
    db.session.add(pairing)
    for m, activity, days, tenths, organizer in [
            (named["zhibu"], "社区老党员义务理发", 40, 30, "会计学院党委"),
            (named["zhiwei"], "校园开放日志愿讲解", 25, 45, "校团委"),
            (named["dangyuan"], "图书馆古籍整理", 12, 20, "图书馆直属党支部")]:
        db.session.add(VolunteerRecord(member_id=m.id, organization_id=m.branch_id, activity=activity,
                                       served_on=today - timedelta(days=days), hours_tenths=tenths,
                                       organizer=organizer, recorded_by_id=users["zuzhibu"].id))
    db.session.flush()
