"""Self sign-up of merchant accounts and the confirmation of their e-mail address.

Sign-up must not tell anyone which addresses (or staff usernames) have an account: the e-mail address
is the login name, and the answer — a redirect to "check your mailbox" — is the same whether the address
is new or known. What differs goes only to the mailbox itself: a new address receives a confirmation
link, a known one a note that someone tried to register with it. The known path hashes the password
too, so both take about as long. Sign-ups are counted per client address (``signup`` rate).

A self-registered account may sign in at once, but claims a business only after the link (a
``TimestampSigner`` token over the account id and the address, valid ``EMAIL_CONFIRM_DAYS``) was opened.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core import ratelimit
from integrity_portal.core.audit import audit_log
from integrity_portal.core.client import address_key
from integrity_portal.core.errors import DomainError, ValidationFailed

from ..audit_actions import AuditAction
from ..models import EmailConfirmation
from ..selectors.accounts import email_is_confirmed

logger = logging.getLogger(__name__)
CONFIRM_SALT = "merchants.email-confirmation"
EMAIL_CONFIRM_DAYS = 3
CONFIRM_INVALID = gettext_lazy("确认链接无效或已过期，请登录后重新发送确认邮件。")


class TooManySignups(DomainError):
    """Too many sign-ups (or confirmation mails) from one client; the answer is a 429."""

    status_code = 429
    code = "throttled"


class EmailNotConfirmed(DomainError):
    """A self-registered account whose address is not confirmed yet may not claim a business."""

    status_code = 403
    code = "email_unconfirmed"


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def email_confirmation_token(*, user_id: int, email: str) -> str:
    return signing.dumps({"u": user_id, "e": normalize_email(email)}, salt=CONFIRM_SALT, compress=True)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _mail(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [to], fail_silently=True)


def _send_confirmation(user_id: int, email: str) -> None:
    link = _absolute(reverse("signup_confirm", args=[email_confirmation_token(user_id=user_id, email=email)]))
    body = _(
        "您好：\n\n您使用本邮箱注册了诚信经营服务平台的经营者账号。请在 %(days)d 天内打开以下链接确认邮箱，"
        "确认后即可认领您的市场主体：\n\n%(link)s\n\n如果不是您本人操作，请忽略本邮件。"
    ) % {"days": EMAIL_CONFIRM_DAYS, "link": link}
    _mail(email, _("请确认您的注册邮箱"), body)


def _send_already_registered(email: str) -> None:
    body = _(
        "您好：\n\n有人刚刚尝试使用本邮箱注册诚信经营服务平台的账号，但本邮箱已经注册过。"
        "如果是您本人，请直接登录：\n%(login)s\n\n忘记密码可在此重设：\n%(reset)s\n\n"
        "如果不是您本人操作，请忽略本邮件，您的账号不受影响。"
    ) % {"login": _absolute(reverse("login")), "reset": _absolute(reverse("password_reset"))}
    _mail(email, _("有人尝试使用您的邮箱注册"), body)


def user_signup(*, email: str, password: str, ip: str | None = None) -> None:
    """Register a merchant account under ``email`` (its login name) — or, if the address is taken, mail it.

    Returns nothing on purpose: the caller must answer the same in both cases. The password was
    checked by Django's validators in the form.
    """
    if not ratelimit.hit("signup", [address_key(ip) if ip else ""]).allowed:
        raise TooManySignups(_("注册过于频繁，请稍后再试。"))
    email = normalize_email(email)
    if not email or "@" not in email:
        raise ValidationFailed(_("请填写有效的电子邮箱。"), details={"email": _("请填写有效的电子邮箱。")})
    User = get_user_model()
    taken = Q(email__iexact=email) | Q(username__iexact=email)
    if not User.objects.filter(taken).exists():
        try:
            # Outermost (durable): the account is committed when this returns and its confirmation mail
            # (on_commit) goes out then; a racing signup of the same address waits on the unique key
            # only as long as this block, not as long as a caller's transaction.
            with transaction.atomic(durable=True):
                user = User.objects.create_user(username=email, email=email, password=password)
                EmailConfirmation.objects.create(user=user, email=email, sent_at=timezone.now())
                audit_log(
                    actor=user,
                    action=AuditAction.ACCOUNT_SIGNUP,
                    target=user,
                    data={"consent": "用户协议与个人信息保护说明"},
                )
                transaction.on_commit(lambda: _send_confirmation(user.pk, email))
            return
        except IntegrityError:  # the same address registered a moment ago: the known-address path
            pass
    make_password(password)  # the same work as a new account, so timing does not tell either
    existing = User.objects.filter(taken).order_by("pk").first()
    with transaction.atomic():
        if existing is not None:
            audit_log(actor=None, action=AuditAction.ACCOUNT_SIGNUP_EXISTING, target=existing)
        transaction.on_commit(lambda: _send_already_registered(email))


def require_confirmed_email(user) -> None:
    if not email_is_confirmed(user):
        raise EmailNotConfirmed(
            _("请先确认您的注册邮箱：打开我们发送到邮箱的确认链接后才能认领市场主体。"),
        )


def email_confirm(*, token: str):
    """Confirm the address a signed link names; idempotent. Returns the account."""
    try:
        data = signing.loads(token or "", salt=CONFIRM_SALT, max_age=EMAIL_CONFIRM_DAYS * 86400)
        user_id, email = int(data["u"]), str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationFailed(CONFIRM_INVALID, code="confirm_invalid") from None
    with transaction.atomic():
        row = EmailConfirmation.objects.select_for_update().select_related("user").filter(user_id=user_id).first()
        if row is None or normalize_email(row.email) != email:
            raise ValidationFailed(CONFIRM_INVALID, code="confirm_invalid")
        if row.confirmed_at is None:
            row.confirmed_at = timezone.now()
            row.save(update_fields=["confirmed_at"])
            audit_log(
                actor=row.user,
                action=AuditAction.ACCOUNT_EMAIL_CONFIRM,
                target=row.user,
                from_status="unconfirmed",
                to_status="confirmed",
            )
    return row.user


def email_confirmation_resend(*, user, actor: User | None) -> None:
    """Mail the account a fresh confirmation link (its own address only), a few times per hour."""
    if not ratelimit.hit("confirm_resend", [f"user:{user.pk}"]).allowed:
        raise TooManySignups(_("确认邮件发送过于频繁，请稍后再试。"))
    with transaction.atomic():
        row = EmailConfirmation.objects.select_for_update().filter(user_id=user.pk).first()
        if row is None or row.confirmed_at is not None:
            raise ValidationFailed(_("您的邮箱已经确认，无需再次发送。"), code="already_confirmed")
        row.sent_at = timezone.now()
        row.save(update_fields=["sent_at"])
        audit_log(actor=actor, action=AuditAction.ACCOUNT_EMAIL_CONFIRM_RESEND, target=user)
        user_id, email = row.user_id, row.email
        transaction.on_commit(lambda: _send_confirmation(user_id, email))
