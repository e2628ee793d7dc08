"""Notice preferences (issue #16 item 4): a merchant member chooses channels per kind of notice; legal
kinds are locked on, even against a forged form; language and SMS number are theirs to set."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from notifications.models import Notice, NoticePreference, NoticeProfile
from notifications.services import notify_merchant
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(regions):
    return MembershipFactory().user


def _post(client, **data):
    return client.post(reverse("inbox:preferences"), {"language": "zh-hans", "phone": "", **data})


def test_the_page_lists_kinds_with_legal_ones_locked_on(client, member, test_kinds):
    client.force_login(member)
    html = client.get(reverse("inbox:preferences")).content.decode()
    assert 'data-kind="test.optional"' in html and 'data-kind="test.legal"' in html
    legal_row = html[html.index('data-kind="test.legal"') :].split("</tr>")[0]
    assert legal_row.count("checked disabled") == 2  # inbox + sms, both locked
    optional_row = html[html.index('data-kind="test.optional"') :].split("</tr>")[0]
    assert "disabled" not in optional_row
    assert optional_row.count("checked") == 2  # its defaults: inbox + email


def test_a_member_chooses_channels_and_the_fan_out_honours_them(client, member, test_kinds):
    client.force_login(member)
    response = _post(client, phone="139 1234 5678", **{"kind:test.optional": ["sms"]})
    assert response.status_code == 302
    assert NoticePreference.objects.get(user=member, kind="test.optional").channels == ["sms"]
    assert NoticeProfile.objects.get(user=member).phone == "13912345678"
    merchant = member.memberships.get().merchant
    notices = notify_merchant(
        merchant=merchant, kind="test.optional", event_key="e:1", params={"name": "x", "amount": 1, "due": ""},
        about=merchant,
    )  # fmt: skip
    assert [(n.channel, n.address) for n in notices] == [("sms", "13912345678")]
    [entry] = audit_entries_for(NoticeProfile.objects.get(user=member))
    assert entry.action == "notice.preferences_changed" and entry.actor == member
    assert entry.data["after"]["phone"] == "139****5678"  # masked in the audit trail


def test_a_forged_post_cannot_switch_a_legal_kind_off(client, member, test_kinds):
    client.force_login(member)
    # The legal kind's boxes are disabled, so the form sends nothing for it; a forged one sends less.
    assert _post(client, **{"kind:test.legal": ["email"], "kind:test.optional": ["inbox"]}).status_code == 302
    assert not NoticePreference.objects.filter(kind="test.legal").exists()
    merchant = member.memberships.get().merchant
    notices = notify_merchant(
        merchant=merchant, kind="test.legal", event_key="e:1", params={"name": "x"}, about=merchant
    )
    assert sorted(n.channel for n in notices) == ["inbox", "sms"]


def test_unticking_every_box_of_an_optional_kind_switches_it_off(client, member, test_kinds):
    client.force_login(member)
    _post(client)
    assert NoticePreference.objects.get(user=member, kind="test.optional").channels == []
    merchant = member.memberships.get().merchant
    params = {"name": "x", "amount": 1, "due": ""}
    assert (
        notify_merchant(merchant=merchant, kind="test.optional", event_key="e", params=params, about=merchant)
        == []
    )
    assert Notice.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"language": "fr"},
        {"phone": "12345"},
        {"kind:no.such.kind": ["inbox"]},
        {"kind:test.optional": ["fax"]},
    ],
)
def test_bad_input_is_a_clear_error_and_saves_nothing(client, member, test_kinds, data):
    client.force_login(member)
    response = _post(client, **data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not NoticeProfile.objects.exists() and not NoticePreference.objects.exists()


def test_the_chosen_language_is_the_language_of_the_notices(client, member, test_kinds):
    client.force_login(member)
    _post(client, language="en", **{"kind:test.optional": ["inbox"]})
    merchant = member.memberships.get().merchant
    [notice] = notify_merchant(
        merchant=merchant, kind="test.optional", event_key="e", params={"name": "x", "amount": 1234, "due": ""},
        about=merchant,
    )  # fmt: skip
    assert notice.language == "en"


def test_saving_the_same_settings_again_is_not_audited_twice(client, member, test_kinds):
    client.force_login(member)
    _post(client, **{"kind:test.optional": ["inbox", "email"]})
    _post(client, **{"kind:test.optional": ["inbox", "email"]})
    assert len(audit_entries_for(NoticeProfile.objects.get(user=member))) == 1
