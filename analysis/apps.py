from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def role_grants() -> dict:
    """Staff roles' permissions on the analysis app (core.roles). Submitting a report (the unit's
    head) and receiving the city's report (the work group) are granted to named users, never to a
    whole role: ``analysis.submit_monthlyreport`` and ``analysis.accept_monthlyreport``."""
    from integrity_portal.core.roles import StaffRole

    bureau = [
        "analysis.view_*",
        "analysis.change_monthlyreport",
        "analysis.add_quarterlymeeting",
        "analysis.change_quarterlymeeting",
        "analysis.add_actionitem",
        "analysis.change_actionitem",
    ]
    return {
        StaffRole.CITY_BUREAU: bureau,
        StaffRole.DISTRICT_BRANCH: bureau,
        StaffRole.CIVILITY_OFFICE: ["analysis.view_*", "analysis.change_actionitem"],
    }


class AnalysisConfig(AppConfig):
    name = "analysis"
    verbose_name = _("月研判与季会商")

    def ready(self) -> None:
        from integrity_portal.core.audit import register_audit_actions
        from integrity_portal.core.roles import register_role_permissions

        from .audit_actions import AuditAction
        from .workflow import register_workflows

        register_audit_actions(AuditAction)
        register_role_permissions("analysis", role_grants())
        register_workflows()

        from .workbench import register_work_sources

        register_work_sources()  # drafts due by the 25th and open action items (core.workbench)

        from .audit_scopes import register_audit_scopes

        register_audit_scopes()  # the staff audit log shows these entries to the region (core.staff_audit)

        from integrity_portal.core.demo import register_demo_seeder

        from .demo import seed_analysis

        register_demo_seeder("analysis", 70, seed_analysis)

        from . import notices

        notices.register()  # the escalation notice to staff (notifications fan-out)
