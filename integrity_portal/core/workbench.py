"""The staff workbench (工作台, ``/admin/``): one queue of everything waiting for a staff user or their region.

Core names no app, so each app registers its *work sources* in ``AppConfig.ready()``
(``register_work_source(WorkSource(...))``, usually from its ``workbench.py``). A source says which rows are
waiting (``queryset(user)``: open complaints, appeals to decide…, role-aware where the level matters), the
path of their due date, region and merchant name, and the admin page where each is decided. Core scopes the
rows to the user's region (``core.scoping``), skips a source whose model the user may not change, and reads
each source with two bounded queries: the earliest-due ``PER_SOURCE_LIMIT`` rows (``values()``, due date
ascending, empty dates last) and one grouped ``COUNT`` per region (total and overdue). The queue is the
merge of those rows: overdue first, then by due date, empty dates last, each with its due date in words
(``due_in_words``: “还剩 2 个工作日”, “今日到期”, “超期 1 日”, counted with ``core.workdays``).

A source whose rows do not fit this shape subclasses ``WorkSource`` and overrides ``items()`` and
``counts()`` (same return types, same bounds). Registering again under the same name replaces the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db.models import Case, Count, DateField, F, OrderBy, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import workdays
from .scoping import scope_to_user_region, visible_region_codes

#: Rows read per source for the queue (the earliest due); the counts cover all of them.
PER_SOURCE_LIMIT = 50


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting, as the queue shows it."""

    kind: str
    kind_label: str
    reference: str
    merchant: str
    due_on: date | None
    status: str
    region_code: str
    region_name: str
    url: str
    days_left: int | None = None  # working days until the due date; None without one
    overdue: bool = False
    due_words: str = ""


@dataclass(frozen=True)
class SourceCount:
    """One source's totals for the viewer: all waiting rows, the overdue ones, and per region code."""

    total: int
    overdue: int
    by_region: dict[str, int] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkSource:
    """Rows of one model waiting for staff: ``queryset(user)`` returns them unscoped by region (core scopes).

    ``due``, ``region``, ``merchant`` (paths tried in order, the first non-empty wins), ``reference`` and
    ``status`` are field paths read with ``values()``; ``change_url`` is the URL name of the page where a
    row is decided, reversed with its pk; ``list_url`` the change list's (the "all" link).
    """

    name: str
    label: Any
    queryset: Callable[[Any], QuerySet]
    change_url: str
    due: str | None = None
    region: str = "region"
    merchant: tuple[str, ...] = ()
    reference: str | None = None
    status: str = "status"
    list_url: str | None = None
    order: int = 100

    # -- reading ------------------------------------------------------------------------------------

    def scoped(self, user) -> QuerySet:
        return scope_to_user_region(self.queryset(user), user, field=self.region)

    def visible_to(self, user) -> bool:
        """Only for users who may decide the rows (the model's change permission): an inspector who may
        look at complaints has none waiting for them."""
        opts = self.queryset(user).model._meta
        return user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def _status_labels(self, model) -> dict[str, str]:
        try:
            return {str(k): str(v) for k, v in model._meta.get_field(self.status).flatchoices}
        except Exception:  # a path across a relation: shown as stored
            return {}

    def items(self, *, user, limit: int = PER_SOURCE_LIMIT) -> list[WorkItem]:
        """The ``limit`` earliest-due rows (empty due dates last), one query."""
        qs = self.scoped(user)
        columns = ["pk", self.region, f"{self.region}__name", self.status, *self.merchant]
        if self.reference:
            columns.append(self.reference)
        if self.due:
            columns.append(self.due)
            qs = qs.order_by(F(self.due).asc(nulls_last=True), "pk")
        else:
            qs = qs.order_by("pk")
        labels = self._status_labels(qs.model)
        out = []
        for row in qs.values(*dict.fromkeys(columns))[:limit]:
            status = row[self.status]
            out.append(
                WorkItem(
                    kind=self.name,
                    kind_label=str(self.label),
                    reference=str(row[self.reference] or "") if self.reference else "",
                    merchant=next((str(row[p]) for p in self.merchant if row[p]), ""),
                    due_on=row[self.due] if self.due else None,
                    status=labels.get(str(status), str(status or "")),
                    region_code=row[self.region] or "",
                    region_name=row[f"{self.region}__name"] or "",
                    url=reverse(self.change_url, args=[row["pk"]]),
                )
            )
        return out

    def counts(self, *, user, today: date) -> SourceCount:
        """All waiting rows and the overdue ones, grouped by region: one ``COUNT`` query."""
        overdue = Count("pk", filter=Q(**{f"{self.due}__lt": today})) if self.due else None
        aggregates = {"n": Count("pk")} | ({"late": overdue} if overdue is not None else {})
        rows = self.scoped(user).order_by().values(self.region, f"{self.region}__name").annotate(**aggregates)
        by_region: dict[str, int] = {}
        names: dict[str, str] = {}
        total = late = 0
        for row in rows:
            code = row[self.region] or ""
            by_region[code] = by_region.get(code, 0) + row["n"]
            names[code] = row[f"{self.region}__name"] or ""
            total += row["n"]
            late += row.get("late", 0)
        return SourceCount(total=total, overdue=late, by_region=by_region, region_names=names)


_sources: dict[str, WorkSource] = {}


def register_work_source(source: WorkSource) -> None:
    """Add ``source`` to every staff user's workbench (an app calls this in ``AppConfig.ready()``)."""
    _sources[source.name] = source


def work_sources() -> list[WorkSource]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.name))


# --- change lists ------------------------------------------------------------------------------------


def due_ordering(due: str, *, waiting=None, status: str = "status") -> OrderBy:
    """A change list's ordering by due date, empty dates last on SQLite and PostgreSQL alike (SQLite puts
    NULL first, PostgreSQL last). With ``waiting`` (statuses), a row in any other status counts as having
    no due date: a decided appeal keeps its old date but waits for nobody, so it sorts after the open ones."""
    expr = F(due)
    if waiting is not None:
        expr = Case(
            When(**{f"{status}__in": list(waiting)}, then=F(due)),
            default=Value(None),
            output_field=DateField(),
        )
    return expr.asc(nulls_last=True)


# --- due dates in words ------------------------------------------------------------------------------


def due_in_words(due_on: date | None, *, today: date, days_left: int | None = None) -> str:
    """“还剩 2 个工作日”, “今日到期”, “超期 1 日” (calendar days past the date), “无期限”.

    ``days_left`` (working days from today, ``workdays.working_days_between``) may be passed when known.
    """
    if due_on is None:
        return _("无期限")
    if due_on < today:
        late = (today - due_on).days
        return ngettext("超期 %(n)d 日", "超期 %(n)d 日", late) % {"n": late}
    if due_on == today:
        return _("今日到期")
    left = workdays.working_days_between(today, due_on) if days_left is None else days_left
    if left <= 0:  # due on a day off just ahead (a calendar-day deadline): the next working day is late
        return _("下一个工作日前到期")
    return ngettext("还剩 %(n)d 个工作日", "还剩 %(n)d 个工作日", left) % {"n": left}


# --- the workbench -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: str
    total: int
    overdue: int
    shown: int
    list_url: str


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    counts: list[int]  # per kind, in the order of ``Workbench.kinds``
    total: int


@dataclass(frozen=True)
class Workbench:
    items: list[WorkItem]
    kinds: list[KindRow]
    regions: list[RegionRow]  # per region, for users who cover more than one (city users, superusers)
    today: date

    @property
    def total(self) -> int:
        return sum(k.total for k in self.kinds)

    @property
    def overdue(self) -> int:
        return sum(k.overdue for k in self.kinds)


def _sort_key(item: WorkItem):
    return (item.due_on is None, item.due_on or date.max)


def workbench_for(user, *, today: date | None = None, limit: int = PER_SOURCE_LIMIT) -> Workbench:
    """Everything waiting for ``user`` (staff) or their region, overdue first, then by due date."""
    today = today or workdays.today()
    if not getattr(user, "is_staff", False):
        return Workbench(items=[], kinds=[], regions=[], today=today)
    items: list[WorkItem] = []
    kinds: list[KindRow] = []
    counts: list[SourceCount] = []
    for source in work_sources():
        if not source.visible_to(user):
            continue
        count = source.counts(user=user, today=today)
        if not count.total:  # nothing of this kind waits: no row, no column, no second query
            continue
        rows = source.items(user=user, limit=limit)
        items += rows
        counts.append(count)
        kinds.append(
            KindRow(
                kind=source.name,
                label=str(source.label),
                total=count.total,
                overdue=count.overdue,
                shown=len(rows),
                list_url=reverse(source.list_url) if source.list_url else "",
            )
        )
    left = workdays.working_days_from(today, [i.due_on for i in items if i.due_on and i.due_on > today])
    items = sorted(
        (
            replace(
                i,
                days_left=left.get(i.due_on, 0) if i.due_on else None,
                overdue=bool(i.due_on and i.due_on < today),
                due_words=due_in_words(i.due_on, today=today, days_left=left.get(i.due_on)),
            )
            for i in items
        ),
        key=_sort_key,
    )
    return Workbench(items=items, kinds=kinds, regions=_region_rows(user, counts), today=today)


def _region_rows(user, counts: list[SourceCount]) -> list[RegionRow]:
    codes = visible_region_codes(user)
    if codes is not None and len(codes) <= 1:  # a district user: the kinds table says it all
        return []
    names: dict[str, str] = {}
    for c in counts:
        names.update(c.region_names)
    rows = []
    for code in sorted(names):
        per_kind = [c.by_region.get(code, 0) for c in counts]
        rows.append(RegionRow(code=code, name=names[code], counts=per_kind, total=sum(per_kind)))
    return rows
