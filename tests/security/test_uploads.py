"""Every upload field: content sniffed (not the name), 5 MB cap, non-guessable stored name, never served
from a public URL, and downloaded only by authorised staff as an attachment with ``nosniff``.

Upload fields are discovered from the models; a new FileField/ImageField fails
``test_every_upload_field_is_registered`` until it is added to ``UPLOAD_CHECKS``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.errors import DomainError
from integrity_portal.core.roles import StaffRole
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_staff

from .conftest import PNG_1PX
from .test_permission_matrix import all_url_patterns

SIX_MB = 6 * 1024 * 1024
BAD_PAYLOADS = {
    "php_as_jpg": ("photo.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg"),
    "html_as_jpg": ("photo.jpg", b"<html><script>alert(document.cookie)</script></html>", "image/jpeg"),
    "svg_with_script_as_jpg": (
        "photo.jpg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/jpeg",
    ),
    "svg_with_script": (
        "photo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
    ),
    "over_5_mb": ("big.png", PNG_1PX + b"\0" * SIX_MB, "image/png"),
}


def _refuse_complaint_attachment(upload):
    from complaints.services.intake import sniff_attachment

    sniff_attachment(upload)


def _refuse_psa_photo(upload):
    from campaigns.services.ads import validate_photo

    validate_photo(upload)


def _refuse_repair_evidence(upload):
    from django import forms

    from merchants.forms.credit import MultipleFileField

    try:
        MultipleFileField().clean([upload])
    except forms.ValidationError as exc:
        raise DomainError(str(exc)) from None


# "app_label.Model.field" → a callable that raises on a refused upload (the app's own validation entry point).
UPLOAD_CHECKS = {
    "complaints.Attachment.file": _refuse_complaint_attachment,
    "campaigns.AdPlacement.photo": _refuse_psa_photo,
    "merchants.RepairEvidence.file": _refuse_repair_evidence,
}


def upload_fields() -> list[str]:
    found = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField) and model._meta.app_label in (
                "merchants",
                "complaints",
                "campaigns",
            ):
                found.append(f"{model._meta.label}.{f.name}")
    return sorted(found)


def test_every_upload_field_is_registered():
    assert set(upload_fields()) == set(UPLOAD_CHECKS), "register new upload fields in UPLOAD_CHECKS"


def _cases():
    for field_key in sorted(UPLOAD_CHECKS):
        for payload in sorted(BAD_PAYLOADS):
            yield pytest.param(field_key, payload, id=f"{field_key}-{payload}")


@pytest.mark.parametrize(("field_key", "payload"), list(_cases()))
def test_upload_with_wrong_content_or_size_is_refused(field_key, payload):
    name, content, content_type = BAD_PAYLOADS[payload]
    with pytest.raises(DomainError):
        UPLOAD_CHECKS[field_key](SimpleUploadedFile(name, content, content_type=content_type))


@pytest.mark.parametrize("field_key", sorted(UPLOAD_CHECKS))
def test_real_png_is_accepted(field_key):
    UPLOAD_CHECKS[field_key](SimpleUploadedFile("real.png", PNG_1PX, content_type="image/png"))


@pytest.mark.parametrize("field_key", sorted(UPLOAD_CHECKS))
def test_stored_name_is_random_and_hides_the_original_name(field_key):
    label, field_name = field_key.rsplit(".", 1)
    model = apps.get_model(label)
    f = model._meta.get_field(field_name)
    first = f.generate_filename(model(), "营业执照-zhangsan.png")
    second = f.generate_filename(model(), "营业执照-zhangsan.png")
    assert "zhangsan" not in first and "营业执照" not in first, first
    assert first != second


def test_media_url_is_not_routed_when_debug_is_off():
    assert not settings.DEBUG
    media = settings.MEDIA_URL.strip("/")
    assert not [r for r, _n in all_url_patterns() if r.lstrip("^").startswith(media)]


@pytest.fixture
def complaint_with_attachment(regions):
    from complaints.models import Category, ComplaintKind
    from complaints.services.intake import Submission, complaint_submit

    merchant = MerchantFactory(region=regions["410802"])
    owner = UserFactory()
    MembershipFactory(user=owner, merchant=merchant)
    created = complaint_submit(
        submission=Submission(
            kind=ComplaintKind.COMPLAINT,
            category=Category.values[0],
            description="购买的商品存在严重质量问题，商家拒绝退货。",
            name="李四",
            phone="13800138000",
            address="焦作市解放区民主路1号",
            harm_known_on=timezone.localdate() - dt.timedelta(days=2),
            consent=True,
            merchant_id=merchant.pk,
            attachments=[SimpleUploadedFile("收据-lisi.png", PNG_1PX, content_type="image/png")],
        )
    )
    complaint = created[0]
    return complaint, complaint.attachments.get(), owner


def test_complaint_attachment_is_stored_under_a_random_name(complaint_with_attachment):
    _complaint, att, _owner = complaint_with_attachment
    assert "lisi" not in att.file.name and "收据" not in att.file.name
    assert att.original_name == "收据-lisi.png" and att.content_type == "image/png"


def test_complaint_attachment_is_not_reachable_under_media_url(complaint_with_attachment):
    _complaint, att, _owner = complaint_with_attachment
    assert Client().get(settings.MEDIA_URL + att.file.name).status_code == 404


def test_complaint_attachment_download_is_limited_to_region_staff(complaint_with_attachment):
    _complaint, att, owner = complaint_with_attachment
    url = reverse("complaints:attachment", kwargs={"pk": att.pk})
    denied = {
        "anonymous": None,
        "merchant owner of the complained-about merchant": owner,
        "other merchant user": UserFactory(),
        "中站区 district staff": make_staff("410803", StaffRole.DISTRICT_BRANCH),
        "许昌市 city staff": make_staff("411000", StaffRole.CITY_BUREAU),
        "焦作市 civility office": make_staff("410800", StaffRole.CIVILITY_OFFICE),
    }
    for who, user in denied.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 404, f"{who} downloaded the attachment: {response.status_code}"
    for user in (
        make_staff("410802", StaffRole.DISTRICT_BRANCH),
        make_staff("410800", StaffRole.CITY_BUREAU),
    ):
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == PNG_1PX


def test_repair_evidence_is_only_linked_through_an_authorised_download(regions):
    from merchants.models import CreditRepairRequest, ListEntry, RepairEvidence

    from .conftest import World, _Builder

    merchant = MerchantFactory(region=regions["410802"])
    staff = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    world = World(users={}, merchant_a=merchant, merchant_b=merchant)
    builder = _Builder(world, {"410802": staff})
    builder.get_or_build(ListEntry, "410802")
    request = builder.get_or_build(CreditRepairRequest, "410802")
    evidence = RepairEvidence.objects.create(request=request, file=SimpleUploadedFile("e.png", PNG_1PX))
    client = Client()
    client.force_login(staff)
    html = client.get(
        reverse("admin:merchants_creditrepairrequest_change", args=[request.pk])
    ).content.decode()
    download = reverse("admin:merchants_creditrepairrequest_evidence", args=[request.pk, evidence.pk])
    assert download in html
    assert settings.MEDIA_URL not in html and "credit/repair" not in html
    _assert_private_download(client.get(download))
    outsider = Client()
    outsider.force_login(make_staff("410803", StaffRole.DISTRICT_BRANCH))
    assert outsider.get(download).status_code == 404


def test_psa_photo_is_only_linked_through_an_authorised_download(regions):
    from campaigns.models import AdPlacement, AdReport

    from .conftest import World, _Builder

    merchant = MerchantFactory(region=regions["410802"])
    staff = make_staff("410800", StaffRole.CITY_BUREAU)
    builder = _Builder(World(users={}, merchant_a=merchant, merchant_b=merchant), {"410802": staff})
    report = builder.get_or_build(AdReport, "410802")
    placement = builder.get_or_build(AdPlacement, "410802")
    placement.photo.save("site.png", SimpleUploadedFile("site.png", PNG_1PX))
    assert placement.report_id == report.pk
    client = Client()
    client.force_login(staff)
    html = client.get(reverse("admin:campaigns_adreport_change", args=[report.pk])).content.decode()
    download = reverse("admin:campaigns_adreport_photo", args=[report.pk, placement.pk])
    assert download in html
    assert settings.MEDIA_URL not in html and "campaigns/psa/" not in html
    _assert_private_download(client.get(download))
    outsider = Client()
    outsider.force_login(make_staff("410803", StaffRole.DISTRICT_BRANCH))
    assert outsider.get(download).status_code == 404


def _assert_private_download(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PNG_1PX
