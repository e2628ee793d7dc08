from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
