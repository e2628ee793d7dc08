from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def role_grants() -> dict:
    """Staff roles' permissions on the outbox (core.roles): the city bureau and the district branches,
    who handle complaints, see their region's notices' delivery status and re-send a failed one; no
    role adds, edits or deletes a notice (the outbox writes them)."""
    from integrity_portal.core.roles import StaffRole

    return {
        StaffRole.CITY_BUREAU: ["notifications.view_notice", "notifications.resend_notice"],
        StaffRole.DISTRICT_BRANCH: ["notifications.view_notice", "notifications.resend_notice"],
    }


class NotificationsConfig(AppConfig):
    """The outbox (docs/NOTIFICATIONS.md). Depends on integrity_portal.core only; the apps whose
    events send notices import it, never the other way round."""

    name = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from integrity_portal.core.audit import register_audit_actions
        from integrity_portal.core.retention import register_anonymiser

        from .audit_actions import AuditAction
        from .services import notices_anonymise_expired
        from .workflow import register_workflows

        register_audit_actions(AuditAction)
        register_workflows()
        register_anonymiser("notifications", notices_anonymise_expired)
        from integrity_portal.core.retention import register_person_data

        from .personal_data import profile_erase, profile_export, profiles_of_person

        # A member's or staff user's SMS number (NoticeProfile.phone): found, exported and erased by number.
        register_person_data("notice_profiles", find=profiles_of_person, export=profile_export, erase=profile_erase)

        from integrity_portal.core.roles import register_role_permissions

        register_role_permissions("notifications", role_grants())

        from django.core.checks import register

        from .checks import sms_backend_check

        register(sms_backend_check)
