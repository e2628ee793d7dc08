"""Shared admin helpers: a small form page that calls a service and reports its DomainError."""

from __future__ import annotations

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from integrity_portal.core.errors import DomainError


def run_service_form(
    modeladmin, request, obj, *, form_class, title: str, call, intro: str = "", extra=None, initial=None
):
    """GET shows the form; a valid POST runs ``call(cleaned_data)``; a DomainError becomes a form error."""
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            message = call(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            modeladmin.message_user(request, message, messages.SUCCESS)
            opts = obj._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj.pk)
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": obj._meta,
        "original": obj,
        "title": title,
        "intro": intro,
        "form": form,
        "extra": extra or {},
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(
        request, "campaigns/admin/service_form.html", context, status=400 if form.errors else 200
    )


def run_action(modeladmin, request, queryset, call, done: str) -> None:
    """Apply ``call(obj)`` to each selected object; report successes and each refusal with its reason."""
    ok = 0
    for obj in queryset:
        try:
            call(obj)
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}：{exc.message}", messages.ERROR)
        else:
            ok += 1
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
