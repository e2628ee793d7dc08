"""The merchant directory (``/merchants/``): filters, ranked search, and the fast path of an anonymous search.

A search page is almost never served from the page cache (each query is new), so its rendering is on every
request's path. Two things keep it cheap (docs/SEARCH.md "Rendering"; figures in docs/BENCHMARKS.md §7):

* **Result cards** come from ``merchants/_result_card.html`` rendered once per process for each shape (which
  badges and rows a card has) and language with markers in place of the values, then filled per merchant
  (``core.slots``): the markup stays in the template, a card costs a few string joins.
* **The page around the results** — header, filter form with its selects, star shares, footer — depends on
  the language and the filters other than the query, not on the query itself. For an anonymous visitor it is
  rendered once per process for those (the *shell*, under the public pages version, like the page cache)
  with markers for the query, the CSRF token and the results, and filled per search. Anything the shell
  cannot serve — a form error, a page number out of range, a logged-in visitor — goes through the view.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from html import escape as html_escape
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django_filters.views import FilterView

from integrity_portal.core.cache import reduce_query
from integrity_portal.core.slots import SlotError, SlotTemplate, slot

from .. import regions as region_tree
from ..filters.register import INDUSTRY_LABELS, KIND_LABELS, STATUS_LABELS, MerchantDirectoryFilter
from ..models import MerchantStatus, Region
from ..selectors.register import public_merchants
from ..selectors.search import SEARCH_CANDIDATES, CandidatesStatements, PageRows, RankedSearch, SearchQuery
from ..selectors.search_page import SearchPages
from ..templatetags.credit_tags import stars as stars_html
from ..validators import normalize_uscc, registration_number_label
from .public import _CSRF_INPUT, _cacheable_request, _serve_cached

DIRECTORY_COUNT_TTL = 120
PAGE_SIZE = 20
#: The last page a search can have: its candidates are counted up to ``SEARCH_CANDIDATES``.
MAX_PAGES = -(-SEARCH_CANDIDATES // PAGE_SIZE)
_PK_PLACEHOLDER = 9_876_543_210


class CachedCountPaginator(Paginator):
    """Counts at most ``SEARCH_CANDIDATES + 1`` rows (``SELECT count(*) FROM (… LIMIT 1001)``), never the
    table: above that the page says "more than 1,000" (``count_is_bound``) and offers the first 1,000 rows —
    50 pages — for a visitor to narrow down. The bounded count is cached for two minutes."""

    bound = SEARCH_CANDIDATES

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):  # a search: its candidates (``RankedSearch``), bounded
            return min(len(self.object_list), self.bound + 1)
        try:
            sql, params = self.object_list.query.sql_with_params()
        except EmptyResultSet:
            return 0
        key = "public:directory_count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
        total = cache.get(key)
        if total is None:
            # the ids only: no black-list column or search rank computed for rows that are only counted
            total = self.object_list.values("pk").order_by()[: self.bound + 1].count()
            cache.set(key, total, DIRECTORY_COUNT_TTL)
        return min(total, self.bound + 1)

    @property
    def count_is_bound(self) -> bool:
        """True when there are more rows than were counted: the total is shown as "more than …"."""
        return self.count > self.bound

    @cached_property
    def num_pages(self) -> int:
        return max(1, -(-min(self.count, self.bound) // self.per_page))


# --- result cards --------------------------------------------------------------------------------------------

#: The card's values, each a plain ``{{ m.<name> }}`` in ``merchants/_result_card.html``.
CARD_VALUES = (
    "detail_url",
    "name",
    "stars_html",
    "kind_label",
    "industry_label",
    "status_label",
    "registration_label",
    "registration_number",
    "region_name",
    "address",
    "parent_market_name",
)
#: What decides a card's markup: the template's ``{% if %}`` conditions.
CARD_SHAPE = ("is_deregistered", "on_black_list", "is_time_honored", "shows_status", "parent_market_id")
_CARDS: dict[tuple, SlotTemplate] = {}


class _CardMarkers:
    """A stand-in merchant for rendering a card shape: the shape's flags, a marker for every value."""

    def __init__(self, shape: tuple):
        for name, flag in zip(CARD_SHAPE, shape, strict=True):
            setattr(self, name, flag)
        for name in CARD_VALUES:
            setattr(self, name, slot(name))


def _card_template(shape: tuple, language: str, prefix: str) -> SlotTemplate:
    key = (shape, language, prefix)
    card = None if settings.DEBUG else _CARDS.get(key)  # template edits show at once in development
    if card is None:
        rendered = get_template("merchants/_result_card.html").render({"m": _CardMarkers(shape)})
        card = _CARDS[key] = SlotTemplate(
            rendered, CARD_VALUES, optional=("status_label", "parent_market_name")
        )
    return card


#: The columns a card is built from, read by ``PageRows`` for a page of a search (the first is the key).
CARD_COLUMNS = (
    "pk",
    "name",
    "stars",
    "status",
    "kind",
    "industry",
    "is_time_honored",
    "uscc",
    "licence_number",
    "address",
    "region__name",
    "region__level",
    "region__parent__name",
    "parent_market_id",
    "parent_market__name",
    "on_black_list",
)


class DirectoryRow(NamedTuple):
    """What a result card shows: a tuple of ``CARD_COLUMNS`` (a search through the shell: ``_make(row)``) or
    built from a ``public_merchants()`` instance (the view), so both render through the same
    ``result_cards``."""

    pk: int
    name: str
    stars: int | None
    status: str
    kind: str
    industry: str
    is_time_honored: bool
    uscc: str | None
    licence_number: str | None
    address: str
    region_name: str
    region_level: str
    region_parent_name: str | None
    parent_market_id: int | None
    parent_market_name: str | None
    on_black_list: bool

    @classmethod
    def from_merchant(cls, m) -> DirectoryRow:
        region = m.region
        return cls(
            m.pk,
            m.name,
            m.stars,
            m.status,
            m.kind,
            m.industry,
            m.is_time_honored,
            m.uscc,
            m.licence_number,
            m.address,
            region.name,
            region.level,
            region.parent.name if region.parent_id else None,
            m.parent_market_id,
            m.parent_market.name if m.parent_market_id else None,
            getattr(m, "on_black_list", False),
        )


_LABELS: dict[str, tuple[dict, dict, dict]] = {}


def _labels() -> tuple[dict, dict, dict]:
    """Kind, industry and status labels translated and HTML-escaped once per language (60 lookups and
    escapes per page otherwise); safe strings, so a card's ``fill`` puts them in as they are."""
    language = get_language()
    labels = _LABELS.get(language)
    if labels is None:
        labels = _LABELS[language] = tuple(
            {key: _escaped(label) for key, label in names.items()}
            for names in (KIND_LABELS, INDUSTRY_LABELS, STATUS_LABELS)
        )
    return labels


def _escaped(text) -> SafeString:
    """``django.utils.html.escape`` without its lazy-string wrapper (the same ``html.escape``), for values
    escaped once per page or language."""
    return SafeString(html_escape(str(text)))


#: The profile link around the id (escaped), by URL prefix: one ``reverse()`` per process and prefix.
_DETAIL_URLS: dict[str, tuple[SafeString, SafeString]] = {}


def _detail_url_parts(prefix: str) -> tuple[SafeString, SafeString]:
    parts = _DETAIL_URLS.get(prefix)
    if parts is None:
        url = reverse("public:merchant_detail", args=[_PK_PLACEHOLDER])
        head, tail = url.split(str(_PK_PLACEHOLDER), 1)
        parts = _DETAIL_URLS[prefix] = (_escaped(head), _escaped(tail))
    return parts


def result_cards(rows: list[DirectoryRow]) -> list[str]:
    """The directory's result cards, in order. What is the same for many cards — the language, the URL
    prefix, a star display, a number's label, a region's name — is looked up and escaped once per page."""
    language, prefix = get_language(), get_script_prefix()
    url_head, url_tail = _detail_url_parts(prefix)
    kinds, industries, statuses = _labels()
    star_displays: dict[tuple, str] = {}
    number_labels: dict[bool, str] = {}
    region_names: dict[tuple, str] = {}
    cards = []
    for m in rows:
        number = m.uscc or m.licence_number or ""
        deregistered = m.status == MerchantStatus.DEREGISTERED
        shape = (
            deregistered,
            bool(m.on_black_list),
            bool(m.is_time_honored),
            m.status != MerchantStatus.OPERATING,
            bool(m.parent_market_id),
        )
        star_key = (m.stars, deregistered)
        if star_key not in star_displays:
            star_displays[star_key] = stars_html(m.stars, m.status)
        is_code = len(normalize_uscc(number)) == 18
        if is_code not in number_labels:
            number_labels[is_code] = _escaped(registration_number_label(number))
        region_key = (m.region_name, m.region_level, m.region_parent_name)
        if region_key not in region_names:
            region_names[region_key] = _escaped(Region.compose_full_name(*region_key))
        values = {
            "detail_url": SafeString(f"{url_head}{int(m.pk)}{url_tail}"),
            "name": m.name,
            "stars_html": star_displays[star_key],
            "kind_label": kinds.get(m.kind, m.kind),
            "industry_label": industries.get(m.industry, m.industry),
            "status_label": statuses.get(m.status, m.status),
            "registration_label": number_labels[is_code],
            "registration_number": number,
            "region_name": region_names[region_key],
            "address": m.address,
            "parent_market_name": m.parent_market_name or "",
        }
        cards.append(mark_safe(_card_template(shape, language, prefix).fill(values)))  # noqa: S308 (values escaped by fill)
    return cards


#: The results section around the cards by language, URL prefix, filter errors, count, bound, page size, page
#: number and whether there is a query string: everything in it but the cards and the query string follows.
_RESULTS: dict[tuple, SlotTemplate] = {}
_RESULTS_MAX = 4096


def results_html(
    *, paginator, page_obj, rows: list[DirectoryRow], query_string: str, filter_errors: bool
) -> str:
    """The results section: summary, cards and pagination (``merchants/_directory_results.html``), rendered
    once per process for each count and page number with markers for the cards and the query string."""
    number = page_obj.number if page_obj is not None else None
    key = (
        get_language(),
        get_script_prefix(),
        filter_errors,
        paginator.count,
        paginator.bound,
        paginator.per_page,
        number,
        bool(query_string),
    )
    section = None if settings.DEBUG else _RESULTS.get(key)
    if section is None:
        rendered = render_to_string(
            "merchants/_directory_results.html",
            {
                "paginator": paginator,
                "page_obj": page_obj,
                "is_paginated": page_obj is not None and page_obj.has_other_pages(),
                "cards": [slot("cards")] if rows else [],
                "query_string": slot("query_string") if query_string else "",
                "filter_errors": filter_errors,
            },
        )
        section = SlotTemplate(rendered, ("cards", "query_string"), optional=("cards", "query_string"))
        if len(_RESULTS) >= _RESULTS_MAX:
            _RESULTS.clear()
        _RESULTS[key] = section
    cards = mark_safe("".join(result_cards(rows)))  # noqa: S308 (rendered, values escaped)
    return section.fill({"cards": cards, "query_string": query_string})


def _query_string(request) -> str:
    """The request's parameters but the page, URL-encoded as ``QueryDict.urlencode`` writes them (the GET is
    already reduced to DIRECTORY_PARAMS by reduce_query)."""
    return urlencode([(k, v) for k, values in request.GET.lists() if k != "page" for v in values])


# --- the view ------------------------------------------------------------------------------------------------


class MerchantDirectoryView(FilterView):
    """Directory with filters; an invalid filter shows the form error and no rows, a page past the end is 404."""

    filterset_class = MerchantDirectoryFilter
    template_name = "merchants/merchant_list.html"
    context_object_name = "merchants"
    paginate_by = PAGE_SIZE
    paginator_class = CachedCountPaginator
    strict = True
    #: Set when the page is rendered as a shell: the results section is left as a marker.
    results_slot = False

    def get_queryset(self):
        return public_merchants()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filtered"] = any(v for k, v in self.request.GET.items() if k != "page")
        if self.results_slot:  # a shell: no results of its own (those of the marker query are not shown)
            for name in ("merchants", "object_list", "page_obj", "paginator", "is_paginated"):
                context.pop(name, None)
            context["results_html"] = slot("results")
            return context
        context["results_html"] = mark_safe(  # noqa: S308 (rendered from templates, values escaped)
            results_html(
                paginator=context["paginator"],
                page_obj=context["page_obj"],
                rows=[DirectoryRow.from_merchant(m) for m in context["merchants"]],
                query_string=_query_string(self.request),
                filter_errors=bool(self.filterset.errors),
            )
        )
        return context


# --- the fast path of an anonymous search --------------------------------------------------------------------

_SHELL_VALUES = ("q", "csrf", "results")
#: Shells by (version, day, language, script prefix, path, the filters but the query); the oldest go first.
_SHELLS: OrderedDict[tuple, tuple | None] = OrderedDict()
_SHELLS_MAX = 256
_SHELLS_TREE: list = [None]
_SHELLS_LOCK = threading.Lock()


def _shell_key(request, version: int) -> tuple:
    # the parameters but the query, in order; a page number is a marker in the shell (the language form's
    # "next" holds it), filled per request
    others = tuple((k, "" if k == "page" else tuple(v)) for k, v in request.GET.lists() if k != "q")
    return (version, timezone.localdate(), get_language(), get_script_prefix(), request.path, others)


def _build_shell(request) -> tuple | None:
    """Render the page for this request's filters with markers for the query, the CSRF token and the results.

    ``None`` when the filters do not validate (the view shows their errors) or the page does not hold the
    query as a plain or URL-encoded value."""
    marked = copy.copy(request)
    marked.GET = request.GET.copy()  # the same parameters in the same order, markers for the varying values
    names = ["q", *_SHELL_VALUES[1:]]
    marked.GET["q"] = str(slot("q"))
    if "page" in marked.GET:
        marked.GET["page"] = str(slot("page"))
        names.append("page")
    marked.META = {**request.META, "QUERY_STRING": marked.GET.urlencode()}
    view = MerchantDirectoryView(results_slot=True)
    view.setup(marked, page=1)  # the view's page (the kwarg wins over GET); the pagination is in the results
    response = view.dispatch(marked)
    if response.status_code != 200 or view.filterset.errors:
        return None
    html = response.render().content.decode()
    html = _CSRF_INPUT.sub(rb"\1" + str(slot("csrf")).encode() + rb"\2", html.encode()).decode()
    try:
        template = SlotTemplate(html, names)
    except SlotError:
        return None
    queryset, order = view.filterset.narrowed(public_merchants())
    return (
        template,
        queryset,
        order,
        SearchPages(queryset, order, CARD_COLUMNS, per_page=PAGE_SIZE),
        PageRows(queryset, CARD_COLUMNS),
        CandidatesStatements(queryset),
    )


def _shell(request, version: int) -> tuple | None:
    """The shell for this request's filters, built on first use. The dictionary is shared by the threads of a
    threaded server (``runserver``, gthread workers): its reads and writes hold ``_SHELLS_LOCK``; a shell is
    built outside it (two threads may both build one; the second replaces the first, both are the same)."""
    tree = region_tree._tree()
    key = _shell_key(request, version)
    with _SHELLS_LOCK:
        if _SHELLS_TREE[0] is not tree:  # a region was edited (or first use): the region select may differ
            _SHELLS.clear()
            _SHELLS_TREE[0] = tree
        if key in _SHELLS:
            _SHELLS.move_to_end(key)
            return _SHELLS[key]
    shell = _build_shell(request)
    if settings.DEBUG:  # template edits show at once in development
        return shell
    with _SHELLS_LOCK:
        if _SHELLS and next(iter(_SHELLS))[0] != version:  # the public pages changed: every shell is stale
            _SHELLS.clear()
        _SHELLS[key] = shell
        while len(_SHELLS) > _SHELLS_MAX:
            _SHELLS.popitem(last=False)
    return shell


_QUERY_FIELD = MerchantDirectoryFilter.base_filters["q"].field


def search_page(request, version: int) -> HttpResponse | None:
    """The page of an anonymous search through its shell, or ``None`` for the view to answer.

    The query is cleaned by the filter's own field (length, NUL bytes), the other filters were validated when
    the shell was built, and a page number the paginator refuses goes to the view (its 404)."""
    raw = request.GET.get("q", "")
    try:
        query = SearchQuery(_QUERY_FIELD.clean(raw))
    except ValidationError:
        return None
    if not query:
        return None
    shell = _shell(request, version)
    if shell is None:
        return None
    template, queryset, order, pages, page_rows, statements = shell
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        return None  # the view's 404
    if not 1 <= number <= MAX_PAGES:
        return None
    answer = pages(query, number)  # count and rows in one statement (PostgreSQL, a word: not a code)
    if answer is not None:
        total, rows = answer
        paginator = CachedCountPaginator(range(total), PAGE_SIZE)
    else:
        ranked = RankedSearch(queryset, query, order, statements=statements)
        paginator = CachedCountPaginator(ranked, PAGE_SIZE)
    try:
        paginator.validate_number(number)
    except InvalidPage:
        return None
    if answer is None:
        start = (number - 1) * PAGE_SIZE
        rows = page_rows(ranked.ids[start : start + PAGE_SIZE])
    page = Page(rows, number, paginator)
    results = results_html(
        paginator=paginator,
        page_obj=page,
        rows=[DirectoryRow._make(row) for row in rows],
        query_string=_query_string(request),
        filter_errors=False,
    )
    values = {"q": raw, "csrf": get_token(request), "results": mark_safe(results)}  # noqa: S308 (rendered, escaped)
    if "page" in request.GET:
        values["page"] = request.GET["page"]
    html = template.fill(values)
    return HttpResponse(html)


_directory_view = MerchantDirectoryView.as_view()
# Free text and page numbers make the directory's key space unbounded: only a query asked for a second
# time is stored, so one-off searches do not push the popular filter pages out of the cache.
DIRECTORY_PARAMS = (*MerchantDirectoryFilter.base_filters, "page")


def merchant_list(request):
    """The directory. An anonymous search is answered through its shell (``search_page``); every other
    request, and a search the shell cannot answer, by the view. Both go through the public page cache."""
    reduce_query(request, DIRECTORY_PARAMS)
    if not _cacheable_request(request):
        return _directory_view(request)

    def produce(version: int):
        return search_page(request, version) or _directory_view(request)

    return _serve_cached(request, (), produce, admit_after=2)
