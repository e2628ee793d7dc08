from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def role_grants() -> dict:
    """Staff roles' permissions on spot checks (core.roles): the city bureau and district branches plan,
    approve and draw in their region; inspectors see their tasks and record results; nobody deletes a
    plan or a task (the draw stays on record)."""
    from integrity_portal.core.roles import StaffRole

    planners = [
        "spotchecks.*",
        "!spotchecks.delete_*",
        "!spotchecks.add_spotchecktask",
        "!spotchecks.*_spotcheckfreeze",
    ]
    return {
        StaffRole.CITY_BUREAU: planners,
        StaffRole.DISTRICT_BRANCH: planners,
        StaffRole.INSPECTOR: [
            "spotchecks.view_spotcheckplan",
            "spotchecks.view_spotchecktask",
            "spotchecks.change_spotchecktask",
            "spotchecks.view_inspectorconflict",
        ],
    }


class SpotChecksConfig(AppConfig):
    name = "spotchecks"
    verbose_name = _("双随机、一公开")

    def ready(self) -> None:
        from integrity_portal.core.audit import register_audit_actions
        from integrity_portal.core.roles import register_role_permissions

        from .audit_actions import AuditAction
        from .workflow import register_workflows

        register_audit_actions(AuditAction)
        register_role_permissions("spotchecks", role_grants())
        register_workflows()

        from . import dashboard

        dashboard.register()  # spot-check progress on the district dashboard (core.dashboard)

        from . import workbench

        workbench.register()  # tasks waiting for inspectors on the workbench; audit scopes (core.staff_audit)

        from integrity_portal.core.demo import register_demo_seeder

        from . import demo, open_data

        open_data.register()  # the spot_checks dataset of the nightly open-data files (merchants.open_data)
        # after campaigns (50), before the final rating recompute (60), which takes the plans' inspections in
        register_demo_seeder("spot_checks", 55, demo.seed_spot_checks)
