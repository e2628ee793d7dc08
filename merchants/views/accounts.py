"""Merchant accounts: sign-up and e-mail confirmation here; log-in, log-out, password change and reset
are Django's views.

The sign-up answer never depends on whether the address already has an account (services.accounts):
a valid form always redirects to the same "check your mailbox" page, and the new account is not signed
in by the answer (that would differ by a session cookie).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrity_portal.core.client import client_ip
from integrity_portal.core.errors import DomainError

from ..forms import SignupForm
from ..services import email_confirm, email_confirmation_resend, user_signup


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user_signup(
                email=form.cleaned_data["email"], password=form.cleaned_data["password1"], ip=client_ip(request)
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            return redirect("signup_done")
    return render(request, "registration/signup.html", {"form": form}, status=status)


@require_GET
def signup_done(request):
    return render(request, "registration/signup_done.html")


@require_http_methods(["GET", "POST"])
def signup_confirm(request, token: str):
    """GET shows a button, POST confirms: a mail scanner that follows links confirms nothing by itself."""
    if request.method == "GET":
        return render(request, "registration/signup_confirm.html", {"token": token})
    try:
        email_confirm(token=token)
    except DomainError as exc:
        return render(
            request, "registration/signup_confirm.html", {"error": exc.message}, status=exc.status_code
        )
    messages.success(request, _("邮箱已确认。登录后即可使用认领码认领您的市场主体。"))
    return redirect("portal:claim" if request.user.is_authenticated else "login")


@login_required
@require_POST
def confirmation_resend(request):
    try:
        email_confirmation_resend(user=request.user, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("确认邮件已重新发送，请查收。"))
    return redirect("portal:claim")
