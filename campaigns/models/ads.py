"""The yearly public-service-ad (公益广告) quota, venues' reports with their placements, and reminders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk
from integrity_portal.core.uploads import ORIGINAL_NAME_MAX, RandomUploadPath

from .campaign import Campaign

__all__ = [
    "AdLocation",
    "AdMedium",
    "AdPlacement",
    "AdQuota",
    "AdReport",
    "AdReportStatus",
    "DEFAULT_PSA_THEMES",
    "MAX_ADS_PER_PLACEMENT",
    "MAX_PLACEMENTS",
    "ReminderLog",
    "default_deadline_for",
]

DEFAULT_PSA_THEMES = ["核心价值观", "讲文明树新风", "图说我们的价值观"]
# Bounds of one report (far above any real venue): 2**31 ads in one placement overflowed PostgreSQL's
# integer column (a 500); the bounded sum of at most MAX_PLACEMENTS placements cannot.
MAX_ADS_PER_PLACEMENT = 100_000
MAX_PLACEMENTS = 20


def default_deadline_for(year: int) -> date:
    return date(year, 5, 31)


class AdQuota(models.Model):
    """The yearly public-service-ad (公益广告) quota large venues must meet by the deadline.

    One row per region and year: a city sets its own quota for itself and its districts; the
    row without a region is the national default (30 %, 31 May) that applies wherever no city
    has one, and only superusers edit it. ``campaigns.selectors.ad_quota_for`` picks the row in
    force for a venue.
    """

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(
        "merchants.Region",
        verbose_name=_("辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ad_quotas",
        help_text=_("本市的刊播任务；留空为全国默认（仅系统管理员可设）。"),
    )
    campaign = models.OneToOneField(
        Campaign,
        verbose_name=_("所属活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ad_quota",
    )
    min_share_percent = models.PositiveSmallIntegerField(
        _("公益广告最低占比（%）"), default=30, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    deadline = models.DateField(_("完成期限"), help_text=_("默认为当年5月31日。"))
    themes = models.JSONField(_("刊播主题"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建于"), auto_now_add=True)

    class Meta:
        verbose_name = _("公益广告刊播任务")
        verbose_name_plural = _("公益广告刊播任务")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_share_percent__gte=1, min_share_percent__lte=100), name="adquota_share_1_100"
            ),
            models.UniqueConstraint(
                fields=["region", "year"],
                name="adquota_one_per_region_year",
                violation_error_message=_("该辖区本年度已有公益广告刊播任务。"),
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(region__isnull=True),
                name="adquota_one_national_per_year",
                violation_error_message=_("本年度已有全国默认的公益广告刊播任务。"),
            ),
        ]

    def __str__(self) -> str:
        if self.region_id is None:
            return f"{self.year}年度公益广告刊播（全国默认）"
        return f"{self.year}年度公益广告刊播（{self.region}）"

    def save(self, *args, **kwargs):
        if self.deadline is None and self.year:
            self.deadline = default_deadline_for(self.year)
        if not self.themes:
            self.themes = list(DEFAULT_PSA_THEMES)
        super().save(*args, **kwargs)


class AdReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待核查")
    VERIFIED = "verified", _("核查属实")
    REJECTED = "rejected", _("核查不符")


class AdReport(models.Model):
    """A large venue's report of the ads it shows; figures are summed from its placements."""

    quota = models.ForeignKey(
        AdQuota, verbose_name=_("刊播任务"), on_delete=models.PROTECT, related_name="reports"
    )
    merchant = models.ForeignKey(
        "merchants.Merchant", verbose_name=_("场所"), on_delete=models.PROTECT, related_name="ad_reports"
    )
    period = models.CharField(_("报告期"), max_length=40)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=AdReportStatus.choices,
        default=AdReportStatus.SUBMITTED,
        db_index=True,
    )
    total_ads = models.PositiveIntegerField(_("广告总数"), default=0)
    psa_ads = models.PositiveIntegerField(_("公益广告数"), default=0)
    psa_at_entrance = models.PositiveIntegerField(_("入口处公益广告数"), default=0)
    is_compliant = models.BooleanField(
        _("达标"), null=True, blank=True, help_text=_("核查后按核查数据计算。")
    )
    submitted_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    submitted_by = actor_fk(_("报告人"))
    verification_note = models.TextField(_("核查说明"), blank=True)
    verified_by = actor_fk(_("核查人"))
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)

    region_scope_field = "merchant__region"

    class Meta:
        verbose_name = _("公益广告刊播报告")
        verbose_name_plural = _("公益广告刊播报告")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(psa_ads__lte=F("total_ads")), name="adreport_psa_le_total"),
            models.CheckConstraint(
                condition=Q(psa_at_entrance__lte=F("psa_ads")), name="adreport_entrance_le_psa"
            ),
        ]
        indexes = [models.Index(fields=["quota", "merchant", "status"], name="adreport_quota_merchant_idx")]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.period}"

    @property
    def psa_share_percent(self) -> Decimal | None:
        if not self.total_ads:
            return None
        return (Decimal(self.psa_ads) * 100 / Decimal(self.total_ads)).quantize(Decimal("0.1"))


class AdMedium(models.TextChoices):
    LED = "led", _("电子显示屏")
    BILLBOARD = "billboard", _("固定广告牌")
    POSTER = "poster", _("海报")
    OTHER = "other", _("其他")


class AdLocation(models.TextChoices):
    ENTRANCE = "entrance", _("入口处")
    PROMINENT = "prominent", _("其他显著位置")
    ELSEWHERE = "elsewhere", _("其他位置")


class AdPlacement(models.Model):
    report = models.ForeignKey(
        AdReport, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="placements"
    )
    medium = models.CharField(_("媒介"), max_length=10, choices=AdMedium.choices)
    location = models.CharField(_("位置"), max_length=10, choices=AdLocation.choices)
    total_ads = models.PositiveIntegerField(_("广告总数"), validators=[MaxValueValidator(MAX_ADS_PER_PLACEMENT)])
    psa_ads = models.PositiveIntegerField(_("公益广告数"), validators=[MaxValueValidator(MAX_ADS_PER_PLACEMENT)])
    theme = models.CharField(_("主题"), max_length=60, blank=True)
    photo = models.ImageField(_("照片"), upload_to=RandomUploadPath("campaigns/psa"), blank=True)
    photo_original_name = models.CharField(
        _("照片原文件名"), max_length=ORIGINAL_NAME_MAX, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("刊播点位")
        verbose_name_plural = _("刊播点位")
        ordering = ["report", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(psa_ads__lte=F("total_ads")), name="adplacement_psa_le_total")
        ]

    def __str__(self) -> str:
        return f"{self.get_medium_display()} · {self.get_location_display()}"


class ReminderLog(models.Model):
    """One reminder sent to one venue at one threshold; the unique constraint stops duplicates."""

    quota = models.ForeignKey(
        AdQuota, verbose_name=_("刊播任务"), on_delete=models.CASCADE, related_name="reminders"
    )
    merchant = models.ForeignKey(
        "merchants.Merchant", verbose_name=_("场所"), on_delete=models.CASCADE, related_name="ad_reminders"
    )
    days_before = models.PositiveSmallIntegerField(_("提前天数"))
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(_("收件人数"), default=0)

    region_scope_field = "merchant__region"

    class Meta:
        verbose_name = _("催报提醒记录")
        verbose_name_plural = _("催报提醒记录")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["quota", "merchant", "days_before"], name="reminder_once_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.days_before}"
