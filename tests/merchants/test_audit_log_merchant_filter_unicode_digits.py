"""The staff audit log's merchant filter (``merchants.audit_scopes.find_merchants``): text Python calls
digits but ``int()`` refuses (``"²"``) was taken for a register number and got a 500; only ASCII digits are
a register number, anything else is searched as text (no 500, no merchant matched by accident)."""

from __future__ import annotations

import pytest

from integrity_portal.core.roles import StaffRole
from merchants.audit_scopes import find_merchants
from tests.factories import MerchantFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["²", "1²", "١٢"])
def test_unicode_digits_are_not_a_register_number(regions, client, text):
    # No digit in the searched text: NFKC makes "²" a "2" searched as text, which would match a sequence
    # name such as "测试商户12号" depending on how many merchants earlier tests created.
    merchant = MerchantFactory(name="测试商户", address="民主路")
    assert list(find_merchants(text)) == []
    assert list(find_merchants(str(merchant.pk))) == [merchant.pk]
    client.force_login(make_staff("410802", StaffRole.DISTRICT_BRANCH))
    assert client.get("/admin/audit-log/", {"merchant": text}).status_code == 200
