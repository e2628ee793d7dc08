"""Atom feeds per city and district (issue #19 item 7): new black-list entries, commendation notices and
published spot checks. Each feed is valid Atom (parsed with xml.etree), holds exactly the region's entries,
no personal data, is linked from its public page with <link rel="alternate">, and is cached under the
public pages version."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ApplicationStatus, CampaignStatus, CommendationEntry, CommendationList
from integrity_portal.core.public_cache import public_pages_changed
from merchants.models import ListEntryKind
from merchants.services.credit import list_entry_add_red, list_entry_remove
from tests.campaigns.conftest import make_application, make_campaign
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, today
from tests.spotchecks.conftest import world  # noqa: F401 - the fixture
from tests.spotchecks.publication import make_plan

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client, name: str, code: str):
    response = client.get(reverse(name, args=[code]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own response, the test parses it on purpose
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text and root.find(f"{ATOM}id").text and root.find(f"{ATOM}updated").text
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:  # every entry has what Atom requires
        assert (
            entry.find(f"{ATOM}id").text
            and entry.find(f"{ATOM}updated").text
            and entry.find(f"{ATOM}title").text
        )
    return response.content.decode(), [e.find(f"{ATOM}title").text for e in entries]


@pytest.fixture
def black(regions):
    jiefang = MerchantFactory(region=regions["410802"], name="解放区失信商户", legal_representative="李四敏")
    zhongzhan = MerchantFactory(region=regions["410803"], name="中站区失信商户")
    xuchang = MerchantFactory(region=regions["411002"], name="许昌失信商户")
    ended = MerchantFactory(region=regions["410802"], name="已移出商户")
    blacklist(jiefang, number="焦市监失信〔2026〕1号")
    blacklist(zhongzhan, kind=ListEntryKind.JUDGMENT_DEFAULTER, number="焦市监失信〔2026〕2号")
    blacklist(xuchang, number="许市监失信〔2026〕3号")
    list_entry_remove(entry=blacklist(ended, number="焦市监失信〔2026〕4号"), reason="修复", actor=None)
    list_entry_add_red(
        merchant=jiefang.__class__.objects.get(pk=jiefang.pk),
        kind=ListEntryKind.COMMENDED,
        reason="表彰",
        legal_basis="文明办决定",
        decision_number="焦文明办〔2026〕5号",
        valid_from=today(),
        valid_until=None,
        actor=None,
    )
    return jiefang


def test_black_list_feed_per_city_and_district_has_exactly_the_regions_entries(black, client):
    text, titles = _feed(client, "feed_black_list", "410800")
    assert sorted(titles) == sorted(["解放区失信商户（严重违法失信）", "中站区失信商户（失信被执行人）"])
    assert "焦市监失信〔2026〕1号" in text
    assert "李四敏" not in text and black.address not in text and "民主路" not in text  # no personal data
    _text, district = _feed(client, "feed_black_list", "410802")
    assert district == ["解放区失信商户（严重违法失信）"]
    _text, other_city = _feed(client, "feed_black_list", "411000")
    assert other_city == ["许昌失信商户（严重违法失信）"]
    _text, empty = _feed(client, "feed_black_list", "410804")
    assert empty == []


def test_unknown_region_or_province_is_404(regions, client):
    assert client.get(reverse("feed_black_list", args=["999999"])).status_code == 404
    assert client.get(reverse("feed_black_list", args=["410000"])).status_code == 404


def test_feed_is_cached_until_the_public_pages_version_moves(regions, client, django_assert_num_queries):
    merchant = MerchantFactory(region=regions["410802"], name="缓存测试商户")
    _feed(client, "feed_black_list", "410802")
    blacklist(merchant, number="焦市监失信〔2026〕8号")
    with django_assert_num_queries(0):
        _text, titles = _feed(client, "feed_black_list", "410802")
    assert titles == []  # served from the cache
    public_pages_changed()
    _text, titles = _feed(client, "feed_black_list", "410802")
    assert titles == ["缓存测试商户（严重违法失信）"]


def test_black_list_page_links_its_feed(black, client):
    page = client.get(reverse("credit:black_list"), {"region": "410802"}).content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert reverse("feed_black_list", args=["410802"]) in page
    whole = client.get(reverse("credit:black_list")).content.decode()
    assert (
        reverse("feed_black_list", args=["410800"]) in whole
        and reverse("feed_black_list", args=["411000"]) in whole
    )


def _commendation(campaign, merchants, number):
    clist = CommendationList.objects.create(
        campaign=campaign,
        category="merchant",
        notice_number=number,
        notice_title=f"{campaign.year}年文明诚信经营示范商户表彰公告",
        notice_text="经评审、公示，现予以表彰。",
        published_at=timezone.now(),
    )
    for rank, merchant in enumerate(merchants, start=1):
        application = make_application(campaign, merchant, status=ApplicationStatus.COMMENDED, rank=rank)
        CommendationEntry.objects.create(
            commendation_list=clist,
            application=application,
            merchant=merchant,
            rank=rank,
            red_list_until=today(),
        )
    return clist


def test_commendation_feed_has_published_notices_of_the_region_only(regions, client):
    jiaozuo = make_campaign(status=CampaignStatus.PUBLISHED, region_code="410800")
    xuchang = make_campaign(status=CampaignStatus.PUBLISHED, region_code="411000")
    draft = make_campaign(status=CampaignStatus.REVIEWING, region_code="620500")
    a = MerchantFactory(region=regions["410802"], name="解放区示范商户", stars=5)
    b = MerchantFactory(region=regions["410803"], name="中站区示范商户", stars=5)
    _commendation(jiaozuo, [a, b], "焦文明办〔2026〕1号")
    _commendation(xuchang, [MerchantFactory(region=regions["411002"], stars=5)], "许文明办〔2026〕1号")
    _commendation(draft, [MerchantFactory(region=regions["620502"], stars=5)], "天文明办〔2026〕1号")

    text, titles = _feed(client, "feed_commendations", "410800")
    assert len(titles) == 1 and "焦文明办〔2026〕1号" in text and "许文明办" not in text
    assert "解放区示范商户" in text and "张三" not in text
    text, titles = _feed(client, "feed_commendations", "410802")
    assert len(titles) == 1 and "解放区示范商户" in text and "中站区示范商户" not in text
    _text, titles = _feed(client, "feed_commendations", "410804")
    assert titles == []  # a district none of whose businesses is commended
    _text, titles = _feed(client, "feed_commendations", "620500")
    assert titles == []  # a campaign not yet published has no notice in any feed
    page = client.get(reverse("campaigns:notice_list")).content.decode()
    assert reverse("feed_commendations", args=["410800"]) in page


def test_spot_check_feed_has_published_plans_only(world, client):  # noqa: F811
    published = make_plan(world, "published", title="已公示的抽查计划")
    make_plan(world, "completed", title="已完成未公示计划")
    _text, titles = _feed(client, "feed_spot_checks", "410802")
    assert titles == [published.title]
    _text, titles = _feed(client, "feed_spot_checks", "410800")
    assert titles == [published.title]
    _text, titles = _feed(client, "feed_spot_checks", "411000")
    assert titles == []
    page = client.get(reverse("spotchecks:plan_list")).content.decode()
    assert reverse("feed_spot_checks", args=["410800"]) in page
