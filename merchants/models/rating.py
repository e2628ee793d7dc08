"""Rating policy (versioned rules), ratings (history kept), and the merchant's recourse:
appeal, right to reply and re-inspection requests."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk

from .register import Merchant

__all__ = [
    "AppealStatus",
    "Rating",
    "RatingAppeal",
    "RatingPolicy",
    "RatingReply",
    "ReinspectionRequest",
    "ReinspectionStatus",
    "ReplyStatus",
]


class RatingPolicy(models.Model):
    """The scoring rules, versioned; exactly one is active. ``rules`` holds scores, windows, bands and caps.

    The schema of ``rules`` and its validation live in ``merchants.services.rating_policy``; a
    policy can only be activated through ``rating_policy_activate`` which refuses overlapping
    or gapped bands.
    """

    version = models.PositiveIntegerField(_("版本号"), unique=True)
    name = models.CharField(_("名称"), max_length=100)
    rules = models.JSONField(_("评分规则"))
    is_active = models.BooleanField(_("生效中"), default=False, editable=False)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True, editable=False)
    notes = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # A market's own rating counting its stalls (seed 004 §6: market operators answer for integrity at
    # source). Off by default; applied by the Scorer (``market_rule``), documented in docs/RATINGS.md.
    market_counts_stalls = models.BooleanField(_("市场评级计入摊位表现"), default=False)
    market_low_share_pct = models.PositiveSmallIntegerField(
        _("低星摊位占比阈值（%）"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("在册且已评级的摊位中，2 星及以下（含 0 星）的占比超过此值时扣分。"),
    )
    market_min_stalls = models.PositiveSmallIntegerField(
        _("最少已评级摊位数"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("已评级摊位少于此数时不计入。"),
    )
    market_low_stalls_deduction = models.PositiveSmallIntegerField(
        _("低星摊位过多扣分"),
        default=10,
        validators=[MaxValueValidator(30)],
        help_text=_("计入信用管理一项（受该项上限约束）。"),
    )

    class Meta:
        verbose_name = _("评级规则")
        verbose_name_plural = _("评级规则")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="ratingpolicy_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"


class Rating(models.Model):
    """One computed rating of a merchant. A new row is written only when the result changes.

    Rows are written only by the recompute, in bulk, for merchants it read in the same transaction and for
    the active policy. Neither relation has a database-level constraint: PostgreSQL would check each
    written row at commit (a fifth of a cold recompute at 140k). Deletion keeps the history clean instead:
    ``merchant_delete`` locks the entity before Django cascades to its ratings, the recompute drops the rows
    of an entity deleted under it, and a policy that rated anything cannot be deleted (PROTECT).
    """

    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("市场主体"),
        on_delete=models.CASCADE,
        related_name="ratings",
        db_index=False,
        db_constraint=False,
    )
    stars = models.SmallIntegerField(_("星级"), null=True, blank=True, help_text=_("空表示暂未评级。"))
    trading = models.SmallIntegerField(_("诚信经营扣分"), default=0)
    service = models.SmallIntegerField(_("服务质量扣分"), default=0)
    credit = models.SmallIntegerField(_("信用管理扣分"), default=0)
    total = models.SmallIntegerField(_("合计扣分"), default=0)
    credit_class = models.CharField(_("信用风险分类"), max_length=1, blank=True)
    black_listed = models.BooleanField(_("黑名单在列"), default=False)
    facts = models.JSONField(_("评分依据"), default=dict)
    digest = models.BigIntegerField(
        _("结果摘要"), default=0, editable=False, help_text=_("用于判断评定是否变化。")
    )
    policy = models.ForeignKey(
        RatingPolicy,
        verbose_name=_("评级规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    computed_at = models.DateTimeField(_("评定时间"), db_index=True)

    class Meta:
        verbose_name = _("星级评定")
        verbose_name_plural = _("星级评定")
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-id"], name="rating_merchant_latest_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=0, stars__lte=5), name="rating_stars_0_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} · {self.stars if self.stars is not None else '-'}★ · {self.computed_at:%Y-%m-%d}"

    @property
    def is_rated(self) -> bool:
        return self.stars is not None


class AppealStatus(models.TextChoices):
    OPEN = "open", _("申诉处理中")
    UPHELD = "upheld", _("申诉成立")
    DISMISSED = "dismissed", _("申诉不成立")


class RatingAppeal(models.Model):
    """An appeal against a rating, filed within 21 days and decided within 21 days by someone uninvolved."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="appeals"
    )
    rating = models.ForeignKey(
        Rating, verbose_name=_("被申诉评定"), on_delete=models.PROTECT, related_name="appeals"
    )
    grounds = models.TextField(_("申诉理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN, db_index=True
    )
    filed_by = actor_fk(_("申诉人"), blank=False)
    filed_at = models.DateTimeField(_("提交时间"))
    decide_by = models.DateField(_("办理期限"))
    decided_by = actor_fk(_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_reason = models.TextField(_("处理意见"), blank=True)

    class Meta:
        verbose_name = _("评级申诉")
        verbose_name_plural = _("评级申诉")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"], condition=Q(status="open"), name="appeal_one_open_per_merchant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_status_display()}"


class ReplyStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已发布")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class RatingReply(models.Model):
    """The merchant's right to reply: a short statement shown under the rating after moderation."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="replies"
    )
    text = models.TextField(_("回应内容"), max_length=1000)
    published_text = models.TextField(
        _("公开文本"), blank=True, help_text=_("审核后公开的文本（已删除不当言论）。")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ReplyStatus.choices, default=ReplyStatus.PENDING, db_index=True
    )
    submitted_by = actor_fk(_("提交人"), blank=False)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    reviewed_by = actor_fk(_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("商户回应")
        verbose_name_plural = _("商户回应")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_status_display()}"


class ReinspectionStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    SCHEDULED = "scheduled", _("已安排")
    DONE = "done", _("已复查")
    REFUSED = "refused", _("不予受理")


class ReinspectionRequest(models.Model):
    """A request for a new visit after fixing findings; the visit is due within 3 months."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="reinspection_requests"
    )
    improvements = models.TextField(_("整改情况"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ReinspectionStatus.choices,
        default=ReinspectionStatus.REQUESTED,
        db_index=True,
    )
    requested_by = actor_fk(_("申请人"), blank=False)
    requested_at = models.DateTimeField(_("申请时间"))
    visit_by = models.DateField(_("复查期限"))
    scheduled_for = models.DateField(_("计划复查日期"), null=True, blank=True)
    inspection = models.ForeignKey(
        "merchants.Inspection",
        verbose_name=_("复查记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_by = actor_fk(_("处理人"))
    note = models.CharField(_("处理意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("复查申请")
        verbose_name_plural = _("复查申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(status__in=["requested", "scheduled"]),
                name="reinspection_one_open_per_merchant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_status_display()}"
