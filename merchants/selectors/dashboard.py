"""The register's figures on the district dashboard (``core.dashboard``): star distribution and its change
since the previous month, penalties, black-list entries. Also the region directory the dashboard reads.

Star distribution at the end of a month = each entity's latest rating computed before the month ended
(``Rating`` keeps every change; ``Merchant.stars`` is the latest one, used for the current month). The
distribution at the end of an earlier month cannot change any more, so it is cached (``STARS_CACHE_SECONDS``).
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.dashboard import (
    Chart,
    DashboardScope,
    FigureTable,
    Section,
    month_key,
    month_label,
    month_start,
    register_dashboard_provider,
    register_region_directory,
)

from .. import regions
from ..models import ListEntry, ListName, Merchant, Penalty, Rating, Region, RegionLevel

STAR_LEVELS = (5, 4, 3, 2, 1, 0)
UNRATED = "unrated"
STARS_CACHE_SECONDS = 6 * 3600
# The current distribution reads every entity of the region (a fifth of the register for a city: no index helps,
# and one on ``stars`` would cost the rating recompute its in-place updates), so it is kept for a few minutes.
CURRENT_STARS_CACHE_SECONDS = 300


# --- region directory ----------------------------------------------------------------------------


def _cities() -> list[tuple[str, str]]:
    return list(Region.objects.filter(level=RegionLevel.CITY).order_by("code").values_list("code", "name"))


def register() -> None:
    register_region_directory(name=regions.region_name, children=regions.child_regions, cities=_cities)
    register_dashboard_provider("merchants.stars", figures=stars_section, order=20)
    register_dashboard_provider("merchants.penalties", figures=penalties_section, order=30)


# --- stars -----------------------------------------------------------------------------------------


def _level_label(level) -> str:
    return _("未评级") if level == UNRATED else _("%(n)s 星") % {"n": level}


def _current_distribution(scope: DashboardScope, *, existing_before, existing: dict) -> dict:
    """{(region code, level): n} from the entities' current stars; the same scan fills ``existing`` with
    {region code: entities created before ``existing_before``}, which ``_distribution_before`` needs for the
    previous month end: one index-only scan of ``merchant_region_stars_idx`` (counting only indexed columns:
    ``COUNT(id)`` would read the table) instead of two reads of every entity of the region."""
    rows = (
        Merchant.objects.filter(region_id__in=scope.region_codes)
        .order_by()
        .values_list("region_id", "stars")
        .annotate(n=Count("*"), before=Count("region", filter=Q(created_at__lt=existing_before)))
    )
    out = {}
    for code, stars, n, before in rows:
        out[(code, UNRATED if stars is None else stars)] = n
        existing[code] = existing.get(code, 0) + before
    return out


def _distribution_before(scope: DashboardScope, cutoff, *, existing: dict | None = None) -> dict:
    """{(region code, level): n}: each entity's latest rating computed before ``cutoff``; entities created
    before it without such a rating (or rated "not yet") are unrated. ``existing`` ({region code: entities
    created before ``cutoff``}) when already counted, else one grouped count."""
    latest = (
        Rating.objects.filter(computed_at__lt=cutoff, merchant__region_id__in=scope.region_codes)
        .order_by()
        .values("merchant_id")
        .annotate(last=Max("id"))
    )
    rated = (
        Rating.objects.filter(
            id__in=latest.values("last"), merchant__region_id__in=scope.region_codes, stars__isnull=False
        )
        .order_by()
        .values_list("merchant__region_id", "stars")
        .annotate(n=Count("id"))
    )
    out: dict = {}
    rated_per_region: dict = {}
    for code, stars, n in rated:
        out[(code, stars)] = n
        rated_per_region[code] = rated_per_region.get(code, 0) + n
    if existing is None:
        existing = dict(
            Merchant.objects.filter(region_id__in=scope.region_codes, created_at__lt=cutoff)
            .order_by()
            .values_list("region_id")
            .annotate(n=Count("*"))
        )
    for code, n in existing.items():
        if n:
            out[(code, UNRATED)] = max(0, n - rated_per_region.get(code, 0))
    return out


def stars_cache_key(scope: DashboardScope, name: str) -> str:
    """The cache key of a distribution: ``name`` ("now" or the cutoff day, ``YYYYMMDD``) and the region codes."""
    codes = hashlib.sha256(",".join(scope.region_codes).encode()).hexdigest()[:16]
    return f"dashboard:stars:{name}:{codes}"


def _cached(scope: DashboardScope, name: str, compute, seconds: int) -> dict:
    """``compute()`` ({(region code, level): n}) kept in the cache under ``name`` and the scope's region codes."""
    key = stars_cache_key(scope, name)
    found = cache.get(key)
    if found is None:
        found = [[code, level, n] for (code, level), n in compute().items()]
        cache.set(key, found, seconds)
    return {(code, level): n for code, level, n in found}


def _cached_distribution_before(scope: DashboardScope, cutoff, *, existing: dict | None = None) -> dict:
    """The past does not change: a month end before today is cached."""
    return _cached(
        scope,
        f"{cutoff:%Y%m%d}",
        lambda: _distribution_before(scope, cutoff, existing=existing),
        STARS_CACHE_SECONDS,
    )


def _by_level(scope: DashboardScope, distribution: dict) -> dict:
    """{level: [per column…, total]}."""
    out = {}
    for level in (*STAR_LEVELS, UNRATED):
        out[level] = scope.spread({code: n for (code, lv), n in distribution.items() if lv == level})
    return out


def stars_section(scope: DashboardScope) -> Section:
    """Table ``stars``: one row per level (5★ … 0★, unrated): entities per column at the end of the month
    (now, for the current month: kept ``CURRENT_STARS_CACHE_SECONDS``), the total at the end of the previous month, and the change.
    ``data``: ``{"end": {level: n}, "previous": {level: n}, "change": {level: n}}`` (totals; level 5…0 or
    "unrated")."""
    current = scope.month == scope.today.replace(day=1)
    existing: dict | None = None  # entities created before the month began, when the current scan counted them
    if current:
        counted: dict = {}

        def now() -> dict:
            return _current_distribution(scope, existing_before=month_start(scope.month), existing=counted)

        end = _cached(scope, "now", now, CURRENT_STARS_CACHE_SECONDS)
        existing = counted or None  # empty when the current distribution came from the cache
    else:
        end = _cached_distribution_before(scope, scope.window_end)
    previous = _cached_distribution_before(scope, month_start(scope.month), existing=existing)
    end_levels, previous_levels = _by_level(scope, end), _by_level(scope, previous)
    rows, data = [], {"end": {}, "previous": {}, "change": {}}
    for level in (*STAR_LEVELS, UNRATED):
        now_total, before_total = end_levels[level][-1], previous_levels[level][-1]
        rows.append([_level_label(level), *end_levels[level], before_total, now_total - before_total])
        data["end"][level], data["previous"][level] = now_total, before_total
        data["change"][level] = now_total - before_total
    when = _("当前") if current else _("%(month)s 月末") % {"month": month_label(scope.month)}
    before = _("%(month)s 月末") % {"month": month_label(scope.previous_month)}
    header = [_("星级"), *scope.column_headers(), _("上月末合计"), _("较上月末")]
    table = FigureTable(
        key="stars",
        title=_("诚信星级分布（%(when)s）") % {"when": when},
        header=header,
        rows=rows,
        chart=Chart(
            kind="bar",
            categories=[r[0] for r in rows],
            series=[
                (before, [data["previous"][lv] for lv in data["previous"]]),
                (when, list(data["end"].values())),
            ],
            unit=_("户"),
        ),
        note=_("按每户在月末前最近一次评定计；本月为当前星级。"),
        data=data,
    )
    return Section(key="stars", title=_("诚信星级"), tables=[table])


# --- penalties and black list ----------------------------------------------------------------------


def penalties_section(scope: DashboardScope) -> Section:
    """Tables ``penalties_monthly`` (per month: penalty decisions not revoked, fines in yuan, black-list
    entries made) and ``penalties_districts`` (per column: this month's and the window's penalties and fines,
    black-list entries made this month, black-list entries in force at the end of the month).
    ``data`` of the monthly table: ``{month (date): {"penalties", "fines", "black_added"}}``."""
    start, end = scope.window_start, scope.window_end
    first_day, after_day = start.date(), timezone.localtime(end).date()
    penalties = (
        Penalty.objects.filter(
            merchant__region_id__in=scope.region_codes,
            revoked_at__isnull=True,
            decided_on__gte=first_day,
            decided_on__lt=after_day,
        )
        .order_by()
        .annotate(m=TruncMonth("decided_on"))
        .values_list("m", "merchant__region_id")
        .annotate(n=Count("id"), fines=Sum("fine_yuan"))
    )
    month_end = min(end, timezone.now())
    black = (
        ListEntry.objects.filter(
            list_name=ListName.BLACK, merchant__region_id__in=scope.region_codes, valid_from__lt=after_day
        )
        .order_by()
        .annotate(m=TruncMonth("valid_from"))
        .values_list("m", "merchant__region_id")
        .annotate(
            added=Count("id", filter=Q(valid_from__gte=first_day)),
            in_force=Count(
                "id",
                filter=(Q(ended_at__isnull=True) | Q(ended_at__gte=month_end))
                & (Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.localtime(month_end).date())),
            ),
        )
    )
    monthly = {m: {"penalties": 0, "fines": 0, "black_added": 0} for m in scope.months}
    per_region: dict = {}

    def bucket(code):
        return per_region.setdefault(
            code, {"month": 0, "window": 0, "fines": 0, "black_month": 0, "black_in_force": 0}
        )

    for m, code, n, fines in penalties:
        m = month_key(m)
        monthly[m]["penalties"] += n
        monthly[m]["fines"] += fines or 0
        b = bucket(code)
        b["window"] += n
        b["fines"] += fines or 0
        if m == scope.month:
            b["month"] += n
    for m, code, added, in_force in black:
        m = month_key(m)
        b = bucket(code)
        b["black_in_force"] += in_force
        if m in monthly:
            monthly[m]["black_added"] += added
            if m == scope.month:
                b["black_month"] += added
    monthly_rows = [
        [month_label(m), v["penalties"], v["fines"], v["black_added"]] for m, v in monthly.items()
    ]
    monthly_table = FigureTable(
        key="penalties_monthly",
        title=_("行政处罚与黑名单（按月）"),
        header=[_("月份"), _("行政处罚（件）"), _("罚没金额（元）"), _("列入黑名单（条）")],
        rows=monthly_rows,
        chart=Chart(
            kind="bar",
            categories=[r[0] for r in monthly_rows],
            series=[
                (_("行政处罚（件）"), [r[1] for r in monthly_rows]),
                (_("列入黑名单（条）"), [r[3] for r in monthly_rows]),
            ],
        ),
        note=_("处罚按决定日期计（已撤销的不计）；黑名单按列入日期计。"),
        data=monthly,
    )
    keys = ("month", "window", "fines", "black_month", "black_in_force")
    columns = scope.per_column(per_region, keys)
    district_rows = [[name, *(values[k] for k in keys)] for name, values in columns]
    shown = columns[: len(scope.columns)]
    district_table = FigureTable(
        key="penalties_districts",
        title=_("各辖区行政处罚与黑名单"),
        header=[
            _("辖区"),
            _("本月行政处罚"),
            _("近%(n)s个月行政处罚") % {"n": len(scope.months)},
            _("近%(n)s个月罚没金额（元）") % {"n": len(scope.months)},
            _("本月列入黑名单"),
            _("月末黑名单在列"),
        ],
        rows=district_rows,
        chart=Chart(
            kind="bar",
            categories=[name for name, _values in shown],
            series=[
                (_("近%(n)s个月行政处罚") % {"n": len(scope.months)}, [v["window"] for _name, v in shown]),
                (_("月末黑名单在列"), [v["black_in_force"] for _name, v in shown]),
            ],
        )
        if scope.side_by_side
        else None,
        data=dict(columns),
    )
    return Section(
        key="penalties",
        title=_("行政处罚与黑名单"),
        tables=[monthly_table, district_table],
    )
