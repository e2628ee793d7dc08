"""Intake rules: what is refused (nothing stored) and what a valid submission creates."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from complaints.models import Attachment, Complaint, ComplaintKind, Status
from complaints.services import complaint_submit
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ValidationFailed
from tests.upload_samples import pdf_bytes

from .conftest import JIEFANG, file_complaint, submission

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return buf.getvalue()


def refused(field: str, **overrides):
    with pytest.raises(ValidationFailed) as exc:
        complaint_submit(submission=submission(**overrides))
    assert field in exc.value.details
    assert Complaint.objects.count() == 0
    assert Attachment.objects.count() == 0
    return exc.value


def test_complaint_gets_acceptance_deadline_and_audit(regions, on_day):
    on_day(date(2026, 11, 2))
    c = file_complaint()
    assert c.status == Status.RECEIVED
    assert c.region_id == JIEFANG
    assert len(c.tracking_code) == 16
    assert c.due_on == date(2026, 11, 11)  # 7 working days after Monday 2 Nov
    entry = audit_entries_for(c).get()
    assert entry.action == "complaint.submit" and entry.to_status == Status.RECEIVED


def test_anonymous_complaint_is_refused(regions):
    error = refused("anonymous", anonymous=True)
    assert "匿名" in error.details["anonymous"]


@pytest.mark.parametrize("phone", ["", "12345", "2391234567a"])
def test_complaint_with_missing_or_invalid_phone_is_refused(regions, phone):
    refused("phone", phone=phone)


@pytest.mark.parametrize("typed", ["+86 139 1234 5678", "008613912345678"])
def test_complaint_accepts_a_mobile_with_country_code_and_stores_its_11_digits(regions, typed):
    assert file_complaint(phone=typed).complainant_phone == "13912345678"


def test_complaint_accepts_a_landline_with_area_code(regions):
    assert file_complaint(phone="0371-12345678").complainant_phone == "0371-12345678"


def test_complaint_without_address_is_refused(regions):
    refused("address", address="")


def test_harm_known_over_three_years_ago_is_refused(regions):
    refused("harm_known_on", harm_known_on=timezone.localdate() - timedelta(days=3 * 365 + 2))


def test_harm_date_just_under_three_years_is_accepted(regions):
    assert file_complaint(harm_known_on=timezone.localdate() - timedelta(days=3 * 365 - 2)).pk


def test_short_description_is_refused(regions):
    refused("description", description="太贵了")


def test_report_over_three_years_is_still_received(regions):
    c = file_complaint(kind="report", harm_known_on=timezone.localdate() - timedelta(days=4 * 365))
    assert c.kind == ComplaintKind.REPORT


def test_anonymous_report_stores_no_personal_data(regions):
    c = file_complaint(kind="report", anonymous=True, consent=False)
    assert c.anonymous
    assert (c.complainant_name, c.complainant_phone, c.complainant_address) == ("", "", "")


def test_both_is_split_into_a_linked_complaint_and_report(regions):
    created = complaint_submit(submission=submission(kind="both"))
    kinds = sorted(c.kind for c in created)
    assert kinds == ["complaint", "report"]
    assert created[0].related_id == created[1].pk and created[1].related_id == created[0].pk
    assert created[0].tracking_code != created[1].tracking_code


def test_target_merchant_sets_region(regions, merchant):
    c = file_complaint(merchant_id=merchant.pk, target_name="", target_address="", region_code="")
    assert c.merchant_id == merchant.pk and c.region_id == merchant.region_id


def test_unknown_target_needs_name_and_address(regions):
    refused("target_name", target_name="", target_address="")


def test_unknown_target_needs_a_district(regions):
    refused("region", region_code="410800")  # a city, not a district


def test_consent_is_required_for_personal_data(regions):
    refused("consent", consent=False)


def test_odr_only_for_enrolled_merchant(regions, merchant):
    refused("use_odr", merchant_id=merchant.pk, use_odr=True)


def test_valid_png_and_pdf_attachments_are_stored_under_random_names(regions):
    png = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    pdf = SimpleUploadedFile("receipt.pdf", pdf_bytes(), content_type="application/pdf")
    c = file_complaint(attachments=[png, pdf])
    atts = list(c.attachments.all())
    assert [a.content_type for a in atts] == ["image/png", "application/pdf"]
    assert all("photo" not in a.file.name and "receipt" not in a.file.name for a in atts)
    assert len(atts[0].file.name.rsplit("/", 1)[-1]) >= 32


def test_attachment_with_faked_type_is_refused(regions):
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not an image at all", content_type="image/png")
    refused("attachments", attachments=[fake])


def test_truncated_image_is_refused(regions):
    broken = SimpleUploadedFile("photo.png", png_bytes()[:30], content_type="image/png")
    refused("attachments", attachments=[broken])


def test_oversized_attachment_is_refused(regions):
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    refused("attachments", attachments=[big])


def test_submission_refuses_to_run_inside_a_callers_transaction(regions):
    """The service owns its transaction (its rows are committed when it returns and the notice follows):
    nested in a caller's atomic block it refuses to start (durable) and stores nothing."""
    from django.db import transaction

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        file_complaint()
    assert Complaint.objects.count() == 0
