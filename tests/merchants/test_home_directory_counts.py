"""The home page's headline count and the directory's count agree: both count operating entities only
(a deregistered one is excluded by both, and each page says what it counts)."""

from __future__ import annotations

import re

import pytest

from merchants.models import MerchantStatus
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def test_home_and_directory_count_the_same_entities(client, regions):
    MerchantFactory.create_batch(3)
    MerchantFactory(status=MerchantStatus.DEREGISTERED)
    home = client.get("/").content.decode()
    headline = re.search(r'<span class="stat-num">([\d,]+)</span><span class="stat-label">在册市场主体', home)
    assert headline and headline.group(1) == "3"
    assert "已注销主体不计入" in home
    directory = client.get("/merchants/").content.decode()
    assert "共 3 个市场主体" in directory
    everything = client.get("/merchants/?status=all").content.decode()
    assert "共 4 个市场主体" in everything
