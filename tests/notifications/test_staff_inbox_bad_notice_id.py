"""The staff inbox's mark-read POST (``read=<id>``): a value Python calls a digit but ``int()`` refuses
(``"²"``, a superscript two) got a 500; any id that is not plain ASCII digits is no such notice (404),
like a huge or another user's id, and marks nothing."""

from __future__ import annotations

import pytest

from notifications.models import Notice, NoticeChannel
from notifications.services import notice_enqueue
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "١", "1²", "99999999999999999999999", "-1", "abc", ""])
def test_a_read_id_that_is_not_a_plain_number_is_a_404_and_marks_nothing(regions, client, value):
    staff = make_staff("410802")
    notice = notice_enqueue(
        key="t:1", channel=NoticeChannel.INBOX, address="", subject="待办", body="有新的待办。",
        language="zh-hans", about=regions["410802"], region_code="410802", recipient=staff, kind="test.optional",
    )  # fmt: skip
    client.force_login(staff)
    response = client.post("/admin/inbox/", {"read": value})
    assert response.status_code == 404
    assert Notice.objects.get(pk=notice.pk).read_at is None
