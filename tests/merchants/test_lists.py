"""Public red/black lists, exports and API: entries in force only, filters, never personal data."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from merchants.models import ListEntryKind, Merchant
from merchants.services.credit import list_entry_add_red, list_entry_remove
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, inspect, today

pytestmark = pytest.mark.django_db

PERSON = "李秘密"
PERSON_ADDRESS = "幸福小区9栋"


@pytest.fixture
def listed(regions):
    black = MerchantFactory(
        name="失信测试商行", legal_representative=PERSON, address=PERSON_ADDRESS, region=regions["410802"]
    )
    other = MerchantFactory(name="乌海失信公司", legal_representative=PERSON, region=regions["150302"])
    ended = MerchantFactory(name="已移出商行", legal_representative=PERSON)
    red = MerchantFactory(name="诚信典型商店", legal_representative=PERSON, address=PERSON_ADDRESS)
    five = MerchantFactory(name="五星好店", legal_representative=PERSON)
    blacklist(black, number="焦市监失信〔2026〕1号")
    blacklist(other, kind=ListEntryKind.ABNORMAL_OPERATION, number="乌市监异常〔2026〕2号")
    list_entry_remove(entry=blacklist(ended, number="焦市监失信〔2026〕3号"), reason="修复", actor=None)
    list_entry_add_red(
        merchant=red,
        kind="role_model",
        reason="诚信经营典型",
        legal_basis="创建活动方案",
        decision_number="焦文明办〔2026〕5号",
        valid_from=today() - timedelta(days=1),
        valid_until=None,
        actor=None,
    )
    inspect(five)
    from merchants.services.credit import commitment_sign

    commitment_sign(merchant=five, kind="comprehensive", actor=None)
    ratings_recompute()
    assert Merchant.objects.get(pk=five.pk).stars == 5
    return {"black": black, "other": other, "ended": ended, "red": red, "five": five}


def test_black_list_shows_entries_in_force_with_decision_details_and_no_personal_data(listed, client):
    body = client.get("/lists/black/").content.decode()
    assert "失信测试商行" in body and "乌海失信公司" in body and "已移出商行" not in body
    assert (
        "焦市监失信〔2026〕1号" in body
        and "严重违法失信" in body
        and "市场监督管理严重违法失信名单管理办法" in body
    )
    assert listed["black"].uscc in body
    assert PERSON not in body and PERSON_ADDRESS not in body


def test_black_list_filters_by_region_and_kind(listed, client):
    body = client.get("/lists/black/?region=150300").content.decode()
    assert "乌海失信公司" in body and "失信测试商行" not in body
    body = client.get("/lists/black/?kind=serious_dishonesty").content.decode()
    assert "失信测试商行" in body and "乌海失信公司" not in body
    assert client.get("/lists/black/?region=bogus&kind=bogus").status_code == 200


def test_red_list_shows_role_models_and_five_star_merchants(listed, client):
    body = client.get("/lists/red/").content.decode()
    assert "诚信典型商店" in body and "五星好店" in body and PERSON not in body
    only_five = client.get("/lists/red/?kind=five_star").content.decode()
    assert "五星好店" in only_five and "诚信典型商店" not in only_five


def test_csv_and_excel_exports_have_public_columns_only(listed, client):
    csv_body = client.get("/lists/black/?format=csv").content.decode("utf-8-sig")
    assert "失信测试商行" in csv_body and "决定书文号" in csv_body and PERSON not in csv_body
    response = client.get("/lists/red/?format=xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    cells = [str(c.value) for row in wb.active.iter_rows() for c in row if c.value]
    assert "诚信典型商店" in cells and "五星好店" in cells and PERSON not in cells


def test_list_api_shows_entries_in_force_without_personal_data(listed, client):
    data = client.get("/api/v1/lists/black/").json()
    names = {e["merchant_name"] for e in data["results"]}
    assert names == {"失信测试商行", "乌海失信公司"}
    raw = client.get("/api/v1/lists/black/").content.decode()
    assert PERSON not in raw and PERSON_ADDRESS not in raw and "credit_class" not in raw
    assert (
        client.get("/api/v1/lists/black/?region_code=410800").json()["results"][0]["merchant_name"]
        == "失信测试商行"
    )
    assert client.get("/api/v1/lists/black/?kind=nonsense").status_code == 400
    assert client.get("/api/v1/lists/black/?region_code=999999").status_code == 400
    red = client.get("/api/v1/lists/red/").json()["results"]
    assert [e["merchant_name"] for e in red] == ["诚信典型商店"]


def test_public_profile_and_api_never_show_the_credit_class(listed, client):
    five = listed["five"]
    Merchant.objects.filter(pk=five.pk).update(credit_class="A")
    body = client.get(f"/merchants/{five.pk}/").content.decode()
    assert "信用风险" not in body and "credit_class" not in body
    api = client.get(f"/api/v1/merchants/{five.pk}/").json()
    assert "credit_class" not in api and api["stars"] == 5


def test_profile_panel_shows_breakdown_commitment_and_black_status(
    listed, client, django_assert_max_num_queries
):
    body = client.get(f"/merchants/{listed['five'].pk}/").content.decode()
    assert "评分构成" in body and "诚信经营" in body and "综合信用承诺" in body
    body = client.get(f"/merchants/{listed['black'].pk}/").content.decode()
    assert "黑名单在列" in body and "焦市监失信〔2026〕1号" in body
    with django_assert_max_num_queries(20):
        client.get(f"/merchants/{listed['five'].pk}/")
