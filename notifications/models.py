"""The outbox: one row per notice, recipient and channel, written in the transaction of its event.

A notice that is only a Celery message is lost when Redis is down at commit time (docs/FAULTS.md §1);
a row is not: the thin task sends it, and a beat sweep sends whatever is still queued when it is due
(docs/NOTIFICATIONS.md). ``(key, channel, address)`` is unique, so an event enqueued twice, or a row
picked up by two workers (the claim is a conditional update), is sent once.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    UNDELIVERABLE = "undeliverable", _("无法送达")


#: The statuses a notice ends in: nothing sends it again.
FINAL_STATUSES = (NoticeStatus.SENT, NoticeStatus.FAILED, NoticeStatus.UNDELIVERABLE)


class Notice(models.Model):
    """One message to one address on one channel. ``address`` is personal data: lists and logs show it
    masked, and it is anonymised with the record it is about (core.retention)."""

    key = models.CharField(_("事由"), max_length=120, help_text=_("事件键，如 complaint:123:accepted"))
    channel = models.CharField(_("渠道"), max_length=10, choices=NoticeChannel.choices)
    address = models.CharField(_("地址"), max_length=254, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    content_type = models.ForeignKey(ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT)
    object_id = models.CharField(_("对象编号"), max_length=64)
    about = GenericForeignKey("content_type", "object_id")
    region_code = models.CharField(_("辖区代码"), max_length=12, blank=True, db_index=True)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Anonymised rows (address blanked) leave the constraint: they are never sent again.
            models.UniqueConstraint(
                fields=["key", "channel", "address"],
                condition=models.Q(anonymised_at__isnull=True),
                name="notice_once_per_address",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="notice_about"),
            models.Index(fields=["status", "next_attempt_at"], name="notice_due"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.channel}"
