"""Browser test: a citizen files an objection on a public notice during publicity and sees it confirmed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaigns.models import Objection, ObjectionStatus
from tests.campaigns.conftest import publicity_campaign
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def test_citizen_files_objection_on_public_notice_and_sees_it_confirmed(page, live_server, regions):
    campaign = publicity_campaign(candidates=2)
    page.goto(f"{live_server.url}/notices/")
    page.get_by_role("link", name=campaign.notice_title).click()
    page.get_by_role("heading", name=campaign.notice_title).wait_for()
    expect(page.get_by_role("cell", name="候选商户1号")).to_be_visible()

    page.get_by_label("异议对象").select_option(label="文明诚信商户 · 候选商户2号")
    page.get_by_label("您的姓名").fill("李四")
    page.get_by_label("联系电话").fill("13812345678")
    page.get_by_label("异议事实和理由").fill("该商户今年3月被查实使用不合格电子秤，缺斤短两。")
    page.get_by_role("button", name="提交异议").click()

    page.get_by_role("heading", name="异议已受理").wait_for()
    objection = Objection.objects.get()
    assert page.get_by_test_id("objection-reference").inner_text() == objection.reference
    assert objection.application.merchant.name == "候选商户2号"
    assert objection.status == ObjectionStatus.OPEN
    assert "13812345678" not in page.content()
    screenshot(page, "objection_confirmed")
