"""The in-portal inbox (issue #16 item 2): a merchant member and a staff member read their own notices,
see an unread count in the header, mark one or all read; another user's notice is a 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Notice, NoticeChannel
from notifications.services import notice_enqueue
from tests.factories import MembershipFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db


def _inbox(user, about, key="test:1", subject="星级变更", body="您的星级已变更。", link=""):
    return notice_enqueue(
        key=key, channel=NoticeChannel.INBOX, address="", subject=subject, body=body, language="zh-hans",
        about=about, region_code="410802", recipient=user, kind="test.optional", link=link,
    )  # fmt: skip


@pytest.fixture
def member(regions):
    return MembershipFactory().user


def test_an_inbox_notice_is_delivered_when_written_and_once_per_event(member, regions):
    first = _inbox(member, regions["410802"])
    again = _inbox(member, regions["410802"])
    assert first.pk == again.pk and first.status == "sent" and first.sent_at is not None
    assert Notice.objects.count() == 1


def test_the_list_shows_only_the_viewers_notices_newest_first_unread_bold(client, member, regions):
    other = UserFactory()
    old = _inbox(member, regions["410802"], key="k:1", subject="第一条")
    _inbox(member, regions["410802"], key="k:2", subject="第二条", link="/portal/")
    _inbox(other, regions["410802"], key="k:3", subject="别人的通知")
    client.force_login(member)
    Notice.objects.filter(pk=old.pk).update(read_at=old.created_at)
    html = client.get(reverse("inbox:list")).content.decode()
    assert "别人的通知" not in html
    assert html.index("第二条") < html.index("第一条")
    assert "<strong>第二条</strong>" in html and "<strong>第一条</strong>" not in html
    assert 'href="/portal/"' in html


def test_the_header_shows_the_unread_count(client, member, regions):
    client.force_login(member)
    assert 'class="inbox-count"' not in client.get(reverse("portal:home")).content.decode()
    _inbox(member, regions["410802"], key="k:1")
    _inbox(member, regions["410802"], key="k:2")
    html = client.get(reverse("portal:home")).content.decode()
    assert '<span class="inbox-count" aria-label="2 条未读">2</span>' in html


def test_the_list_counts_unread_once_per_request(client, member, regions, django_assert_max_num_queries):
    for i in range(25):
        _inbox(member, regions["410802"], key=f"k:{i}")
    client.force_login(member)
    client.get(reverse("inbox:list"))  # warm up session and user lookups
    with django_assert_max_num_queries(8):
        response = client.get(reverse("inbox:list"))
    assert response.context["page"].paginator.count == 25
    assert len(response.context["page"].object_list) == 20


def test_mark_one_read_then_all(client, member, regions):
    a = _inbox(member, regions["410802"], key="k:1")
    b = _inbox(member, regions["410802"], key="k:2")
    client.force_login(member)
    assert client.get(reverse("inbox:read", args=[a.pk])).status_code == 405  # POST only
    response = client.post(reverse("inbox:read", args=[a.pk]))
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.read_at is not None and b.read_at is None
    client.post(reverse("inbox:read_all"))
    b.refresh_from_db()
    assert b.read_at is not None


def test_marking_read_needs_the_csrf_token(member, regions):
    from django.test import Client

    notice = _inbox(member, regions["410802"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(reverse("inbox:read", args=[notice.pk])).status_code == 403
    notice.refresh_from_db()
    assert notice.read_at is None


def test_another_users_notice_is_a_404_and_stays_unread(client, member, regions):
    other = UserFactory()
    theirs = _inbox(other, regions["410802"])
    client.force_login(member)
    assert client.post(reverse("inbox:read", args=[theirs.pk])).status_code == 404
    client.post(reverse("inbox:read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_offsite_next_is_not_followed(client, member, regions):
    notice = _inbox(member, regions["410802"])
    client.force_login(member)
    response = client.post(reverse("inbox:read", args=[notice.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("inbox:list")


def test_the_inbox_needs_a_signed_in_user(client):
    assert client.get(reverse("inbox:list")).status_code == 302


def test_staff_read_their_own_notices_in_the_admin(client, regions):
    clerk = make_staff("410802")
    colleague = make_staff("410802")
    mine = _inbox(clerk, regions["410802"], key="k:1", subject="分派给您的投诉")
    theirs = _inbox(colleague, regions["410802"], key="k:2", subject="同事的通知")
    client.force_login(clerk)
    index = client.get(reverse("admin:index")).content.decode()
    assert 'href="/admin/inbox/"' in index and "(1)" in index
    html = client.get(reverse("admin-inbox")).content.decode()
    assert "分派给您的投诉" in html and "同事的通知" not in html
    assert client.post(reverse("admin-inbox"), {"read": theirs.pk}).status_code == 404
    assert client.post(reverse("admin-inbox"), {"read": "x"}).status_code == 404
    assert client.post(reverse("admin-inbox"), {"read": mine.pk}).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_the_admin_inbox_is_for_staff_only(client, member):
    client.force_login(member)
    assert client.get(reverse("admin-inbox")).status_code == 302  # to the admin sign-in


def test_an_anonymised_notice_leaves_the_inbox_and_the_count(client, member, regions):
    from notifications.services import notices_anonymise_about

    _inbox(member, regions["410802"])
    notices_anonymise_about(about=regions["410802"])
    client.force_login(member)
    response = client.get(reverse("inbox:list"))
    assert response.context["unread"] == 0 and response.context["page"].paginator.count == 0


def test_staff_see_who_was_told_in_the_inbox_beside_the_record(member, regions):
    from notifications.selectors import notices_about

    _inbox(member, regions["410802"])
    clerk = make_staff("410802")
    [line] = notices_about(regions["410802"], viewer=clerk)
    assert (line.channel, line.address, line.status) == ("站内信", member.username, "已发送")
