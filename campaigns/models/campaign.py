"""The yearly campaign (文明诚信经营创建活动), its award categories and their quotas."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk

__all__ = [
    "CATEGORY_SHORT_NAMES",
    "Campaign",
    "CampaignCategory",
    "CampaignStatus",
    "Category",
    "MIN_PUBLICITY_DAYS",
]


class Category(models.TextChoices):
    """Award categories; the values equal ``Merchant.kind`` so a merchant's kind is its category."""

    MARKET = "market", _("文明诚信市场")
    ENTERPRISE = "enterprise", _("文明诚信企业")
    MERCHANT = "merchant", _("文明诚信商户")


CATEGORY_SHORT_NAMES = {"market": "市场", "enterprise": "企业", "merchant": "商户"}
MIN_PUBLICITY_DAYS = 7


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("申报中")
    REVIEWING = "reviewing", _("评审中")
    PUBLICITY = "publicity", _("公示中")
    PUBLISHED = "published", _("已发布")
    ARCHIVED = "archived", _("已归档")


class Campaign(models.Model):
    """One yearly campaign (文明诚信经营创建活动) for a scope (usually a city)."""

    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    region = models.ForeignKey(
        "merchants.Region", verbose_name=_("范围（辖区）"), on_delete=models.PROTECT, related_name="campaigns"
    )
    title = models.CharField(_("活动名称"), max_length=150)
    scheme_text = models.TextField(_("活动方案"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    application_start = models.DateField(_("申报开始"))
    application_end = models.DateField(_("申报截止"))
    review_deadline = models.DateField(_("评审截止"))
    publicity_start = models.DateField(_("公示开始"))
    publicity_end = models.DateField(_("公示截止"))
    # Eligibility thresholds (editable per campaign).
    min_stars = models.PositiveSmallIntegerField(
        _("最低星级"), default=4, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    require_no_black_entry = models.BooleanField(_("要求无生效黑名单记录"), default=True)
    require_no_serious_penalty = models.BooleanField(_("要求无公示中的严重处罚"), default=True)
    require_commitment = models.BooleanField(_("要求信用承诺在有效期内"), default=True)
    require_psa_compliance = models.BooleanField(_("大型场所要求公益广告达标"), default=True)
    # Weighted total of the city review (percent; the two add up to 100).
    weight_inspection = models.PositiveSmallIntegerField(
        _("实地考察权重（%）"), default=60, validators=[MaxValueValidator(100)]
    )
    weight_survey = models.PositiveSmallIntegerField(
        _("问卷调查权重（%）"), default=40, validators=[MaxValueValidator(100)]
    )
    red_list_years = models.PositiveSmallIntegerField(
        _("红榜期限（年）"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    notice_number = models.CharField(_("公告文号"), max_length=60, blank=True)
    notice_title = models.CharField(_("公示公告标题"), max_length=150, blank=True)
    notice_text = models.TextField(_("公示公告正文"), blank=True)
    publicity_started_at = models.DateTimeField(_("公示开始于"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布于"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建于"), auto_now_add=True)
    created_by = actor_fk(_("创建人"))

    region_scope_field = "region"

    class Meta:
        verbose_name = _("文明诚信创建活动")
        verbose_name_plural = _("文明诚信创建活动")
        ordering = ["-year", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="campaign_one_per_year_and_scope"),
            models.CheckConstraint(
                condition=Q(application_end__gte=F("application_start")), name="campaign_app_window"
            ),
            models.CheckConstraint(
                condition=Q(review_deadline__gte=F("application_end")), name="campaign_review_after_app"
            ),
            models.CheckConstraint(
                condition=Q(publicity_start__gte=F("application_end")), name="campaign_pub_after_app"
            ),
            models.CheckConstraint(
                condition=Q(weight_survey=Value(100) - F("weight_inspection")),
                name="campaign_weights_sum_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def public_heading(self) -> str:
        """The notice title as the public sees it: 关于公示… during publicity, 关于表彰… once published."""
        title = self.notice_title or self.title
        if self.status in (CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED):
            return title.replace("关于公示", "关于表彰", 1)
        return title

    @property
    def publicity_days(self) -> int:
        return (self.publicity_end - self.publicity_start).days + 1

    def default_notice_title(self) -> str:
        chosen = set(self.category_values())
        names = "、".join(short for value, short in CATEGORY_SHORT_NAMES.items() if value in chosen)
        return f"关于公示全市{self.year}年度文明诚信{names}的公告"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        dates = [self.application_start, self.application_end, self.review_deadline, self.publicity_start]
        if all(dates) and self.publicity_end:
            if self.application_end < self.application_start:
                errors["application_end"] = _("申报截止日期不能早于申报开始日期。")
            if self.review_deadline < self.application_end:
                errors["review_deadline"] = _("评审截止日期不能早于申报截止日期。")
            if self.publicity_start < self.application_end:
                errors["publicity_start"] = _("公示不能早于申报截止。")
            if (self.publicity_end - self.publicity_start).days + 1 < MIN_PUBLICITY_DAYS:
                errors["publicity_end"] = _("公示期不少于%(n)d天。") % {"n": MIN_PUBLICITY_DAYS}
        if (self.weight_inspection or 0) + (self.weight_survey or 0) != 100:
            errors["weight_survey"] = _("实地考察与问卷调查的权重之和必须为100。")
        if errors:
            raise ValidationError(errors)

    def category_values(self) -> list[str]:
        return list(self.categories.values_list("category", flat=True))


class CampaignCategory(models.Model):
    """A category the campaign awards in, with its quota (名额; empty means no limit)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="categories"
    )
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    quota = models.PositiveIntegerField(_("名额"), null=True, blank=True, help_text=_("留空表示不限名额。"))

    class Meta:
        verbose_name = _("评选类别")
        verbose_name_plural = _("评选类别")
        ordering = ["campaign", "category"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "category"], name="campaign_category_unique")
        ]

    def __str__(self) -> str:
        return self.get_category_display()
