"""Reads that explain the stars: the active policy in words, one rating in plain words, the star shares.

Everything here is derived from what the engine stores (the policy's rules, a ``Rating`` row's
element scores and facts): nothing is restated by hand, so the explanation cannot drift from the
scoring. ``policy_explanation`` and ``rating_explanation`` are pure functions of their inputs;
``public_star_shares`` is one aggregate query, cached under the public pages version.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from integrity_portal.core.scoping import region_and_descendants

from ..models import Merchant, MerchantStatus, Rating

ELEMENTS = ("trading", "service", "credit")


def _element_label(key: str) -> str:
    from .credit import ELEMENT_LABELS  # the one place the element names live

    return str(ELEMENT_LABELS[key])


def _bands(rules: dict) -> list[dict]:
    """The policy's bands from most stars to fewest (= ascending totals)."""
    return sorted(rules.get("bands") or [], key=lambda b: b["min_total"])


def band_for_total(rules: dict, total: int) -> dict | None:
    return next((b for b in _bands(rules) if b["max_total"] is None or total <= b["max_total"]), None)


def band_for_worst(rules: dict, worst: int) -> dict | None:
    """The best band whose per-element cap the worst element stays within."""
    return next((b for b in _bands(rules) if b["max_element"] is None or worst <= b["max_element"]), None)


# --- the policy in words (/ratings/how/) ----------------------------------------------------------------


def _rule(label: str, points: int, *, per: bool = True, bonus: bool = False) -> dict:
    return {"label": label, "points": points, "per": per, "bonus": bonus}


def policy_explanation(policy) -> dict:
    """The rules of ``policy`` as the public page states them: elements with every demerit, bands, cap.

    A rule the stored policy lacks (a policy from before ``rating_policy.LATER_RULES``) counts as 0 in the
    Scorer and is left out here, so the page says exactly what is scored."""
    rules = policy.rules or {}
    w = rules.get("windows") or {}
    recent, lookback = w.get("recent_months", 12), w.get("lookback_months", 24)
    t, s, c = (rules.get(k) or {} for k in ELEMENTS)
    trading = [
        _rule(
            _("近 %(r)s 个月内检查发现的一般问题（价格、计量、宣传、食品安全），每项") % {"r": recent},
            t.get("minor_recent", 0),
        ),
        _rule(
            _("近 %(r)s 个月内检查发现的严重问题（价格、计量、宣传、食品安全），每项") % {"r": recent},
            t.get("serious_recent", 0),
        ),
        _rule(
            _("%(r)s 至 %(l)s 个月前检查发现的一般问题，每项") % {"r": recent, "l": lookback},
            t.get("minor_older", 0),
        ),
        _rule(
            _("%(r)s 至 %(l)s 个月前检查发现的严重问题，每项") % {"r": recent, "l": lookback},
            t.get("serious_older", 0),
        ),
        _rule(_("近一年经立案查处或核实为违法的投诉举报，每件"), t.get("complaint_recent", 0)),
        _rule(_("一至两年前经立案查处或核实为违法的投诉举报，每件"), t.get("complaint_older", 0)),
    ]
    service = [
        _rule(_("未答复的投诉，每件"), s.get("unanswered", 0)),
        _rule(_("逾期答复的投诉，每件"), s.get("late", 0)),
        _rule(_("办结但未调解成功的投诉，每件"), s.get("not_mediated", 0)),
        _rule(
            _("平均满意度低于 %(n)s 分（5 分制）") % {"n": s.get("satisfaction_below", 0)},
            s.get("satisfaction_low", 0),
            per=False,
        ),
        _rule(_("经营场所一般问题，每项"), s.get("premises_minor", 0)),
        _rule(_("经营场所严重问题，每项"), s.get("premises_serious", 0)),
    ]
    if "settled_fast" in s:
        service.append(
            _rule(
                _("按时和解或调解成功的投诉，每件抵减（只抵减投诉处理扣分）"), s["settled_fast"], bonus=True
            )
        )
    credit = [
        _rule(_("没有有效的信用承诺"), c.get("no_commitment", 0), per=False),
        _rule(
            _("近 %(l)s 个月内有信用承诺被撤销") % {"l": lookback}, c.get("commitment_revoked", 0), per=False
        ),
    ]
    if "commitment_breach" in c:
        credit.append(
            _rule(
                _("近 %(l)s 个月内检查发现违反信用承诺，每次检查") % {"l": lookback}, c["commitment_breach"]
            )
        )
    credit += [
        _rule(_("公示中的轻微行政处罚，每件"), c.get("penalty_minor", 0)),
        _rule(_("公示中的一般行政处罚，每件"), c.get("penalty_moderate", 0)),
        _rule(_("公示中的严重行政处罚，每件"), c.get("penalty_serious", 0)),
        _rule(_("大型场所公益广告未达标"), c.get("psa_noncompliant", 0), per=False),
        _rule(_("近三年获文明诚信表彰"), c.get("commended_bonus", 0), per=False, bonus=True),
    ]
    if getattr(policy, "market_counts_stalls", False):  # off by default: the page then says nothing of it
        credit.append(
            _rule(
                _("（仅市场开办方）在册且已评级的摊位不少于 %(n)s 个、其中 2 星及以下占比超过 %(p)s%%")
                % {"n": policy.market_min_stalls, "p": policy.market_low_share_pct},
                policy.market_low_stalls_deduction,
                per=False,
            )
        )
    elements = [
        {
            "key": key,
            "label": _element_label(key),
            "max": (rules.get(key) or {}).get("max", 0),
            "rules": items,
        }
        for key, items in zip(ELEMENTS, (trading, service, credit), strict=True)
    ]
    bands = [
        {
            "stars": b["stars"],
            "min_total": b["min_total"],
            "max_total": b["max_total"],
            "max_element": b["max_element"],
        }
        for b in _bands(rules)
    ]
    # A worked example of the cap, taken from the policy itself: the best band, an element just above its cap.
    example = None
    if len(bands) > 1 and bands[0]["max_element"] is not None:
        worst = bands[0]["max_element"] + 1
        capped_to = band_for_worst(rules, worst)
        if capped_to is not None and worst <= (bands[0]["max_total"] or 0):
            example = {"total": worst, "stars": bands[0]["stars"], "capped": capped_to["stars"]}
    return {
        "version": policy.version,
        "name": policy.name,
        "activated_at": policy.activated_at,
        "recent_months": recent,
        "lookback_months": lookback,
        "elements": elements,
        "bands": bands,
        "cap_example": example,
    }


# --- one rating in plain words (profile, portal) ------------------------------------------------------


def rating_explanation(
    rating: Rating | None,
    *,
    deregistered: bool = False,
    under_appeal: bool = False,
    black_listed: bool = False,
) -> dict:
    """Why this rating is what it is, as a state and a list of plain sentences (from the stored row only).

    ``state``: ``deregistered`` (no current stars), ``not_rated``, ``black_listed`` (0 whatever the total)
    or ``rated``; ``capped`` says whether the worst element pulled the stars below the total's band;
    ``under_appeal`` is shown by the panels as their own "申诉处理中" notice.
    ``black_listed`` is the entry in force today (the profile's banner); the stored row's own flag wins
    for the sentence about the stars, which must describe the stars shown."""
    lines: list[str] = []
    out = {
        "state": "rated",
        "capped": False,
        "lines": lines,
        "under_appeal": under_appeal and not deregistered,
    }
    if deregistered:
        out["state"] = "deregistered"
        lines.append(_("该主体已注销，不再评定星级；以下信息仅供查询。"))
        return out
    if rating is None or (rating.stars is None and not rating.black_listed):
        out["state"] = "not_rated"
        lines.append(
            _("尚无检查、投诉、公示中的处罚或黑名单记录，暂未评级。“暂未评级”不是 0 星，也不代表信用好或差。")
        )
        if black_listed:
            lines.append(_("该主体已列入黑名单，下次评定将为 0 星。"))
        return out
    rules = (rating.policy.rules if rating.policy_id else None) or {}
    total = rating.total
    by_total = band_for_total(rules, total)
    if rating.black_listed:
        out["state"] = "black_listed"
        lines.append(
            _("黑名单在列：列入黑名单期间一律为 0 星，无论扣分多少（本次合计扣 %(t)s 分）。") % {"t": total}
        )
    elif by_total is not None:
        if by_total["max_total"] is None:
            band_text = _("合计扣 %(t)s 分，落在 %(s)s 星区间（%(lo)s 分及以上）") % {
                "t": total,
                "s": by_total["stars"],
                "lo": by_total["min_total"],
            }
        else:
            band_text = _("合计扣 %(t)s 分，落在 %(s)s 星区间（%(lo)s–%(hi)s 分）") % {
                "t": total,
                "s": by_total["stars"],
                "lo": by_total["min_total"],
                "hi": by_total["max_total"],
            }
        scores = {key: getattr(rating, key) for key in ELEMENTS}
        worst = max(scores.values())
        by_worst = band_for_worst(rules, worst)
        if by_worst is not None and by_worst["stars"] < by_total["stars"]:
            out["capped"] = True
            worst_keys = [k for k in ELEMENTS if scores[k] == worst]
            out["cap_element"] = worst_keys[0]
            lines.append(
                _(
                    "%(band)s；但%(el)s扣了 %(p)s 分，超过 %(s)s 星允许的单项最多扣 %(cap)s 分，"
                    "单项扣分最多的一项使星级最高为 %(capped)s 星。"
                )
                % {
                    "band": band_text,
                    "el": "、".join(_element_label(k) for k in worst_keys),
                    "p": worst,
                    "s": by_total["stars"],
                    "cap": by_total["max_element"],
                    "capped": by_worst["stars"],
                }
            )
        elif by_total["max_element"] is not None:
            lines.append(
                _("%(band)s；各单项扣分都不超过该区间允许的 %(cap)s 分，因此为 %(s)s 星。")
                % {"band": band_text, "cap": by_total["max_element"], "s": rating.stars}
            )
        else:
            lines.append(_("%(band)s，因此为 %(s)s 星。") % {"band": band_text, "s": rating.stars})
    market_line = _market_stalls_line(rating.facts or {}, rating.policy if rating.policy_id else None)
    if market_line:
        out["market_deduction"] = rating.facts["market_deduction"]
        lines.append(market_line)
    return out


def _market_stalls_line(facts: dict, policy) -> str:
    """The sentence for a market's deduction for its low-star stalls (policy ``market_counts_stalls``), from
    the stored row: empty when the row carries no such deduction."""
    points = facts.get("market_deduction")
    if not points:
        return ""
    rated, low = facts.get("market_stalls_rated", 0), facts.get("market_stalls_low", 0)
    return _(
        "市场开办方责任：本市场在册且已评级的 %(n)s 个摊位中有 %(low)s 个为 2 星及以下（占 %(pct)s%%），"
        "超过评级规则规定的 %(limit)s%%，信用管理一项因此扣 %(p)s 分。"
    ) % {
        "n": rated,
        "low": low,
        "pct": round(100 * low / rated) if rated else 0,
        "limit": getattr(policy, "market_low_share_pct", "—"),
        "p": points,
    }


# --- share of merchants at each star level (directory, district) -------------------------------------

STAR_LEVELS = (5, 4, 3, 2, 1, 0, None)


def public_star_shares(*, region_code: str | None = None) -> dict:
    """How many entities (deregistered excluded) hold each star level, in one GROUP BY query, cached.

    Cached under the public pages version (a recompute that changes stars bumps it), keyed by region, so
    every directory page of one district — whatever its other filters — shares one entry."""
    from integrity_portal.core.public_cache import public_cache_get, public_cache_key, public_cache_set

    key = public_cache_key("star_shares", region_code or "")
    version, hit = public_cache_get(key)
    if hit is not None:
        return hit
    qs = Merchant.objects.exclude(status=MerchantStatus.DEREGISTERED)
    if region_code:
        qs = qs.filter(region_id__in=region_and_descendants(region_code))
    counts = dict(qs.order_by().values_list("stars").annotate(n=Count("id")).values_list("stars", "n"))
    total = sum(counts.values())
    rows = []
    for level in STAR_LEVELS:
        n = counts.get(level, 0)
        percent = 100 * n / total if total else 0
        rows.append({"stars": level, "count": n, "percent": round(percent, 1), "bar": round(percent)})
    answer = {"total": total, "rows": rows, "region": region_code or ""}
    public_cache_set(key, version, answer)
    return answer


# --- the printed plaque ----------------------------------------------------------------------------------


def plaque_refusal(merchant: Merchant) -> str | None:
    """Why the plaque is not offered for ``merchant`` today (None: it is): ``deregistered`` or
    ``black_listed`` (an entry in force; a 0★ plaque on the shop door would only advertise the listing and
    be stale the day the entry ends). The portal hides the link and the plaque URL refuses with the same
    rule."""
    from django.utils import timezone

    from .credit import merchant_has_black_entry_in_force

    if merchant.status == MerchantStatus.DEREGISTERED:
        return "deregistered"
    black = getattr(merchant, "on_black_list", None)
    if black is None:
        black = merchant_has_black_entry_in_force(merchant=merchant, as_of=timezone.localdate())
    return "black_listed" if black else None
