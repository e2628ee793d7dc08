"""Stored XSS through a merchant name (issue #11, item 1).

A merchant name is typed by a clerk or carried in an import file. The printable plaque used
to build its SVG by string formatting with ``xml.sax.saxutils.escape``, which leaves ``"``
alone, so ``x" onload="alert(document.domain)`` became an attribute of the SVG root. These
tests put a hostile name on every page that shows merchant names and check that it only
ever appears as text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client

from campaigns.models import ApplicationStatus, CampaignStatus
from complaints.views.public import SESSION_TRACKED
from merchants.models import Merchant
from tests.campaigns.conftest import make_application, make_campaign, today
from tests.complaints.conftest import file_complaint
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_staff
from tests.merchants.credit_factories import blacklist

pytestmark = pytest.mark.django_db

HOSTILE = '测试商户" onload="alert(document.domain)" x="<script>alert(1)</script>&]]>'
# What must never reach a page unescaped: markup that would run, or a quote that closes an attribute.
RAW_PAYLOADS = ("<script>alert(1)</script>", '" onload="', "onload=\"alert")
SVG_NS = "{http://www.w3.org/2000/svg}"


def _assert_escaped(body: str, where: str) -> None:
    for payload in RAW_PAYLOADS:
        assert payload not in body, f"{where}: raw {payload!r} in the page"


# --- the plaque itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [HOSTILE, "牌匾\x01商户<b>&amp;</b>]]>", "x' onmouseover='alert(1)"])
def test_plaque_svg_keeps_a_hostile_name_as_text(regions, client, name):
    merchant = MerchantFactory(name="placeholder")
    Merchant.objects.filter(pk=merchant.pk).update(name=name)  # as an import or a raw UPDATE would store it

    response = client.get(f"/merchants/{merchant.pk}/plaque/")

    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 -- our own response; parsing proves it is well-formed
    assert root.tag == f"{SVG_NS}svg"
    for element in root.iter():
        assert not [a for a in element.attrib if a.lower().startswith("on")], element.attrib
        assert element.tag not in (f"{SVG_NS}script", f"{SVG_NS}foreignObject")
    # XML 1.0 cannot carry control characters (NUL cannot even be stored in PostgreSQL): dropped, the rest stays
    expected = name.replace("\x01", "")
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]
    assert expected in texts
    assert expected in root.get("aria-label")
    # In element text a literal quote is just text (only attributes need &quot;); markup never appears.
    assert "<script>" not in response.content.decode()


def test_plaque_is_served_under_its_own_locked_down_policy(regions, client):
    merchant = MerchantFactory(name="策略测试店")
    response = client.get(f"/merchants/{merchant.pk}/plaque/")
    policy = {d.split()[0]: d.split()[1:] for d in response["Content-Security-Policy"].split("; ")}
    assert policy == {"default-src": ["'none'"], "style-src": ["'unsafe-inline'"], "img-src": ["data:"]}


# --- every page that shows merchant names ------------------------------------------------------


@pytest.fixture
def hostile_world(regions):
    listed = MerchantFactory(name=HOSTILE)
    blacklist(listed)
    starred = MerchantFactory(name=HOSTILE, stars=5)
    owner = MembershipFactory(merchant=listed, user=UserFactory(username="hostile-owner")).user
    t = today()

    campaign = make_campaign(
        status=CampaignStatus.PUBLICITY,
        region_code="410800",
        app_start=t - timedelta(days=60),
        app_end=t - timedelta(days=30),
        publicity_start=t - timedelta(days=1),
        notice_title="关于公示拟表彰名单的公告",
        notice_number="焦文明诚信公示〔2026〕9号",
        notice_text="现将拟表彰名单予以公示。",
    )
    make_application(campaign, starred, status=ApplicationStatus.CANDIDATE, rank=1)
    complaint = file_complaint(merchant_id=listed.pk, target_name=HOSTILE)
    return {"listed": listed, "starred": starred, "owner": owner, "campaign": campaign, "complaint": complaint}


def test_no_page_renders_a_hostile_merchant_name_as_markup(hostile_world):
    listed, starred = hostile_world["listed"], hostile_world["starred"]
    campaign = hostile_world["campaign"]
    public = Client()
    pages = {
        "directory": f"/merchants/?q={listed.name[:4]}",
        "profile": f"/merchants/{listed.pk}/",
        "black list": "/lists/black/",
        "red list (five-star)": "/lists/red/?kind=five_star",
        "notice list": "/notices/",
        "notice": f"/notices/{campaign.pk}/",
        "notice print": f"/notices/{campaign.pk}/print/",
        "verify page": f"/verify/{listed.plaque_token}/?s=5&y={today().year}",
        "home": "/",
    }
    seen = {}
    for where, url in pages.items():
        response = public.get(url)
        assert response.status_code == 200, (where, url, response.status_code)
        body = response.content.decode()
        _assert_escaped(body, where)
        seen[where] = "测试商户&quot; onload=&quot;" in body or "测试商户&#x27;" in body or "测试商户&quot;" in body
    # The name is shown (escaped) where the page is about that merchant: the test is not vacuous.
    assert seen["profile"] and seen["black list"] and seen["verify page"] and seen["notice"], seen

    tracker = Client()
    session = tracker.session
    session[SESSION_TRACKED] = hostile_world["complaint"].pk
    session.save()
    response = tracker.get("/complaints/track/result/")
    assert response.status_code == 200
    _assert_escaped(response.content.decode(), "complaint track result")

    owner = Client()
    owner.force_login(hostile_world["owner"])
    for where, url in {"portal home": "/portal/", "portal merchant": f"/portal/merchants/{listed.pk}/"}.items():
        response = owner.get(url)
        assert response.status_code == 200, where
        body = response.content.decode()
        _assert_escaped(body, where)
        assert "测试商户&quot;" in body, where

    staff = Client()
    staff.force_login(make_staff("410800"))
    for where, url in {
        "admin merchant changelist": "/admin/merchants/merchant/",
        "admin merchant change form": f"/admin/merchants/merchant/{starred.pk}/change/",
        "admin complaint changelist": "/admin/complaints/complaint/",
    }.items():
        response = staff.get(url)
        assert response.status_code == 200, where
        body = response.content.decode()
        _assert_escaped(body, where)
        assert "测试商户&quot;" in body, where
