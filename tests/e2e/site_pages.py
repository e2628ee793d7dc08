"""Every public and merchant-portal page with fixture data behind it, for the page-wide browser checks
(tests/e2e/test_responsive.py: no sideways scroll; tests/e2e/test_axe.py: no serious axe violation).

``build_site()`` files a small but complete data set (a rated merchant with a member, red- and black-list
entries, a deregistered entity, a complaint about the member's business) and returns the URLs: public
pages visited signed out, portal pages signed in as the merchant's owner. A page added to the site belongs
in one of the two lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.test import Client

from merchants.models import MerchantStatus
from merchants.services.credit import commitment_sign, list_entry_add_red
from merchants.services.rating import ratings_recompute
from tests.factories import MembershipFactory, MerchantFactory, UserFactory
from tests.merchants.credit_factories import blacklist, inspect, today

LANGUAGES = ("zh-hans", "en")


@dataclass
class Site:
    public: list[str] = field(default_factory=list)
    portal: list[str] = field(default_factory=list)
    session_cookie: dict = field(default_factory=dict)


def build_site(live_server_url: str) -> Site:
    from complaints.services import Submission, complaint_submit
    from integrity_portal.core import workdays

    shop = MerchantFactory(name="焦作市解放区民主南路城东便利店有限责任公司", address="民主南路188号")
    inspect(shop)
    commitment_sign(merchant=shop, kind="comprehensive", actor=None)
    old = MerchantFactory(name="老登记号小吃店", uscc=None, licence_number="410802600012345")
    red = MerchantFactory(name="诚信典型商店")
    list_entry_add_red(
        merchant=red, kind="role_model", reason="诚信经营典型，多年无投诉", legal_basis="创建活动方案",
        decision_number="焦文明办〔2026〕5号", valid_from=today() - timedelta(days=1), valid_until=None, actor=None,
    )
    blacklist(MerchantFactory(name="失信演示商行"))
    _role_model_story(red)  # the red list's "典型事迹" badge, the profile's story and /role-models/
    blacklist(old)
    gone = MerchantFactory(name="已注销的旧店", status=MerchantStatus.DEREGISTERED)
    ratings_recompute()
    shop.refresh_from_db()

    owner = UserFactory(username="responsive-owner")
    MembershipFactory(user=owner, merchant=shop)
    complaint = complaint_submit(
        submission=Submission(
            kind="complaint", category="price", description="结账时实际收费高于标价二十元，商家拒绝退还。",
            name="测试王芳", phone="13912345678", address="测试地址人民路1号",
            harm_known_on=workdays.today() - timedelta(days=3), target_name=shop.name,
            target_address=shop.address, region_code="410802", consent=True, merchant_id=shop.pk,
        )
    )[0]

    market, station = _market_with_station(owner)

    from tests.campaigns.conftest import make_campaign

    campaign = make_campaign(scheme_text="一、指导思想：以诚信经营为核心，开展文明诚信市场、企业、商户创建。")

    client = Client()
    client.force_login(owner)
    cookie = client.cookies["sessionid"]
    base = live_server_url
    public = [
        "/",
        "/merchants/",
        "/merchants/?q=便利店",
        f"/merchants/{shop.pk}/",
        f"/merchants/{gone.pk}/",
        "/ratings/how/",
        "/lists/red/",
        "/lists/black/",
        f"/verify/{shop.plaque_token}/?s=5&y={today().year}",
        f"/verify/{old.plaque_token}/?s=4&y=2019",
        "/verify/forged-token-123/",
        "/complaints/new/",
        "/complaints/track/",
        "/complaints/statistics/",
        "/notices/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        "/campaigns/objections/",
        "/spot-checks/",
        "/role-models/",
        f"/merchants/{red.pk}/",
        "/open-data/",
        "/legal/privacy/",
        "/accounts/login/",
        "/accounts/signup/",
    ]
    portal = [
        "/portal/",
        f"/portal/merchants/{shop.pk}/",
        "/portal/claim/",
        "/portal/complaints/",
        f"/portal/complaints/{complaint.pk}/",
        "/portal/campaigns/",
        f"/portal/campaigns/{shop.pk}/applications/",
        f"/portal/campaigns/{shop.pk}/psa/",
        f"/portal/credit/{shop.pk}/commitment/",
        f"/portal/credit/{shop.pk}/appeal/",
        "/portal/inbox/",
        "/portal/inbox/preferences/",
        f"/portal/markets/{market.pk}/",
        f"/portal/complaints/stations/{station.pk}/",
    ]
    return Site(
        public=[base + p for p in public],
        portal=[base + p for p in portal],
        session_cookie={"name": "sessionid", "value": cookie.value, "url": base},
    )


def _market_with_station(owner):
    """A market run by ``owner`` (市场开办方) with rated stalls, one with an open complaint, two invited to sign
    a commitment, and the market's consumer-rights station with ``owner`` on its staff: /portal/markets/<id>/
    and the station page."""
    from complaints.models import ConsumerRightsStation
    from complaints.services import Submission, complaint_submit
    from integrity_portal.core import workdays
    from merchants.models import MerchantKind
    from merchants.services.markets import market_commitments_invite

    market = MerchantFactory(name="解放路农贸市场", kind=MerchantKind.MARKET)
    MembershipFactory(user=owner, merchant=market)
    stalls = [
        MerchantFactory(name=f"解放路农贸市场{i}号摊位（蔬菜水果批发零售）", parent_market=market, stars=stars)
        for i, stars in enumerate((5, 3, None), start=1)
    ]
    complaint_submit(
        submission=Submission(
            kind="complaint", category="quality", description="购买的蔬菜短斤少两，摊主不予退换。",
            name="测试李强", phone="13812345678", address="测试地址解放路2号",
            harm_known_on=workdays.today() - timedelta(days=2), target_name=stalls[0].name,
            target_address=stalls[0].address, region_code="410802", consent=True, merchant_id=stalls[0].pk,
        )
    )
    market_commitments_invite(market=market, stall_ids=[s.pk for s in stalls[:2]], kind="price", actor=owner)
    station = ConsumerRightsStation.objects.create(
        venue=market, name="解放路市场消费维权服务站", address="市场东门", phone="03913000000"
    )
    station.staff.add(owner)
    return market, station


def _role_model_story(merchant):
    """A published role-model story with a photo, through the services (two staff: writer and approver)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from integrity_portal.core.roles import StaffRole
    from merchants.services import role_models
    from tests.factories import make_staff
    from tests.upload_samples import png_bytes

    story = role_models.role_model_create(
        merchant=merchant,
        year=today().year,
        title="十余年诚信经营，足斤足两、明码标价",
        text="该店坚持明码标价、足斤足两，主动先行赔付，多年无投诉。" * 3,
        photo=SimpleUploadedFile("shop.png", png_bytes((640, 360)), content_type="image/png"),
        actor=make_staff(merchant.region_id, role=StaffRole.CIVILITY_OFFICE),
    )
    approver = make_staff("410800", role=StaffRole.CITY_BUREAU)
    role_models.role_model_approve(story=story, actor=approver)
    role_models.role_model_publish(story=story, actor=approver)


def open_context(
    browser, base_url: str, *, width: int, language: str, signed_in: Site | None = None, bypass_csp: bool = False
):
    """A browser context at ``width`` px in ``language`` (the cookie the language switcher sets), signed in
    as the merchant's owner when ``signed_in`` is given. ``bypass_csp`` lets a test inject its own script
    (axe-core) under the site's script-src 'self'."""
    context = browser.new_context(
        bypass_csp=bypass_csp,
        locale="en-GB" if language == "en" else "zh-CN",
        viewport={"width": width, "height": 800},
        is_mobile=width < 640,
        has_touch=width < 640,
    )
    cookies = [{"name": "django_language", "value": language, "url": base_url}]
    if signed_in is not None:
        cookies.append(signed_in.session_cookie)
    context.add_cookies(cookies)
    context.set_default_timeout(15_000)
    return context
