"""Atom feeds and control characters: a merchant name or a list entry's reason holding a character XML 1.0
cannot carry (a vertical tab or form feed pasted from a word processor) made the whole region's feed a 500
(``UnserializableContentError``). Such characters are dropped from the feed's texts; the rest stays."""

from __future__ import annotations

import pytest

from merchants.models import ListEntry
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist

pytestmark = pytest.mark.django_db


def test_control_characters_in_stored_texts_are_dropped_from_the_feed(regions, client):
    merchant = MerchantFactory(name="控制\x0b字符商户")
    entry = blacklist(merchant)
    ListEntry.objects.filter(pk=entry.pk).update(reason="事由\x0c来自文字处理软件\x01")
    response = client.get("/feeds/black-list/410802.atom")
    assert response.status_code == 200
    body = response.content.decode()
    assert "控制字符商户" in body and "事由来自文字处理软件" in body
    assert not any(ch in body for ch in "\x01\x0b\x0c")
