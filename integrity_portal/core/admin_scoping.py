"""Region scoping for the Django admin: querysets, foreign-key choices and saves.

Every staff-facing ModelAdmin inherits ``RegionScopedAdminMixin`` and names the
path from its model to a Region FK in ``region_field`` (``"region"``,
``"merchant__region"``…). A district user then cannot list, open (404), choose
or save another district's object; a city user sees all districts of the city.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from .scoping import is_region_model, scope_to_user_region, user_covers_region, visible_region_codes


def region_code_of(obj, path: str) -> str | None:
    """Follow ``path`` (``a__b__region``) from ``obj`` to the Region FK and return its code."""
    parts = path.split("__")
    current = obj
    for part in parts[:-1]:
        current = getattr(current, part, None)
        if current is None:
            return None
    last = parts[-1]
    if last == "pk" or (is_region_model(current) and last == current._meta.pk.name):
        # The object is itself a Region (``region_field = "pk"``).
        return current.pk
    return getattr(current, f"{last}_id", None)


def scope_related_queryset(qs, user):
    """Scope a queryset of any model that is, or points at, a Region."""
    model = qs.model
    if is_region_model(model):
        codes = visible_region_codes(user)
        return qs if codes is None else qs.filter(pk__in=codes)
    field = getattr(model, "region_scope_field", None)
    if field is None and any(f.name == "region" for f in model._meta.get_fields()):
        field = "region"
    if field is None:
        return qs
    return scope_to_user_region(qs, user, field=field)


class RegionScopedAdminMixin:
    region_field: str = "region"

    def get_queryset(self, request):
        return scope_to_user_region(super().get_queryset(request), request.user, field=self.region_field)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Out of region and non-existent look the same: a plain 404, no redirect that confirms existence.
            raise Http404(_("您的辖区内没有该记录。"))
        return obj

    def _require_in_scope(self, request, object_id) -> None:
        """404 unless the object is in the user's scoped queryset.

        django-simple-history's history views look objects up without the admin's
        queryset (and fall back to the history table), which would show another
        district's records; these guards close that hole.
        """
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            found = False
        if not found:
            raise Http404(_("您的辖区内没有该记录。"))

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_related_queryset(formfield.queryset, request.user)
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_related_queryset(formfield.queryset, request.user)
        return formfield

    def save_model(self, request, obj, form, change):
        if not user_covers_region(request.user, region_code_of(obj, self.region_field)):
            raise PermissionDenied(_("只能保存本辖区内的记录。"))
        super().save_model(request, obj, form, change)


class RegionScopedInlineMixin:
    """For inlines: FK choices scoped the same way (the parent admin already scopes the object)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_related_queryset(formfield.queryset, request.user)
        return formfield
