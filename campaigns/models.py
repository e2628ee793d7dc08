"""Models of the campaigns app: the yearly civility campaign and the public-service-ad quota.

Statuses are moved only by the services (``campaigns.services``) through the
workflow maps in ``campaigns.workflow``; the models hold data and the database
constraints that make the important rules hold even under concurrency
(one application per merchant and campaign, one commendation list per
campaign and category, one reminder per venue and threshold).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

DEFAULT_PSA_THEMES = ["核心价值观", "讲文明树新风", "图说我们的价值观"]


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

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
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
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
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
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
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    region_scope_field = "application__merchant__region"

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_phone(self) -> str:
        phone = self.objector_phone or ""
        return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


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
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

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


def default_deadline_for(year: int) -> date:
    return date(year, 5, 31)


class AdQuota(models.Model):
    """The yearly public-service-ad (公益广告) quota large venues must meet by the deadline."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
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
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}年度公益广告刊播"

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
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verification_note = models.TextField(_("核查说明"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
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
    total_ads = models.PositiveIntegerField(_("广告总数"))
    psa_ads = models.PositiveIntegerField(_("公益广告数"))
    theme = models.CharField(_("主题"), max_length=60, blank=True)
    photo = models.ImageField(_("照片"), upload_to="campaigns/psa/%Y/%m/", blank=True)

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
