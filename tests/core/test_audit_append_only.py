"""The audit table is append-only in PostgreSQL: raw UPDATE and DELETE are refused by a trigger."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from integrity_portal.core.audit import audit_entries_for, audit_log
from integrity_portal.core.models import AuditEntry
from merchants.audit_actions import AuditAction as MerchantAction
from merchants.services import merchant_delete
from tests.factories import MerchantFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def entry(require_postgres, regions):
    actor = UserFactory(username="auditor")
    merchant = MerchantFactory()
    audit_log(actor=actor, action=MerchantAction.MERCHANT_UPDATE, target=merchant, note="原始说明")
    return AuditEntry.objects.get(action="merchant.update")


def test_the_audit_table_is_the_one_the_trigger_guards():
    assert AuditEntry._meta.db_table == "core_auditentry"


def _raw(sql: str, params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_update_of_an_audit_row_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw('UPDATE core_auditentry SET note = %s WHERE id = %s', ["改写", entry.pk])
    entry.refresh_from_db()
    assert entry.note == "原始说明"


def test_raw_delete_of_an_audit_row_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw('DELETE FROM core_auditentry WHERE id = %s', [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_orm_delete_of_audit_rows_is_refused(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_the_acting_user_keeps_the_record_with_its_label(entry):
    entry.actor.delete()
    entry.refresh_from_db()
    assert entry.actor_id is None
    assert entry.actor_label and entry.note == "原始说明"


def test_an_update_that_nulls_the_actor_and_changes_more_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw('UPDATE core_auditentry SET actor_id = NULL, note = %s WHERE id = %s', ["x", entry.pk])


def test_merchant_delete_still_works_and_keeps_its_audit_rows(require_postgres, regions):
    superuser = UserFactory(username="sysadmin", is_staff=True, is_superuser=True)
    merchant = MerchantFactory()
    audit_log(actor=superuser, action=MerchantAction.MERCHANT_UPDATE, target=merchant)
    merchant_delete(merchant=merchant, actor=superuser)
    assert audit_entries_for(merchant).filter(action="merchant.update").exists()
