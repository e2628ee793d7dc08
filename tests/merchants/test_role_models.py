"""Role-model stories (诚信典型库, issue #19 item 6): the workflow through the services, who may write and
decide them (civility office and city staff of the merchant's region), the admin's decision buttons, and
that only published stories reach the red list, the merchant's profile and /role-models/."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.workflow import workflow_for
from merchants.models import ListEntryKind, RoleModelStatus, RoleModelStory
from merchants.services import role_models as svc
from merchants.services.credit import list_entry_add_red
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import today
from tests.upload_samples import gif_bytes, png_bytes, png_with_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(regions):
    return MerchantFactory(region=regions["410802"])


@pytest.fixture
def writer(regions):
    return make_staff("410802", role=StaffRole.CIVILITY_OFFICE)


@pytest.fixture
def approver(regions):
    return make_staff("410800", role=StaffRole.CITY_BUREAU)


def _story(merchant, writer, **extra):
    return svc.role_model_create(
        merchant=merchant,
        year=today().year,
        title="十年诚信经营水产",
        text="坚持明码标价、足斤足两，主动先行赔付。",
        actor=writer,
        **extra,
    )


def _publish(story, approver):
    svc.role_model_approve(story=story, actor=approver)
    return svc.role_model_publish(story=story, actor=approver)


def test_the_map_is_registered_and_a_story_moves_draft_approved_published_withdrawn_with_audit(
    merchant, writer, approver
):
    story = _story(merchant, writer)
    assert story.status == RoleModelStatus.DRAFT and workflow_for(story).name == "role_model"
    svc.role_model_approve(story=story, actor=approver)
    assert story.status == RoleModelStatus.APPROVED and story.approved_by == approver
    svc.role_model_publish(story=story, actor=approver)
    assert story.status == RoleModelStatus.PUBLISHED and story.published_at is not None
    with pytest.raises(ValidationFailed):
        svc.role_model_withdraw(story=story, actor=approver, reason="")
    svc.role_model_withdraw(story=story, actor=approver, reason="经营者要求")
    assert story.status == RoleModelStatus.WITHDRAWN
    actions = [e.action for e in audit_entries_for(story)]
    assert {
        "role_model.create",
        "role_model.approved",
        "role_model.published",
        "role_model.withdrawn",
    } <= set(actions)


def test_a_draft_cannot_be_published_and_only_drafts_are_edited(merchant, writer, approver):
    story = _story(merchant, writer)
    with pytest.raises(TransitionNotAllowed):
        svc.role_model_publish(story=story, actor=approver)
    svc.role_model_approve(story=story, actor=approver)
    with pytest.raises(TransitionNotAllowed):
        svc.role_model_update(story=story, year=today().year, title="新标题", text="新正文", actor=writer)
    svc.role_model_return(story=story, actor=approver, reason="补充事迹")
    svc.role_model_update(story=story, year=today().year, title="新标题", text="新正文", actor=writer)
    assert story.status == RoleModelStatus.DRAFT and story.title == "新标题" and story.approved_by is None


def test_the_writer_cannot_approve_their_own_story(merchant, writer):
    story = _story(merchant, writer)
    with pytest.raises(NotPermitted):
        svc.role_model_approve(story=story, actor=writer)
    assert RoleModelStory.objects.get(pk=story.pk).status == RoleModelStatus.DRAFT


def test_only_civility_office_and_city_staff_of_the_region_write_stories(regions, merchant):
    with pytest.raises(NotPermitted):
        _story(merchant, make_staff("410802", role=StaffRole.DISTRICT_BRANCH))
    with pytest.raises(NotPermitted):
        _story(merchant, make_staff("410802", role=StaffRole.INSPECTOR))
    with pytest.raises(NotFound):
        _story(merchant, make_staff("410803", role=StaffRole.CIVILITY_OFFICE))
    with pytest.raises(NotFound):
        _story(merchant, make_staff("411000", role=StaffRole.CITY_BUREAU))
    assert not RoleModelStory.objects.exists()


def test_bad_input_gets_every_error_at_once(merchant, writer):
    bad = SimpleUploadedFile("x.gif", gif_bytes(), content_type="image/gif")
    with pytest.raises(ValidationFailed) as caught:
        svc.role_model_create(merchant=merchant, year=1990, title="", text="", photo=bad, actor=writer)
    assert set(caught.value.details) == {"year", "title", "text", "photo"}
    smuggled = SimpleUploadedFile(
        "x.png", png_with_text(b"<script>alert(1)</script>"), content_type="image/png"
    )
    with pytest.raises(ValidationFailed):
        _story(merchant, writer, photo=smuggled)
    assert not RoleModelStory.objects.exists()


def test_only_one_published_story_per_merchant_and_year(merchant, writer, approver):
    _publish(_story(merchant, writer), approver)
    second = _story(merchant, writer)
    svc.role_model_approve(story=second, actor=approver)
    with pytest.raises(ValidationFailed):
        svc.role_model_publish(story=second, actor=approver)
    assert RoleModelStory.objects.get(pk=second.pk).status == RoleModelStatus.APPROVED


def test_only_published_stories_show_on_profile_red_list_and_library(
    regions, merchant, writer, approver, client, django_capture_on_commit_callbacks
):
    photo = SimpleUploadedFile("shop.png", png_bytes(), content_type="image/png")
    published = _publish(_story(merchant, writer, photo=photo), approver)
    other = MerchantFactory(region=regions["410802"])
    draft = svc.role_model_create(
        merchant=other, year=today().year, title="草稿标题XYZ", text="草稿正文", actor=writer
    )
    for m in (merchant, other):
        list_entry_add_red(
            merchant=m,
            kind=ListEntryKind.ROLE_MODEL,
            reason="诚信示范",
            legal_basis="文明办决定",
            decision_number=f"文明办〔2026〕{m.pk}号",
            valid_from=today(),
            valid_until=None,
            actor=None,
        )

    library = client.get(reverse("public:role_models")).content.decode()
    assert "十年诚信经营水产" in library and "草稿标题XYZ" not in library

    profile = client.get(reverse("public:merchant_detail", args=[merchant.pk])).content.decode()
    assert (
        "十年诚信经营水产" in profile and reverse("public:role_model_photo", args=[published.pk]) in profile
    )
    assert (
        "草稿标题XYZ" not in client.get(reverse("public:merchant_detail", args=[other.pk])).content.decode()
    )

    red = client.get(reverse("credit:red_list")).content.decode()
    assert f"{reverse('public:merchant_detail', args=[merchant.pk])}#role-models" in red
    assert f"{reverse('public:merchant_detail', args=[other.pk])}#role-models" not in red

    photo_response = client.get(reverse("public:role_model_photo", args=[published.pk]))
    assert photo_response.status_code == 200 and photo_response["Content-Type"] == "image/png"
    assert client.get(reverse("public:role_model_photo", args=[draft.pk])).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):  # the public pages version moves on commit
        svc.role_model_withdraw(story=published, actor=approver, reason="撤下")
    assert "十年诚信经营水产" not in client.get(reverse("public:role_models")).content.decode()
    assert client.get(reverse("public:role_model_photo", args=[published.pk])).status_code == 404


def test_admin_decision_buttons_and_region_scope(regions, merchant, writer, approver, client):
    story = _story(merchant, writer)
    client.force_login(approver)
    change = reverse("admin:merchants_rolemodelstory_change", args=[story.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert (
        reverse("admin:merchants_rolemodelstory_decide", args=[story.pk, "approve"]) in page.content.decode()
    )
    response = client.post(
        reverse("admin:merchants_rolemodelstory_decide", args=[story.pk, "approve"]), {"reason": ""}
    )
    assert response.status_code == 302
    assert RoleModelStory.objects.get(pk=story.pk).status == RoleModelStatus.APPROVED
    client.post(reverse("admin:merchants_rolemodelstory_decide", args=[story.pk, "publish"]), {"reason": ""})
    assert RoleModelStory.objects.get(pk=story.pk).status == RoleModelStatus.PUBLISHED

    outsider = make_staff("410803", role=StaffRole.CIVILITY_OFFICE)
    client.force_login(outsider)
    assert client.get(change).status_code == 404
    listing = client.get(reverse("admin:merchants_rolemodelstory_changelist")).content.decode()
    assert "十年诚信经营水产" not in listing


def test_civility_office_adds_a_story_in_the_admin(regions, merchant, writer, client):
    client.force_login(writer)
    response = client.post(
        reverse("admin:merchants_rolemodelstory_add"),
        {
            "merchant": merchant.pk,
            "year": today().year,
            "title": "后台撰写的事迹",
            "text": "正文",
            "photo": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    story = RoleModelStory.objects.get(title="后台撰写的事迹")
    assert (
        story.status == RoleModelStatus.DRAFT
        and story.created_by == writer
        and story.photo.name.endswith(".png")
    )
    bad = client.post(
        reverse("admin:merchants_rolemodelstory_add"),
        {"merchant": merchant.pk, "year": 1900, "title": "x", "text": "y"},
    )
    assert bad.status_code == 200 and RoleModelStory.objects.count() == 1


def test_stories_waiting_for_approval_or_publication_are_on_the_editors_workbench(
    regions, merchant, writer, approver
):
    from integrity_portal.core.workbench import workbench_for

    story = _story(merchant, writer)
    change = reverse("admin:merchants_rolemodelstory_change", args=[story.pk])
    assert change in [i.url for i in workbench_for(approver).items if i.kind == "role_model"]
    assert not [
        i
        for i in workbench_for(make_staff("410803", role=StaffRole.CIVILITY_OFFICE)).items
        if i.kind == "role_model"
    ]
    assert not [
        i
        for i in workbench_for(make_staff("410802", role=StaffRole.DISTRICT_BRANCH)).items
        if i.kind == "role_model"
    ]
    _publish(story, approver)
    assert not [i for i in workbench_for(approver).items if i.kind == "role_model"]


def test_a_published_story_is_read_only_in_the_admin(regions, merchant, writer, approver, client):
    story = _publish(_story(merchant, writer), approver)
    client.force_login(approver)
    change = reverse("admin:merchants_rolemodelstory_change", args=[story.pk])
    page = client.get(change).content.decode()
    assert 'name="title"' not in page
    response = client.post(change, {"title": "偷改标题", "text": "偷改", "year": today().year})
    assert response.status_code in (200, 302)
    story.refresh_from_db()
    assert story.title == "十年诚信经营水产" and story.status == RoleModelStatus.PUBLISHED
