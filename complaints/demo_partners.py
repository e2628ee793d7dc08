"""Demo partners (issue #20 items 1–2, docs/PARTNERS.md): a market of 解放区 with its stalls, its operator
(login ``demo_market``, owner of the market) and its consumer-rights station (login ``demo_station``), with a
few complaints taken at the station, two of them in the station's settlement period. Idempotent: nothing is
added when the station exists. Complaints go through the intake service (as a station clerk would)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count

from integrity_portal.core import workdays

from .models import ConsumerRightsStation

DISTRICT = "410802"
STATION_SUFFIX = "消费维权服务站"

_CASES = [
    ("short_weight", "买的两斤排骨回家称只有一斤六两，摊主不认，要求补足并赔偿。", True),
    ("price", "价签写每斤八元，结账按十二元收，要求退还差价。", True),
    ("quality", "买的鸡蛋有一半是坏的，要求退货退款。", False),
]


def seed_partners(*, seed: int, merchant_count: int, stdout=None) -> None:
    from merchants.demo import DEMO_PASSWORD
    from merchants.models import Membership, MembershipRole, Merchant, MerchantKind, MerchantStatus

    from .services import Submission, station_complaint_intake

    market = (
        Merchant.objects.filter(kind=MerchantKind.MARKET, region_id=DISTRICT)
        .annotate(n=Count("stalls"))
        .filter(n__gt=0)
        .order_by("-n", "id")
        .first()
    )
    if market is None:
        if stdout is not None:
            stdout.write("  市场与维权服务站 / partners: no market with stalls in 410802, skipped")
        return
    if ConsumerRightsStation.objects.filter(venue=market).exists():
        if stdout is not None:
            stdout.write("  市场与维权服务站 / partners: already present")
        return
    User = get_user_model()
    users = {}
    for username in ("demo_market", "demo_station"):
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.cn"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user
    Membership.objects.get_or_create(
        user=users["demo_market"], merchant=market, defaults={"role": MembershipRole.OWNER}
    )
    station = ConsumerRightsStation.objects.create(
        venue=market, name=f"{market.name}{STATION_SUFFIX}", address=market.address, phone="0391-3900000"
    )
    station.staff.add(users["demo_station"])
    rng = random.Random(seed * 31 + 35)
    stalls = list(market.stalls.filter(status=MerchantStatus.OPERATING).order_by("id")[:20])
    taken = 0
    for category, text, settle_first in _CASES:
        if not stalls:
            break
        sub = Submission(
            kind="complaint",
            category=category,
            description=text,
            name=f"测试消费者{taken + 1}",
            phone=f"139{rng.randint(10_000_000, 99_999_999)}",
            address=f"{market.address}附近",
            harm_known_on=workdays.today() - timedelta(days=rng.randint(0, 5)),
            merchant_id=rng.choice(stalls).pk,
            use_odr=settle_first,
            consent=True,
        )
        try:
            station_complaint_intake(station=station, submission=sub, actor=users["demo_station"])
        except RuntimeError:
            # The intake service files in its own durable transaction: inside a caller's transaction (a test
            # world built in one) the station is seeded without complaints.
            break
        taken += 1
    if stdout is not None:
        stdout.write(
            f"  市场与维权服务站 / partners: {market.name} ({len(stalls)} stalls shown), station with {taken} complaints; "
            "logins demo_market, demo_station"
        )
