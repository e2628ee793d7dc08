from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def role_grants() -> dict:
    """Staff roles' permissions on campaigns (core.roles): the civility office runs them, district
    branches review applications, PSA reports and objections."""
    from integrity_portal.core.roles import StaffRole

    return {
        StaffRole.CITY_BUREAU: ["campaigns.*"],
        StaffRole.DISTRICT_BRANCH: [
            "campaigns.view_*",
            "campaigns.change_application",
            "campaigns.change_adreport",
            "campaigns.change_objection",
        ],
        StaffRole.CIVILITY_OFFICE: ["campaigns.*", "!campaigns.delete_*"],
    }


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("文明诚信创建与公益广告")

    def ready(self) -> None:
        from integrity_portal.core.audit import register_audit_actions

        from .audit_actions import AuditAction

        register_audit_actions(AuditAction)  # this app's audit actions, named once (core.audit)
        from . import dashboard

        dashboard.register()  # this app's figures on the district dashboard (core.dashboard)
        from integrity_portal.core.demo import register_demo_seeder
        from integrity_portal.core.ratingfacts import register_fact_provider

        from .demo import seed_campaigns
        from .facts import FACT_COLUMNS, FACT_LABELS, campaign_rating_facts

        register_fact_provider("campaigns", FACT_COLUMNS, campaign_rating_facts, labels=FACT_LABELS)
        register_demo_seeder("campaigns", 50, seed_campaigns)

        from integrity_portal.core.retention import register_anonymiser, register_person_data

        from .services.retention import (
            objection_erase,
            objection_export,
            objections_anonymise_expired,
            objections_of_person,
        )

        register_anonymiser("objections", objections_anonymise_expired)
        register_person_data("objections", find=objections_of_person, export=objection_export, erase=objection_erase)

        from integrity_portal.core.roles import register_role_permissions

        register_role_permissions("campaigns", role_grants())

        from integrity_portal.core.middleware import register_public_reads

        # Publicity notices and the commendation open data (objectors' details never appear there).
        register_public_reads("campaigns", prefixes=("/notices/", "/api/v1/commendations/"))

        from integrity_portal.core.panels import register_merchant_panel

        from .selectors import portal_merchant_panel

        register_merchant_panel(
            "campaigns", template="portal/partials/campaigns_panel.html", context=portal_merchant_panel, order=30
        )

        from integrity_portal.core.panels import register_portal_todo

        from .selectors import portal_todos

        register_portal_todo("campaigns", portal_todos)

        from .workflow import register_workflows

        register_workflows()

        from .workbench import register_work_sources

        register_work_sources()  # what waits for staff on the workbench (core.workbench)
        from .audit_scopes import register_audit_scopes

        register_audit_scopes()  # where its audit entries belong, for the staff audit log (core.staff_audit)

        from .notices import register_kinds as register_notice_kinds

        register_notice_kinds()  # application reviewed, PSA reminder (campaigns/notices.py)
