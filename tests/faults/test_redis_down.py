"""Redis (cache and broker) is down while the public site is being served.

Redis is simulated by a closed local port (connection refused, as with a stopped
``redis-server``); the database stays up. The public pages must keep answering:
the cache only saves work and the broker only carries hints (the durable record of
pending work is ``Merchant.rating_stale``).

The cache backend (``integrity_portal.core.cache.ResilientRedisCache``) turns an
unreachable Redis into cache misses, so pages that read the cache (home, directory,
complaint statistics, the open-data API through DRF's throttles, the complaint
form's rate limit) answer from the database instead of failing.
"""

from __future__ import annotations

import pytest

from merchants.models import Merchant, Penalty, PenaltyTier
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import penalise

from .conftest import broker_unreachable, closed_port, complaint_form_data

pytestmark = pytest.mark.django_db

@pytest.fixture
def redis_down(settings):
    """Cache and broker both pointed at a port nothing listens on."""
    settings.CACHES = {
        "default": {
            "BACKEND": "integrity_portal.core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "KEY_PREFIX": "ip",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with broker_unreachable():
        yield


@pytest.fixture
def merchant(regions):
    return MerchantFactory(name="缓存故障测试商户")


def test_profile_lists_notices_and_forms_answer_and_events_are_recorded_while_redis_is_down(
    client, merchant, redis_down
):
    penalty = penalise(merchant, tier=PenaltyTier.MODERATE)  # commits; the recompute message cannot be sent
    assert Penalty.objects.filter(pk=penalty.pk).exists()
    assert Merchant.objects.get(pk=merchant.pk).rating_stale  # the sweep will rate it once Redis is back

    profile = client.get(f"/merchants/{merchant.pk}/")
    assert profile.status_code == 200 and "缓存故障测试商户" in profile.content.decode()
    for url in (
        "/lists/red/",
        "/lists/black/",
        "/notices/",
        "/complaints/new/",
        "/complaints/track/",
        f"/merchants/{merchant.pk}/plaque/",
        "/healthz/",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("url", ["/", "/merchants/", "/complaints/statistics/", "/api/v1/merchants/"])
def test_cached_public_pages_answer_while_redis_is_down(client, merchant, redis_down, url):
    response = client.get(url)
    assert response.status_code == 200


def test_public_complaint_is_accepted_while_redis_is_down(client, merchant, redis_down):
    from complaints.models import Complaint

    response = client.post("/complaints/new/", complaint_form_data())
    assert response.status_code == 302
    assert Complaint.objects.count() == 1
