"""What would raise a merchant's stars: the suggestions the portal shows, each one an action the merchant
can take now, scored exactly under the active policy (so following it gives the stars it promised)."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import INSPECTION_ITEMS, Inspection, Merchant, Penalty, Rating
from ..selectors.findings import open_items, reinspection_target
from .rating_policy import rating_policy_active

#: Every kind of suggestion ``raise_rating_suggestions`` can make (``link``); each is an action the
#: merchant can take now whose effect the engine can score exactly. Tests follow each one.
SUGGESTION_KINDS = ("commitment", "reinspection", "repair")


def _reinspection_change(
    target: Inspection, *, vector: list[int], rules: dict, as_of: date
) -> dict[str, int]:
    """The fact columns after ``target``'s open findings are superseded by a re-inspection that passes."""
    from .rating_facts import TRADING_ITEMS
    from .rating_policy import IDX

    recent = target.inspected_on >= as_of - relativedelta(months=rules["windows"]["recent_months"])
    change: dict[str, int] = {}
    for item in open_items(target):
        level = getattr(target, item)
        if item in TRADING_ITEMS:
            column = f"trading_{level}_{'recent' if recent else 'older'}"
        else:
            column = f"premises_{level}"
        change[column] = change.get(column, vector[IDX[column]]) - 1
    return {k: max(v, 0) for k, v in change.items()}


def _repairable_penalties(merchant: Merchant, as_of: date) -> list[Penalty]:
    """Penalties in publicity whose minimum period has passed and that no pending request covers."""
    from ..models import RepairStatus
    from ..selectors.repair import q_repairable_penalty, repair_earliest_date

    penalties = Penalty.objects.filter(q_repairable_penalty(as_of), merchant=merchant).exclude(
        repairs__status=RepairStatus.SUBMITTED
    )
    return [p for p in penalties if (d := repair_earliest_date(penalty=p)) is not None and d <= as_of]


def raise_rating_suggestions(*, merchant: Merchant, as_of: date | None = None) -> list[dict]:
    """What would raise the stars: single actions the merchant can take now, scored under the active policy.

    Each suggestion changes only the facts that action really changes, so the stars it promises are the
    stars the recompute gives once it is done (the cap of the worst element included). Past facts that
    only time removes (late answers, old findings) are not offered: nothing the merchant does now moves
    them. A black-listed merchant gets none: a black entry in force gives 0 stars whatever else changes.
    """
    from .rating_policy import FACT_COLUMNS, IDX, Scorer

    rating = Rating.objects.filter(pk=merchant.current_rating_id).first()
    if rating is None or rating.stars is None or rating.black_listed:
        return []
    as_of = as_of or timezone.localdate()
    policy = rating_policy_active()
    scorer = Scorer(policy.rules)
    vector = [int(rating.facts.get(name, 0)) for name in FACT_COLUMNS]
    base = scorer.score(vector).stars
    options: list[tuple[int, str, dict, str]] = [
        (
            1,
            _("签署信用承诺书"),
            {"commitments_in_force": max(vector[IDX["commitments_in_force"]], 1)},
            "commitment",
        )
    ]
    target = reinspection_target(merchant_id=merchant.pk, as_of=as_of)
    if target is not None:
        labels = dict(INSPECTION_ITEMS)
        options.append(
            (
                2,
                _("整改检查发现的问题并申请复查（%(d)s 检查的%(items)s，复查合格）")
                % {
                    "d": target.inspected_on.isoformat(),
                    "items": "、".join(str(labels[n]) for n in open_items(target)),
                },
                _reinspection_change(target, vector=vector, rules=policy.rules, as_of=as_of),
                "reinspection",
            )
        )
    repairable = _repairable_penalties(merchant, as_of)
    if repairable:
        options.append(
            (
                3,
                _("对公示期已满最短期限的行政处罚申请信用修复（%(n)s，获准予）")
                % {"n": "、".join(p.decision_number for p in repairable)},
                {
                    tier: max(
                        vector[IDX[tier]] - sum(1 for p in repairable if f"penalties_{p.tier}" == tier), 0
                    )
                    for tier in ("penalties_moderate", "penalties_serious")
                },
                "repair",
            )
        )
    out = []
    for effort, label, change, link in options:
        changed = list(vector)
        for key, value in change.items():
            changed[IDX[key]] = value
        if changed == vector:
            continue
        stars = scorer.score(changed).stars
        if stars is not None and base is not None and stars > base:
            out.append({"effort": effort, "label": label, "stars": stars, "gain": stars - base, "link": link})
    out.sort(key=lambda o: (o["effort"], -o["gain"]))
    return out
