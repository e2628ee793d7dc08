"""Pages of two-factor sign-in: enrol an authenticator, give the second factor, manage recovery codes.
The rules are in core/two_factor.py; these pages only show its forms and its refusals."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import two_factor as tf
from .errors import DomainError


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=24,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}),
    )


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _default_landing(user) -> str:
    return reverse("admin:index") if user.is_staff else resolve_url(settings.LOGIN_REDIRECT_URL)


def _qr_data_uri(text: str) -> str:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=8)
    qr.add_data(text)
    qr.make(fit=True)
    svg = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _grouped(secret_b32: str) -> str:
    return " ".join(secret_b32[i : i + 4] for i in range(0, len(secret_b32), 4))


def _recovery_codes_page(request, codes: list[str], next_url: str):
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {"codes": [f"{c[:4]}-{c[4:]}" for c in codes], "next": next_url},
    )


@never_cache
@login_required
def setup(request):
    user = request.user
    next_url = _next_url(request, _default_landing(user))
    if tf.two_factor_enrolled(user) and not tf.session_verified(request):
        # Enrolling a new phone must not be a way round the one already enrolled.
        return redirect(f"{reverse('two-factor-verify')}?{urlencode({'next': next_url})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = tf.totp_device_confirm(request=request, user=user, token=form.cleaned_data["token"])
        except DomainError as exc:
            if exc.code == "no_pending_authenticator" and tf.session_verified(request):
                # A second click on "完成设置": the first one enrolled the phone and showed the codes.
                messages.info(request, _("验证器已绑定。如需新的恢复码，请在此页重新生成。"))
                return redirect(reverse("two-factor"))
            form.add_error("token", exc.message)
        else:
            return _recovery_codes_page(request, codes, next_url)
    device = tf.totp_device_start(user=user)
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": _grouped(secret),
            "next": next_url,
            "required": user.is_staff or user.is_superuser,
        },
    )


@never_cache
@login_required
def verify(request):
    user = request.user
    next_url = _next_url(request, _default_landing(user))
    if tf.session_verified(request):
        return redirect(next_url)
    if not tf.two_factor_enrolled(user):
        return redirect(f"{reverse('two-factor-setup')}?{urlencode({'next': next_url})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if tf.two_factor_verify(request=request, token=form.cleaned_data["token"]):
            remaining = tf.recovery_codes_remaining(user)
            if remaining <= 3:
                messages.warning(
                    request,
                    _("恢复码只剩 %(n)d 个，请在“两步验证”页重新生成。") % {"n": remaining},
                )
            return redirect(next_url)
        form.add_error(
            "token",
            _(
                "验证码不正确，或尝试过于频繁请稍候再试。请输入验证器当前显示的6位数字，或一个未用过的恢复码。"
            ),
        )
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def manage(request):
    user = request.user
    return render(
        request,
        "registration/two_factor_manage.html",
        {
            "enrolled": tf.two_factor_enrolled(user),
            "required": user.is_staff or user.is_superuser,
            "remaining": tf.recovery_codes_remaining(user),
            "form": TokenForm(),
        },
    )


@never_cache
@login_required
@require_POST
def recovery_codes(request):
    if not tf.session_verified(request):
        return redirect(reverse("two-factor-verify"))
    codes = tf.recovery_codes_regenerate(user=request.user, actor=request.user)
    return _recovery_codes_page(request, codes, reverse("two-factor"))


@never_cache
@login_required
@require_POST
def disable(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            tf.two_factor_disable(request=request, user=request.user, token=form.cleaned_data["token"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("两步验证已关闭。"))
    else:
        messages.error(request, _("请输入验证码。"))
    return redirect(reverse("two-factor"))
