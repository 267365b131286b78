"""党籍状态 and the request types: who may apply, and who may be chosen as a beneficiary.

A member in good standing (正常) may. A member who 出党 or whose 党籍 is 停止 may not: they are not
members in good standing. A member who has died (去世) may not either, except as the subject of the
慰问金 paid for that death (慰问类别「亡故」, §三(二)2 "党员亡故时……给予一定数额的慰问金").
The request types call these where members are offered and where a request is checked.
"""
from ..dates import cn_day as _ymd
from ..models import MemberStatus


def status_phrase(member) -> str:
    """已于2026年3月1日去世 / 已出党 …"""
    when = f"已于{_ymd(member.status_on)}" if member.status_on else "已"
    return {MemberStatus.DECEASED: f"{when}去世", MemberStatus.EXPELLED: f"{when}出党",
            MemberStatus.SUSPENDED: f"{when}停止党籍"}.get(member.status, "")


def beneficiary_refusal(member, for_death: bool = False) -> str | None:
    """Why `member` cannot be the subject of a new request, or None. `for_death`: a 慰问金 of
    category 亡故, the one request a deceased member can be the subject of."""
    if member is None or member.in_good_standing:
        return None
    if member.is_deceased:
        if for_death:
            return None
        return (f"党员「{member.name}」{status_phrase(member)}，不能作为申请对象"
                f"（亡故慰问请选择慰问类别「亡故」）")
    return f"党员「{member.name}」{status_phrase(member)}，不是正常党籍的党员，不能作为申请对象"


def applicant_refusal(member) -> str | None:
    """Why a member cannot apply for themself (党费减免), or None."""
    if member is None or member.in_good_standing:
        return None
    return f"您的党籍状态为「{member.status.label}」，不能提交申请。如有疑问，请联系党委组织部。"


def may_be_offered(member, for_death_too: bool = False) -> bool:
    """Whether to list the member among the choices of a new request. `for_death_too`: the form
    offers 亡故 (慰问金), so a deceased member stays in the list for it."""
    return member.in_good_standing or (for_death_too and member.is_deceased)
