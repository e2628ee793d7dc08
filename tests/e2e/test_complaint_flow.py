"""Browser test: a consumer files a complaint, tracks it, and sees the merchant's portal reply."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from complaints.models import Complaint, Status
from complaints.services import complaint_accept, complaint_assign
from tests.complaints.conftest import JIEFANG
from tests.e2e.conftest import screenshot
from tests.factories import MembershipFactory, MerchantFactory, UserFactory, make_staff

pytestmark = pytest.mark.browser


def _login_cookie(live_server, user) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def test_consumer_files_tracks_and_sees_merchant_reply(page, browser, live_server, regions):
    merchant = MerchantFactory(name="测试超市")
    owner = MembershipFactory(merchant=merchant, user=UserFactory(username="shop")).user
    staff = make_staff("410800")

    page.goto(f"{live_server.url}/complaints/new/")
    page.get_by_label("查找被投诉经营者").fill("测试超市")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("button", name="测试超市").click()
    page.get_by_text("已选择：测试超市").wait_for()
    page.locator("label.category-choice", has_text="缺斤短两").click()
    page.get_by_label("问题描述").fill("买了两斤苹果回家复秤只有一斤六两，要求退还差价。")
    page.get_by_label("知道权益受损的日期").fill("2026-11-01")
    page.get_by_role("textbox", name="姓名", exact=True).fill("测试李明")
    page.get_by_label("手机号码").fill("13912340000")
    page.get_by_role("textbox", name="联系地址", exact=True).fill("测试地址建设路2号")
    page.get_by_label("我同意市场监管部门").check()
    screenshot(page, "complaint_new_filled")
    page.get_by_role("button", name="提交", exact=True).click()

    page.get_by_role("heading", name="提交成功").wait_for()
    complaint = Complaint.objects.get()
    code = page.locator(".tracking-code").inner_text()
    assert code == complaint.tracking_code and complaint.merchant_id == merchant.pk
    screenshot(page, "complaint_submitted")

    complaint_accept(complaint=complaint, actor=staff)
    complaint_assign(complaint=complaint, actor=staff, region_code=JIEFANG)

    merchant_ctx = browser.new_context(locale="zh-CN")
    merchant_ctx.add_cookies([_login_cookie(live_server, owner)])
    portal = merchant_ctx.new_page()
    portal.goto(f"{live_server.url}/portal/complaints/")
    assert "13912340000" not in portal.content()
    portal.get_by_role("link", name="查看并答复").click()
    portal.get_by_label("答复内容").fill("非常抱歉，已核实电子秤误差，同意退还差价。")
    portal.get_by_label("和解方案（选填）").fill("退还差价8元并赠送一斤苹果")
    portal.get_by_role("button", name="发送答复").click()
    portal.get_by_text("答复已发送").wait_for()
    assert "测试李明" not in portal.content() and "建设路2号" not in portal.content()
    merchant_ctx.close()

    page.goto(f"{live_server.url}/complaints/track/")
    page.get_by_label("查询码").fill(code)
    page.get_by_label("手机号码").fill("13912340000")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("非常抱歉，已核实电子秤误差").wait_for()
    expect(page.get_by_text("退还差价8元并赠送一斤苹果")).to_be_visible()
    screenshot(page, "complaint_track_reply")
    page.get_by_role("button", name="接受方案").click()
    page.get_by_role("heading", name="确认接受和解方案").wait_for()  # irreversible: a confirmation step
    page.get_by_role("button", name="确认接受").click()
    page.get_by_text("调解成功").first.wait_for()
    complaint.refresh_from_db()
    assert complaint.status == Status.MEDIATED

    page.get_by_label("5 ★").check()
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("感谢您的评价").wait_for()
    complaint.refresh_from_db()
    assert complaint.satisfaction == 5
    screenshot(page, "complaint_track_rated")
