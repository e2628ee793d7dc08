"""Credit facts: commitments, inspections, penalties, red/black list entries and credit repair.

These are the facts the rating engine (``merchants.services.rating``) aggregates.
Rules about them (publicity periods, minimum periods before repair…) live in
``merchants.services.credit``; the models only hold data and DB constraints.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk
from integrity_portal.core.uploads import ORIGINAL_NAME_MAX, RandomUploadPath

from .register import Merchant

__all__ = [
    "Commitment",
    "CommitmentKind",
    "CreditRepairRequest",
    "FindingLevel",
    "Inspection",
    "InspectionOutcome",
    "ListEntry",
    "ListEntryKind",
    "ListEntrySource",
    "ListName",
    "ListProposal",
    "ProposalStatus",
    "Penalty",
    "PenaltyKind",
    "PenaltyTier",
    "RepairEvidence",
    "RepairStatus",
    "OPEN_REPAIR_STATUSES",
    "INSPECTION_ITEMS",
    "COMMITMENT_ITEMS",
    "BLACK_KINDS",
    "RED_KINDS",
]


class CommitmentKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("综合信用承诺")
    PRICE = "price", _("价格诚信承诺")
    QUALITY = "quality", _("质量诚信承诺")
    FOOD_SAFETY = "food_safety", _("食品安全承诺")
    SERVICE = "service", _("服务诚信承诺")


class Commitment(models.Model):
    """A signed credit commitment (信用承诺书); in force from signing until ``valid_until`` unless revoked."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="commitments"
    )
    kind = models.CharField(_("承诺类型"), max_length=16, choices=CommitmentKind.choices)
    text_version = models.CharField(_("承诺书文本版本"), max_length=20)
    text = models.TextField(_("承诺内容"))
    signed_by = actor_fk(_("签署人"))
    signed_at = models.DateTimeField(_("签署时间"))
    valid_until = models.DateField(_("有效期至"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = actor_fk(_("撤销人"))
    revoke_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("信用承诺书")
        verbose_name_plural = _("信用承诺书")
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["merchant", "valid_until"], name="commitment_merchant_valid_idx")]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_kind_display()}"


class FindingLevel(models.TextChoices):
    PASS = "pass", _("合格")
    MINOR = "minor", _("一般问题")
    SERIOUS = "serious", _("严重问题")


class InspectionOutcome(models.TextChoices):
    SATISFACTORY = "satisfactory", _("未发现问题")
    RECTIFY = "rectify", _("责令整改")
    CASE = "case", _("发现违法线索，立案查处")


# (field name, label) of the itemised results, in the order the form shows them.
INSPECTION_ITEMS = (
    ("price_marking", _("明码标价")),
    ("metrology", _("计量（公平秤）")),
    ("advertising", _("虚假宣传")),
    ("food_safety", _("食品安全")),
    ("premises", _("经营场所")),
)


# The inspection items each kind of commitment promises to keep: a non-pass finding on one of them,
# on a visit while the commitment was in force, is a breach of that commitment (承诺—监管—践诺).
# The one place this mapping lives: the rating facts (SQL), the breach selector and the docs read it.
COMMITMENT_ITEMS: dict[str, tuple[str, ...]] = {
    "comprehensive": ("price_marking", "metrology", "advertising", "food_safety", "premises"),
    "price": ("price_marking",),
    "quality": ("metrology", "advertising"),
    "food_safety": ("food_safety",),
    "service": ("premises",),
}


def _finding_field(label):
    return models.CharField(label, max_length=8, choices=FindingLevel.choices, default=FindingLevel.PASS)


class Inspection(models.Model):
    """One on-site inspection with two inspectors (双随机) and an itemised result."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="inspections"
    )
    inspected_on = models.DateField(_("检查日期"), db_index=True)
    inspector_1 = actor_fk(_("检查人员一"))
    inspector_2 = actor_fk(_("检查人员二"))
    inspector_names = models.CharField(_("检查人员姓名"), max_length=60, blank=True)
    plan = models.CharField(_("所属抽查计划"), max_length=120, blank=True)
    price_marking = _finding_field(_("明码标价"))
    metrology = _finding_field(_("计量（公平秤）"))
    advertising = _finding_field(_("虚假宣传"))
    food_safety = _finding_field(_("食品安全"))
    premises = _finding_field(_("经营场所"))
    outcome = models.CharField(_("检查结论"), max_length=14, choices=InspectionOutcome.choices)
    notes = models.TextField(_("检查情况说明"), blank=True)
    published = models.BooleanField(_("已公示"), default=True)
    # Re-inspection (FHRS): the visit re-checks an earlier inspection, and its result supersedes that
    # inspection's findings for the items it re-checked. Both marks are set only by
    # ``reinspection_complete``; the earlier visit stays on record, so the rating facts filter on
    # ``superseded_items`` (comma-separated item names) instead of deleting anything.
    rechecks = models.ForeignKey(
        "self",
        verbose_name=_("复查的原检查"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rechecked_by",
        editable=False,
    )
    superseded_items = models.CharField(
        _("已被复查取代的项目"), max_length=80, blank=True, default="", editable=False
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("取代本次结果的复查"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    superseded_at = models.DateTimeField(_("被复查取代时间"), null=True, blank=True, editable=False)
    created_by = actor_fk(_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-inspected_on", "-id"]
        indexes = [models.Index(fields=["merchant", "inspected_on"], name="inspection_merchant_date_idx")]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.inspected_on}"

    @property
    def items(self) -> list[tuple[str, str, str]]:
        return [(name, label, getattr(self, name)) for name, label in INSPECTION_ITEMS]

    @property
    def superseded_item_names(self) -> list[str]:
        return [name for name in (self.superseded_items or "").split(",") if name]

    @property
    def superseded_labels(self) -> list[str]:
        """Labels of the items a re-inspection superseded (for staff, portal and public notes)."""
        names = set(self.superseded_item_names)
        return [str(label) for name, label in INSPECTION_ITEMS if name in names]


class PenaltyKind(models.TextChoices):
    WARNING = "warning", _("警告")
    FINE = "fine", _("罚款")
    CONFISCATION = "confiscation", _("没收违法所得、没收非法财物")
    SUSPENSION = "suspension", _("责令停产停业")
    LICENCE_REVOKED = "licence_revoked", _("吊销许可证件、营业执照")
    OTHER = "other", _("其他行政处罚")


class PenaltyTier(models.TextChoices):
    MINOR = "minor", _("简易程序／轻微")
    MODERATE = "moderate", _("一般")
    SERIOUS = "serious", _("严重")


class Penalty(models.Model):
    """An administrative penalty decision (行政处罚决定) and its publicity window."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="penalties"
    )
    decision_number = models.CharField(_("处罚决定书文号"), max_length=80, unique=True)
    decided_on = models.DateField(_("处罚决定日期"))
    legal_basis = models.CharField(_("处罚依据"), max_length=300)
    kind = models.CharField(_("处罚种类"), max_length=16, choices=PenaltyKind.choices)
    fine_yuan = models.DecimalField(_("罚没金额（元）"), max_digits=12, decimal_places=2, default=0)
    tier = models.CharField(_("违法程度"), max_length=10, choices=PenaltyTier.choices)
    facts = models.TextField(_("主要违法事实"), blank=True)
    published = models.BooleanField(_("公示"), default=True, help_text=_("仅给予警告的不予公示。"))
    publish_by = models.DateField(_("最迟公示日期"), null=True, blank=True)
    publish_by_provisional = models.BooleanField(
        _("公示期限暂定"),
        default=False,
        help_text=_("期限计入了尚未录入法定节假日安排的年度（按周一至周五计算）。"),
    )
    publicity_from = models.DateField(_("公示起始日"), null=True, blank=True)
    publicity_until = models.DateField(_("公示截止日"), null=True, blank=True)
    publicity_months = models.PositiveSmallIntegerField(
        _("公示期（月）"),
        null=True,
        blank=True,
        help_text=_("由作出决定的执法人员在法定幅度内确定：简易程序 3 个月，一般 3–12 个月，严重 12–36 个月。"),
    )
    publicity_ended_at = models.DateTimeField(_("提前停止公示时间"), null=True, blank=True)
    publicity_end_reason = models.CharField(_("停止公示原因"), max_length=300, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    created_by = actor_fk(_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("行政处罚")
        verbose_name_plural = _("行政处罚")
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["merchant", "publicity_until"], name="penalty_merchant_pub_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(legal_basis=""), name="penalty_has_legal_basis"),
            models.CheckConstraint(condition=~Q(decision_number=""), name="penalty_has_decision_number"),
        ]

    def __str__(self) -> str:
        return self.decision_number


class ListName(models.TextChoices):
    RED = "red", _("红名单")
    BLACK = "black", _("黑名单")


class ListEntryKind(models.TextChoices):
    COMMENDED = "commended", _("文明诚信表彰")
    ROLE_MODEL = "role_model", _("诚信典型")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("严重违法失信")
    JUDGMENT_DEFAULTER = "judgment_defaulter", _("失信被执行人")
    ABNORMAL_OPERATION = "abnormal_operation", _("经营异常")


RED_KINDS = (ListEntryKind.COMMENDED, ListEntryKind.ROLE_MODEL)
BLACK_KINDS = (
    ListEntryKind.SERIOUS_DISHONESTY,
    ListEntryKind.JUDGMENT_DEFAULTER,
    ListEntryKind.ABNORMAL_OPERATION,
)


class ListEntrySource(models.TextChoices):
    """Where a list decision was taken: by the bureau in the portal, or elsewhere and entered as a fact."""

    PORTAL = "portal", _("本局决定")
    GSXT = "gsxt", _("国家企业信用信息公示系统")
    OTHER = "other", _("其他部门")


class ListEntry(models.Model):
    """One red- or black-list entry. In force from ``valid_from`` until ``valid_until`` or removal; kept forever."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="list_entries"
    )
    list_name = models.CharField(_("名单"), max_length=5, choices=ListName.choices, db_index=True)
    kind = models.CharField(_("类别"), max_length=20, choices=ListEntryKind.choices, db_index=True)
    reason = models.CharField(_("列入事由"), max_length=300)
    legal_basis = models.CharField(_("列入依据"), max_length=300)
    decision_number = models.CharField(_("决定书文号"), max_length=80)
    decided_by = models.CharField(_("作出决定机关"), max_length=100)
    valid_from = models.DateField(_("列入日期"))
    valid_until = models.DateField(_("届满日期"), null=True, blank=True)
    ended_at = models.DateTimeField(_("移出时间"), null=True, blank=True, db_index=True)
    end_reason = models.CharField(_("移出原因"), max_length=300, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=ListEntrySource.choices, default=ListEntrySource.PORTAL, db_index=True
    )
    source_reference = models.CharField(
        _("来源说明"), max_length=200, blank=True, help_text=_("导入的文件名与行号，或来源系统中的编号。")
    )
    escalated_to = models.ForeignKey(
        "self",
        verbose_name=_("升级为"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_from",
    )
    created_by = actor_fk(_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("红黑名单")
        verbose_name_plural = _("红黑名单")
        ordering = ["-valid_from", "-id"]
        indexes = [
            models.Index(fields=["list_name", "ended_at", "valid_from"], name="listentry_inforce_idx"),
            models.Index(fields=["merchant", "list_name"], name="listentry_merchant_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "list_name", "decision_number"],
                name="listentry_unique_decision_per_merchant",
            ),
            models.CheckConstraint(condition=~Q(legal_basis=""), name="listentry_has_legal_basis"),
            models.CheckConstraint(condition=~Q(decision_number=""), name="listentry_has_decision_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_list_name_display()} · {self.merchant} · {self.get_kind_display()}"

    def in_force_on(self, day) -> bool:
        return (
            self.ended_at is None
            and self.valid_from <= day
            and (self.valid_until is None or self.valid_until > day)
        )


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("待决定")
    LISTED = "listed", _("已决定列入")
    DISMISSED = "dismissed", _("不予列入")


class ListProposal(models.Model):
    """A proposal (拟列入) to list a merchant as seriously dishonest, opened when its abnormal-operation
    entry is still in force after 3 years. Nothing is published until the district decides it with
    a real decision number; dismissal is final for that source entry (one proposal per entry)."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="list_proposals"
    )
    source_entry = models.ForeignKey(
        ListEntry, verbose_name=_("经营异常名录记录"), on_delete=models.CASCADE, related_name="proposals"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN, db_index=True
    )
    reason = models.CharField(_("拟列入事由"), max_length=300)
    proposed_on = models.DateField(_("提出日期"))
    decision_number = models.CharField(_("决定书文号"), max_length=80, blank=True)
    legal_basis = models.CharField(_("列入依据"), max_length=300, blank=True)
    decided_by_user = actor_fk(_("决定人"))
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    dismiss_reason = models.CharField(_("不予列入理由"), max_length=300, blank=True)
    listed_entry = models.ForeignKey(
        ListEntry,
        verbose_name=_("列入的名单记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("拟列入严重违法失信名单")
        verbose_name_plural = _("拟列入严重违法失信名单")
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_entry"], name="listproposal_one_per_source_entry"),
            models.CheckConstraint(
                condition=~Q(status="listed") | (~Q(decision_number="") & ~Q(legal_basis="")),
                name="listproposal_listed_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_status_display()}"


class RepairStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交，待审核")
    APPROVED = "approved", _("已准予修复")
    REFUSED = "refused", _("不予修复")


#: Statuses in which a request still awaits a decision (at most one per fact, see the constraints).
OPEN_REPAIR_STATUSES = [RepairStatus.SUBMITTED.value]


class CreditRepairRequest(models.Model):
    """A merchant's request (信用修复) to end a black-list entry or a penalty's publicity early."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="repair_requests"
    )
    list_entry = models.ForeignKey(
        ListEntry,
        verbose_name=_("名单记录"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="repairs",
    )
    penalty = models.ForeignKey(
        Penalty,
        verbose_name=_("行政处罚"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="repairs",
    )
    application = models.TextField(_("修复申请书"))
    pledge_text = models.TextField(_("信用修复承诺书"))
    pledge_signed = models.BooleanField(_("已签署承诺"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=RepairStatus.choices, default=RepairStatus.SUBMITTED, db_index=True
    )
    submitted_by = actor_fk(_("申请人"), blank=False)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decide_by = models.DateField(_("办理期限"))
    decide_by_provisional = models.BooleanField(
        _("期限暂定"),
        default=False,
        help_text=_("期限计入了尚未录入法定节假日安排的年度（按周一至周五计算）。"),
    )
    decided_by = actor_fk(_("审核人"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(list_entry__isnull=False) & Q(penalty__isnull=True))
                | (Q(list_entry__isnull=True) & Q(penalty__isnull=False)),
                name="repair_targets_one_fact",
            ),
            # One open request per fact: three parallel submissions used to create three pending requests
            # (check-then-insert). The service also locks the fact's row; this is the guarantee.
            models.UniqueConstraint(
                fields=["list_entry"],
                condition=Q(status__in=OPEN_REPAIR_STATUSES, list_entry__isnull=False),
                name="repair_one_open_per_entry",
            ),
            models.UniqueConstraint(
                fields=["penalty"],
                condition=Q(status__in=OPEN_REPAIR_STATUSES, penalty__isnull=False),
                name="repair_one_open_per_penalty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_status_display()}"


class RepairEvidence(models.Model):
    request = models.ForeignKey(
        CreditRepairRequest, verbose_name=_("修复申请"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("证明材料"), upload_to=RandomUploadPath("credit/repair"))
    original_name = models.CharField(
        _("原文件名"), max_length=ORIGINAL_NAME_MAX, blank=True, default="", editable=False
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("修复证明材料")
        verbose_name_plural = _("修复证明材料")

    def __str__(self) -> str:
        return self.description or _("证明材料 %(n)s") % {"n": self.pk}
