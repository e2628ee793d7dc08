"""``/open-data/``: the nightly bulk files, listed from the manifest and served by ETag.

Only a file the manifest lists is ever served, found by (region code, dataset, format) — never by a path
taken from the URL — and its stored path must still resolve inside the open-data directory.
"""

from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from integrity_portal.core.exports import CONTENT_TYPES, attachment_disposition

from ..models import OpenDataDataset, OpenDataFormat, RegionLevel
from ..open_data import DATASET_COLUMNS, DATASET_DESCRIPTIONS, DICTIONARY_HEADER, data_dictionary
from ..selectors.open_data import open_data_file_or_404, open_data_files
from ..services.open_data import open_data_root
from .public import cached_public_page

FILE_TYPES = {**CONTENT_TYPES, "json": "application/json"}
# Files change once a night; a client may reuse one for an hour, then asks again with If-None-Match.
FILE_MAX_AGE = 3600
# The lists share one dictionary; an app's dataset (spot_checks) has its own.
DICTIONARY_DATASETS = (OpenDataDataset.REGISTER, OpenDataDataset.RED_LIST, OpenDataDataset.SPOT_CHECKS)


def _city_code(region) -> str:
    return region.code if region.level == RegionLevel.CITY else (region.parent_id or region.code)


def _scopes(files) -> list[dict]:
    """Cities, each with its own files first and then its districts', grouped by dataset."""
    datasets = list(OpenDataDataset)
    formats = list(OpenDataFormat.values)
    by_region = {}
    for item in files:
        by_region.setdefault(item.region_id, (item.region, {}))[1].setdefault(item.dataset, {})[item.format] = item
    ordered = sorted(
        by_region.values(), key=lambda pair: (_city_code(pair[0]), pair[0].level != RegionLevel.CITY, pair[0].code)
    )
    cities = []
    for city_code, scopes in groupby(ordered, key=lambda pair: _city_code(pair[0])):
        rows = []
        for region, found in scopes:
            for dataset in datasets:
                if dataset not in found:
                    continue
                items = [found[dataset].get(fmt) for fmt in formats]
                first = next(i for i in items if i is not None)
                rows.append(
                    {
                        "region": region,
                        "is_city": region.level == RegionLevel.CITY,
                        "dataset": dataset,
                        "files": [i for i in items if i is not None],
                        "row_count": first.row_count,
                        "generated_at": first.generated_at,
                    }
                )
        cities.append({"code": city_code, "rows": rows})
    for city in cities:
        city["name"] = next((r["region"].name for r in city["rows"] if r["is_city"]), city["code"])
    return cities


@cached_public_page
def open_data(request):
    """The list of files with their size, row count and generation time, the data dictionaries and the licence."""
    return render(
        request,
        "merchants/open_data.html",
        {
            "cities": _scopes(open_data_files()),
            "datasets": [
                {"dataset": d, "description": DATASET_DESCRIPTIONS[d]}
                for d in OpenDataDataset
                if d in DATASET_DESCRIPTIONS
            ],
            "dictionaries": [
                {"dataset": d, "columns": data_dictionary(d)} for d in DICTIONARY_DATASETS if d in DATASET_COLUMNS
            ],
            "dictionary_header": DICTIONARY_HEADER,
            "licence": settings.OPEN_DATA_LICENCE,
        },
    )


def download_name(item) -> str:
    day = timezone.localdate(item.generated_at).isoformat()
    return f"{item.region_id}-{item.region.full_name}-{item.dataset}-{day}.{item.format}"


def open_data_file(request, region_code: str, dataset: str, fmt: str):
    """One listed file, with ``ETag`` (its SHA-256) and ``Last-Modified``; a matching conditional GET is 304."""
    item = open_data_file_or_404(region_code=region_code, dataset=dataset, fmt=fmt)
    root = open_data_root()
    path = (root / item.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404
    etag = f'"{item.sha256}"'
    last_modified = int(item.generated_at.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = FileResponse(path.open("rb"), content_type=FILE_TYPES[item.format])
        response["Content-Disposition"] = attachment_disposition(download_name(item))
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={FILE_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
