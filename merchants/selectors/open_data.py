"""Reads for the open-data files: the rows they hold, the regions they cover, and the published manifest.

Rows are plain tuples in the column order of ``merchants.open_data``, read with ``iterator()`` so a city of
140,000 entities is streamed in chunks, never held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from ..models import ListName, Merchant, MerchantStatus, OpenDataFile, Region, RegionLevel
from ..regions import region_and_descendant_codes
from .credit import list_entries_public
from .register import on_list_now

CHUNK = 2000


def open_data_scopes(region_codes: Iterable[str] | None = None) -> list[Region]:
    """Every city and every district of a city (the files are per city and per district), or only the
    cities and districts among ``region_codes``."""
    qs = Region.objects.select_related("parent").filter(
        Q(level=RegionLevel.CITY) | Q(level=RegionLevel.DISTRICT, parent__level=RegionLevel.CITY)
    )
    if region_codes is not None:
        qs = qs.filter(code__in=list(region_codes))
    return list(qs.order_by("code"))


def _region_names() -> dict[str, str]:
    return {r.code: r.full_name for r in Region.objects.select_related("parent")}


def open_data_register_rows(region_code: str) -> Iterator[tuple]:
    """Every entity of the region and the regions below it, with its current stars and list status.

    A deregistered entity keeps its row (the register is public) but no current stars or rating date,
    the same rule as its profile and the API."""
    names = _region_names()
    rows = (
        Merchant.objects.filter(region_id__in=region_and_descendant_codes(region_code))
        .annotate(red_listed=on_list_now(ListName.RED), black_listed=on_list_now(ListName.BLACK))
        .order_by("id")
        .values_list(
            "id",
            "name",
            "uscc",
            "licence_number",
            "kind",
            "industry",
            "address",
            "region_id",
            "stars",
            "current_rating__computed_at",
            "rating_under_appeal",
            "status",
            "red_listed",
            "black_listed",
        )
    )
    for pk, name, uscc, licence, kind, industry, address, region, stars, rated, appeal, status, red, black in (
        rows.iterator(chunk_size=CHUNK)
    ):
        current = status != MerchantStatus.DEREGISTERED
        rated_at = timezone.localtime(rated).date() if current and stars is not None and rated else None
        yield (
            pk,
            name,
            uscc or "",
            licence or "",
            kind,
            industry,
            address,
            region,
            names.get(region, ""),
            stars if current else None,
            rated_at,
            appeal,
            status,
            red,
            black,
        )


def open_data_list_rows(list_name: str, region_code: str, as_of: date) -> Iterator[tuple]:
    """The red- or black-list entries in force on ``as_of`` in the region: the public list's columns."""
    names = _region_names()
    rows = list_entries_public(list_name=list_name, as_of=as_of, region_code=region_code).values_list(
        "id",
        "merchant_id",
        "merchant__name",
        "merchant__uscc",
        "merchant__licence_number",
        "merchant__region_id",
        "kind",
        "reason",
        "legal_basis",
        "decision_number",
        "decided_by",
        "valid_from",
        "valid_until",
    )
    for pk, merchant, name, uscc, licence, region, *rest in rows.iterator(chunk_size=CHUNK):
        yield (pk, merchant, name, uscc or "", licence or "", region, names.get(region, ""), *rest)


def open_data_files() -> list[OpenDataFile]:
    """The published manifest, for the public page (every row names a whole, renamed file)."""
    return list(OpenDataFile.objects.select_related("region", "region__parent").order_by("region_id", "dataset"))


def open_data_file_or_404(*, region_code: str, dataset: str, fmt: str) -> OpenDataFile:
    """A file listed in the manifest; anything else (an unknown scope, a path, a format) is a 404."""
    try:
        return OpenDataFile.objects.select_related("region", "region__parent").get(
            region_id=region_code, dataset=dataset, format=fmt
        )
    except (OpenDataFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
