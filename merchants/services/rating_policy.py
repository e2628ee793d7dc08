"""The rating policy: its rules schema, validation, activation, and pure scoring functions.

Scoring is plain integer arithmetic on a tuple of per-merchant fact counts so the
result cannot depend on the database (SQLite and PostgreSQL give the same counts,
Python does the rest). The shape follows the UK Food Hygiene Rating Scheme: each
element yields demerit points, the total maps to a band, and the worst element
caps the band.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.public_cache import public_pages_changed

from ..audit_actions import AuditAction
from ..models import RatingPolicy

# Fact columns the engine produces for every merchant, in this order. The providers' columns (complaints,
# campaigns) are declared with their labels by the providers themselves (core.ratingfacts); the engine reads
# each provider's declared columns and places those it knows here.
FACT_COLUMNS = (
    "inspections",  # inspections in the look-back window
    "trading_minor_recent",  # minor findings on price marking / metrology / advertising / food safety, recent
    "trading_serious_recent",
    "trading_minor_older",
    "trading_serious_older",
    "premises_minor",  # premises findings in the look-back window
    "premises_serious",
    "trading_recent",  # substantiated trading complaints (complaints provider)
    "trading_older",
    "complaints_closed",
    "complaints_mediated",
    "complaints_unanswered",
    "complaints_late",
    "satisfaction_sum",
    "satisfaction_count",
    "commitments_in_force",
    "commitments_revoked",  # revoked in the look-back window (a broken commitment)
    "penalties_minor",  # in publicity
    "penalties_moderate",
    "penalties_serious",
    "black_in_force",
    "red_in_force",
    "commended_3y",  # campaigns provider
    "psa_noncompliant",
    # Appended (never reordered: the Scorer reads positions, the digest reads the whole vector).
    "commitment_breaches",  # inspections in the look-back window with a finding in a committed area
    "complaints_settled_fast",  # complaints provider: ODR settled in time, or mediated on time
    # A market's stalls (only read when the policy's ``market_counts_stalls`` is on; zero otherwise, and then
    # left out of the digest so that turning the feature on changes nothing for anyone until it is on).
    "market_stalls_rated",  # stalls not deregistered with current stars (0★ included)
    "market_stalls_low",  # of which at 2 stars or fewer
)
MARKET_FACTS = ("market_stalls_rated", "market_stalls_low")
IDX = {name: i for i, name in enumerate(FACT_COLUMNS)}
IDX_MARKET_RATED, IDX_MARKET_LOW = IDX["market_stalls_rated"], IDX["market_stalls_low"]

DEFAULT_RULES: dict = {
    "windows": {"recent_months": 12, "lookback_months": 24},
    "trading": {
        "minor_recent": 5,
        "serious_recent": 10,
        "minor_older": 2,
        "serious_older": 5,
        "complaint_recent": 5,
        "complaint_older": 2,
        "max": 30,
    },
    "service": {
        "unanswered": 5,
        "late": 2,
        "not_mediated": 2,
        "satisfaction_below": 3,
        "satisfaction_low": 5,
        "premises_minor": 2,
        "premises_serious": 5,
        # Each complaint settled in time (ODR) or mediated on time takes this much off the complaint-
        # handling demerits (never off premises findings, never below 0): a quick refund helps.
        "settled_fast": 2,
        "max": 30,
    },
    "credit": {
        "no_commitment": 5,
        "commitment_revoked": 10,
        "penalty_minor": 5,
        "penalty_moderate": 10,
        "penalty_serious": 20,
        "psa_noncompliant": 5,
        "commended_bonus": 5,
        # Per inspection in the look-back window whose finding broke a commitment in force that day.
        "commitment_breach": 5,
        "max": 30,
    },
    # stars, total demerits from/to (None = no upper bound), highest element allowed.
    "bands": [
        {"stars": 5, "min_total": 0, "max_total": 15, "max_element": 5},
        {"stars": 4, "min_total": 16, "max_total": 20, "max_element": 10},
        {"stars": 3, "min_total": 21, "max_total": 30, "max_element": 10},
        {"stars": 2, "min_total": 31, "max_total": 40, "max_element": 15},
        {"stars": 1, "min_total": 41, "max_total": 50, "max_element": 20},
        {"stars": 0, "min_total": 51, "max_total": None, "max_element": None},
    ],
    # Internal credit-risk class (staff only): the first class whose limit the total stays under.
    "credit_class": {"a_max_total": 10, "b_max_total": 25, "c_max_total": 45},
    "publicity_months": {"minor": 3, "moderate": 6, "serious": 36},
    "repair_min_months": {"moderate": 3, "serious": 12, "serious_dishonesty": 12},
}

# Rules added after the first policy version. A policy stored before them (activated and rating) keeps its
# meaning: the Scorer counts a missing one as 0 until a version that has it is activated. A new or edited
# policy must state them (``rules_validate`` requires every key of DEFAULT_RULES).
LATER_RULES = (("service", "settled_fast"), ("credit", "commitment_breach"))

PUBLICITY_BOUNDS = {"minor": (3, 3), "moderate": (3, 12), "serious": (12, 36)}


def default_rules() -> dict:
    return copy.deepcopy(DEFAULT_RULES)


def _int(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed(_("%(where)s 必须是非负整数。") % {"where": where})
    return value


def rules_validate(rules) -> dict:
    """Raise ValidationFailed unless ``rules`` is complete and its bands tile 0…∞ with ordered caps."""
    if not isinstance(rules, dict):
        raise ValidationFailed(_("评分规则必须是 JSON 对象。"))
    for section, keys in DEFAULT_RULES.items():
        if section == "bands":
            continue
        if not isinstance(rules.get(section), dict):
            raise ValidationFailed(_("评分规则缺少“%(s)s”部分。") % {"s": section})
        for key in keys:
            if key not in rules[section]:
                raise ValidationFailed(_("评分规则缺少 %(s)s.%(k)s。") % {"s": section, "k": key})
            _int(rules[section][key], f"{section}.{key}")
    w = rules["windows"]
    if not 0 < w["recent_months"] <= w["lookback_months"] <= 60:
        raise ValidationFailed(_("近期窗口必须大于 0 且不超过回溯窗口（最长 60 个月）。"))
    for tier, (lo, hi) in PUBLICITY_BOUNDS.items():
        if not lo <= rules["publicity_months"][tier] <= hi:
            raise ValidationFailed(
                _("%(tier)s 处罚的公示期须在 %(lo)s 至 %(hi)s 个月之间。")
                % {"tier": tier, "lo": lo, "hi": hi}
            )
    cc = rules["credit_class"]
    if not cc["a_max_total"] < cc["b_max_total"] < cc["c_max_total"]:
        raise ValidationFailed(_("信用风险分类的分界须递增（A < B < C）。"))
    bands = rules.get("bands")
    if not isinstance(bands, list) or not bands:
        raise ValidationFailed(_("评分规则缺少星级区间。"))
    try:
        bands = sorted(bands, key=lambda b: b["min_total"])
        stars = [b["stars"] for b in bands]
    except (KeyError, TypeError):
        raise ValidationFailed(_("每个星级区间须包含 stars、min_total、max_total、max_element。")) from None
    if sorted(stars) != [0, 1, 2, 3, 4, 5]:
        raise ValidationFailed(_("星级区间须恰好覆盖 0 至 5 星各一次。"))
    if stars != [5, 4, 3, 2, 1, 0]:
        raise ValidationFailed(_("扣分越多星级越低：区间顺序须为 5、4、3、2、1、0 星。"))
    expected_min = 0
    previous_cap = -1
    for i, band in enumerate(bands):
        lo = _int(band["min_total"], _("区间下限"))
        hi = band.get("max_total")
        cap = band.get("max_element")
        if lo < expected_min:
            raise ValidationFailed(_("%(s)s 星区间与上一区间重叠。") % {"s": band["stars"]})
        if lo > expected_min:
            raise ValidationFailed(
                _("%(s)s 星区间与上一区间之间有空档（%(a)s–%(b)s 分未覆盖）。")
                % {"s": band["stars"], "a": expected_min, "b": lo - 1}
            )
        last = i == len(bands) - 1
        if last:
            if hi is not None or cap is not None:
                raise ValidationFailed(_("最后一个区间（0 星）须不设上限。"))
            break
        if hi is None or _int(hi, _("区间上限")) < lo:
            raise ValidationFailed(_("%(s)s 星区间的上限须不小于下限。") % {"s": band["stars"]})
        if cap is None or _int(cap, _("单项上限")) < previous_cap:
            raise ValidationFailed(_("单项扣分上限须随星级降低而不减少。"))
        previous_cap = cap
        expected_min = hi + 1
    return rules


@dataclass(frozen=True)
class Scored:
    stars: int | None
    trading: int
    service: int
    credit: int
    total: int
    credit_class: str
    black_listed: bool
    capped: bool
    market_deduction: int = 0  # points of ``credit`` for a market's low-star stalls (before the cap)


@dataclass(frozen=True)
class MarketRule:
    """The policy's "a market counts its stalls" rule: ``deduction`` points on the credit element when at
    least ``min_stalls`` stalls are rated and more than ``share_pct`` % of them are at 2 stars or fewer."""

    min_stalls: int
    share_pct: int
    deduction: int

    def applies(self, rated: int, low: int) -> bool:
        return rated >= self.min_stalls and low * 100 > self.share_pct * rated


def market_rule(policy: RatingPolicy | None) -> MarketRule | None:
    """The policy's market rule, or None when it is off (the default)."""
    if policy is None or not getattr(policy, "market_counts_stalls", False):
        return None
    return MarketRule(
        min_stalls=max(int(policy.market_min_stalls), 1),
        share_pct=int(policy.market_low_share_pct),
        deduction=int(policy.market_low_stalls_deduction),
    )


class Scorer:
    """Pure scoring under one policy's rules; one instance per recompute, called per merchant."""

    def __init__(self, rules: dict, market: MarketRule | None = None):
        self.rules = rules
        self.market = market
        t, s, c = rules["trading"], rules["service"], rules["credit"]
        self.t, self.s, self.c = t, s, c
        self.settled_fast = int(s.get("settled_fast", 0) or 0)
        self.commitment_breach = int(c.get("commitment_breach", 0) or 0)
        bands = sorted(rules["bands"], key=lambda b: b["min_total"])
        self.bands = [(b["stars"], b["max_total"], b["max_element"]) for b in bands]
        self.cc = rules["credit_class"]

    def elements(self, f) -> tuple[int, int, int]:
        t, s, c = self.t, self.s, self.c
        trading = (
            f[1] * t["minor_recent"]
            + f[2] * t["serious_recent"]
            + f[3] * t["minor_older"]
            + f[4] * t["serious_older"]
            + f[7] * t["complaint_recent"]
            + f[8] * t["complaint_older"]
        )
        not_mediated = max(f[9] - f[10], 0)
        handling = f[11] * s["unanswered"] + f[12] * s["late"] + not_mediated * s["not_mediated"]
        if f[14] and f[13] < s["satisfaction_below"] * f[14]:
            handling += s["satisfaction_low"]
        # Settlements reached quickly offset complaint-handling demerits only (not premises findings).
        handling = max(handling - f[25] * self.settled_fast, 0)
        service = handling + f[5] * s["premises_minor"] + f[6] * s["premises_serious"]
        credit = (
            (0 if f[15] else c["no_commitment"])
            + (c["commitment_revoked"] if f[16] else 0)
            + f[17] * c["penalty_minor"]
            + f[18] * c["penalty_moderate"]
            + f[19] * c["penalty_serious"]
            + (c["psa_noncompliant"] if f[23] else 0)
            + f[24] * self.commitment_breach
            - (c["commended_bonus"] if f[22] else 0)
            + self.market_deduction(f)
        )
        return min(trading, t["max"]), min(service, s["max"]), max(min(credit, c["max"]), 0)

    def market_deduction(self, f) -> int:
        if self.market is None or not self.market.applies(f[IDX_MARKET_RATED], f[IDX_MARKET_LOW]):
            return 0
        return self.market.deduction

    def stars_for(self, total: int, worst: int) -> tuple[int, bool]:
        by_total = next(stars for stars, hi, _cap in self.bands if hi is None or total <= hi)
        by_worst = next(stars for stars, _hi, cap in self.bands if cap is None or worst <= cap)
        return min(by_total, by_worst), by_worst < by_total

    @staticmethod
    def is_rated(f) -> bool:
        """A record exists: an inspection, a complaint fact, a penalty in publicity or a black entry."""
        return bool(
            f[0] or f[7] or f[8] or f[9] or f[11] or f[12] or f[14] or f[17] or f[18] or f[19] or f[20]
        )

    def score(self, f) -> Scored:
        trading, service, credit = self.elements(f)
        total = trading + service + credit
        black = f[20] > 0
        cc = self.cc
        if black or f[19] or total > cc["c_max_total"]:
            klass = "D"
        elif f[17] or f[18] or total > cc["b_max_total"]:
            klass = "C"
        elif not self.is_rated(f):
            klass = ""  # no record yet: unclassified (sampling treats it as general risk)
        elif total > cc["a_max_total"]:
            klass = "B"
        else:
            klass = "A"
        market = self.market_deduction(f)
        if black:
            return Scored(0, trading, service, credit, total, klass, True, False, market)
        if not self.is_rated(f):
            return Scored(None, trading, service, credit, total, klass, False, False, market)
        stars, capped = self.stars_for(total, max(trading, service, credit))
        return Scored(stars, trading, service, credit, total, klass, False, capped, market)


def rating_policy_active() -> RatingPolicy:
    """The active policy; on a fresh database the default rules become version 1."""
    policy = RatingPolicy.objects.filter(is_active=True).first()
    if policy is not None:
        return policy
    with transaction.atomic():
        policy, _created = RatingPolicy.objects.get_or_create(
            version=1, defaults={"name": _("默认评级规则（参照英国食品卫生评级）"), "rules": default_rules()}
        )
        if not RatingPolicy.objects.filter(is_active=True).exists():
            RatingPolicy.objects.filter(pk=policy.pk).update(is_active=True, activated_at=timezone.now())
            policy.refresh_from_db()
    return RatingPolicy.objects.get(is_active=True)


def rating_policy_activate(*, policy: RatingPolicy, actor: User | None) -> RatingPolicy:
    """Validate ``policy.rules`` and make it the one active policy; every merchant becomes stale."""
    rules_validate(policy.rules)
    from ..models import Merchant

    with transaction.atomic():
        previous = (
            RatingPolicy.objects.select_for_update().filter(is_active=True).exclude(pk=policy.pk).first()
        )
        RatingPolicy.objects.filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)
        RatingPolicy.objects.filter(pk=policy.pk).update(is_active=True, activated_at=timezone.now())
        policy.refresh_from_db()
        # updated_at: the open data's "new rating pending" flag changed (the API's updated_since).
        Merchant.objects.filter(rating_stale=False).update(rating_stale=True, updated_at=timezone.now())
        audit_log(
            actor=actor,
            action=AuditAction.RATING_POLICY_ACTIVATE,
            target=policy,
            from_status=f"v{previous.version}" if previous else "",
            to_status=f"v{policy.version}",
        )
        # /ratings/how/ states the active policy: the cached page must change with it, even when no
        # merchant's stars change in the recompute that follows.
        transaction.on_commit(public_pages_changed)
    return policy


def rules_of(policy: RatingPolicy | None) -> dict:
    return policy.rules if policy is not None else default_rules()
