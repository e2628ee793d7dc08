"""The audit table refuses UPDATE and DELETE on PostgreSQL (integrity_portal/core/audit_immutability.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from integrity_portal.core.audit_immutability import install_append_only_trigger

    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("core", "AuditEntry")._meta.db_table
    install_append_only_trigger(schema_editor.connection, table)


def uninstall(apps, schema_editor):
    from integrity_portal.core.audit_immutability import FUNCTION, TRIGGER

    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("core", "AuditEntry")._meta.db_table
    schema_editor.execute(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_holiday_schedule")]

    operations = [migrations.RunPython(install, uninstall)]
