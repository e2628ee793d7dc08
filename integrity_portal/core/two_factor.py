"""Two-factor sign-in (等保 2.0 level 3): a time-based one-time password (TOTP, django-otp) after the
password, required for every staff account and optional for merchants.

Why a second step after the ordinary password sign-in instead of one form with three fields: the
password form stays the same for everybody (merchants without a second factor never see a code field),
and a staff member who has no authenticator yet is taken straight to enrolment instead of being locked
out. ``TwoFactorMiddleware`` enforces it on every request, so no staff page, admin page or session API
call is reachable with a password alone; HTTP Basic auth refuses accounts that need a second factor
(core/api_input.py), since it has no second step.

Recovery codes are django-otp static tokens: ten single-use codes shown once when the authenticator is
confirmed (and again whenever the user regenerates them). A superuser can reset a staff member's second
factor (lost phone) from the user admin; the member enrols again at the next sign-in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .api_errors import is_api_request, json_error
from .audit import AuditAction as Action
from .audit import audit_log
from .errors import DomainError

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"


def two_factor_required(user) -> bool:
    """Staff and superusers always; anybody else once they have enrolled (a merchant who opted in)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser) or two_factor_enrolled(user)


def two_factor_enrolled(user) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticDevice.objects.filter(user=user, confirmed=True, token_set__isnull=False).exists()
    )


def session_verified(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_verified", None) and user.is_verified())


def normalise_token(raw: str) -> str:
    """People type codes with spaces or a dash (``123 456``, ``abcd-efgh``); recovery codes are lower case."""
    return "".join(ch for ch in str(raw or "") if ch.isalnum()).lower()[:16]


def recovery_codes_remaining(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


# --- services -------------------------------------------------------------------------------------


def totp_device_start(*, user) -> TOTPDevice:
    """An unconfirmed authenticator for enrolment; reused while the user has not confirmed it, so
    reloading the page does not change the QR code under the phone that is scanning it."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False, name=AUTHENTICATOR_NAME).order_by("-pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def totp_device_confirm(*, request, user, token: str) -> list[str]:
    """Check the first code from the new authenticator, make it the user's only authenticator, issue
    recovery codes and mark this session verified. Returns the recovery codes (shown once)."""
    token = normalise_token(token)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False, name=AUTHENTICATOR_NAME)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise DomainError(_("没有待确认的验证器，请重新开始设置。"), code="no_pending_authenticator")
        if not token.isdigit() or not device.verify_token(token):
            raise DomainError(_("验证码不正确或已过期，请输入验证器当前显示的6位数字。"))
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_log(actor=user, action=Action.TWO_FACTOR_ENABLED, target=user)
    otp_login(request, device)
    return codes


def recovery_codes_regenerate(*, user, actor: User | None) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_log(actor=actor, action=Action.RECOVERY_CODES_REGENERATED, target=user)
    return codes


def two_factor_verify(*, request, token: str) -> bool:
    """The second step of sign-in: a code from the authenticator or one recovery code. Each device
    throttles failures itself (django-otp doubles the wait after each miss), so guessing is slow."""
    user = request.user
    token = normalise_token(token)
    if token:
        candidates = list(TOTPDevice.objects.filter(user=user, confirmed=True)) if token.isdigit() else []
        candidates += list(StaticDevice.objects.filter(user=user, confirmed=True))
        for device in candidates:
            with transaction.atomic():
                locked = type(device).objects.select_for_update().get(pk=device.pk)
                allowed, _details = locked.verify_is_allowed()
                if allowed and locked.verify_token(token):
                    otp_login(request, locked)
                    if isinstance(locked, StaticDevice):
                        audit_log(
                            actor=user,
                            action=Action.RECOVERY_CODE_USED,
                            target=user,
                            data={"remaining": recovery_codes_remaining(user)},
                        )
                    return True
    audit_log(actor=user, action=Action.TWO_FACTOR_FAILED, target=user)
    return False


def two_factor_disable(*, request, user, token: str) -> None:
    """A merchant turns the second factor off with a current code; staff cannot (it is required)."""
    if user.is_staff or user.is_superuser:
        raise DomainError(_("工作人员账号必须启用两步验证，不能关闭。"))
    if not two_factor_verify(request=request, token=token):
        raise DomainError(_("验证码不正确，两步验证未关闭。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_log(actor=user, action=Action.TWO_FACTOR_DISABLED, target=user)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)


def two_factor_reset(*, user, actor: User | None) -> None:
    """A superuser clears a user's authenticator and recovery codes (lost phone); the user enrols again
    at the next sign-in. Only superusers: a reset lets whoever knows the password enrol a new phone."""
    if actor is None or not actor.is_superuser:
        raise DomainError(_("只有超级管理员可以重置两步验证。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_log(actor=actor, action=Action.TWO_FACTOR_RESET, target=user)


def _recovery_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


# --- enforcement ----------------------------------------------------------------------------------

# Reachable with a password alone: signing in and out, the second step itself, and what carries no
# account data (static files, language switch, health probes, legal texts).
EXEMPT_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/two-factor/verify/",
    "/accounts/two-factor/setup/",
    "/admin/login/",
    "/admin/logout/",
    "/i18n/",
    "/legal/",
    "/healthz/",
    "/readyz/",
    "/metrics",
)


class TwoFactorMiddleware:
    """After ``django_otp.middleware.OTPMiddleware``: a signed-in user who needs a second factor and has
    not given one this session is sent to give it (enrol first if they have none); the API answers 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not request.path.startswith(settings.STATIC_URL)
            and two_factor_required(user)
        ):
            if is_api_request(request):
                return json_error(
                    403, "second_factor_required", _("此账号需要两步验证：请先在网页上完成两步验证后再调用接口。")
                )
            name = "two-factor-verify" if two_factor_enrolled(user) else "two-factor-setup"
            return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
