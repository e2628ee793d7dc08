"""Admin for objections (异议) raised during publicity, with the resolve page."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.workbench import due_ordering

from .. import services
from ..forms import ObjectionResolveForm
from ..models import Objection, ObjectionStatus
from ._base import ObjectStepAdminMixin, run_service_form


@admin.register(Objection)
class ObjectionAdmin(ObjectStepAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "application__merchant__region"
    step = "resolve"
    list_display = (
        "reference",
        "publicity_end",
        "candidate",
        "campaign",
        "status",
        "masked_phone",
        "created_at",
        "resolve_link",
    )
    list_filter = ("status", ("application__campaign", admin.RelatedOnlyFieldListFilter))
    search_fields = ("reference", "application__merchant__name")
    list_select_related = ("application__merchant", "application__campaign")
    # Open objections must be resolved before publicity ends: by that date first, resolved ones after.
    ordering = (
        due_ordering("application__campaign__publicity_end", waiting=[ObjectionStatus.OPEN]),
        "-created_at",
    )
    readonly_fields = (
        "reference",
        "application",
        "objector_name",
        "objector_phone",
        "content",
        "status",
        "resolution_reason",
        "resolved_by",
        "resolved_at",
        "created_at",
        "resolve_link",
    )
    fields = readonly_fields

    @admin.display(
        description=gettext_lazy("处理期限（公示截止）"),
        ordering=due_ordering("application__campaign__publicity_end"),
    )
    def publicity_end(self, obj):
        return obj.application.campaign.publicity_end

    @admin.display(description=gettext_lazy("候选对象"))
    def candidate(self, obj):
        return obj.application.merchant.name

    @admin.display(description=gettext_lazy("活动"))
    def campaign(self, obj):
        return obj.application.campaign.year

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=gettext_lazy("处理"))
    def resolve_link(self, obj):
        if obj.status == ObjectionStatus.OPEN:
            return self.step_button(obj, _("处理"))
        return obj.get_status_display()

    def resolve_view(self, request, pk: int):
        objection = self.step_object(request, pk)

        def call(data):
            services.objection_resolve(
                objection=objection,
                upheld=data["outcome"] == "upheld",
                reason=data["reason"],
                actor=request.user,
            )
            return _("异议 %(r)s 已处理：%(s)s。") % {
                "r": objection.reference,
                "s": objection.get_status_display(),
            }

        return run_service_form(
            self,
            request,
            objection,
            form_class=ObjectionResolveForm,
            call=call,
            title=_("处理异议 %(r)s") % {"r": objection.reference},
            intro=_("异议成立将取消该候选对象的公示资格；异议不成立则保留。两种结果都须写明理由。"),
            extra={"statement": objection.content, "candidate": objection.application.merchant.name},
        )
