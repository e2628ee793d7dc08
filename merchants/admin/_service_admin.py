"""Shared pieces of the credit admins: region scoping on the merchant, creation through a
service (with its refusals shown as form errors), and bulk actions that take a reason.

New facts are created through the services (so publicity windows, stale marking and the
audit happen in one place); transitions are admin actions that call services and show a
refusal as an error message.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_actions import service_action
from integrity_portal.core.admin_decisions import Decision
from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.errors import DomainError

#: How a refused object and the reason are joined in the credit admins' error messages.
ERROR_SEPARATOR = ": "


def credit_action(
    service, target: str, description, done, *, reason: bool = True, permissions=None, **fixed
):
    """A bulk action calling ``service(<target>=obj, reason=<typed reason>, actor=…)`` per record."""
    return service_action(
        service,
        description,
        done,
        target=target,
        reason=reason,
        separator=ERROR_SEPARATOR,
        permissions=permissions,
        **fixed,
    )


def decision_actions(service, target: str, flag: str, yes: tuple, no: tuple, *, permissions=None):
    """The two bulk actions of a deciding service, ``<flag>=True`` and ``<flag>=False``; ``yes`` and
    ``no`` are each (description, done message)."""
    return (
        credit_action(service, target, *yes, permissions=permissions, **{flag: True}),
        credit_action(service, target, *no, permissions=permissions, **{flag: False}),
    )


def decision_buttons(service, target: str, flag: str, workflow, yes: tuple, no: tuple, *, permission="change"):
    """The change-page buttons (``core.admin_decisions``) of the same deciding service as
    ``decision_actions``; ``yes`` and ``no`` are each (name, target status, label, done message).
    Each is shown while ``workflow`` allows the move from the record's status, and needs a reason
    (the deciding services refuse an empty one)."""

    def button(name, status, label, done, value, style):
        return Decision(
            name=name,
            label=label,
            done=done,
            run=lambda obj, *, actor, reason: service(**{target: obj, flag: value}, reason=reason, actor=actor),
            allowed=lambda obj: workflow.can(obj.status, status),
            reason_required=True,
            permission=permission,
            style=style,
        )

    return (button(*yes, True, "default"), button(*no, False, ""))


class _DryRun(Exception):
    pass


class ServiceCheckedForm(forms.ModelForm):
    """On add, runs the admin's create service in a rolled-back savepoint so that every refusal
    the service would raise becomes a form error instead of a failed save."""

    create_check = None

    def clean(self):
        data = super().clean()
        if self.errors or self.instance.pk or self.create_check is None:
            return data
        try:
            with transaction.atomic():
                self.create_check(data)
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


class ServiceCreateMixin:
    """Admins whose new rows are made by a service: ``create(request, data)`` returns the object."""

    def create(self, request, data):
        raise ImproperlyConfigured(f"{type(self).__name__} must define create(request, data).")

    def get_form(self, request, obj=None, **kwargs):
        kwargs.setdefault("form", type("CheckedForm", (ServiceCheckedForm,), {}))
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.create_check = staticmethod(lambda data: self.create(request, data))
        return form

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = self.create(request, form.cleaned_data)
        obj.pk = created.pk
        obj.refresh_from_db()


class ReasonActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=gettext_lazy("原因／意见"), required=False, max_length=300)


class CreditAdmin(RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "merchant__region"
    action_form = ReasonActionForm
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
    search_fields = ("merchant__name", "merchant__uscc")
