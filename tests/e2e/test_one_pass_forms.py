"""Browser tests (issue #19 items 2 and 8): the complaint form shows every error at once and switches its
required marks with the chosen type; accepting a settlement needs a confirmation; the PSA report shows its
live share and warns below the quota before it is submitted."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from campaigns.models import AdQuota, AdReport
from complaints.models import Complaint, ProposalStatus, Status
from complaints.services import complaint_merchant_reply
from tests.complaints.conftest import JIEFANG, file_complaint
from tests.e2e.conftest import screenshot
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

pytestmark = pytest.mark.browser


def _signed_in(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 800})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_complaint_form_one_pass_errors_and_required_switching(page, live_server, regions):
    page.goto(f"{live_server.url}/complaints/new/")
    name = page.get_by_role("textbox", name="姓名", exact=True)
    harm = page.get_by_label("知道权益受损的日期")
    phone = page.get_by_role("textbox", name="手机号码")
    name_mark = page.locator("[data-required-mark='name']")
    expect(name).to_have_attribute("aria-required", "true")
    expect(name_mark).to_be_visible()

    page.get_by_label("举报 —— 反映经营者违法行为").check()
    expect(name).not_to_have_attribute("aria-required", "true")
    expect(harm).not_to_have_attribute("aria-required", "true")
    expect(name_mark).to_be_hidden()
    expect(phone).to_have_attribute("aria-required", "true")  # a real-name report leaves a phone
    page.get_by_label("匿名举报").check()
    expect(phone).not_to_have_attribute("aria-required", "true")
    page.get_by_label("匿名举报").uncheck()
    page.get_by_label("投诉 —— 我自己的消费纠纷").check()
    expect(name).to_have_attribute("aria-required", "true")
    expect(name_mark).to_be_visible()

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    # Every error in one pass: category, description, name, address, phone, harm date, consent,
    # the merchant's name/address and the district.
    expect(page.locator(".field.has-error")).to_have_count(9)
    expect(page.get_by_text("投诉须填写姓名。")).to_be_visible()
    screenshot(page, "complaint_new_one_pass_errors")
    assert not Complaint.objects.exists()


def test_accepting_a_settlement_asks_for_confirmation(page, live_server, regions):
    merchant = MerchantFactory(name="测试超市")
    member = MembershipFactory(merchant=merchant, user=UserFactory()).user
    complaint = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.ODR)
    complaint.refresh_from_db()
    reply = complaint_merchant_reply(complaint=complaint, actor=member, body="同意协商", proposal="退还差价二十元")

    page.goto(f"{live_server.url}/complaints/track/")
    page.get_by_label("查询码").fill(complaint.tracking_code)
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("button", name="接受方案").click()
    expect(page.get_by_role("heading", name="确认接受和解方案")).to_be_visible()
    expect(page.get_by_text("不能撤回")).to_be_visible()
    screenshot(page, "settlement_confirm")
    page.get_by_role("link", name="返回，暂不决定").click()
    expect(page.get_by_role("button", name="接受方案")).to_be_visible()
    reply.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.PENDING

    page.get_by_role("button", name="接受方案").click()
    page.get_by_role("button", name="确认接受").click()
    expect(page.get_by_text("已接受和解方案").first).to_be_visible()
    reply.refresh_from_db()
    complaint.refresh_from_db()
    assert reply.proposal_status == ProposalStatus.ACCEPTED and complaint.status == Status.SETTLED


def test_psa_report_live_share_warns_below_quota(browser, live_server, regions):
    from django.utils import timezone

    venue = MerchantFactory(kind="market", is_large_venue=True, name="测试大商场")
    user = UserFactory()
    MembershipFactory(user=user, merchant=venue)
    AdQuota.objects.create(year=timezone.localdate().year)  # 30 %
    context, page = _signed_in(browser, live_server, user)
    page.goto(f"{live_server.url}/portal/campaigns/{venue.pk}/psa/")
    expect(page.locator("input[type='month']")).to_have_value(f"{timezone.localdate():%Y-%m}")
    warning = page.locator("#psa-share-warning")
    expect(warning).to_be_hidden()

    page.locator("[name='p-0-medium']").select_option("poster")
    page.locator("[name='p-0-location']").select_option("entrance")
    page.locator("[name='p-0-total_ads']").fill("10")
    page.locator("[name='p-0-psa_ads']").fill("4")
    expect(page.locator("#psa-share")).to_have_text("40%")
    expect(warning).to_be_hidden()

    page.get_by_role("button", name="添加点位").click()  # added in the page, no round trip
    expect(page.locator("[name='p-TOTAL_FORMS']")).to_have_value("2")
    page.locator("[name='p-1-medium']").select_option("led")
    page.locator("[name='p-1-location']").select_option("elsewhere")
    page.locator("[name='p-1-total_ads']").fill("20")
    page.locator("[name='p-1-psa_ads']").fill("1")
    expect(page.locator("#psa-share")).to_have_text("16.7%")
    expect(warning).to_be_visible()  # before anything is submitted
    screenshot(page, "psa_report_share_warning")

    page.get_by_role("button", name="提交报告").click()  # not confirmed: the server refuses and says why
    expect(page.get_by_text("公益广告占比 16.7% 低于任务要求的 30%")).to_be_visible()
    assert not AdReport.objects.exists()
    page.get_by_label("我已知悉公益广告占比低于任务要求").check()
    page.get_by_role("button", name="提交报告").click()
    expect(page.get_by_text("刊播情况已报告")).to_be_visible()
    report = AdReport.objects.get()
    assert (report.total_ads, report.psa_ads, report.placements.count()) == (30, 5, 2)
    context.close()
