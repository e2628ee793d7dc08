from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def role_grants() -> dict:
    """Staff roles' permissions on complaints and reports (core.roles); nobody deletes one."""
    from integrity_portal.core.roles import StaffRole

    return {
        StaffRole.CITY_BUREAU: ["complaints.*", "!complaints.delete_*"],
        StaffRole.DISTRICT_BRANCH: ["complaints.*", "!complaints.delete_*"],
        StaffRole.INSPECTOR: ["complaints.view_*"],
    }


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("投诉举报")

    def ready(self) -> None:
        from integrity_portal.core.audit import register_audit_actions

        from .audit_actions import AuditAction

        register_audit_actions(AuditAction)  # this app's audit actions, named once (core.audit)
        from . import dashboard

        dashboard.register()  # this app's figures on the district dashboard (core.dashboard)
        from . import partners

        partners.register_dashboard()  # consumer-rights stations' figures (docs/PARTNERS.md)
        partners.register_market_figures()  # stalls' complaint counts for market operators' pages
        from integrity_portal.core.panels import register_portal_todo as register_todo

        register_todo("stations", partners.station_todos)  # the station's page, from the portal home
        from integrity_portal.core.demo import register_demo_seeder
        from integrity_portal.core.ratingfacts import register_fact_provider

        from .demo import seed_complaints
        from .ratingfacts import FACT_COLUMNS, FACT_LABELS, complaint_facts

        register_fact_provider("complaints", FACT_COLUMNS, complaint_facts, labels=FACT_LABELS)
        register_demo_seeder("complaints", 30, seed_complaints)
        from .demo_partners import seed_partners

        register_demo_seeder("partners", 35, seed_partners)  # a market, its operator and station (issue #20)
        from .demo import seed_work_orders

        register_demo_seeder("work_orders", 36, seed_work_orders)  # 12315/12345 imports (issue #20 item 3)

        from integrity_portal.core.holidays import register_schedule_listener

        from .services.deadlines import complaint_deadlines_recompute

        # A newly entered holiday schedule recounts the provisional deadlines that reach into its year.
        register_schedule_listener("complaints", complaint_deadlines_recompute)

        from integrity_portal.core.retention import register_anonymiser, register_person_data

        from .services.retention import (
            complaint_erase,
            complaint_export,
            complaints_anonymise_expired,
            complaints_of_person,
        )

        register_anonymiser("complaints", complaints_anonymise_expired)
        register_person_data("complaints", find=complaints_of_person, export=complaint_export, erase=complaint_erase)

        from .workflow import register_workflows

        register_workflows()

        from .workbench import register_work_sources

        register_work_sources()  # what waits for staff on the workbench (core.workbench)
        from .audit_scopes import register_audit_scopes

        register_audit_scopes()  # where its audit entries belong, for the staff audit log (core.staff_audit)

        from . import notices

        notices.register()  # kinds of notice to merchant members and staff, links to a complaint (notices.py)

        from notifications.signals import notice_sent

        from .notify import record_feedback_when_sent

        # A real-name reporter is "told" only when the decision's notice went out (notifications outbox).
        notice_sent.connect(record_feedback_when_sent, dispatch_uid="complaints_report_feedback")

        from integrity_portal.core.roles import register_role_permissions

        register_role_permissions("complaints", role_grants())

        from integrity_portal.core.panels import register_merchant_panel

        from .selectors import portal_merchant_panel

        register_merchant_panel(
            "complaints", template="portal/partials/complaints_panel.html", context=portal_merchant_panel, order=20
        )

        from integrity_portal.core.panels import register_portal_todo

        from .selectors import portal_todos

        register_portal_todo("complaints", portal_todos)
