"""Shared admin helpers: a small form page that calls a service and reports its DomainError,
and the per-object page (review, resolve, verify) that hosts it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

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


class ObjectStepAdminMixin:
    """Records filed by merchants or the public that staff neither add nor delete, only act on
    through one service form page per object at ``<pk>/<step>/``, served by ``<step>_view`` and
    named ``<app>_<model>_<step>`` (e.g. ``campaigns_objection_resolve``)."""

    step: str

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def step_url_name(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_{self.step}"

    def step_button(self, obj, label):
        url = reverse(f"admin:{self.step_url_name()}", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, label)

    def get_urls(self):
        view = self.admin_site.admin_view(getattr(self, f"{self.step}_view"))
        return [path(f"<int:pk>/{self.step}/", view, name=self.step_url_name()), *super().get_urls()]

    def step_object(self, request, pk: int):
        """The object in the viewer's scope, or PermissionDenied if they may not change it."""
        obj = self.get_object(request, str(pk))
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
