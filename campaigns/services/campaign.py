"""Campaign set-up and its moves draft → open → reviewing → publicity (→ published → archived).

Every move checks the dates and prerequisites first and refuses with the list
of what is missing, so staff see exactly what to do before trying again.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import TransitionNotAllowed, ValidationFailed

from ..audit_actions import AuditAction
from ..models import (
    MIN_PUBLICITY_DAYS,
    Application,
    ApplicationStatus,
    Campaign,
    CampaignCategory,
    CampaignStatus,
    Category,
)
from ..workflow import APPLICATION_WORKFLOW, CAMPAIGN_WORKFLOW
from ._access import require_campaign_manager

EDITABLE_AFTER_DRAFT = {"scheme_text", "notice_number", "notice_title", "notice_text"}


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _validate(campaign: Campaign) -> None:
    try:
        campaign.full_clean(exclude=["created_by"], validate_unique=True, validate_constraints=True)
    except ValidationError as exc:
        details = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        first = next(iter(details.values()))[0]
        raise ValidationFailed(first, details=details) from None


def campaign_create(
    *,
    year: int,
    region,
    title: str,
    application_start: date,
    application_end: date,
    review_deadline: date,
    publicity_start: date,
    publicity_end: date,
    categories: dict[str, int | None],
    actor: User | None,
    scheme_text: str = "",
    **options,
) -> Campaign:
    """Create a draft campaign with its categories (``{"merchant": 20, "market": None}``; None = no quota)."""
    require_campaign_manager(actor, region.pk)
    unknown = set(categories) - set(Category.values)
    if unknown or not categories:
        raise ValidationFailed(_("请至少选择一个有效的评选类别（市场、企业、商户）。"))
    campaign = Campaign(
        year=year,
        region=region,
        title=title,
        scheme_text=scheme_text,
        application_start=application_start,
        application_end=application_end,
        review_deadline=review_deadline,
        publicity_start=publicity_start,
        publicity_end=publicity_end,
        created_by=acting_user(actor),
        **options,
    )
    _validate(campaign)
    try:
        with transaction.atomic():
            campaign.save()
            CampaignCategory.objects.bulk_create(
                [CampaignCategory(campaign=campaign, category=c, quota=q) for c, q in categories.items()]
            )
            audit_log(actor=actor, action=AuditAction.CAMPAIGN_CREATE, target=campaign, to_status=campaign.status)
    except IntegrityError:
        raise ValidationFailed(
            _("%(year)d年度该范围已有创建活动，每年每个范围只能有一个。") % {"year": year}
        ) from None
    return campaign


def campaign_save(*, campaign: Campaign, changed_fields: list[str], actor: User | None) -> Campaign:
    """Save edits from the admin form: anything while a draft, only texts afterwards."""
    require_campaign_manager(actor, campaign.region_id)
    if campaign.pk and campaign.status != CampaignStatus.DRAFT:
        locked = set(changed_fields) - EDITABLE_AFTER_DRAFT
        if locked:
            raise ValidationFailed(_("活动开始申报后，只能修改方案和公告文字；日期、门槛和权重已锁定。"))
    _validate(campaign)
    is_new = campaign.pk is None
    with transaction.atomic():
        campaign.save()
        audit_log(
            actor=actor,
            action=AuditAction.CAMPAIGN_CREATE if is_new else AuditAction.CAMPAIGN_EDIT,
            target=campaign,
            data={"fields": sorted(changed_fields)},
        )
    return campaign


def campaign_missing_for(campaign: Campaign, target: str, *, today: date | None = None) -> list[str]:
    """What stops ``campaign`` from moving to ``target`` today (empty list = the move may proceed)."""
    today = _today(today)
    missing: list[str] = []
    if target == CampaignStatus.OPEN:
        if not campaign.categories.exists():
            missing.append(_("尚未设置评选类别。"))
        if today > campaign.application_end:
            missing.append(
                _("申报截止日期（%(d)s）已过，请先修改申报时间。")
                % {"d": campaign.application_end.isoformat()}
            )
    elif target == CampaignStatus.REVIEWING:
        if today <= campaign.application_end:
            missing.append(_("申报期尚未结束（截止 %(d)s）。") % {"d": campaign.application_end.isoformat()})
    elif target == CampaignStatus.PUBLICITY:
        apps = campaign.applications.all()
        pending = apps.filter(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.DISTRICT_PASSED])
        n_pending = pending.count()
        if n_pending:
            n_sub = pending.filter(status=ApplicationStatus.SUBMITTED).count()
            missing.append(
                _("还有 %(n)d 份申报未完成审核（待初审 %(a)d 份，待复审 %(b)d 份）。")
                % {"n": n_pending, "a": n_sub, "b": n_pending - n_sub}
            )
        if not apps.filter(status=ApplicationStatus.CITY_PASSED).exists():
            missing.append(_("没有复审通过的申报，无候选可公示。"))
        if today < campaign.publicity_start:
            missing.append(_("公示开始日期（%(d)s）未到。") % {"d": campaign.publicity_start.isoformat()})
        elif (campaign.publicity_end - today).days + 1 < MIN_PUBLICITY_DAYS:
            missing.append(
                _("距公示截止（%(d)s）已不足%(n)d天，请先调整公示期。")
                % {"d": campaign.publicity_end.isoformat(), "n": MIN_PUBLICITY_DAYS}
            )
    elif target == CampaignStatus.PUBLISHED:
        if today <= campaign.publicity_end:
            missing.append(_("公示期尚未结束（截止 %(d)s）。") % {"d": campaign.publicity_end.isoformat()})
        from ..models import ObjectionStatus

        n_open = campaign.applications.filter(objections__status=ObjectionStatus.OPEN).count()
        if n_open:
            missing.append(_("还有 %(n)d 件异议未处理。") % {"n": n_open})
    return missing


def check_campaign_move(campaign: Campaign, target: str) -> None:
    """Refuse an out-of-order move in words staff understand: where the campaign is and what comes next."""
    if CAMPAIGN_WORKFLOW.can(campaign.status, target):
        return
    targets = sorted(CAMPAIGN_WORKFLOW.allowed_targets(campaign.status))
    nexts = "、".join(f"“{CAMPAIGN_WORKFLOW.label(t)}”" for t in targets)
    raise TransitionNotAllowed(
        _("活动当前为“%(cur)s”，不能转入“%(to)s”。%(next)s")
        % {
            "cur": CAMPAIGN_WORKFLOW.label(campaign.status),
            "to": CAMPAIGN_WORKFLOW.label(target),
            "next": (_("下一步只能是%(n)s。") % {"n": nexts}) if nexts else _("活动已归档，不能再变更。"),
        },
        details={"from": campaign.status, "to": target},
    )


def _move(
    campaign: Campaign, target: str, *, actor: User | None, today: date | None, note: str = "", fields=None
) -> Campaign:
    require_campaign_manager(actor, campaign.region_id)
    check_campaign_move(campaign, target)
    missing = campaign_missing_for(campaign, target, today=today)
    if missing:
        raise TransitionNotAllowed(
            _("不能转入“%(to)s”：%(missing)s")
            % {"to": CAMPAIGN_WORKFLOW.label(target), "missing": " ".join(missing)},
            details={"missing": missing},
        )
    return CAMPAIGN_WORKFLOW.transition(campaign, target, actor=actor, note=note, fields=fields)


def campaign_open(*, campaign: Campaign, actor: User | None, today: date | None = None, note: str = "") -> Campaign:
    return _move(campaign, CampaignStatus.OPEN, actor=actor, today=today, note=note)


def campaign_start_review(*, campaign: Campaign, actor: User | None, today: date | None = None, note: str = "") -> Campaign:
    return _move(campaign, CampaignStatus.REVIEWING, actor=actor, today=today, note=note)


def _default_notice_text(campaign: Campaign, candidates: int) -> str:
    return (
        f"根据《{campaign.year}年全市文明诚信经营创建活动方案》，经自愿申报、区县初审、市级复审"
        f"（实地考察、问卷调查），现将拟表彰的{candidates}家{campaign.year}年度文明诚信市场、企业、商户名单予以公示。"
        f"公示期为{campaign.publicity_start:%Y年%m月%d日}至{campaign.publicity_end:%Y年%m月%d日}。"
        "公示期间，任何单位和个人对公示对象有异议的，可通过本页面实名提出，并提供具体事实；"
        "异议人姓名和联系方式仅供核实，不予公开。"
    )


def campaign_start_publicity(
    *, campaign: Campaign, actor: User | None, today: date | None = None, note: str = ""
) -> Campaign:
    """Rank the city-passed applications per category; those within the quota become candidates."""
    with transaction.atomic():
        campaign = _move(
            campaign,
            CampaignStatus.PUBLICITY,
            actor=actor,
            today=today,
            note=note,
            fields={"publicity_started_at": timezone.now()},
        )
        quotas = dict(campaign.categories.values_list("category", "quota"))
        n_candidates = 0
        for category, quota in quotas.items():
            ranked = list(
                Application.objects.select_for_update()
                .filter(campaign=campaign, category=category, status=ApplicationStatus.CITY_PASSED)
                .order_by("-total_score", "-inspection_score", "submitted_at", "id")
            )
            for position, app in enumerate(ranked, start=1):
                app.rank = position
                app.save(update_fields=["rank"])
                if quota is None or position <= quota:
                    APPLICATION_WORKFLOW.transition(
                        app,
                        ApplicationStatus.CANDIDATE,
                        actor=actor,
                        note=_("进入公示（第%(n)d名）") % {"n": position},
                    )
                    n_candidates += 1
                else:
                    reason = _("超出名额：排名第%(n)d，名额%(q)d。") % {"n": position, "q": quota}
                    APPLICATION_WORKFLOW.transition(
                        app,
                        ApplicationStatus.REJECTED,
                        actor=actor,
                        note=reason,
                        fields={"rejection_reason": reason},
                    )
        updates = []
        if not campaign.notice_title:
            campaign.notice_title = campaign.default_notice_title()
            updates.append("notice_title")
        if not campaign.notice_number:
            campaign.notice_number = f"{campaign.region.name}文明诚信公示〔{campaign.year}〕{campaign.pk}号"
            updates.append("notice_number")
        if not campaign.notice_text:
            campaign.notice_text = _default_notice_text(campaign, n_candidates)
            updates.append("notice_text")
        if updates:
            campaign.save(update_fields=updates)
    return campaign


def campaign_archive(*, campaign: Campaign, actor: User | None, note: str = "") -> Campaign:
    return _move(campaign, CampaignStatus.ARCHIVED, actor=actor, today=None, note=note)


def default_dates(year: int, *, start: date) -> dict[str, date]:
    """A sensible calendar from ``start``: 30 days to apply, 30 to review, 7 days' publicity."""
    app_end = start + timedelta(days=29)
    review = app_end + timedelta(days=30)
    return {
        "application_start": start,
        "application_end": app_end,
        "review_deadline": review,
        "publicity_start": review + timedelta(days=1),
        "publicity_end": review + timedelta(days=MIN_PUBLICITY_DAYS),
    }
