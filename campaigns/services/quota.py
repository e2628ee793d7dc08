"""Public-service-ad quotas per region: a city sets its own, the national default is a superuser's.

A quota row moves every venue of its region (their compliance, the rating fact, the eligibility
check of the campaign), so the rule of who may write which row lives here and nowhere else: a
city's bureau or civility office writes its own city's row; the national row (region NULL) and
any row above a city only a superuser or the system (``actor=None``) (issue #11).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.scoping import is_unrestricted

from ..audit_actions import AuditAction
from ..models import AdQuota
from ._access import require_campaign_manager

MIN_YEAR, MAX_YEAR = 2000, 2100


def _require_writer(actor: User | None, region_code: str | None) -> None:
    if region_code is None:
        if actor is not None and not is_unrestricted(actor):
            raise NotPermitted(_("全国默认的公益广告刊播任务仅系统管理员可以设置。"))
        return
    require_campaign_manager(actor, region_code)


MAX_THEMES, MAX_THEME_LENGTH = 20, 60


def _check_themes(themes) -> None:
    """A list of short texts (the form takes JSON, so anything else could arrive)."""
    if themes in (None, ""):
        return
    if (
        not isinstance(themes, list)
        or len(themes) > MAX_THEMES
        or not all(isinstance(t, str) and 0 < len(t) <= MAX_THEME_LENGTH and "\x00" not in t for t in themes)
    ):
        raise ValidationFailed(
            _('刊播主题须是不超过%(n)d个、每个不超过%(m)d字的文字列表，例如 ["核心价值观"]。')
            % {"n": MAX_THEMES, "m": MAX_THEME_LENGTH},
            details={"themes": _("主题格式不正确。")},
        )


def ad_quota_check(
    *, actor: User | None, region, year: int | None, campaign=None, themes=None, quota: AdQuota | None = None
) -> None:
    """Every refusal ``ad_quota_save`` would raise for these values (the admin form shows them).

    ``region`` is a city Region or None (national); ``quota`` the stored row being edited, whose
    own region the actor must also cover (nobody takes over another city's row).
    """
    from merchants.models import RegionLevel

    if quota is not None and quota.pk:
        _require_writer(actor, quota.region_id)
    region_code = getattr(region, "pk", None)
    _require_writer(actor, region_code)
    if region is not None and region.level != RegionLevel.CITY:
        raise ValidationFailed(
            _("公益广告刊播任务按地级市设置，请选择市（不能选择区县或省）。"),
            details={"region": _("请选择地级市。")},
        )
    if year is None or not (MIN_YEAR <= int(year) <= MAX_YEAR):
        raise ValidationFailed(
            _("年度须在%(a)d至%(b)d之间。") % {"a": MIN_YEAR, "b": MAX_YEAR},
            details={"year": _("年度无效。")},
        )
    clash = AdQuota.objects.filter(year=year, region_id=region_code)
    if quota is not None and quota.pk:
        clash = clash.exclude(pk=quota.pk)
    if clash.exists():
        raise ValidationFailed(
            _("该辖区本年度已有公益广告刊播任务。")
            if region_code
            else _("本年度已有全国默认的公益广告刊播任务。")
        )
    _check_themes(themes)
    if campaign is not None:
        if region_code is None:
            raise ValidationFailed(
                _("全国默认任务不关联某个市的创建活动。"), details={"campaign": _("请留空。")}
            )
        if campaign.region_id != region_code or campaign.year != int(year):
            raise ValidationFailed(
                _("只能关联本市同一年度的创建活动。"), details={"campaign": _("活动不属于本市或年度不符。")}
            )


def ad_quota_save(*, quota: AdQuota, actor: User | None, changed_fields: list[str] | None = None) -> AdQuota:
    """Create or edit a quota row after the checks above; audited with the fields that changed."""
    is_new = quota.pk is None
    with transaction.atomic():
        stored = None if is_new else AdQuota.objects.select_for_update().filter(pk=quota.pk).first()
        if not is_new and stored is None:
            raise ValidationFailed(_("该公益广告刊播任务已被删除。"))
        ad_quota_check(
            actor=actor,
            region=quota.region,
            year=quota.year,
            campaign=quota.campaign,
            themes=quota.themes,
            quota=stored,
        )
        try:
            with transaction.atomic():
                quota.save()
        except IntegrityError:  # a concurrent save of the same region and year won
            raise ValidationFailed(_("该辖区本年度已有公益广告刊播任务。")) from None
        audit_log(
            actor=actor,
            action=AuditAction.AD_QUOTA_CREATE if is_new else AuditAction.AD_QUOTA_CHANGE,
            target=quota,
            data={
                "region": quota.region_id,
                "year": quota.year,
                "min_share_percent": quota.min_share_percent,
                "deadline": quota.deadline.isoformat(),
                "fields": sorted(changed_fields or []),
            },
        )
    return quota


def ad_quota_delete(*, quota: AdQuota, actor: User | None) -> None:
    """Delete a quota no venue has reported against (reports keep the row they were filed on)."""
    with transaction.atomic():
        stored = AdQuota.objects.select_for_update().filter(pk=quota.pk).first()
        if stored is None:
            return
        _require_writer(actor, stored.region_id)
        if stored.reports.exists():
            raise ValidationFailed(_("已有场所按此任务报告刊播情况，不能删除。"))
        audit_log(
            actor=actor,
            action=AuditAction.AD_QUOTA_DELETE,
            target=stored,
            data={"region": stored.region_id, "year": stored.year},
        )
        stored.delete()
