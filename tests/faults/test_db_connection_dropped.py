"""PostgreSQL drops the connection in the middle of a write request: a clean 500 page, nothing half-written."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test import Client

from complaints.models import Attachment, Complaint
from integrity_portal.core import audit
from integrity_portal.core.models import AuditEntry

from .conftest import complaint_form_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _audit_that_first_loses_the_connection():
    """``audit_log`` is called inside the submission's transaction, after the complaint row is inserted."""
    real = audit.audit_log
    calls = {"n": 0}

    def dropping(**kwargs):
        calls["n"] += 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real(**kwargs)  # never reached: the statement above kills this session

    return mock.patch("complaints.services.intake.audit_log", side_effect=dropping), calls


def test_connection_dropped_during_complaint_submission_shows_error_page_and_writes_nothing(
    require_postgres, regions
):
    client = Client(raise_request_exception=False)
    patch, calls = _audit_that_first_loses_the_connection()
    with patch:
        response = client.post("/complaints/new/", complaint_form_data())

    assert calls["n"] == 1, "the fault was not injected inside the service"
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务暂时不可用" in body and "未被部分保存" in body
    assert 'class="card error-card"' in body  # templates/error.html inside base.html, not the bare fallback
    assert "Traceback" not in body and "OperationalError" not in body and "pg_terminate_backend" not in body

    connection.close()  # the dead session; Django opens a new one on the next query
    assert Complaint.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="complaint.").exists()

    again = client.post("/complaints/new/", complaint_form_data())
    assert again.status_code == 302
    saved = Complaint.objects.get()
    assert AuditEntry.objects.filter(action="complaint.submit", object_id=str(saved.pk)).count() == 1
    assert client.get("/complaints/new/").status_code == 200
