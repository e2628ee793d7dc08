"""Merchant portal accounts: the confirmation of a self-registered account's e-mail address."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailConfirmation(models.Model):
    """Created by self sign-up; the account may sign in at once but claims a business only once
    ``confirmed_at`` is set (by the signed link mailed to ``email``).

    Accounts without a row were not self-registered (staff, demo data, accounts made by an
    administrator, accounts older than this rule) and count as confirmed: nothing else proves an
    address, and those addresses were entered by the bureau.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_confirmation",
        verbose_name=_("账号"),
    )
    email = models.EmailField(_("待确认的电子邮箱"), max_length=254)
    created_at = models.DateTimeField(_("注册时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("最近发送确认邮件时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("邮箱确认")
        verbose_name_plural = _("邮箱确认")

    def __str__(self) -> str:
        return f"{self.user} · {self.email}"
