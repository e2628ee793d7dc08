"""Writing the nightly open-data files and their manifest (docs/OPEN_DATA.md).

For every city and every district: the register with ratings, the red list and the black list, each as
CSV (UTF-8 with BOM), XLSX and JSON, written in one pass over the rows by ``core.exports``' streaming
writers. Each file goes to a temporary name, is synced and renamed to a new, versioned name, and only then
does the manifest row (``OpenDataFile``) point to it, in one transaction for the three formats: a run that
fails at any point leaves the previous files listed and served. Files the manifest no longer names are
removed after a grace period, so a download that began before the switch can finish.

No audit entry: the files are derived copies of public data, written by the system, and a run changes no
record anyone decided; the manifest itself says what was published when, and the run is logged.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from integrity_portal.core.exports import atomic_file, file_digest, table_writer
from integrity_portal.core.public_cache import public_pages_changed

from ..models import ListName, OpenDataDataset, OpenDataFile, OpenDataFormat, Region
from ..open_data import (
    DATASET_COLUMNS,
    DATASET_DESCRIPTIONS,
    DATASET_ROWS,
    DICTIONARY_HEADER,
    data_dictionary,
)
from ..selectors.open_data import open_data_list_rows, open_data_register_rows, open_data_scopes

logger = logging.getLogger("merchants.open_data")

# A replaced file stays on disk this long, for downloads that started before the manifest moved on.
REPLACED_FILE_GRACE_SECONDS = 3600
UPDATE_FREQUENCY = "daily"


def open_data_root() -> Path:
    """Where the files live: ``OPEN_DATA_ROOT``, else ``MEDIA_ROOT/open-data`` (resolved when used)."""
    return Path(settings.OPEN_DATA_ROOT or Path(settings.MEDIA_ROOT) / "open-data").resolve()


def open_data_export(*, actor=None, region_codes=None) -> list[OpenDataFile]:
    """Write every dataset of every city and district (or of ``region_codes`` only) and publish them.

    ``actor`` is None for the nightly job; a command run by an operator passes nobody either (there is no
    signed-in user), the argument is there for the service convention. Returns the manifest rows written."""
    published: list[OpenDataFile] = []
    generated_at = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        for region in open_data_scopes(region_codes):
            for dataset in OpenDataDataset:
                if dataset not in DATASET_COLUMNS:  # an app's dataset whose app is not installed
                    continue
                published.extend(_export_dataset(region=region, dataset=dataset, generated_at=generated_at))
    transaction.on_commit(public_pages_changed)
    _remove_replaced_files()
    logger.info("open data: %d files written", len(published), extra={"files": len(published)})
    return published


def _rows(region: Region, dataset: str, as_of):
    if dataset in DATASET_ROWS:
        return DATASET_ROWS[dataset](region.code, as_of)
    if dataset == OpenDataDataset.REGISTER:
        return open_data_register_rows(region.code)
    list_name = ListName.RED if dataset == OpenDataDataset.RED_LIST else ListName.BLACK
    return open_data_list_rows(list_name, region.code, as_of)


def _meta(region: Region, dataset: str, generated_at) -> dict:
    return {
        "dataset": str(dataset),
        "title": str(OpenDataDataset(dataset).label),
        "description": str(DATASET_DESCRIPTIONS[dataset]),
        "region_code": region.code,
        "region_name": region.full_name,
        "generated_at": timezone.localtime(generated_at).isoformat(),
        "update_frequency": UPDATE_FREQUENCY,
        "licence": settings.OPEN_DATA_LICENCE,
        "data_dictionary": data_dictionary(dataset),
    }


def _extra_sheets(dataset: str, meta: dict):
    dictionary = [tuple(entry.values()) for entry in meta["data_dictionary"]]
    licence = [(meta["licence"],), (f"{meta['region_name']} · {meta['title']} · {meta['generated_at']}",)]
    return (("数据字典", [str(h) for h in DICTIONARY_HEADER], dictionary), ("许可协议", ["许可协议"], licence))


def _discard_on_error(writer):
    def exit_callback(error_type, error, traceback) -> bool:
        if error_type is not None:
            writer.discard()
        return False  # never swallow the error

    return exit_callback


def _export_dataset(*, region: Region, dataset: str, generated_at) -> list[OpenDataFile]:
    root = open_data_root()
    columns = DATASET_COLUMNS[dataset]
    header = [c.key for c in columns]
    meta = _meta(region, dataset, generated_at)
    stamp = generated_at.strftime("%Y%m%dT%H%M%S%f")
    relative = {fmt: f"{region.code}/{dataset}-{stamp}.{fmt}" for fmt in OpenDataFormat.values}
    options = {
        "title": meta["title"],
        "sheets": _extra_sheets(dataset, meta),
        "keys": header,
        "meta": meta,
    }
    with ExitStack() as files:
        writers = {}
        for fmt, path in relative.items():
            stream = files.enter_context(atomic_file(root / path))
            writers[fmt] = table_writer(fmt, stream, header, **options)
            # On an error this writer gives up before its temporary file is removed (exits run in reverse).
            files.push(_discard_on_error(writers[fmt]))
        for row in _rows(region, dataset, timezone.localdate(generated_at)):
            for writer in writers.values():
                writer.write(row)
        for writer in writers.values():
            writer.close()
    # Every file is whole and renamed now; the manifest moves to them in one step.
    rows = []
    with transaction.atomic():
        for fmt, path in relative.items():
            size, sha256 = file_digest(root / path)
            row, _ = OpenDataFile.objects.select_for_update().update_or_create(
                region=region,
                dataset=dataset,
                format=fmt,
                defaults={
                    "path": path,
                    "size": size,
                    "row_count": writers[fmt].rows,
                    "sha256": sha256,
                    "generated_at": generated_at,
                },
            )
            rows.append(row)
    logger.info("open data %s %s: %d rows", region.code, dataset, writers["csv"].rows)
    return rows


def _remove_replaced_files(*, grace_seconds: int = REPLACED_FILE_GRACE_SECONDS) -> list[str]:
    """Delete files (and leftover temporary files of a crashed run) the manifest does not name, once they
    are older than the grace period. Returns the relative paths removed."""
    root = open_data_root()
    if not root.is_dir():
        return []
    listed = set(OpenDataFile.objects.values_list("path", flat=True))
    cutoff = time.time() - grace_seconds
    removed = []
    for path in root.glob("*/*"):
        relative = path.relative_to(root).as_posix()
        if relative in listed or not path.is_file():
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(relative)
        except FileNotFoundError:
            continue
    return removed
