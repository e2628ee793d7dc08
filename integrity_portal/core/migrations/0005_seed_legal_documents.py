"""Seed the privacy notice and the user agreement with the default texts (core.legal); superusers
amend them in the admin afterwards (an existing row is never overwritten)."""

from django.db import migrations

PRIVACY_TITLE = "个人信息保护说明"
TERMS_TITLE = "用户协议"


def seed(apps, schema_editor):
    from integrity_portal.core.legal import PRIVACY_BODY, TERMS_BODY

    LegalDocument = apps.get_model("core", "LegalDocument")
    for kind, title, body in (("privacy", PRIVACY_TITLE, PRIVACY_BODY), ("terms", TERMS_TITLE, TERMS_BODY)):
        LegalDocument.objects.get_or_create(kind=kind, defaults={"title": title, "body": body, "version": 1})


class Migration(migrations.Migration):
    dependencies = [("core", "0004_legal_document")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
