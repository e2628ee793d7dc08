"""Browser check of the login page, the merchant portal and the district admin list (screenshots kept)."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from integrity_portal.core.roles import StaffRole
from merchants.models import MerchantKind, Region
from tests.factories import PASSWORD, MembershipFactory, MerchantFactory, UserFactory, make_staff

from .conftest import screenshot

pytestmark = pytest.mark.browser


def login(page, live_server, username: str, next_url: str = "") -> None:
    page.goto(f"{live_server.url}/accounts/login/{'?next=' + next_url if next_url else ''}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_merchant_logs_in_and_sees_own_business(page, live_server, regions):
    owner = UserFactory(username="baozipu")
    shop = MerchantFactory(name="老街包子铺", stars=4)
    MembershipFactory(user=owner, merchant=shop)
    MerchantFactory(name="别人的店")

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    screenshot(page, "login")

    login(page, live_server, "baozipu")
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("link", name="老街包子铺")).to_be_visible()
    assert page.get_by_text("别人的店").count() == 0
    screenshot(page, "portal_home")

    page.get_by_role("link", name="老街包子铺").click()
    page.wait_for_url(f"{live_server.url}/portal/merchants/{shop.pk}/")
    expect(page.get_by_text(shop.uscc)).to_be_visible()
    screenshot(page, "portal_merchant")

    page.goto(f"{live_server.url}/portal/claim/")
    page.get_by_label("统一社会信用代码或登记号").fill(shop.uscc)
    page.get_by_label("认领码").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="认领").click()
    expect(page.get_by_role("alert").get_by_text("认领码无效或已过期")).to_be_visible()
    screenshot(page, "portal_claim_error")


def test_district_user_sees_only_own_district_in_admin(page, live_server, regions):
    make_staff("410802", StaffRole.DISTRICT_BRANCH, username="jiefang")
    MerchantFactory(name="解放区百货店", stars=5)
    MerchantFactory(name="解放区农贸市场", kind=MerchantKind.MARKET)
    MerchantFactory(name="中站区粮油店", region=Region.objects.get(code="410803"))

    login(page, live_server, "jiefang", next_url="/admin/merchants/merchant/")
    # Staff enrol an authenticator at their first sign-in (two-factor, core/two_factor.py); the test plays
    # the phone, computing the code from the key the page shows for manual entry.
    page.wait_for_url(re.compile(r"/accounts/two-factor/setup/"))
    expect(page.get_by_role("img", name="验证器二维码")).to_be_visible()
    screenshot(page, "two_factor_setup")
    secret = page.locator(".two-factor-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("验证码").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="完成设置").click()
    expect(page.get_by_role("heading", name="请保存您的恢复码")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, "two_factor_recovery_codes")
    page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url(f"{live_server.url}/admin/merchants/merchant/")
    expect(page.get_by_role("link", name="解放区百货店")).to_be_visible()
    assert page.get_by_text("中站区粮油店").count() == 0
    screenshot(page, "admin_merchant_list_district")

    csv_text = "名称,统一社会信用代码,类型,行业,法定代表人,地址,区划代码\n外区商户,,商户,餐饮,李四,解放路1号,410803\n"
    page.goto(f"{live_server.url}/admin/merchants/merchant/import/")
    page.locator("select[name=format]").select_option(label="csv")
    page.locator("input[name=import_file]").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
    )
    page.locator("input[type=submit]").click()
    page.get_by_text("不在您的辖区内").first.wait_for()
    assert page.locator("input[name=import_file_name]").count() == 0
    screenshot(page, "admin_import_errors")
