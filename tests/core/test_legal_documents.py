"""The privacy notice and user agreement pages, their superuser-only editing, and the site identity footer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted, ValidationFailed
from integrity_portal.core.legal import PRIVACY_BODY, legal_document_update
from integrity_portal.core.models import AuditEntry, LegalDocument
from tests.factories import UserFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def privacy():
    return LegalDocument.objects.create(kind="privacy", title="个人信息保护说明", body=PRIVACY_BODY)


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_public_pages_show_stored_text_escaped_with_line_breaks(client, privacy, superuser):
    legal_document_update(
        document=privacy, title="说明 <b>", body='第一段 <script>alert("x")</script>\n第二行', actor=superuser
    )
    response = client.get("/legal/privacy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "第二行" in html and "<br>" in html
    assert "说明 &lt;b&gt;" in html


def test_terms_page_falls_back_to_default_before_seeding(client):
    response = client.get("/legal/terms/")
    assert response.status_code == 200
    assert "用户协议" in response.content.decode()
    assert client.post("/legal/terms/").status_code == 405


def test_update_bumps_version_and_audits_without_personal_data(privacy, superuser):
    legal_document_update(document=privacy, title="新标题", body="新的正文", actor=superuser)
    privacy.refresh_from_db()
    assert (privacy.version, privacy.title, privacy.body, privacy.updated_by) == (2, "新标题", "新的正文", superuser)
    entry = audit_entries_for(privacy).get()
    assert (entry.action, entry.from_status, entry.to_status, entry.actor) == (
        "legal_document.updated", "v1", "v2", superuser
    )
    # Saving the same text again is not a new version.
    legal_document_update(document=privacy, title="新标题", body="新的正文", actor=superuser)
    privacy.refresh_from_db()
    assert privacy.version == 2 and audit_entries_for(privacy).count() == 1


def test_only_superusers_may_edit(privacy, regions):
    clerk = make_staff()
    with pytest.raises(NotPermitted):
        legal_document_update(document=privacy, title="x", body="y", actor=clerk)
    with pytest.raises(NotPermitted):
        legal_document_update(document=privacy, title="x", body="y", actor=None)
    privacy.refresh_from_db()
    assert privacy.version == 1 and not AuditEntry.objects.filter(action="legal_document.updated").exists()


@pytest.mark.parametrize("title, body", [("", "正文"), ("标题", "  "), ("标题", "a\x00b"), ("x" * 101, "正文")])
def test_bad_input_is_refused(privacy, superuser, title, body):
    with pytest.raises(ValidationFailed):
        legal_document_update(document=privacy, title=title, body=body, actor=superuser)
    privacy.refresh_from_db()
    assert privacy.version == 1


def test_admin_is_superuser_only_and_edits_through_the_service(client, privacy, superuser, regions):
    url = reverse("admin:core_legaldocument_change", args=[privacy.pk])
    clerk = make_staff()
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert client.get(url).status_code in (302, 403)
    client.logout()
    client.force_login(superuser)
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "个人信息保护说明", "body": "修订后的正文"})
    assert response.status_code == 302
    privacy.refresh_from_db()
    assert privacy.version == 2 and privacy.body == "修订后的正文"
    assert audit_entries_for(privacy).filter(action="legal_document.updated", actor=superuser).exists()


@pytest.mark.parametrize(
    "url",
    ["/accounts/signup/", "/complaints/new/", "/complaints/track/"],
)
def test_personal_data_forms_and_footer_link_the_notices(client, url):
    html = client.get(url).content.decode()
    assert html.count('href="/legal/privacy/"') >= 2, url  # the form and the footer
    assert html.count('href="/legal/terms/"') >= 2, url


def test_footer_shows_site_identity_when_set(client, settings):
    settings.SITE_BUREAU_NAME = "某某市市场监督管理局"
    settings.SITE_ICP_NUMBER = "豫ICP备12345678号"
    settings.SITE_PSB_NUMBER = "豫公网安备 41080002000001号"
    settings.SITE_GOV_SITE_CODE = "4108000001"
    html = client.get("/legal/terms/").content.decode()
    for text in ("某某市市场监督管理局", "豫ICP备12345678号", "豫公网安备 41080002000001号", "政府网站标识码：4108000001"):
        assert text in html


def test_footer_omits_site_identity_when_empty(client, settings):
    settings.SITE_BUREAU_NAME = settings.SITE_ICP_NUMBER = settings.SITE_PSB_NUMBER = settings.SITE_GOV_SITE_CODE = ""
    html = client.get("/legal/terms/").content.decode()
    assert "site-filings" not in html and "site-bureau" not in html and "政府网站标识码" not in html


def test_page_chrome_in_english_stored_text_unchanged(client, privacy, settings):
    settings.SITE_GOV_SITE_CODE = "4108000001"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/legal/privacy/").content.decode()
    assert "Version 1" in html and "Government website code: 4108000001" in html
    assert ">Privacy notice</a>" in html and "个人信息保护说明" in html  # the stored title stays Chinese
