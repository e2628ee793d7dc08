"""Admin for applications with their district (初审) and city (复审) review pages."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core.admin_scoping import RegionScopedAdminMixin
from integrity_portal.core.workbench import due_ordering

from .. import services
from ..forms import ReviewForm
from ..models import Application, ApplicationReview, ApplicationStatus, ReviewLevel
from ._base import ObjectStepAdminMixin, ReadOnlyInline, run_service_form


class ReviewInline(ReadOnlyInline):
    model = ApplicationReview
    fields = ("level", "decision", "reason", "inspection_score", "survey_score", "reviewer", "reviewed_at")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(ObjectStepAdminMixin, RegionScopedAdminMixin, admin.ModelAdmin):
    region_field = "merchant__region"
    step = "review"
    list_display = (
        "merchant",
        "review_deadline",
        "campaign",
        "category",
        "status",
        "eligible",
        "total_score",
        "rank",
        "review_link",
    )
    # Only campaigns of the user's own applications (the plain filter listed every city's).
    list_filter = ("status", "category", ("campaign", admin.RelatedOnlyFieldListFilter))
    search_fields = ("merchant__name", "merchant__uscc")
    list_select_related = ("merchant", "campaign")
    # Applications still under review by the campaign's review deadline first; decided ones after them.
    ordering = (
        due_ordering(
            "campaign__review_deadline",
            waiting=[ApplicationStatus.SUBMITTED, ApplicationStatus.DISTRICT_PASSED],
        ),
        "campaign",
        "category",
        "rank",
    )
    inlines = [ReviewInline]
    readonly_fields = (
        "campaign",
        "merchant",
        "category",
        "status",
        "statement",
        "eligibility_summary",
        "submitted_at",
        "submitted_by",
        "inspection_score",
        "survey_score",
        "total_score",
        "rank",
        "rejection_reason",
        "review_link",
    )
    fields = readonly_fields

    @admin.display(description=gettext_lazy("评审截止"), ordering=due_ordering("campaign__review_deadline"))
    def review_deadline(self, obj):
        return obj.campaign.review_deadline

    @admin.display(boolean=True, description=gettext_lazy("资格审核"))
    def eligible(self, obj):
        return not obj.eligibility_failures

    @admin.display(description=gettext_lazy("资格审核结果"))
    def eligibility_summary(self, obj):
        items = format_html_join(
            "",
            "<li>{} {}：{}</li>",
            (("✓" if c.get("ok") else "✗", c.get("label"), c.get("detail")) for c in obj.eligibility),
        )
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=gettext_lazy("审核"))
    def review_link(self, obj):
        if obj.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.DISTRICT_PASSED):
            return self.step_button(
                obj, _("初审") if obj.status == ApplicationStatus.SUBMITTED else _("复审")
            )
        return "—"

    def review_view(self, request, pk: int):
        application = self.step_object(request, pk)
        level = (
            ReviewLevel.DISTRICT if application.status == ApplicationStatus.SUBMITTED else ReviewLevel.CITY
        )

        def call(data):
            decided = {"decision": data["decision"], "reason": data["reason"], "actor": request.user}
            if level == ReviewLevel.DISTRICT:
                services.application_review_district(application=application, **decided)
            else:
                services.application_review_city(
                    application=application,
                    inspection_score=data.get("inspection_score"),
                    survey_score=data.get("survey_score"),
                    **decided,
                )
            return _("%(m)s：%(l)s已记录，当前状态“%(s)s”。") % {
                "m": application.merchant.name,
                "l": ReviewLevel(level).label,
                "s": application.get_status_display(),
            }

        return run_service_form(
            self,
            request,
            application,
            form_class=ReviewForm,
            call=call,
            title=f"{ReviewLevel(level).label} · {application.merchant.name}",
            intro=_(
                "复审须录入实地考察得分和问卷调查满意度，加权总分 = 实地考察×%(a)d%% + 问卷调查×%(b)d%%。"
            )
            % {"a": application.campaign.weight_inspection, "b": application.campaign.weight_survey}
            if level == ReviewLevel.CITY
            else _("初审由所在区县分局核实申报材料和经营情况。"),
            extra={"eligibility": application.eligibility, "statement": application.statement},
        )
