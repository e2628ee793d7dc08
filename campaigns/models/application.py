"""A merchant's path through a campaign: the application (申报), the district and city review
decisions, objections (异议) against candidates during publicity, and the published
commendation lists (表彰名单)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk
from integrity_portal.core.phones import mask_phone

from .campaign import Campaign, Category

__all__ = [
    "Application",
    "ApplicationReview",
    "ApplicationStatus",
    "CommendationEntry",
    "CommendationList",
    "Objection",
    "ObjectionStatus",
    "ReviewDecision",
    "ReviewLevel",
]


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已申报")
    DISTRICT_PASSED = "district_passed", _("初审通过")
    CITY_PASSED = "city_passed", _("复审通过")
    CANDIDATE = "candidate", _("公示候选")
    COMMENDED = "commended", _("已表彰")
    REJECTED = "rejected", _("未通过")


class Application(models.Model):
    """A merchant's application (申报) to one campaign in the category of its kind."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="applications"
    )
    merchant = models.ForeignKey(
        "merchants.Merchant",
        verbose_name=_("市场主体"),
        on_delete=models.PROTECT,
        related_name="campaign_applications",
    )
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
    )
    statement = models.TextField(_("申报材料（创建事迹）"), blank=True)
    eligibility = models.JSONField(_("资格自动审核结果"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    submitted_by = actor_fk(_("申报人"))
    inspection_score = models.DecimalField(
        _("实地考察得分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    survey_score = models.DecimalField(
        _("问卷调查满意度"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    total_score = models.DecimalField(_("加权总分"), max_digits=5, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    rejection_reason = models.TextField(_("未通过原因"), blank=True)

    region_scope_field = "merchant__region"

    class Meta:
        verbose_name = _("创建申报")
        verbose_name_plural = _("创建申报")
        ordering = ["campaign", "category", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "merchant"], name="application_once_per_campaign"),
            models.CheckConstraint(
                condition=Q(inspection_score__isnull=True)
                | Q(inspection_score__gte=0, inspection_score__lte=100),
                name="application_inspection_0_100",
            ),
            models.CheckConstraint(
                condition=Q(survey_score__isnull=True) | Q(survey_score__gte=0, survey_score__lte=100),
                name="application_survey_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_category_display()}"

    @property
    def eligibility_failures(self) -> list[dict]:
        return [c for c in self.eligibility if not c.get("ok")]


class ReviewLevel(models.TextChoices):
    DISTRICT = "district", _("初审（区县）")
    CITY = "city", _("复审（市级）")


class ReviewDecision(models.TextChoices):
    PASS = "pass", _("通过")
    REJECT = "reject", _("不通过")


class ApplicationReview(models.Model):
    """One recorded review decision; at most one per level, so a level is never decided twice."""

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="reviews"
    )
    level = models.CharField(_("审核层级"), max_length=10, choices=ReviewLevel.choices)
    decision = models.CharField(_("结论"), max_length=8, choices=ReviewDecision.choices)
    reason = models.TextField(_("理由"))
    inspection_score = models.DecimalField(
        _("实地考察得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    survey_score = models.DecimalField(
        _("问卷调查满意度"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reviewer = actor_fk(_("审核人"), blank=False)
    reviewed_at = models.DateTimeField(_("审核时间"), auto_now_add=True)

    region_scope_field = "application__merchant__region"

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["application", "reviewed_at"]
        constraints = [models.UniqueConstraint(fields=["application", "level"], name="review_once_per_level")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.get_decision_display()}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class Objection(models.Model):
    """An objection (异议) against a candidate during publicity. Name and phone are staff-only."""

    application = models.ForeignKey(
        Application, verbose_name=_("被异议候选"), on_delete=models.PROTECT, related_name="objections"
    )
    reference = models.CharField(_("受理编号"), max_length=20, unique=True)
    objector_name = models.CharField(_("异议人姓名"), max_length=50)
    objector_phone = models.CharField(_("联系电话"), max_length=20)
    content = models.TextField(_("异议内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN, db_index=True
    )
    resolution_reason = models.TextField(_("处理理由"), blank=True)
    resolved_by = actor_fk(_("处理人"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    #: Set once when the objector's name and phone were anonymised (core.retention).
    anonymised_at = models.DateTimeField(_("个人信息匿名化时间"), null=True, blank=True, editable=False)

    region_scope_field = "application__merchant__region"

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.objector_phone)


class CommendationList(models.Model):
    """The frozen list of one category of one campaign; the unique constraint makes publication exactly-once."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="commendation_lists"
    )
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    notice_number = models.CharField(_("公告文号"), max_length=60)
    notice_title = models.CharField(_("公告标题"), max_length=150)
    notice_text = models.TextField(_("公告正文"))
    published_at = models.DateTimeField(_("发布时间"))
    published_by = actor_fk(_("发布人"))

    region_scope_field = "campaign__region"

    class Meta:
        verbose_name = _("表彰名单")
        verbose_name_plural = _("表彰名单")
        ordering = ["-published_at", "category"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "category"], name="commendation_once_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.campaign.year} {self.get_category_display()}"


class CommendationEntry(models.Model):
    commendation_list = models.ForeignKey(
        CommendationList, verbose_name=_("表彰名单"), on_delete=models.CASCADE, related_name="entries"
    )
    application = models.OneToOneField(
        Application, verbose_name=_("申报"), on_delete=models.PROTECT, related_name="commendation"
    )
    merchant = models.ForeignKey(
        "merchants.Merchant",
        verbose_name=_("市场主体"),
        on_delete=models.PROTECT,
        related_name="commendations",
    )
    rank = models.PositiveIntegerField(_("排名"))
    total_score = models.DecimalField(_("加权总分"), max_digits=5, decimal_places=2, null=True, blank=True)
    red_list_until = models.DateField(_("红榜有效期至"))

    region_scope_field = "merchant__region"

    class Meta:
        verbose_name = _("表彰对象")
        verbose_name_plural = _("表彰对象")
        ordering = ["commendation_list", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commendation_list", "merchant"], name="commendation_entry_unique"
            )
        ]

    def __str__(self) -> str:
        return str(self.merchant)
