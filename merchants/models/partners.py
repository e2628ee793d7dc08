"""Partner departments of joint discipline (联合惩戒) and their API keys (docs/PARTNERS.md).

A department reads the feed of list decisions for its scope: regions (each with its districts) and kinds of
decisions. Its keys are stored as a SHA-256 hash with a short public prefix to find them; the key itself is
shown once when issued. ``signing_secret`` is the department's HMAC-SHA256 key for the feed's signatures:
it is shared with the department (who verifies with it), so it is kept, not hashed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from integrity_portal.core.fields import actor_fk

from .register import Region


class DecisionKind(models.TextChoices):
    RED_LIST = "red_list", _("红名单")
    BLACK_LIST = "black_list", _("黑名单")
    PENALTY = "penalty", _("行政处罚公示")


class PartnerDepartment(models.Model):
    code = models.SlugField(_("部门代码"), max_length=40, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    regions = models.ManyToManyField(Region, verbose_name=_("数据范围（辖区）"), related_name="+")
    decision_kinds = models.JSONField(_("数据范围（决定类别）"), default=list, blank=True)
    signing_secret = models.CharField(_("签名密钥"), max_length=64, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_by = actor_fk(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("联合惩戒部门")
        verbose_name_plural = _("联合惩戒部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PartnerApiKey(models.Model):
    department = models.ForeignKey(
        PartnerDepartment, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="api_keys"
    )
    label = models.CharField(_("用途"), max_length=100, blank=True)
    prefix = models.CharField(_("密钥前缀"), max_length=12, unique=True)
    key_hash = models.CharField(_("密钥散列（SHA-256）"), max_length=64, editable=False)
    created_by = actor_fk(_("签发人"))
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门接口密钥")
        verbose_name_plural = _("部门接口密钥")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.department} · {self.prefix}…"
