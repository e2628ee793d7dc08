"""The set-based rating recompute (to be completed by the ratings work).

Contract: ``ratings_recompute(*, region_code=None, stale_only=False, merchant_ids=None,
actor=None) -> RecomputeResult`` recomputes in set-based SQL and clears ``rating_stale``
for the merchants it covered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..models import Merchant


@dataclass
class RecomputeResult:
    considered: int = 0
    changed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def ratings_recompute(*, region_code=None, stale_only=False, merchant_ids=None, actor=None) -> RecomputeResult:
    qs = Merchant.objects.all()
    if merchant_ids is not None:
        qs = qs.filter(pk__in=merchant_ids)
    if stale_only:
        qs = qs.filter(rating_stale=True)
    considered = qs.update(rating_stale=False)
    return RecomputeResult(considered=considered)
