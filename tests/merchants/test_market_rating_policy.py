"""A market's own rating counting its stalls (policy ``market_counts_stalls``, off by default).

Expected stars are worked out by hand from the default policy (docs/RATINGS.md): a clean inspection and a
commitment in force score 0 (5★); with the rule on, a market whose rated stalls are more than 50 % at ≤ 2★
(at least 3 rated) loses 10 points on credit management: total 10, worst element 10 → 4★. A stall with two
serious recent trading findings scores trading 20 (worst 20 → 1★)."""

from __future__ import annotations

import re

import pytest

from integrity_portal.core.models import AuditEntry
from merchants.models import Merchant, MerchantKind, MerchantStatus, Rating, RatingPolicy
from merchants.services.credit import commitment_sign
from merchants.services.rating import ratings_recompute
from merchants.services.rating_policy import default_rules, rating_policy_activate, rating_policy_active
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import SERIOUS, inspect

pytestmark = pytest.mark.django_db


def _market() -> Merchant:
    market = MerchantFactory(kind=MerchantKind.MARKET, name="测试农贸市场")
    inspect(market)
    commitment_sign(merchant=market, kind="comprehensive", actor=None)
    return market


def _stall(market: Merchant, *, bad: bool) -> Merchant:
    stall = MerchantFactory(parent_market=market)
    if bad:
        inspect(stall, price_marking=SERIOUS, metrology=SERIOUS)  # trading 20 → 1★
    else:
        inspect(stall)  # credit 5 → 5★
    return stall


def _turn_on(**fields) -> RatingPolicy:
    current = rating_policy_active()
    policy = RatingPolicy.objects.create(
        version=current.version + 1,
        name="市场计入摊位",
        rules=default_rules(),
        market_counts_stalls=True,
        **fields,
    )
    return rating_policy_activate(policy=policy, actor=make_staff())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def weak_market(regions):
    market = _market()
    stalls = [_stall(market, bad=True) for _ in range(3)] + [_stall(market, bad=False)]
    return market, stalls


def test_rule_is_off_by_default_and_market_stars_ignore_the_stalls(weak_market):
    market, stalls = weak_market
    policy = rating_policy_active()
    assert policy.market_counts_stalls is False
    ratings_recompute()
    market.refresh_from_db()
    assert [Merchant.objects.get(pk=s.pk).stars for s in stalls] == [1, 1, 1, 5]
    assert market.stars == 5
    rating = market.current_rating
    assert rating.credit == 0 and rating.total == 0
    assert "market_deduction" not in rating.facts and "market_stalls_rated" not in rating.facts
    # A second run with the rule still off writes nothing: existing ratings are unchanged.
    before = Rating.objects.count()
    assert ratings_recompute().history_rows == 0
    assert Rating.objects.count() == before


def test_rule_on_deducts_from_a_market_whose_stalls_are_mostly_low(weak_market):
    market, _stalls = weak_market
    ratings_recompute()
    policy = _turn_on()
    # Activating marks every merchant stale: the usual recompute (the sweep) picks the market up.
    assert Merchant.objects.get(pk=market.pk).rating_stale
    assert AuditEntry.objects.filter(action="rating_policy.activate", to_status=f"v{policy.version}").exists()
    ratings_recompute(stale_only=True)
    market.refresh_from_db()
    rating = market.current_rating
    assert market.stars == 4
    assert rating.credit == 10 and rating.total == 10 and rating.policy_id == policy.pk
    assert rating.facts["market_deduction"] == 10
    assert rating.facts["market_stalls_rated"] == 4 and rating.facts["market_stalls_low"] == 3


def test_market_follows_its_stalls_in_the_same_run(weak_market):
    """The market (lower id) is read before its stalls are first rated: it is scored again after them."""
    market, _stalls = weak_market
    _turn_on()
    ratings_recompute()
    market.refresh_from_db()
    assert market.stars == 4 and market.current_rating.facts["market_deduction"] == 10


def test_market_with_good_stalls_loses_nothing(regions):
    market = _market()
    for bad in (False, False, False, True):  # 25 % low: under the 50 % threshold
        _stall(market, bad=bad)
    _turn_on()
    ratings_recompute()
    market.refresh_from_db()
    assert market.stars == 5 and market.current_rating.credit == 0
    assert market.current_rating.facts["market_stalls_low"] == 1
    assert "market_deduction" not in market.current_rating.facts


def test_too_few_rated_stalls_do_not_count(regions):
    market = _market()
    _stall(market, bad=True)
    _stall(market, bad=True)
    _turn_on()  # at least 3 rated stalls by default
    ratings_recompute()
    market.refresh_from_db()
    assert market.stars == 5


def test_deregistered_stalls_are_ignored(regions):
    market = _market()
    for bad in (True, True, False, False):  # 2 of 4 live stalls low = 50 %: not more than 50 %
        _stall(market, bad=bad)
    gone = [_stall(market, bad=True) for _ in range(2)]  # would make it 4 of 6 if counted
    ratings_recompute()
    Merchant.objects.filter(pk__in=[s.pk for s in gone]).update(status=MerchantStatus.DEREGISTERED)
    _turn_on()
    ratings_recompute()
    market.refresh_from_db()
    assert market.stars == 5
    assert market.current_rating.facts["market_stalls_rated"] == 4


def test_threshold_and_deduction_come_from_the_policy(weak_market):
    market, _stalls = weak_market
    _turn_on(market_low_share_pct=80, market_low_stalls_deduction=20)  # 75 % low: under 80 %
    ratings_recompute()
    market.refresh_from_db()
    assert market.stars == 5


def test_public_explanation_states_the_market_deduction(client, weak_market):
    market, _stalls = weak_market
    _turn_on()
    ratings_recompute()
    body = _text(client.get(f"/merchants/{market.pk}/").content.decode())
    assert "市场开办方责任：本市场在册且已评级的 4 个摊位中有 3 个为 2 星及以下（占 75%）" in body
    assert "超过评级规则规定的 50%，信用管理一项因此扣 10 分" in body


def test_public_explanation_has_no_market_line_when_off(client, weak_market):
    market, _stalls = weak_market
    ratings_recompute()
    body = _text(client.get(f"/merchants/{market.pk}/").content.decode())
    assert "市场开办方责任" not in body


def test_how_page_states_the_market_rule_only_when_on(client, regions, django_capture_on_commit_callbacks):
    rating_policy_active()
    assert "仅市场开办方" not in _text(client.get("/ratings/how/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):  # activation bumps the public pages on commit
        _turn_on()
    body = _text(client.get("/ratings/how/").content.decode())
    assert "（仅市场开办方）在册且已评级的摊位不少于 3 个、其中 2 星及以下占比超过 50%" in body
