"""Admin for the role-model library (诚信典型库): the civility office and city staff of the merchant's region
write a story, a second staff member approves it, then it is published (or returned, or withdrawn) with
the decision buttons on the story's own page (core.admin_decisions)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_decisions import Decision, DecisionAdminMixin
from integrity_portal.core.errors import DomainError

from ..models import RoleModelStatus, RoleModelStory
from ..services import role_models as services
from ..workflow import ROLE_MODEL_WORKFLOW
from ._service_admin import CreditAdmin


class RoleModelStoryForm(forms.ModelForm):
    """The service's checks (text lengths, year, photo by content and size) run here, all at once."""

    class Meta:
        model = RoleModelStory
        fields = ("merchant", "year", "title", "text", "photo")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        photo = data.get("photo")
        fresh = (
            photo if photo and hasattr(photo, "content_type") else None
        )  # a new upload, not the stored one
        try:
            services._clean(
                year=data.get("year"), title=data.get("title"), text=data.get("text"), photo=fresh
            )
        except DomainError as exc:
            for field, message in (getattr(exc, "details", None) or {}).items():
                self.add_error(field if field in self.fields else None, message)
            if not getattr(exc, "details", None):
                raise forms.ValidationError(exc.message) from None
        if self.instance.pk and self.instance.status != RoleModelStatus.DRAFT:
            raise forms.ValidationError(gettext_lazy("只能修改草稿；已审核或已发布的事迹请先退回或撤下。"))
        return data


def _decision(name, target, label, done, run, *, style="", reason_required=False):
    return Decision(
        name=name,
        label=label,
        done=done,
        run=lambda obj, *, actor, reason: run(story=obj, actor=actor, reason=reason),
        allowed=lambda obj: ROLE_MODEL_WORKFLOW.can(obj.status, target),
        reason_required=reason_required,
        style=style,
    )


@admin.register(RoleModelStory)
class RoleModelStoryAdmin(DecisionAdminMixin, CreditAdmin):
    form = RoleModelStoryForm
    list_display = ("title", "merchant", "year", "status", "published_at")
    list_filter = ("status", "year")
    search_fields = ("title", "merchant__name", "merchant__uscc")
    readonly_fields = ("status", "photo_preview", "created_by", "approved_by", "approved_at", "published_at")
    decisions = (
        _decision(
            "approve",
            RoleModelStatus.APPROVED,
            gettext_lazy("审核通过"),
            gettext_lazy("已审核通过。"),
            services.role_model_approve,
            style="default",
        ),
        _decision(
            "publish",
            RoleModelStatus.PUBLISHED,
            gettext_lazy("发布"),
            gettext_lazy("已发布。"),
            services.role_model_publish,
            style="default",
        ),
        _decision(
            "return",
            RoleModelStatus.DRAFT,
            gettext_lazy("退回修改"),
            gettext_lazy("已退回为草稿。"),
            services.role_model_return,
        ),
        _decision(
            "withdraw",
            RoleModelStatus.WITHDRAWN,
            gettext_lazy("撤下"),
            gettext_lazy("已撤下。"),
            services.role_model_withdraw,
            style="deletelink",
            reason_required=True,
        ),
    )

    @admin.display(description=gettext_lazy("照片预览"))
    def photo_preview(self, obj):
        if not obj or not obj.pk or not obj.photo:
            return "—"
        from django.urls import reverse

        return format_html(
            '<img src="{}" alt="" width="240">', reverse("public:role_model_photo", args=[obj.pk])
        )

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != RoleModelStatus.DRAFT:  # edited only as a draft: return it first
            return ("merchant", "year", "title", "text", "photo", *fields)
        return ("merchant", *fields) if obj is not None else fields

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and services.role_model_may_edit(request.user, obj.merchant if obj else None)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and services.role_model_may_edit(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change and not {"year", "title", "text"} <= set(data):
            return  # an approved or published story's page: nothing to save (the decisions move it)
        photo = data.get("photo")
        fresh = photo if photo and hasattr(photo, "content_type") else None
        if change:
            story = services.role_model_update(
                story=obj,
                year=data["year"],
                title=data["title"],
                text=data["text"],
                photo=fresh,
                remove_photo=photo is False,
                actor=request.user,
            )
        else:
            story = services.role_model_create(
                merchant=data["merchant"],
                year=data["year"],
                title=data["title"],
                text=data["text"],
                photo=fresh,
                actor=request.user,
            )
        obj.pk = story.pk
        obj.refresh_from_db()
