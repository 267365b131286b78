"""七一 / 春节 集中慰问 (§三(三)1): "做好对生活困难、独居、老弱病残等困难党员登记工作，利用“七一”、
春节前夕，积极开展党内帮扶工作".

One action creates a DRAFT 慰问金 request for every member of a unit who is in the difficulty
registry (困难党员台账, dangjian/care: the entries confirmed by the secondary unit). Members who already have that visit this year, who have died, or
who are the user themself (回避) are skipped, with the reason shown. The drafts are the user's own:
nobody else sees them (not even approvers) until the user reviews and submits each one, or deletes it.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ... import audit
from ...extensions import db
from ...models import Member, Organization, OrgKind, RequestState, Role
from ...timeutil import local_today
from ...workflow import create_request
from .model import (LIVE_STATES, CondolenceCategory, CondolencePayment, FundingSource, PayeeKind, standard_for,
                    threshold_in_force)
from .views import bp, starting_orgs

DRAFTS_PER_PAGE = 20
OCCASIONS = {CondolenceCategory.JULY_FIRST: "“七一”", CondolenceCategory.SPRING_FESTIVAL: "春节"}
# 春节 (正月初一) by year: a lunar date, so a table.
LUNAR_NEW_YEAR = {
    2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23),
    2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19), 2035: date(2035, 2, 8),
}


def in_registry():
    """困难党员信息台账: the members with a confirmed entry (care.registry)."""
    from ...care.registry import confirmed_member_ids
    return Member.id.in_(confirmed_member_ids())


def occasion_date(category: CondolenceCategory, year: int) -> date:
    if category is CondolenceCategory.JULY_FIRST:
        return date(year, 7, 1)
    return LUNAR_NEW_YEAR.get(year, date(year, 2, 1))


def default_occasion(today: date) -> tuple[CondolenceCategory, int]:
    if 3 <= today.month <= 7:
        return CondolenceCategory.JULY_FIRST, today.year
    if today.month >= 8:
        return CondolenceCategory.SPRING_FESTIVAL, today.year + 1
    return CondolenceCategory.SPRING_FESTIVAL, today.year


def unit_choices(user) -> list[tuple[Organization, str]]:
    """The units the user may run a campaign for: their branches; a secondary unit, or one of its branches."""
    out, seen = [], set()
    for ra in sorted(user.roles, key=lambda r: r.organization.path):
        org = ra.organization
        if ra.role is Role.SECONDARY and org.kind is OrgKind.SECONDARY:
            if org.id not in seen:
                out.append((org, f"{org.name}（全部党支部）"))
                seen.add(org.id)
            for b in db.session.scalars(select(Organization).where(
                    Organization.kind == OrgKind.BRANCH, Organization.path.startswith(org.path))
                    .order_by(Organization.sort_order, Organization.id)):
                if b.id not in seen:
                    out.append((b, f"　{b.name}"))
                    seen.add(b.id)
        elif ra.role is Role.BRANCH_SECRETARY and org.kind is OrgKind.BRANCH and org.id not in seen:
            out.append((org, org.name))
            seen.add(org.id)
    return out


def preview(user, unit: Organization, category: CondolenceCategory, year: int) -> list[dict]:
    """Each registry member of the unit, and whether a draft will be made (or why not)."""
    levels = starting_orgs(user)
    members = db.session.scalars(
        select(Member).join(Organization, Organization.id == Member.branch_id)
        .where(Organization.path.startswith(unit.path), Member.branch_id.in_(list(levels)), in_registry())
        .options(selectinload(Member.branch)).order_by(Organization.path, Member.staff_no)).all()
    ids = [m.id for m in members]
    dead, visited = {}, {}
    if ids:  # two queries for the whole unit, not two per member
        for r in db.session.scalars(select(CondolencePayment).where(
                CondolencePayment.beneficiary_id.in_(ids), CondolencePayment.state.in_(LIVE_STATES),
                or_(CondolencePayment.category == CondolenceCategory.DEATH,
                    (CondolencePayment.category == category)
                    & (CondolencePayment.event_date >= date(year, 1, 1))
                    & (CondolencePayment.event_date <= date(year, 12, 31))))
                .order_by(CondolencePayment.id)):
            target = dead if r.category is CondolenceCategory.DEATH else visited
            target.setdefault(r.beneficiary_id, r)
    from ...care.registry import confirmed_categories
    categories = confirmed_categories(ids)
    rows = []
    for m in members:
        skip = None
        if m.id == user.member_id:
            skip = "本人（回避，由支部其他负责人发起）"
        elif not m.in_good_standing:
            skip = f"党籍状态为「{m.status.label}」"
        elif m.id in dead:
            skip = f"已亡故（{dead[m.id].number}）"
        elif m.id in visited:
            clash = visited[m.id]
            skip = f"{year}年已有{category.label}（{clash.number}，{clash.state.label}）"
        rows.append({"member": m, "flags": categories.get(m.id, ""), "skip": skip})
    return rows


@bp.route("/campaign", methods=["GET", "POST"])
@login_required
def campaign():
    user = current_user._get_current_object()
    units = unit_choices(user)
    if not units:
        abort(404)
    today = local_today()
    default_cat, default_year = default_occasion(today)
    args = request.form if request.method == "POST" else request.args
    try:
        category = CondolenceCategory(args.get("occasion", default_cat.value))
        if category not in OCCASIONS:
            raise ValueError
    except ValueError:
        category = default_cat
    years = [today.year, today.year + 1]
    year = args.get("year", default_year, type=int)
    year = year if year in years else default_year
    unit_id = args.get("unit", type=int) or units[0][0].id
    unit = next((u for u, _ in units if u.id == unit_id), units[0][0])
    try:
        funding = FundingSource(args.get("funding", FundingSource.UNIT.value))
    except ValueError:
        funding = FundingSource.UNIT
    standard = standard_for(category)
    errors = []
    if standard is None:
        errors.append(f"组织部尚未设置「{category.label}」的慰问标准，暂不能发起集中慰问")

    if request.method == "POST" and not errors:
        # Serialize campaigns (and single requests) on these branches: one visit per member and year.
        branch_ids = sorted(b.id for b in db.session.scalars(select(Organization).where(
            Organization.kind == OrgKind.BRANCH, Organization.path.startswith(unit.path))))
        if branch_ids:
            db.session.execute(select(Organization.id).where(Organization.id.in_(branch_ids))
                               .order_by(Organization.id).with_for_update())
        rows = preview(user, unit, category, year)
        made, levels = [], starting_orgs(user)
        when = occasion_date(category, year)
        planned = max(when - timedelta(days=3), today)
        threshold = threshold_in_force()
        for row in rows:
            if row["skip"]:
                continue
            m = row["member"]
            source = FundingSource.SCHOOL if m.branch.is_direct_branch else funding
            req = CondolencePayment(
                organization=m.branch, beneficiary=m, initiator_level=levels[m.branch_id],
                category=category, event_date=when,
                event_description=f"{year}年{OCCASIONS[category]}前夕走访慰问困难党员（{row['flags']}）",
                amount=standard.amount, standard_amount=standard.amount, funding_source=source,
                threshold_amount=threshold.amount if threshold else None,
                planned_visitors=user.display_name[:100], planned_date=planned,
                payee_kind=PayeeKind.MEMBER, payee_name=m.name)
            create_request(req, user)
            made.append(req.number)
        audit.record("condolence.campaign", unit, user=user, occasion=category.value, year=year,
                     created=made, skipped=sum(1 for r in rows if r["skip"]))
        db.session.commit()
        skipped = sum(1 for r in rows if r["skip"])
        if made:
            flash(f"已为 {len(made)} 名困难党员创建{category.label}草稿，请逐一核对后提交" +
                  (f"；跳过 {skipped} 人" if skipped else ""), "success")
        else:
            flash("没有需要创建的草稿" + (f"（跳过 {skipped} 人）" if skipped else ""), "warning")
        return redirect(url_for("condolence.campaign", occasion=category.value, year=year, unit=unit.id,
                                funding=funding.value))

    rows = preview(user, unit, category, year) if not errors else []
    page = max(request.args.get("page", 1, type=int), 1)
    drafts_q = select(CondolencePayment).where(CondolencePayment.initiator_id == user.id,
                                               CondolencePayment.state == RequestState.DRAFT)
    total = db.session.scalar(select(func.count()).select_from(drafts_q.subquery())) or 0
    drafts = db.session.scalars(drafts_q.options(selectinload(CondolencePayment.beneficiary),
                                                 selectinload(CondolencePayment.organization))
                                .order_by(CondolencePayment.id.desc())
                                .offset((page - 1) * DRAFTS_PER_PAGE).limit(DRAFTS_PER_PAGE)).all()
    return render_template(
        "condolence/campaign.html", units=units, unit=unit, category=category, year=year, years=years,
        funding=funding, fundings=list(FundingSource), occasions=OCCASIONS, standard=standard, errors=errors,
        rows=rows, to_create=sum(1 for r in rows if not r["skip"]), drafts=drafts, total=total, page=page,
        pages=max(1, -(-total // DRAFTS_PER_PAGE)), when=occasion_date(category, year))
