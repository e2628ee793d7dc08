"""Complaints (投诉) and reports (举报): intake, status, deadlines, merchant replies, escalations.

One table holds both kinds because they share intake, tracking and statistics;
the ``kind`` decides which workflow map (``complaints.workflow``) applies.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk
from integrity_portal.core.uploads import RandomUploadPath

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 16


def new_tracking_code() -> str:
    """16 characters from a 31-letter alphabet: about 79 bits, so codes cannot be guessed."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


_ATTACHMENT_PATH = RandomUploadPath("complaints")


def attachment_path(instance, filename: str) -> str:
    """A random, non-guessable path with the detected type's extension (kept as a function: migrations
    name it); the original name is kept only in the database, as text."""
    return _ATTACHMENT_PATH(instance, filename)


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")


class Channel(models.TextChoices):
    PORTAL = "portal", _("本网站")
    HOTLINE_12315 = "12315", _("12315 平台/热线")
    HOTLINE_12345 = "12345", _("12345 政务服务热线")
    WINDOW = "window", _("窗口来访")
    MAILBOX = "mailbox", _("信函/信箱")
    STATION = "station", _("消费维权服务站")


class SourcePlatform(models.TextChoices):
    """The national platform a work order came from (its ticket number is unique per platform)."""

    NONE = "", _("无")
    P12315 = "12315", _("全国12315平台")
    P12345 = "12345", _("12345政务服务便民热线")


STAFF_INTAKE_CHANNELS = [Channel.HOTLINE_12315, Channel.HOTLINE_12345, Channel.WINDOW, Channel.MAILBOX]


class Category(models.TextChoices):
    PRICE = "price", _("价格")
    SHORT_WEIGHT = "short_weight", _("缺斤短两")
    FALSE_ADVERTISING = "false_advertising", _("虚假宣传")
    QUALITY = "quality", _("商品质量")
    FOOD_SAFETY = "food_safety", _("食品安全")
    SERVICE = "service", _("服务")
    OTHER = "other", _("其他")


#: Categories whose substantiated cases count against "trading integrity" in the rating.
TRADING_CATEGORIES = [
    Category.PRICE,
    Category.SHORT_WEIGHT,
    Category.FALSE_ADVERTISING,
    Category.QUALITY,
    Category.FOOD_SAFETY,
]


class Status(models.TextChoices):
    ODR = "odr", _("经营者和解中")
    RECEIVED = "received", _("已登记")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    ASSIGNED = "assigned", _("已分派")
    MEDIATING = "mediating", _("调解中")
    SETTLED = "settled", _("和解成功")
    MEDIATED = "mediated", _("调解成功")
    TERMINATED = "terminated", _("终止调解")
    TRANSFERRED = "transferred", _("转违法线索")
    CONFIRMED = "confirmed", _("经核实违法")
    VERIFYING = "verifying", _("核查中")
    CASE_OPENED = "case_opened", _("已立案")
    NOT_OPENED = "not_opened", _("不予立案")


OPEN_STATUSES = [
    Status.ODR,
    Status.RECEIVED,
    Status.ACCEPTED,
    Status.ASSIGNED,
    Status.MEDIATING,
    Status.VERIFYING,
]
CLOSED_STATUSES = [
    Status.REJECTED,
    Status.SETTLED,
    Status.MEDIATED,
    Status.TERMINATED,
    Status.TRANSFERRED,
    Status.CONFIRMED,
    Status.CASE_OPENED,
    Status.NOT_OPENED,
]
#: What a merchant may see: only complaints that reached it (never a report, never before dispatch).
MERCHANT_VISIBLE_STATUSES = [
    Status.ODR,
    Status.ASSIGNED,
    Status.MEDIATING,
    Status.SETTLED,
    Status.MEDIATED,
    Status.TERMINATED,
    Status.TRANSFERRED,
    Status.CONFIRMED,
]
#: A finding of fault: the only outcomes the rating counts as substantiated (and the public page shows as
#: such). A settlement or a mediation is never one; a transfer is a suspicion until it is confirmed.
SUBSTANTIATED = {"complaint": [Status.CONFIRMED], "report": [Status.CASE_OPENED]}


class RejectReason(models.TextChoices):
    OUTSIDE_REMIT = "outside_remit", _("不属于本部门职责范围")
    ALREADY_HANDLED = "already_handled", _("已由其他机构受理或处理")
    NOT_CONSUMER_DISPUTE = "not_consumer_dispute", _("不属于消费者权益争议")
    OVER_THREE_YEARS = "over_three_years", _("知道权益受损之日起超过三年")
    MATERIALS_MISSING = "materials_missing", _("材料不全且未按要求补正")


class TerminationReason(models.TextChoices):
    REFUSAL = "refusal", _("一方拒绝调解")
    NO_SHOW = "no_show", _("无正当理由不参加调解")
    WITHDRAWAL = "withdrawal", _("投诉人撤回投诉")
    NO_AGREEMENT = "no_agreement", _("受理之日起45个工作日内未达成协议")


class Complaint(models.Model):
    kind = models.CharField(_("类型"), max_length=10, choices=ComplaintKind.choices, db_index=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, db_index=True)
    tracking_code = models.CharField(
        _("查询码"), max_length=TRACKING_LENGTH, unique=True, default=new_tracking_code, editable=False
    )

    anonymous = models.BooleanField(_("匿名"), default=False)
    complainant_name = models.CharField(_("姓名"), max_length=60, blank=True)
    complainant_phone = models.CharField(_("手机号码"), max_length=20, blank=True, db_index=True)
    complainant_address = models.CharField(_("联系地址"), max_length=200, blank=True)
    complainant_id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    complainant_email = models.EmailField(_("电子邮箱"), blank=True)
    consent_personal_data = models.BooleanField(_("同意处理个人信息"), default=False)
    language = models.CharField(
        _("通知语言"),
        max_length=10,
        blank=True,
        help_text=_("登记时投诉举报人使用的界面语言；通知用该语言发送，空白时用系统默认语言。"),
    )

    harm_known_on = models.DateField(_("知道权益受损日期"), null=True, blank=True)
    #: Hash of the one-time form token / Idempotency-Key, the content and the kind (services.intake):
    #: a double click or a retried request finds the rows it already created instead of filing again.
    submission_key = models.CharField(
        _("提交标识"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    merchant = models.ForeignKey(
        "merchants.Merchant",
        verbose_name=_("被投诉经营者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    #: The consumer-rights station that took the complaint (channel ``station``; services.stations).
    station = models.ForeignKey(
        "complaints.ConsumerRightsStation",
        verbose_name=_("受理维权服务站"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    target_name = models.CharField(_("被投诉方名称"), max_length=120, blank=True)
    target_address = models.CharField(_("被投诉方地址"), max_length=200, blank=True)
    region = models.ForeignKey(
        "merchants.Region", verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="complaints"
    )
    category = models.CharField(_("问题类别"), max_length=20, choices=Category.choices, db_index=True)
    description = models.TextField(_("问题描述"))
    amount = models.DecimalField(_("涉及金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)

    received_at = models.DateTimeField(_("登记时间"), db_index=True)
    source_platform = models.CharField(
        _("来源平台"), max_length=5, choices=SourcePlatform.choices, default=SourcePlatform.NONE, blank=True
    )
    platform_ticket = models.CharField(
        _("平台工单编号"), max_length=40, blank=True, help_text=_("12315/12345 平台的工单编号，同一平台内唯一。")
    )
    odr_due_on = models.DateField(_("和解期限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    deadline_provisional = models.BooleanField(
        _("期限暂定"),
        default=False,
        help_text=_("期限计入了尚未录入法定节假日安排的年度（按周一至周五计算），录入后自动重算。"),
    )
    #: How each stored deadline was counted: ``{field: {"from": iso date, "days": n, "due": iso date,
    #: "missing": [years without a schedule]}}``, so a provisional one is recounted when they arrive.
    deadline_basis = models.JSONField(_("期限计算依据"), default=dict, blank=True, editable=False)
    extended = models.BooleanField(_("已延期"), default=False)
    extension_reason = models.CharField(_("延期理由"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True, db_index=True)
    closed_late = models.BooleanField(_("超期办结"), default=False)
    #: Set once when the complainant's personal data was anonymised (retention period over, or the
    #: person's erasure request; core.retention). The case itself stays for the statistics.
    anonymised_at = models.DateTimeField(_("个人信息匿名化时间"), null=True, blank=True, editable=False)

    reject_reason = models.CharField(
        _("不予受理理由"), max_length=24, choices=RejectReason.choices, blank=True
    )
    termination_reason = models.CharField(
        _("终止调解理由"), max_length=16, choices=TerminationReason.choices, blank=True
    )
    agreement = models.TextField(_("调解/和解协议"), blank=True)
    outcome_note = models.TextField(_("办理结果说明"), blank=True)

    merchant_reply_due_on = models.DateField(_("经营者答复期限"), null=True, blank=True)
    merchant_replied_at = models.DateTimeField(_("经营者首次答复时间"), null=True, blank=True)
    merchant_unanswered = models.BooleanField(_("经营者逾期未答复"), default=False)

    feedback_due_on = models.DateField(_("反馈期限"), null=True, blank=True)
    feedback_sent_at = models.DateTimeField(_("已反馈举报人"), null=True, blank=True)

    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    satisfaction_comment = models.CharField(_("评价意见"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    related = models.ForeignKey(
        "self",
        verbose_name=_("关联件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("拆分或转出的另一件（投诉↔举报）。"),
    )
    created_by = actor_fk(_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("投诉举报")
        verbose_name_plural = _("投诉举报")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="report")
                | (Q(anonymous=False) & ~Q(complainant_name="") & ~Q(complainant_phone="")),
                name="complaint_requires_identity",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="complaint_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=Q(merchant__isnull=False) | ~Q(target_name=""),
                name="complaint_has_target",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="complaint_amount_gte_0"
            ),
            models.UniqueConstraint(
                fields=["source_platform", "platform_ticket"],
                condition=~Q(platform_ticket=""),
                name="complaint_unique_platform_ticket",
            ),
            models.CheckConstraint(
                condition=Q(platform_ticket="") | ~Q(source_platform=""),
                name="complaint_ticket_has_platform",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "status", "due_on"], name="complaint_region_status_due"),
            models.Index(fields=["merchant", "kind", "status"], name="complaint_merchant_kind"),
            # The district dashboard's monthly counts (complaints/dashboard.py) read these columns only: covering
            # indexes make them index-only scans instead of reading every wide row (PostgreSQL; SQLite skips them).
            models.Index(
                fields=["region", "received_at"],
                include=["kind", "category", "channel"],
                name="complaint_dash_received_idx",
            ),
            models.Index(
                fields=["region", "closed_at"], include=["status", "closed_late"], name="complaint_dash_closed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.tracking_code}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def target_display(self) -> str:
        return self.merchant.name if self.merchant_id else self.target_name

    def deadline_is_provisional(self, field: str = "due_on") -> bool:
        """Whether this stored deadline was counted over a year with no official holiday schedule."""
        value = getattr(self, field)
        entry = (self.deadline_basis or {}).get(field) or {}
        return bool(value and entry.get("missing") and entry.get("due") == value.isoformat())

    @property
    def due_on_provisional(self) -> bool:
        return self.deadline_is_provisional("due_on")


class Attachment(models.Model):
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉举报"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class ProposalStatus(models.TextChoices):
    NONE = "", _("无和解方案")
    PENDING = "pending", _("待投诉人确认")
    ACCEPTED = "accepted", _("投诉人已接受")
    REJECTED = "rejected", _("投诉人已拒绝")


class MerchantReply(models.Model):
    """The merchant's answer through the portal; a proposal waits for the complainant's decision."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="replies"
    )
    author = actor_fk(_("答复人"), blank=False)
    #: Set when a consumer-rights station mediated (services.stations), not the merchant itself.
    station = models.ForeignKey(
        "complaints.ConsumerRightsStation",
        verbose_name=_("调解维权服务站"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediations",
    )
    body = models.TextField(_("答复内容"))
    proposal = models.TextField(_("和解方案"), blank=True)
    proposal_status = models.CharField(
        _("方案状态"), max_length=10, choices=ProposalStatus.choices, blank=True, default=ProposalStatus.NONE
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("答复时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("经营者答复")
        verbose_name_plural = _("经营者答复")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(proposal_status="pending"), name="one_pending_proposal"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.created_at:%Y-%m-%d}"


class DeadlineKind(models.TextChoices):
    ODR = "odr", _("经营者和解期限")
    ACCEPTANCE = "acceptance", _("受理期限（7个工作日）")
    MEDIATION = "mediation", _("调解期限（45个工作日）")
    DECISION = "decision", _("立案决定期限（15个工作日）")
    FEEDBACK = "feedback", _("举报人反馈期限（5个工作日）")
    MERCHANT_REPLY = "merchant_reply", _("经营者答复期限")


class Escalation(models.Model):
    """One 督办 record per item, deadline kind and deadline date: the daily sweep never repeats it."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉举报"), on_delete=models.CASCADE, related_name="escalations"
    )
    deadline = models.CharField(_("期限类型"), max_length=16, choices=DeadlineKind.choices)
    due_on = models.DateField(_("期限"))
    escalated_to = models.ForeignKey(
        "merchants.Region", verbose_name=_("督办单位"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("督办时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "deadline", "due_on"], name="escalation_once_per_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint} {self.get_deadline_display()} {self.due_on}"


class ConsumerRightsStation(models.Model):
    """消费维权服务站 (issue #20 item 2): run by a market or a large venue, with its own staff; takes
    complaints (channel ``station``) and mediates, within the settlement period, those about the venue's
    stalls (the merchants whose ``parent_market`` is the venue, and the venue itself). docs/PARTNERS.md."""

    venue = models.ForeignKey(
        "merchants.Merchant",
        verbose_name=_("所属市场或场所"),
        on_delete=models.PROTECT,
        related_name="rights_stations",
    )
    name = models.CharField(_("名称"), max_length=120)
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("电话"), max_length=20)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), blank=True, related_name="rights_stations"
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("设立时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("消费维权服务站")
        verbose_name_plural = _("消费维权服务站")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def covers(self, merchant) -> bool:
        """Whether ``merchant`` is one of the station's stalls (or the venue itself)."""
        return merchant is not None and self.venue_id in (merchant.pk, merchant.parent_market_id)
