"""One helper names a registration number: 统一社会信用代码 only for an 18-character code, 注册号 otherwise;
the plaque, its verification page and the red and black lists use it."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from merchants.validators import registration_number_label
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist

OLD_NUMBER = "410802600012345"  # 15 digits: the register before the unified code


def test_label_is_uscc_only_for_18_characters():
    assert registration_number_label("91410802MA00000001") == "统一社会信用代码"
    assert registration_number_label(" 91410802ma00000001 ") == "统一社会信用代码"
    assert registration_number_label(OLD_NUMBER) == "注册号"
    assert registration_number_label("") == "注册号"
    with translation.override("en"):
        assert registration_number_label(OLD_NUMBER) == "Registration number"


def test_template_filter_uses_the_helper():
    out = Template("{% load registration_tags %}{{ a|registration_label }}|{{ b|registration_label }}").render(
        Context({"a": "91410802MA00000001", "b": OLD_NUMBER})
    )
    assert out == "统一社会信用代码|注册号"


@pytest.mark.django_db
def test_plaque_and_verify_page_call_a_15_digit_number_a_registration_number(regions, client):
    m = MerchantFactory(name="老登记号小店", uscc=None, licence_number=OLD_NUMBER)
    svg = client.get(f"/merchants/{m.pk}/plaque/").content.decode()
    assert f"注册号 {OLD_NUMBER}" in svg
    assert "统一社会信用代码" not in svg
    page = client.get(f"/verify/{m.plaque_token}/").content.decode()
    assert f"注册号 <span class=\"code uscc\">{OLD_NUMBER}</span>" in page


@pytest.mark.django_db
def test_black_list_labels_each_number_by_its_kind(regions, client):
    old = MerchantFactory(name="老登记号商行", uscc=None, licence_number=OLD_NUMBER)
    new = MerchantFactory(name="新代码商行")
    blacklist(old)
    blacklist(new)
    body = client.get("/lists/black/").content.decode()
    assert f'data-label="注册号"><span class="code uscc">{OLD_NUMBER}</span>' in body
    assert f'data-label="统一社会信用代码"><span class="code uscc">{new.uscc}</span>' in body
