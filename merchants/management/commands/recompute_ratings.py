"""``manage.py recompute_ratings [--region CODE] [--stale-only]``: the same service the tasks call."""

from __future__ import annotations

import resource

from django.core.management.base import BaseCommand, CommandError

from integrity_portal.core.errors import DomainError
from merchants.regions import region_exists
from merchants.services.rating import ratings_recompute


class Command(BaseCommand):
    help = "Recompute star ratings in set-based SQL (all merchants, one region, or only stale ones)."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="GB/T 2260 code; the region and its descendants")
        parser.add_argument("--stale-only", action="store_true", help="only merchants flagged rating_stale")

    def handle(self, *args, region=None, stale_only=False, **options):
        if region and not region_exists(region):
            raise CommandError(f"unknown region code: {region}")
        try:
            result = ratings_recompute(region_code=region, stale_only=stale_only, actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"considered={result.considered} changed={result.changed} history_rows={result.history_rows} "
            f"rated={result.rated} seconds={result.seconds:.3f} peak_rss_mb={peak_mb:.0f}"
        )
