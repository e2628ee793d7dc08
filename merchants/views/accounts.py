"""Merchant accounts: sign-up here; log-in, log-out, password change and reset are Django's views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from integrity_portal.core.errors import DomainError

from ..forms import SignupForm
from ..services import user_signup


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功。请使用市场监管部门发放的认领码认领您的市场主体。"))
            return redirect("portal:claim")
    return render(request, "registration/signup.html", {"form": form})
