"""Helpers for the register's admin, import/export, claim and account tests."""

from __future__ import annotations

from merchants.models import Merchant, MerchantKind, Region
from tests.factories import MerchantFactory


def merchant_in(code: str, **kwargs) -> Merchant:
    return MerchantFactory(region=Region.objects.get(code=code), **kwargs)


def market_in(code: str, **kwargs) -> Merchant:
    return merchant_in(code, kind=MerchantKind.MARKET, **kwargs)


def merchant_change_data(m: Merchant, **overrides) -> dict:
    """The POST body of the admin change form for ``m`` (unchecked boxes are simply absent)."""
    data = {
        "name": m.name,
        "kind": m.kind,
        "industry": m.industry,
        "status": m.status,
        "uscc": m.uscc or "",
        "licence_number": m.licence_number or "",
        "legal_representative": m.legal_representative,
        "registered_on": "",
        "region": m.region_id,
        "address": m.address,
        "parent_market": m.parent_market_id or "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
