"""The outbox: one row per notice, recipient and channel, written in the transaction of its event.

A notice that is only a Celery message is lost when Redis is down at commit time (docs/FAULTS.md §1);
a row is not: the thin task sends it, and a beat sweep sends whatever is still queued when it is due
(docs/NOTIFICATIONS.md). ``(key, channel, address)`` is unique, so an event enqueued twice, or a row
picked up by two workers (the claim is a conditional update), is sent once.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    #: The in-portal inbox: a row addressed to a user (``recipient``), delivered when written.
    INBOX = "inbox", _("站内信")


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    UNDELIVERABLE = "undeliverable", _("无法送达")


#: The statuses a notice ends in: nothing sends it again (a failed one only if staff re-send it).
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
    # A template provider (Alibaba Cloud) sends an approved template, not ``body``: the portal's name of
    # the template (SMS_TEMPLATE_CODES maps it to the provider's code) and its ${name} variables.
    sms_template = models.CharField(_("短信模板"), max_length=64, blank=True)
    sms_params = models.JSONField(_("短信模板参数"), default=dict, blank=True)
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
    #: The user it is addressed to (merchant members, staff); None for citizens, known by address only.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    #: The registered kind of notice (notifications.kinds), "" for the complainants' notices.
    kind = models.CharField(_("通知类型"), max_length=60, blank=True)
    #: The page the notice is about, for its recipient's audience ("" when there is none).
    link = models.CharField(_("链接"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        permissions = [("resend_notice", _("可以重新发送发送失败的通知"))]
        constraints = [
            # Anonymised rows (address blanked) leave the constraint: they are never sent again.
            models.UniqueConstraint(
                fields=["key", "channel", "address"],
                condition=models.Q(anonymised_at__isnull=True, recipient__isnull=True),
                name="notice_once_per_address",
            ),
            # A user's notices: once per event, user and channel (two members may share no address).
            models.UniqueConstraint(
                fields=["key", "channel", "recipient"],
                condition=models.Q(anonymised_at__isnull=True, recipient__isnull=False),
                name="notice_once_per_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="notice_about"),
            models.Index(fields=["status", "next_attempt_at"], name="notice_due"),
            # The inbox list (newest first) and the header's unread count: one index range each.
            models.Index(fields=["recipient", "channel", "-created_at"], name="notice_inbox"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(channel="inbox", read_at__isnull=True),
                name="notice_inbox_unread",
            ),
            # The per-phone daily SMS limit: that number's notices, counted (and locked) per delivery.
            models.Index(fields=["address", "sent_at"], condition=models.Q(channel="sms"), name="notice_sms_per_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.channel}"


class NoticeProfile(models.Model):
    """Where and how a user is told: the language notices are written in, and a mobile number for SMS
    (personal data, set by the user on the preferences page)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notice_profile"
    )
    language = models.CharField(_("通知语言"), max_length=10, blank=True)
    phone = models.CharField(_("接收短信的手机号码"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.user)


class NoticePreference(models.Model):
    """A user's channels for one kind of notice (a row exists only once they chose; until then the
    kind's default channels apply). Legal kinds ignore it: they always use their default channels."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(_("通知类型"), max_length=60)
    channels = models.JSONField(_("渠道"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notice_preference_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"
