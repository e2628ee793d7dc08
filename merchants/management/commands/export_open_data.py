"""``manage.py export_open_data [--region CODE …]``: the nightly open-data files now (the same service the
beat job ``export-open-data`` calls; docs/OPEN_DATA.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from merchants.regions import region_exists
from merchants.services.open_data import open_data_export, open_data_root


class Command(BaseCommand):
    help = "Write the open-data files (register with ratings, red and black lists) for every city and district."

    def add_arguments(self, parser):
        parser.add_argument(
            "--region",
            action="append",
            dest="regions",
            help="GB/T 2260 code of a city or district (repeatable); default: every city and district",
        )

    def handle(self, *args, regions=None, **options):
        unknown = [code for code in regions or () if not region_exists(code)]
        if unknown:
            raise CommandError(f"unknown region code(s): {', '.join(unknown)}")
        files = open_data_export(actor=None, region_codes=regions)
        if not files:
            raise CommandError("no city or district to export (load the regions first)")
        rows = sum(f.row_count for f in files if f.format == "csv")
        self.stdout.write(f"{len(files)} files written under {open_data_root()} ({rows} rows in the CSV files)")
