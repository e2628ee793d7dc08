"""The public's engagement with the register (issue #19 items 6 and 7).

* ``RoleModelStory`` — a role-model story (诚信典型) of the integrity role-model library (seed 001:
  "建立诚实守信先进典型库"): written and approved by the civility office or city staff of the merchant's
  region, published on the red list, the merchant's profile and ``/role-models/``. Status draft →
  approved → published → withdrawn (``workflow.ROLE_MODEL_WORKFLOW``). It holds no personal data: a
  story is about the business, never about an employee or a customer by name.
* ``MerchantFollower`` — a citizen's e-mail following one merchant: confirmed by a signed link before
  any notice is sent; unsubscribed by another signed link, which anonymises the address at once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk
from integrity_portal.core.uploads import ORIGINAL_NAME_MAX, RandomUploadPath

from .register import Merchant

__all__ = ["MerchantFollower", "RoleModelStatus", "RoleModelStory"]


class RoleModelStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审核")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤下")


class RoleModelStory(models.Model):
    """One role-model story of one merchant for one year."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.PROTECT, related_name="role_model_stories"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=120)
    text = models.TextField(
        _("事迹正文"),
        max_length=5000,
        help_text=_("写市场主体的诚信经营事迹；不写顾客、员工等个人的电话、住址、身份证号等个人信息。"),
    )
    photo = models.ImageField(_("照片"), upload_to=RandomUploadPath("role-models"), blank=True)
    photo_original_name = models.CharField(
        _("原文件名"), max_length=ORIGINAL_NAME_MAX, blank=True, editable=False
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=RoleModelStatus.choices,
        default=RoleModelStatus.DRAFT,
        editable=False,
    )
    created_by = actor_fk(_("撰写人"))
    created_at = models.DateTimeField(_("撰写时间"), auto_now_add=True)
    approved_by = actor_fk(_("审核人"))
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False, db_index=True)
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True, editable=False)

    region_scope_field = "merchant__region"

    class Meta:
        verbose_name = _("诚信典型事迹")
        verbose_name_plural = _("诚信典型库")
        ordering = ["-year", "-published_at", "-id"]
        indexes = [models.Index(fields=["status", "merchant"], name="rolemodel_status_merchant_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "year"],
                condition=Q(status="published"),
                name="rolemodel_one_published_per_merchant_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.title}"


class MerchantFollower(models.Model):
    """A citizen's subscription to one merchant's star and list changes (personal data: the address).

    ``confirmed_at`` empty: waiting for the confirmation link, never notified. ``unsubscribed_at`` set: the
    address is emptied at the same time (``email=""``), the row stays only as a count."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("市场主体"), on_delete=models.CASCADE, related_name="followers"
    )
    email = models.EmailField(_("电子邮箱"), max_length=254, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("订阅时间"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("退订时间"), null=True, blank=True)

    region_scope_field = "merchant__region"

    class Meta:
        verbose_name = _("关注者")
        verbose_name_plural = _("关注者")
        indexes = [
            models.Index(
                fields=["merchant"],
                condition=Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
                name="follower_active_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "email"],
                condition=Q(unsubscribed_at__isnull=True),
                name="follower_one_live_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} · #{self.pk}"
