"""The district dashboard's figures: one selector, filled by figure providers the apps register.

``dashboard_figures(viewer=, region=, month=, months=12) -> DashboardFigures`` is the one read (the page at
``/admin/dashboard/``, its Excel download and the monthly analysis report use it). Core names no app: each app
registers, in ``AppConfig.ready()``,

* ``register_dashboard_provider(key, figures=fn, order=n)``; ``fn(scope: DashboardScope) -> Section | None``
  returns the app's section (its tables and charts) for the scope, or None when it has nothing to show;
* the app owning the region tree registers ``register_region_directory(name=, children=, cities=)``.

A provider computes its figures with a bounded number of aggregate queries (``GROUP BY`` month and region,
``TruncMonth`` in the local time zone), never one query per merchant or per district: ``DashboardScope``
maps every region code of the scope to the column (district) it is shown in, so one grouped query serves
all districts side by side. See docs/DASHBOARD.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from . import workdays
from .errors import NotFound, ValidationFailed
from .scoping import is_unrestricted, region_and_descendants, staff_region_code, user_covers_region

DEFAULT_MONTHS = 12


# --- what a provider returns ---------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """What to draw: ``kind`` "bar" (grouped bars) or "line"; one label per category, series of numbers
    (None for "no value", e.g. a rate without closed items)."""

    kind: str
    categories: list[str]
    series: list[tuple[str, list]]
    unit: str = ""


@dataclass
class FigureTable:
    """One table of figures (and the chart drawn from it): ``header`` labels, ``rows`` of cells (the first a
    label, the others numbers or None). ``data`` keeps the same figures keyed for programs (the monthly
    report): see each provider's docstring."""

    key: str
    title: str
    header: list[str]
    rows: list[list]
    chart: Chart | None = None
    note: str = ""
    data: dict = field(default_factory=dict)

    def column(self, label: str) -> list:
        index = self.header.index(label)
        return [row[index] for row in self.rows]


@dataclass
class Section:
    key: str
    title: str
    tables: list[FigureTable]
    note: str = ""
    order: int = 100

    def table(self, key: str) -> FigureTable | None:
        return next((t for t in self.tables if t.key == key), None)


@dataclass(frozen=True)
class Column:
    """A region shown side by side (a district of the city viewed, or the district itself)."""

    code: str
    name: str


@dataclass(frozen=True)
class DashboardScope:
    """What a provider computes for: the region viewed, its columns, the months (oldest first)."""

    viewer: object
    region_code: str
    region_name: str
    columns: tuple[Column, ...]
    column_of: dict  # every region code of the scope -> the code of its column (None: counted in totals only)
    region_codes: tuple[str, ...]
    month: dt.date  # first day of the month viewed (the last of ``months``)
    months: tuple[dt.date, ...]
    today: dt.date

    @property
    def side_by_side(self) -> bool:
        """True when several columns are shown (a city): tables then add a total column."""
        return len(self.columns) > 1

    @property
    def previous_month(self) -> dt.date:
        return add_months(self.month, -1)

    @property
    def window_start(self) -> dt.datetime:
        return month_start(self.months[0])

    @property
    def window_end(self) -> dt.datetime:
        """Exclusive: the start of the month after the month viewed."""
        return month_start(add_months(self.month, 1))

    def month_bounds(self, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return month_start(month), month_start(add_months(month, 1))

    def column_headers(self, total: str | None = None) -> list[str]:
        names = [c.name for c in self.columns]
        return names + ([total or _("合计")] if self.side_by_side else [])

    def spread(self, counts: dict) -> list:
        """``{region code: number}`` → the numbers per column (plus the total when side by side)."""
        per_column = dict.fromkeys((c.code for c in self.columns), 0)
        total = 0
        for code, n in counts.items():
            n = n or 0
            total += n
            column = self.column_of.get(code)
            if column is not None:
                per_column[column] += n
        values = list(per_column.values())
        return values + [total] if self.side_by_side else values

    def per_column(self, per_region: dict, keys) -> list[tuple[str, dict]]:
        """``{region code: {key: n}}`` → ``[(column name, {key: n})]``: each column, then the total when side
        by side (the rows of a "per district" table)."""
        spread = {key: self.spread({code: v.get(key, 0) for code, v in per_region.items()}) for key in keys}
        return [(name, {key: spread[key][i] for key in keys}) for i, name in enumerate(self.column_headers())]


@dataclass
class DashboardFigures:
    region_code: str
    region_name: str
    month: dt.date
    months: list[dt.date]
    columns: list[Column]
    sections: list[Section]
    computed_at: dt.datetime | None = None

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def table(self, key: str) -> FigureTable | None:
        for section in self.sections:
            found = section.table(key)
            if found is not None:
                return found
        return None

    def tables(self) -> list[FigureTable]:
        return [t for s in self.sections for t in s.tables]


# --- registries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Provider:
    key: str
    figures: Callable[[DashboardScope], Section | None]
    order: int


@dataclass(frozen=True)
class RegionDirectory:
    name: Callable[[str], str | None]  # code -> display name (None: unknown code)
    children: Callable[[str], list[tuple[str, str]]]  # code -> [(code, name)] of the regions directly below
    cities: Callable[[], list[tuple[str, str]]]  # [(code, name)] a superuser may choose from


_providers: dict[str, _Provider] = {}
_directory: RegionDirectory | None = None


def register_dashboard_provider(
    key: str, *, figures: Callable[[DashboardScope], Section | None], order: int
) -> None:
    _providers[key] = _Provider(key=key, figures=figures, order=order)


def unregister_dashboard_provider(key: str) -> None:
    _providers.pop(key, None)


def dashboard_providers() -> list[str]:
    return [p.key for p in sorted(_providers.values(), key=lambda p: (p.order, p.key))]


def register_region_directory(*, name, children, cities) -> None:
    global _directory
    _directory = RegionDirectory(name=name, children=children, cities=cities)


def region_directory() -> RegionDirectory:
    if _directory is None:  # pragma: no cover - the app owning the Region model registers one
        raise RuntimeError("No region directory registered (the app owning the Region model registers one).")
    return _directory


# --- months ----------------------------------------------------------------------------------------


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(month: dt.date) -> dt.datetime:
    """Midnight of the first day of ``month`` in the local time zone (aware)."""
    return timezone.make_aware(dt.datetime(month.year, month.month, 1))


def month_key(value) -> dt.date | None:
    """A ``TruncMonth`` result (aware datetime, naive datetime or date) as the first day of its local month."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    return value.replace(day=1)


def month_label(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` → the first of that month; ValueError for anything else."""
    year, sep, mon = (text or "").strip().partition("-")
    if not sep or len(year) != 4 or not year.isdigit() or not mon.isdigit() or len(mon) > 2:
        raise ValueError(text)
    return dt.date(int(year), int(mon), 1)


def rate(part, whole) -> float | None:
    """A percentage with one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


# --- the selector ----------------------------------------------------------------------------------


def dashboard_regions(viewer) -> list[tuple[str, str]]:
    """The regions ``viewer`` may pick: a superuser every city, staff their region and the regions below it."""
    directory = region_directory()
    if is_unrestricted(viewer):
        return directory.cities()
    own = staff_region_code(viewer)
    if not own:
        return []
    return [(own, directory.name(own) or own), *directory.children(own)]


def default_region(viewer) -> str | None:
    """The viewer's own region when it may be picked, else the first choice (a superuser's first city)."""
    codes = [code for code, _name in dashboard_regions(viewer)]
    own = staff_region_code(viewer)
    if own in codes:
        return own
    return codes[0] if codes else None


def build_scope(
    *, viewer, region: str | None = None, month: dt.date | None = None, months: int = DEFAULT_MONTHS
):
    """The scope of a dashboard; NotFound for a region the viewer does not cover (or an unknown one)."""
    directory = region_directory()
    code = region or default_region(viewer)
    name = directory.name(code) if code else None
    if not code or name is None or not user_covers_region(viewer, code):
        raise NotFound(_("您的辖区内没有该区划。"))
    today = workdays.today()  # the project's one "today" (tests pin it)
    month = (month or today).replace(day=1)
    if month > today.replace(day=1):
        raise ValidationFailed(_("不能查看尚未到来的月份。"))
    if not 1 <= months <= 36:
        raise ValidationFailed(_("月份数须在 1 到 36 之间。"))
    codes = tuple(region_and_descendants(code))
    children = directory.children(code)
    if children:
        columns = tuple(Column(c, n) for c, n in children)
        column_of: dict = dict.fromkeys(codes)
        for child, _name in children:
            for sub in region_and_descendants(child):
                column_of[sub] = child
    else:
        columns = (Column(code, name),)
        column_of = dict.fromkeys(codes, code)
    return DashboardScope(
        viewer=viewer,
        region_code=code,
        region_name=name,
        columns=columns,
        column_of=column_of,
        region_codes=codes,
        month=month,
        months=tuple(add_months(month, i) for i in range(1 - months, 1)),
        today=today,
    )


def dashboard_figures(
    *, viewer, region: str | None = None, month: dt.date | None = None, months: int = DEFAULT_MONTHS
) -> DashboardFigures:
    """Every registered provider's section for ``region`` (a code; default: the viewer's own region, or the
    first city for a superuser) and the ``months`` calendar months ending with ``month`` (default: the
    current month), in provider order.

    Raises ``core.errors.NotFound`` for a region outside the viewer's (or unknown), ``ValidationFailed`` for a
    month in the future or a bad ``months``."""
    scope = build_scope(viewer=viewer, region=region, month=month, months=months)
    sections = []
    for provider in sorted(_providers.values(), key=lambda p: (p.order, p.key)):
        section = provider.figures(scope)
        if section is not None:
            section.order = provider.order
            sections.append(section)
    return DashboardFigures(
        region_code=scope.region_code,
        region_name=scope.region_name,
        month=scope.month,
        months=list(scope.months),
        columns=list(scope.columns),
        sections=sections,
        computed_at=timezone.now(),
    )


def workbook_sheets(figures: DashboardFigures) -> list[tuple[str, Sequence, Iterable[Sequence]]]:
    """Every table as ``(sheet title, header, rows)`` for ``core.exports`` (one sheet per table)."""
    return [(table.title, table.header, table.rows) for table in figures.tables()]
